// Benchmark (not a test): what a process start costs, the CLI as shipped (dist/bundle/, packed by
// scripts/bundle.mjs) against the same CLI started from tsc's output (dist/cli/main.js), with `node -e 0` as the
// baseline measured in the same run (and `npx officiant --help`, as a user types it in the checkout). Three commands: --help, verify of a crash-drill packet, and a whole
// crash-drill rehearsal (7 steps on a throwaway SoftHSM token). Wall-clock medians; run on an idle machine.
// Usage: node scripts/bench-start.mjs [rounds]   (run `npm run build` first)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const work = mkdtempSync(join(tmpdir(), 'officiant-bench-start-'));
const env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
const CLIS = { bundle: join(root, 'bin/officiant.js'), dist: join(root, 'dist/cli/main.js') };

let runs = 0;
function timed(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}
const rehearse = (cli) => {
  const out = join(work, `r${++runs}`);
  return { out, ms: timed([cli, 'rehearse', join(root, 'test/fixtures/crash-drill.yaml'), '--out', out]) };
};

const packet = rehearse(CLIS.bundle).out;
const results = { 'node -e 0': [], 'npx --help': [], ...Object.fromEntries(Object.keys(CLIS).flatMap((k) => ['--help', 'verify', 'rehearse'].map((c) => [`${c} (${k})`, []]))) };
for (let i = 0; i < rounds; i++) {
  results['node -e 0'].push(timed(['-e', '0']));
  // What a user types in the checkout: npm's own start comes on top of Officiant's.
  const t = performance.now();
  const npx = spawnSync('npx', ['--offline', 'officiant', '--help'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (npx.status !== 0) throw new Error(`npx officiant --help: exit ${npx.status}\n${npx.stderr}`);
  results['npx --help'].push(performance.now() - t);
  for (const [name, cli] of Object.entries(CLIS)) {
    results[`--help (${name})`].push(timed([cli, '--help']));
    results[`verify (${name})`].push(timed([cli, 'verify', packet]));
    results[`rehearse (${name})`].push(rehearse(cli).ms);
  }
}
const base = median(results['node -e 0']);
for (const [name, xs] of Object.entries(results)) console.log(`${name.padEnd(20)} ${median(xs).toFixed(0).padStart(6)} ms  ${(median(xs) / base).toFixed(1).padStart(5)}x node -e 0`);
for (const c of ['--help', 'verify', 'rehearse']) console.log(`${c}: bundle/dist ${(median(results[`${c} (bundle)`]) / median(results[`${c} (dist)`])).toFixed(2)} (median of ${rounds})`);
rmSync(work, { recursive: true, force: true });
