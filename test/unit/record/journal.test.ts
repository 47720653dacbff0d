// The journal on its own: hash chain, torn final line repaired and recorded, damage elsewhere refused.
import { describe, expect, it } from 'vitest';
import { Journal, parseJournal, verifyChain, GENESIS } from '../../../src/record/journal.js';
import { isOfficiantError } from '../../../src/errors.js';
import { MemoryJournalFile } from '../../helpers/memory-journal-file.js';

let tick = 0;
const clock = { now: () => new Date(Date.UTC(2026, 10, 26, 12, 0, tick++)) };

function journalWith(n: number): MemoryJournalFile {
  const file = new MemoryJournalFile();
  const j = Journal.open(file, clock);
  for (let i = 0; i < n; i++) j.append({ type: 'step.event', actor: 'system', step: 's', data: { what: 'x', i } });
  return file;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isOfficiantError(err) ? err.code : 'other';
  }
  return undefined;
}

describe('journal', () => {
  it('chains every entry to the one before with SHA-256', () => {
    const { entries } = parseJournal(journalWith(5).readAll().toString());
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0].prev).toBe(GENESIS);
    for (let i = 1; i < entries.length; i++) expect(entries[i].prev).toBe(entries[i - 1].hash);
    expect(verifyChain(entries)).toEqual([]);
  });

  it('detects a changed value, a removed line and reordered lines', () => {
    const lines = journalWith(4).readAll().toString().trimEnd().split('\n');
    const changed = [...lines];
    changed[1] = changed[1].replace('"i":1', '"i":7');
    expect(codeOf(() => parseJournal(`${changed.join('\n')}\n`))).toBe('ceremony.journal-corrupt');
    const removed = lines.filter((_, i) => i !== 1);
    expect(codeOf(() => parseJournal(`${removed.join('\n')}\n`))).toBe('ceremony.journal-corrupt');
    const swapped = [lines[0], lines[2], lines[1], lines[3]];
    expect(codeOf(() => parseJournal(`${swapped.join('\n')}\n`))).toBe('ceremony.journal-corrupt');
  });

  it('cuts a torn final line on open, records it, and keeps every complete entry', () => {
    const file = journalWith(3);
    const whole = file.readAll().toString();
    file.append('{"seq":4,"time":"2026-11-26T12:00:0');
    const j = Journal.open(file, clock);
    expect(j.entries).toHaveLength(4);
    const repaired = j.entries[3];
    expect(repaired.type).toBe('journal.repaired');
    expect(repaired.seq).toBe(4);
    expect(repaired.data.text).toBe('{"seq":4,"time":"2026-11-26T12:00:0');
    expect(file.readAll().toString().startsWith(whole)).toBe(true);
    expect(verifyChain(parseJournal(file.readAll().toString()).entries)).toEqual([]);
  });

  it('treats a complete-looking final line without its newline as torn (the write did not finish)', () => {
    const file = journalWith(2);
    const lines = file.readAll().toString().trimEnd().split('\n');
    file.truncate(file.readAll().length - 1);
    const j = Journal.open(file, clock);
    expect(j.entries.map((e) => e.type)).toEqual(['step.event', 'journal.repaired']);
    expect(j.entries[1].data.text).toBe(lines[1]);
  });

  it('refuses damage that is not at the end instead of repairing it', () => {
    const file = journalWith(3);
    const lines = file.readAll().toString().trimEnd().split('\n');
    lines[1] = lines[1].slice(0, 20);
    file.bytes = Buffer.from(`${lines.join('\n')}\n`);
    expect(codeOf(() => Journal.open(file, clock))).toBe('ceremony.journal-corrupt');
    expect(file.readAll().toString()).toBe(`${lines.join('\n')}\n`);
  });
});
