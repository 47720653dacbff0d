// Side effects bracketed by the journal, the only truth about what already happened. Contract:
// - an `intent` entry is on disk before the effect starts and a `result` entry (ok or not) after it ends;
// - an effect with a recorded ok result is never run again: its recorded output is returned;
// - an intent without a result (a crash) is reconciled: reconcile() looks at the world (it never changes it);
//   found, the intent is closed as reconciled and the effect is not repeated; not found, the intent is closed
//   as not applied and the effect runs under a new intent; with no reconcile() it simply runs again (only
//   effects that leave nothing behind go without one);
// - a failed effect that has a reconcile() is looked at first too: a token may have changed although the
//   call reported a failure.
import type { Person } from '../record/person.types.js';
import type { Json, JournalEntry, JsonObject } from '../record/journal.js';
import { effectState } from '../record/ledger.js';
import { sha256Hex } from '../record/digest.js';
import type { EffectFns, OutputRecord } from './step-kind.types.js';
import type { OutputStore } from './ports.js';
import { errorData } from './failure.js';

/** What an effect needs from the ceremony: the journal so far, a way to append to it, a voice, a pause check. */
export interface EffectLedger {
  readonly entries: readonly JournalEntry[];
  record(type: JournalEntry['type'], stepId: string | undefined, data: JsonObject, actor?: Person): JournalEntry;
  say(line: string): void;
  /** Throws interrupt.paused when the operator asked to pause: checked before a new intent, never inside one. */
  checkPause(): void;
}

export async function runEffect<T extends Json>(ledger: EffectLedger, stepId: string, op: string, params: JsonObject, fns: EffectFns<T>, actor?: Person): Promise<T> {
  const prior = effectState(ledger.entries, stepId, op);
  if (prior.state === 'done') {
    // An operation on a token or device done earlier (before a stop or a retry): people see it is not done again (writes and pages are
    // the record's own, not news).
    if (!/^(write|evidence|seal):/.test(op)) ledger.say(`  (${op}: done earlier, journal line ${prior.intent.seq}: taken from the journal, not done again)`);
    return prior.output as T;
  }
  if (prior.state === 'open' || (prior.state === 'failed' && fns.reconcile)) {
    // A crash (open) or a failure reported after the token may already have changed (failed): look at the
    // token before doing anything again. reconcile() only observes; it never changes the token.
    let found: T | undefined;
    try {
      found = fns.reconcile ? await fns.reconcile(prior.intent.data.params as JsonObject) : undefined;
    } catch (err) {
      ledger.record('result', stepId, { intent: prior.intent.seq, op, ok: false, reconciled: 'unknown', error: errorData(err) });
      throw err;
    }
    if (found !== undefined) {
      const note = prior.state === 'open' ? 'had taken effect before the interruption' : 'had taken effect although it reported a failure';
      ledger.record('result', stepId, { intent: prior.intent.seq, op, ok: true, reconciled: true, note, output: found });
      ledger.say(`  checked the token: ${op} ${note}; not repeated`);
      return found;
    }
    if (prior.state === 'open') {
      ledger.record('result', stepId, {
        intent: prior.intent.seq,
        op,
        ok: false,
        reconciled: true,
        error: fns.reconcile
          ? { code: 'not-applied', message: 'interrupted before it took effect (checked on the token); performing it now' }
          : { code: 'not-checked', message: 'interrupted; leaves nothing on the token, so it is performed again' },
      });
    }
  }
  ledger.checkPause();
  const intent = ledger.record('intent', stepId, { op, params }, actor);
  let output: T;
  try {
    output = await fns.run();
  } catch (err) {
    ledger.record('result', stepId, { intent: intent.seq, op, ok: false, error: errorData(err) });
    throw err;
  }
  ledger.record('result', stepId, { intent: intent.seq, op, ok: true, output });
  return output;
}

/** Writes a file of the packet as a journaled effect (`write:<path>`, with the bytes' SHA-256 announced). */
export function writeOutputEffect(ledger: EffectLedger, store: OutputStore, stepId: string, rel: string, bytes: Buffer | string): Promise<OutputRecord> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return runEffect<OutputRecord>(ledger, stepId, `write:${rel}`, { path: rel, sha256: sha256Hex(buf) }, {
    run: () => {
      store.write(rel, buf);
      return { path: rel, sha256: sha256Hex(buf), bytes: buf.length };
    },
    // A write is atomic; if it is on disk with the announced hash it happened, otherwise it did not.
    reconcile: (p) => (store.exists(rel) && sha256Hex(store.read(rel)) === p.sha256 ? { path: rel, sha256: String(p.sha256), bytes: buf.length } : undefined),
  });
}
