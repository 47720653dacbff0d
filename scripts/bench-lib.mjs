// What the benchmarks share: medians, wall-clock timing, a process run under /usr/bin/time (wall time and max
// RSS), and a throwaway SoftHSM2 token in a temp dir (never the user's tokens). Not a test helper: benchmarks
// print figures, they do not assert.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const time = (fn) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

export const timeAsync = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

/** Runs a command under /usr/bin/time: wall ms, max RSS in MB, and its stdout. Throws on an exit not in `ok`. */
export function runMeasured(cmd, args, { env = process.env, ok = [0] } = {}) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} ...: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  const rss = Number(r.stderr.trim().split('\n').at(-1)) / 1024;
  return { ms, rss, stdout: r.stdout };
}

/**
 * A fresh SoftHSM2 token store in a temp dir, selected for this process through SOFTHSM2_CONF (SoftHSM reads it
 * at C_Initialize: call this before the module is loaded), with one initialised token.
 */
export function createBenchToken({ prefix = 'officiant-bench-hsm-', label = 'bench', soPin = 'bench-so-pin', pin = 'bench-user-pin' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin], { stdio: 'ignore' });
  return { dir, label, pin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
