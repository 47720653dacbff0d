// How much of the record the officers' own signatures cover. A `quorum.approve` of the record makes officers
// sign the journal head as it stood: rewriting anything before it breaks their signatures, which the officers
// group checks. Whatever the journal records after it rests on the evidence key alone, which any two PIN-half
// holders can activate; the auditor is told so, and what pins it (--head, the head on the paper log).
import type { JournalEntry } from '../../record/journal.js';
import type { Script } from '../../script/schema.js';
import { isObject, str } from '../json-shape.js';

/** Entries the runner writes about the record itself (pages, the seal, the end): no new facts. */
function bookkeeping(e: JournalEntry): boolean {
  if (e.type === 'ceremony.completed' || e.type === 'ceremony.sealed') return true;
  const op = str(e.data.op);
  return (e.type === 'intent' || e.type === 'result') && op !== undefined && (op.startsWith('evidence:') || op.startsWith('seal:'));
}

export function countersignCoverage(entries: readonly JournalEntry[], script: Script, headPinned: boolean): string | undefined {
  const officers = Object.values(script.roles).some((r) => r.identity === 'piv');
  if (!officers) return undefined;
  const pin = headPinned ? ' (the journal head is pinned by --head)' : ': pin the journal head written on the paper log with --head';
  const recordSteps = new Set(script.steps.filter((s) => s.kind === 'quorum.approve' && s.params.approve === 'record').map((s) => s.id));
  const statements = entries.filter((e) => e.type === 'step.event' && e.data.what === 'approval-statement' && recordSteps.has(e.step ?? '') && entries.some((c) => c.type === 'step.completed' && c.step === e.step));
  const last = statements.at(-1);
  const head = last && isObject(last.data.statement) && isObject(last.data.statement.approve) ? str(last.data.statement.approve.journal_head) : undefined;
  const covered = head === undefined ? -1 : entries.findIndex((e) => e.hash === head);
  if (covered < 0) return `no officers' countersignature of the record: all of it rests on the evidence key${pin}`;
  const after = entries.slice(covered + 1).filter((e) => e.step !== last!.step && !bookkeeping(e));
  if (after.length === 0) return `officers countersigned the whole record (step ${last!.step}, journal head at line ${covered + 1})`;
  const steps = [...new Set(after.map((e) => e.step).filter((s): s is string => s !== undefined))];
  return `officers countersigned the record up to line ${covered + 1} (step ${last!.step}); ${after.length} later entries (${steps.length > 0 ? `step ${steps.join(', ')}` : 'the ceremony'}) rest on the evidence key alone${pin}`;
}
