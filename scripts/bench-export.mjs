// Benchmark (not a test): `officiant export` of many packets in one command. It rehearses the enrollment and the
// flagship once (or takes the packet directory given), copies it N times, each copy made a distinct ceremony
// run (its run id replaced, which breaks its signatures: the export is run with --include-unverified
// --allow-unpinned, and still verifies each packet in full), then exports 1/10 of the copies and all of them,
// and reports packets per second and peak memory (max RSS) for both, with `officiant verify` of one packet and
// `node -e 0` measured in the same run as baselines. Flat memory: both exports run with the same small V8
// heap cap (128 MB; one packet's verify needs most of it), which the N-packet export would overflow if what it
// keeps grew with the packets; max RSS is reported for both (the rest is garbage V8 collects when it likes).
// Usage: node scripts/bench-export.mjs [packets, default 1000] [packet dir]   (run `npm run build` first)
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { runMeasured } from './bench-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const count = Number(process.argv[2] ?? 1000);
const work = mkdtempSync(join(tmpdir(), 'officiant-bench-export-'));
const env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
const cli = join(root, 'bin/officiant.js');

const run = (cmd, args) => runMeasured(cmd, args, { env });

try {
  let packet = process.argv[3];
  if (!packet) {
    run(process.execPath, [cli, 'rehearse', join(root, 'ceremonies/officer-enrollment.yaml'), '--out', join(work, 'officers')]);
    packet = join(work, 'flagship');
    run(process.execPath, [cli, 'rehearse', join(root, 'ceremonies/release-authority-init.yaml'), '--officers', join(work, 'officers'), '--out', packet]);
  }
  const runId = JSON.parse(readFileSync(join(packet, 'manifest.json'), 'utf8')).ceremonyId;
  const dirs = [];
  for (let i = 0; i < count; i++) {
    const dir = join(work, 'copies', `p${i}`);
    cpSync(packet, dir, { recursive: true });
    const id = randomUUID();
    for (const f of ['journal.jsonl', 'manifest.json']) writeFileSync(join(dir, f), readFileSync(join(dir, f), 'utf8').split(runId).join(id));
    dirs.push(dir);
  }
  const bytes = readdirSync(packet, { recursive: true }).reduce((n, f) => (statSync(join(packet, f)).isFile() ? n + statSync(join(packet, f)).size : n), 0);
  const node = run(process.execPath, ['-e', '0']);
  const verify = run(process.execPath, [cli, 'verify', packet]);
  const exportOf = (n) => run(process.execPath, ['--max-old-space-size=128', cli, 'export', ...dirs.slice(0, n), '--out', join(work, `x${n}.zip`), '--include-unverified', '--allow-unpinned']);
  const small = exportOf(Math.max(1, Math.floor(count / 10)));
  const all = exportOf(count);
  const zip = statSync(join(work, `x${count}.zip`)).size;
  const line = (name, r, n) => `${name.padEnd(34)} ${(r.ms / 1000).toFixed(1).padStart(7)} s ${(n / (r.ms / 1000)).toFixed(1).padStart(7)} packets/s  max RSS ${r.rss.toFixed(0).padStart(5)} MB`;
  console.log(`packet: ${(bytes / 1e6).toFixed(1)} MB, ${count} copies; archive ${(zip / 1e6).toFixed(0)} MB`);
  console.log(line('node -e 0', node, 1));
  console.log(line('officiant verify (1 packet)', verify, 1));
  console.log(line(`officiant export (${Math.max(1, Math.floor(count / 10))} packets)`, small, Math.max(1, Math.floor(count / 10))));
  console.log(line(`officiant export (${count} packets)`, all, count));
  console.log(`per packet: export ${(all.ms / count).toFixed(0)} ms = ${(all.ms / count / verify.ms).toFixed(2)}x one verify process; max RSS ${count} vs ${Math.floor(count / 10)} packets: ${(all.rss / small.rss).toFixed(2)}x, both within a 128 MB heap`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
