// Journals for the verify checks, written by the real Journal class into memory so every hash and link is the
// one the runner would write.
import { Journal, type JournalEntry, type NewEntry } from '../../../../src/record/journal.js';
import { MemoryJournalFile } from '../../../helpers/memory-journal-file.js';

/** Appends each entry in turn; `make` may read the entries written so far (for hashes and seqs). */
export function writeJournal(make: Array<NewEntry | ((so: readonly JournalEntry[]) => NewEntry)>): { bytes: Buffer; entries: JournalEntry[] } {
  const file = new MemoryJournalFile();
  let tick = 0;
  const journal = Journal.open(file, { now: () => new Date(Date.UTC(2026, 10, 26, 12, 0, tick++)) });
  for (const m of make) journal.append(typeof m === 'function' ? m(journal.entries) : m);
  return { bytes: file.readAll(), entries: [...journal.entries] };
}
