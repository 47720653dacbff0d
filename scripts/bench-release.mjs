// Benchmark (not a test): release signing (ceremonies/release-signing.yaml), measured against baselines run in
// the same command, with a verdict per target that never fails the command:
//   1. signing: artifact digests signed through the pkcs11 adapter (RSA-4096 as the release root is, and EC
//      P-256) on a fresh SoftHSM2 token, against a bare graphene-pk11 loop of the same mechanism and key
//      (scripts/bench-release-signing.mjs); target: at least 0.9x the loop's signatures per second
//   2. staging one large artifact: the adapter's stage (copy + SHA-256, synced) against `openssl dgst -sha256`
//      on warm cache (scripts/bench-release-staging.mjs); targets: at least 0.8x openssl's throughput, memory
//      growth under 64 MiB; and the test-key scan's cost on that file and on a ZIP of about its size (its throughput
//      also as a multiple of openssl dgst's)
// Usage: node scripts/bench-release.mjs [--count 10000] [--size 4G] [--rounds 3] [--no-zip]
//   (run `npm run build` first; scripts/bench-release.sh does). --count and --size lower both for a quick run.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchSigning } from './bench-release-signing.mjs';
import { benchStaging } from './bench-release-staging.mjs';

const { values: flags } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, size: { type: 'string', default: '4G' }, rounds: { type: 'string', default: '3' }, 'no-zip': { type: 'boolean', default: false } },
});
const UNITS = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
const bytesOf = (s) => {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)(?:i?B)?$/i.exec(s);
  if (!m) throw new Error(`--size ${s}: a number of bytes, or with K, M or G (4G, 512M)`);
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
};
const count = Number(flags.count);
const size = bytesOf(flags.size);
const rounds = Number(flags.rounds);
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const gibps = (bytes, ms) => `${(bytes / 1024 ** 3 / (ms / 1000)).toFixed(2)} GiB/s`;
const verdict = (what, ok, target) => console.log(`verdict: ${what} ${ok ? 'met' : 'NOT met'} (target ${target})`);

console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(1)} at start (other work on it makes both sides of a ratio slower)`);

// 1. signing
const signing = benchSigning({ count });
console.log(`\nsigning ${count} artifact digests (SoftHSM2, the same token and key, alternating blocks):`);
for (const r of signing) {
  console.log(
    `  ${r.algorithm.padEnd(9)} product ${r.productPerSec.toFixed(0).padStart(6)} signatures/s (${s(r.productMs)})  bare graphene loop ${r.barePerSec.toFixed(0).padStart(6)} signatures/s (${s(r.bareMs)})  ratio ${r.ratio.toFixed(2)}x  ${r.verified ? 'all verify' : 'SOME DO NOT VERIFY'}`,
  );
}

// 2. staging
const work = mkdtempSync(join(tmpdir(), 'officiant-bench-release-'));
let st;
try {
  st = benchStaging({ size, rounds, work, zip: !flags['no-zip'] });
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`\nstaging one ${(size / 1024 ** 3).toFixed(2)} GiB artifact of random bytes (warm cache, min / median of ${rounds} alternating rounds after one untimed):`);
for (const r of st.table) console.log(`  ${r.name.padEnd(26)} ${s(r.min).padStart(9)} / ${s(r.median).padStart(9)}  ${gibps(size, r.median).padStart(12)}`);
const openssl = st.table.find((r) => r.name.startsWith('openssl'));
const dd = st.table.find((r) => r.name.startsWith('dd'));
const ratio = openssl.median / st.stage.median;
console.log(`  stage / openssl throughput: ${ratio.toFixed(2)}x (median; min ${(openssl.min / st.stage.min).toFixed(2)}x); stage / dd conv=fsync: ${(dd.median / st.stage.median).toFixed(2)}x`);
console.log(`  memory: idle process ${st.idleRss.toFixed(0)} MiB max RSS; stage grows it by ${st.stageGrowth.toFixed(1)} MiB, the scan by ${st.scan.growth.toFixed(1)} MiB`);
const scanLine = (what, bytes, scan, stageMs) =>
  console.log(
    `  test-key scan of ${what}: ${s(scan.ms)} (${gibps(bytes, scan.ms)}, ${(bytes / scan.ms / (size / openssl.median)).toFixed(2)}x openssl dgst's throughput, ${scan.entries} ZIP entries, ${scan.findings} findings); stage + scan = ${((stageMs + scan.ms) / stageMs).toFixed(2)}x stage alone`,
  );
scanLine('the image', size, st.scan, st.stage.median);
if (st.zip) {
  scanLine(`a ${(st.zip.size / 1024 ** 3).toFixed(2)} GiB ZIP`, st.zip.size, st.zip.scan, st.zip.stage.ms);
  console.log(`  (the ZIP staged once in ${s(st.zip.stage.ms)}; its scan grows memory by ${st.zip.scan.growth.toFixed(1)} MiB)`);
}

console.log('');
for (const r of signing) verdict(`signing ${r.algorithm} at ${r.ratio.toFixed(2)}x the bare loop:`, r.ratio >= 0.9 && r.verified, '>= 0.9x');
verdict(`staging at ${ratio.toFixed(2)}x openssl's throughput:`, ratio >= 0.8, '>= 0.8x');
verdict(`staging memory growth ${st.stageGrowth.toFixed(1)} MiB:`, st.stageGrowth < 64, '< 64 MiB');
