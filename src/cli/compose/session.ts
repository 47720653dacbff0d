// A composed ceremony, ready to start or resume, and running it the way every ceremony command does: Ctrl-C
// pauses at the next safe point, the summary is printed, and an interrupted ceremony says how to continue.
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { isOfficiantError } from '../../errors.js';
import type { RunResult } from '../../engine/runner.js';
import { JOURNAL } from '../../evidence/packet-files.js';
import { pausedLine, summaryLines } from '../messages.js';
import { pauseOnSigint } from '../compose.js';

export interface CeremonySession {
  /** The output directory. */
  out: string;
  /** What is about to run, for the operator. */
  banner: string[];
  run(bind: (c: { requestPause(): void }) => void): Promise<RunResult>;
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Not there, or not ours to remove: left as it is.
  }
}

function exitFor(result: RunResult): number {
  return result.outcome === 'done' ? 0 : result.outcome === 'aborted' ? 1 : 130;
}

export async function runSession(session: CeremonySession, print: (l: string) => void): Promise<number> {
  // The banner once the ceremony has started (after its pre-flight): a refused start says only why, and leaves
  // no empty output directory behind to suggest a resume.
  const existed = existsSync(session.out);
  let shown = false;
  const banner = () => {
    if (!shown) session.banner.forEach(print);
    shown = true;
  };
  const sigint = pauseOnSigint();
  try {
    const result = await session.run((c) => {
      banner();
      sigint.bind(c);
    });
    summaryLines(result, session.out).forEach(print);
    return exitFor(result);
  } catch (err) {
    if (!existed && !shown) removeIfEmpty(session.out);
    if (existsSync(join(session.out, JOURNAL)) && isOfficiantError(err) && (err.code === 'interrupt.paused' || err.code.startsWith('input.missing') || err.code.startsWith('env.'))) {
      print(pausedLine(session.out));
    }
    throw err;
  } finally {
    sigint.release();
  }
}
