// Where a ceremony stands, read from its journal alone: what `resume` shows before anyone is asked for
// anything (a PIN half typed before people know which step it is for is a PIN typed blind).
import type { JournalEntry } from './journal.js';
import { isStepCompleted, undecidedFailure } from './ledger.js';

export interface Standing {
  total: number;
  /** Steps the journal completed, in script order. */
  done: { number: number; title: string }[];
  /** The first step not completed, and how the stop left it. */
  next?: { number: number; title: string; state: 'failed' | 'under way' | 'not started'; failure?: string };
  /** Why the ceremony last stopped, when it was paused (not killed). */
  stopped?: { time: string; reason: string };
}

export function standingOf(entries: readonly JournalEntry[], steps: readonly { id: string; title: string }[]): Standing {
  const done = steps.flatMap((s, i) => (isStepCompleted(entries, s.id) ? [{ number: i + 1, title: s.title }] : []));
  const index = steps.findIndex((s) => !isStepCompleted(entries, s.id));
  const last = [...entries].reverse().find((e) => e.type === 'ceremony.paused' || e.type === 'ceremony.resumed');
  const stopped = last?.type === 'ceremony.paused' ? { time: last.time, reason: String(last.data.reason ?? 'paused') } : undefined;
  if (index < 0) return { total: steps.length, done, stopped };
  const step = steps[index];
  const failed = undecidedFailure(entries, step.id);
  const started = entries.some((e) => e.type === 'step.started' && e.step === step.id);
  const next: Standing['next'] = failed
    ? { number: index + 1, title: step.title, state: 'failed', failure: String(failed.data.message ?? 'step failed') }
    : { number: index + 1, title: step.title, state: started ? 'under way' : 'not started' };
  return { total: steps.length, done, next, stopped };
}
