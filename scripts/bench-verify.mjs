// Benchmark (not a test): `officiant verify` of the flagship packet as a whole process, against poppler's
// `pdfsig` run over every PDF of the same packet (what an auditor would run without Officiant) and
// `node -e 0`, all measured in the same run, alternating. The packet: the officers' enrollment and the flagship
// rehearsed into a temp dir, or the packet directory given.
// Usage: node scripts/bench-verify.mjs [rounds] [packet dir]   (run `npm run build` first)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 7);
const work = mkdtempSync(join(tmpdir(), 'officiant-bench-verify-'));
const env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
const cli = join(root, 'bin/officiant.js');

function run(cmd, args, ok = [0]) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

let packet = process.argv[3];
if (!packet) {
  run(process.execPath, [cli, 'rehearse', join(root, 'ceremonies/officer-enrollment.yaml'), '--out', join(work, 'officers')]);
  packet = join(work, 'flagship');
  run(process.execPath, [cli, 'rehearse', join(root, 'ceremonies/release-authority-init.yaml'), '--officers', join(work, 'officers'), '--out', packet]);
}
const pdfs = [join(packet, 'packet.pdf'), ...readdirSync(join(packet, 'steps')).map((f) => join(packet, 'steps', f))];
const results = { 'node -e 0': [], 'officiant verify': [], [`pdfsig x ${pdfs.length}`]: [] };
for (let i = 0; i < rounds; i++) {
  results['node -e 0'].push(run(process.execPath, ['-e', '0']));
  results['officiant verify'].push(run(process.execPath, [cli, 'verify', packet]));
  results[`pdfsig x ${pdfs.length}`].push(pdfs.reduce((ms, pdf) => ms + run('pdfsig', [pdf]), 0));
}
const base = median(results['node -e 0']);
for (const [name, xs] of Object.entries(results)) console.log(`${name.padEnd(18)} ${median(xs).toFixed(0).padStart(6)} ms  ${(median(xs) / base).toFixed(1).padStart(5)}x node -e 0`);
console.log(`verify / pdfsig: ${(median(results['officiant verify']) / median(results[`pdfsig x ${pdfs.length}`])).toFixed(2)} (median of ${rounds}; at most 1.00 is the target)`);
rmSync(work, { recursive: true, force: true });
