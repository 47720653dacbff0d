// One line per journal entry for people reading a step page: the operation, its outcome, the fact recorded.
// Pure: it reads the entry's data only, so a page rebuilt from the same journal reads the same.
import type { JournalEntry, JsonObject } from './journal.js';

export function summarizeEntry(e: JournalEntry): string {
  const d = e.data;
  switch (e.type) {
    case 'intent':
      return `${d.op}`;
    case 'result':
      return `${d.op}: ${d.ok ? 'ok' : `failed (${(d.error as JsonObject)?.message ?? ''})`}${d.reconciled ? ' [reconciled]' : ''}`;
    case 'step.event':
      return `${d.what}${d.answer !== undefined ? `: ${d.answer ? 'yes' : 'no'}` : ''}${d.value !== undefined ? `: ${d.value}` : ''}`;
    case 'step.failed':
      return String(d.message);
    case 'deviation':
      return `retry: ${d.reason}`;
    case 'ceremony.paused':
      return `paused: ${d.reason}`;
    case 'ceremony.resumed':
      return `resumed after ${d.after === 'pause' ? 'a pause' : 'an interruption'}`;
    default:
      return '';
  }
}
