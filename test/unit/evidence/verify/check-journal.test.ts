// The journal check over journals the Journal class wrote: a complete, sealed one passes with its note; each
// case breaks one rule a packet's journal must keep and asserts the exact problems.
import { describe, expect, it } from 'vitest';
import type { JournalEntry, NewEntry } from '../../../../src/record/journal.js';
import { Group, type Context } from '../../../../src/evidence/verify/check-context.js';
import { checkJournal, readJournal } from '../../../../src/evidence/verify/check-journal.js';
import { writeJournal } from './journal-text.js';

type Make = NewEntry | ((so: readonly JournalEntry[]) => NewEntry);
const started: Make = { type: 'ceremony.started', actor: 'system', data: { ceremonyId: 'c1', mode: 'rehearsal' } };
const intent: Make = { type: 'intent', actor: 'system', step: 's', data: { op: 'hsm.generate-key' } };
const result: Make = (so) => ({ type: 'result', actor: 'system', step: 's', data: { op: 'hsm.generate-key', intent: so.find((e) => e.type === 'intent')!.seq, ok: true } });
const completed: Make = { type: 'ceremony.completed', actor: 'system', data: {} };
const sealed: Make = (so) => ({ type: 'ceremony.sealed', actor: 'system', data: { journalHead: so.find((e) => e.type === 'ceremony.completed')!.hash, packet: { sha256: 'ab'.repeat(32) } } });

function check(bytes: Buffer): Group {
  const read = readJournal(bytes);
  const g = new Group('journal');
  const entries = read.entries;
  const ctx: Context = { files: new Map(), entries, started: entries[0], final: entries.find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted') };
  checkJournal(g, ctx, read);
  return g;
}

describe('checkJournal', () => {
  it('passes a complete, sealed journal and notes its head', () => {
    const { bytes, entries } = writeJournal([started, intent, result, completed, sealed]);
    const g = check(bytes);
    expect(g.problems).toEqual([]);
    expect(g.notes).toEqual([`journal.jsonl: 5 entries, completed; journal head (packet cover, manifest) ${entries[3].hash} at line 4`]);
  });

  it('reports a missing journal', () => {
    const g = new Group('journal');
    checkJournal(g, { files: new Map(), entries: [] }, undefined);
    expect(g.problems).toEqual(['journal.jsonl: missing']);
  });

  it.each<{ name: string; make: Make[]; problems: (e: JournalEntry[]) => string[] }>([
    { name: 'no seal', make: [started, completed], problems: () => ['journal.jsonl: no ceremony.sealed entry', 'journal.jsonl: line 2: last entry is ceremony.completed, expected ceremony.sealed'] },
    {
      name: 'no end',
      make: [started, intent, result],
      problems: () => ['journal.jsonl: no ceremony.completed or ceremony.aborted entry (the ceremony did not end)', 'journal.jsonl: no ceremony.sealed entry', 'journal.jsonl: line 3: last entry is result, expected ceremony.sealed'],
    },
    { name: 'an intent without a result', make: [started, intent, completed, sealed], problems: () => ['journal.jsonl: line 2: intent hsm.generate-key has no result'] },
    {
      name: 'a result for no intent',
      make: [started, { type: 'result', actor: 'system', data: { op: 'x', intent: 9, ok: true } }, completed, sealed],
      problems: () => ['journal.jsonl: line 2: result for no earlier intent (9)'],
    },
    {
      name: 'a result answering another operation',
      make: [started, intent, (so) => ({ type: 'result', actor: 'system', data: { op: 'hsm.init-token', intent: so[1].seq, ok: true } }), completed, sealed],
      problems: () => ['journal.jsonl: line 3: result for hsm.init-token answers intent #2 (hsm.generate-key)', 'journal.jsonl: line 2: intent hsm.generate-key has no result'],
    },
    { name: 'a second start', make: [started, started, completed, sealed], problems: () => ['journal.jsonl: line 2: a second ceremony.started'] },
    {
      name: 'a seal naming another head',
      make: [started, completed, { type: 'ceremony.sealed', actor: 'system', data: { journalHead: 'cd'.repeat(32) } }],
      problems: (e) => [`journal.jsonl: line 3: ceremony.sealed names journal head cdcdcdcdcdcdcdcd…, not the closing entry's ${e[1].hash.slice(0, 16)}…`],
    },
    {
      name: 'a second seal that says something else',
      make: [started, completed, sealed, (so) => ({ type: 'ceremony.sealed', actor: 'system', data: { journalHead: so[1].hash, packet: { sha256: 'ef'.repeat(32) } } })],
      problems: () => ['journal.jsonl: line 4: sealed again with a different packet or journal head'],
    },
    { name: 'a first entry that is not the start', make: [completed, sealed], problems: () => ['journal.jsonl: line 1: ceremony.completed, expected ceremony.started'] },
  ])('reports $name', ({ make, problems }) => {
    const { bytes, entries } = writeJournal(make);
    expect(check(bytes).problems).toEqual(problems(entries));
  });

  it.each([
    {
      name: 'an unreadable line',
      text: (l: string[]) => [l[0], 'not json', ...l.slice(1)].join('\n') + '\n',
      // The well-formed entries still chain: only the line is reported.
      problems: ['journal.jsonl: line 2: unreadable (not JSON)'],
    },
    {
      name: 'a removed entry',
      text: (l: string[]) => [l[0], ...l.slice(2)].join('\n') + '\n',
      problems: [
        'journal.jsonl: line 2: sequence number 3, expected 2',
        'journal.jsonl: line 2: does not link to the previous entry',
        'journal.jsonl: line 3: sequence number 4, expected 3',
        'journal.jsonl: line 4: sequence number 5, expected 4',
        'journal.jsonl: line 2: result for no earlier intent (2)',
      ],
    },
    { name: 'a line that is no entry', text: (l: string[]) => [l[0], '{"seq":"x"}', ...l.slice(1)].join('\n') + '\n', problems: ['journal.jsonl: line 2: not a journal entry'] },
    {
      name: 'a changed entry',
      text: (l: string[]) => l.map((x, i) => (i === 1 ? x.replace('"step":"s"', '"step":"t"') : x)).join('\n') + '\n',
      problems: ['journal.jsonl: line 2: hash does not match its content and it is not the last line'],
    },
    { name: 'a final line without its newline (torn)', text: (l: string[]) => l.join('\n'), problems: ['journal.jsonl: line 5: incomplete final line'] },
    {
      name: 'a line nested 200,000 deep (would exhaust the stack when hashed)',
      text: (l: string[]) => [...l.slice(0, 4), `${'['.repeat(200_000)}${']'.repeat(200_000)}`, l[4]].join('\n') + '\n',
      problems: ['journal.jsonl: line 5: nested deeper than 64 levels (no entry the runner writes does): not read'],
    },
  ])('reports $name', ({ text, problems }) => {
    const { bytes } = writeJournal([started, intent, result, completed, sealed]);
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    const g = check(Buffer.from(text(lines), 'utf8'));
    expect(g.problems.map((p) => p.replace(/ \(\d+ bytes\)$/, ''))).toEqual(problems);
  });

  it('reads an entry whose data holds a key named toString as unreadable, and names it first (String() of it would throw)', () => {
    const { bytes } = writeJournal([started, intent, result, completed, sealed]);
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    const g = check(Buffer.from(lines.map((x, i) => (i === 1 ? x.replace('"data":{', '"data":{"what":{"toString":1},') : x)).join('\n') + '\n', 'utf8'));
    expect(g.problems[0]).toBe('journal.jsonl: line 2: holds a key named toString (no entry the runner writes does): not read');
  });
});
