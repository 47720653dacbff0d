// Crash injection for the crash-safety tests, off unless OFFICIANT_FAILPOINT is set. The value is
// `<point>#<n>`: at the n-th time the process reaches <point> it kills itself with SIGKILL, which is exactly a
// kill -9 (no handlers, no flushing). Points are named where the real world can cut a ceremony short: each
// journal write (journal.append, journal.append:torn writes half a line first), each output write
// (output.write), each line an authority's signing log gains, once on disk (signing-log.append), and each
// PKCS#11 call that changes or reads the token (hsm.<operation>).
// OFFICIANT_FAILPOINT_TRACE=<file> appends the name of every point reached, one a line, in order: one traced
// run tells the drills how often each point is reached and what lies between two points.
// OFFICIANT_FAILPOINT_SNAPSHOT=<dir> copies, at every hit of a point named in OFFICIANT_FAILPOINT_SNAPSHOT_POINTS
// (comma-separated), the output directory and the rehearsal's sandbox to <dir>/<point>#<n>/{out,sandbox}: what
// a kill -9 at that hit would leave on disk, taken while the process waits at the point, so one run gives the
// drills every state a sweep of kills would (each copy is then resumed, as a killed run would be).
// Only rehearsals arm them (enableFailpoints): a stray variable in an operator's shell can never kill a
// production ceremony, nor make it write a trace or a copy.
import { appendFileSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const spec = process.env.OFFICIANT_FAILPOINT;
const target = spec ? /^(.+)#(\d+)$/.exec(spec) : null;
const trace = process.env.OFFICIANT_FAILPOINT_TRACE;
const snapshots = process.env.OFFICIANT_FAILPOINT_SNAPSHOT;
const snapshotPoints = new Set((process.env.OFFICIANT_FAILPOINT_SNAPSHOT_POINTS ?? '').split(',').filter(Boolean));
const counts = new Map<string, number>();
let enabled: { out: string; sandbox: string } | undefined;

/** Arms the points for a rehearsal writing to `out` with its sandbox in `sandbox`. */
export function enableFailpoints(dirs: { out: string; sandbox: string }): void {
  enabled = dirs;
}

export function failpointArmed(point: string): boolean {
  if (!enabled) return false;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (trace) appendFileSync(trace, `${point}\n`);
  if (snapshots && snapshotPoints.has(point)) snapshot(join(snapshots, `${point}#${n}`), enabled);
  return target !== null && target[1] === point && n === Number(target[2]);
}

function snapshot(to: string, dirs: { out: string; sandbox: string }): void {
  for (const [name, from] of [['out', dirs.out], ['sandbox', dirs.sandbox]] as const) {
    if (existsSync(from)) cpSync(from, join(to, name), { recursive: true });
  }
}

export function failpoint(point: string): void {
  if (failpointArmed(point)) crashNow();
}

export function crashNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is delivered before this line in practice; never continue past a crash point.
  for (;;) {
    /* wait for the signal */
  }
}
