// Crash injection for the crash-safety tests, off unless OFFICIANT_FAILPOINT is set. The value is
// `<point>#<n>`: at the n-th time the process reaches <point> it kills itself with SIGKILL, which is exactly a
// kill -9 (no handlers, no flushing). Points are named where the real world can cut a ceremony short: each
// journal write (journal.append, journal.append:torn writes half a line first), each output write
// (output.write) and each PKCS#11 call that changes or reads the token (hsm.<operation>).
// OFFICIANT_FAILPOINT_TRACE=<file> appends the name of every point reached, one a line, in order: one traced
// run tells the drills how often each point is reached and what lies between two points.
// Only rehearsals arm them (enableFailpoints): a stray variable in an operator's shell can never kill a
// production ceremony, nor make it write a trace.
import { appendFileSync } from 'node:fs';

const spec = process.env.OFFICIANT_FAILPOINT;
const target = spec ? /^(.+)#(\d+)$/.exec(spec) : null;
const trace = process.env.OFFICIANT_FAILPOINT_TRACE;
const counts = new Map<string, number>();
let enabled = false;

export function enableFailpoints(): void {
  enabled = true;
}

export function failpointArmed(point: string): boolean {
  if (!enabled) return false;
  if (trace) appendFileSync(trace, `${point}\n`);
  if (!target || target[1] !== point) return false;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  return n === Number(target[2]);
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
