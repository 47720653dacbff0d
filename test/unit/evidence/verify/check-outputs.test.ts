// The outputs check over journals the Journal class wrote: each outputs/ file must be what its last successful
// write result recorded, and nothing under outputs/ may be unrecorded.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Group } from '../../../../src/evidence/verify/check-context.js';
import { checkOutputs } from '../../../../src/evidence/verify/check-outputs.js';
import type { JournalEntry, NewEntry } from '../../../../src/record/journal.js';
import { writeJournal } from './journal-text.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');

function write(path: string, bytes: Buffer, ok = true): Array<NewEntry | ((so: readonly JournalEntry[]) => NewEntry)> {
  return [
    { type: 'intent', actor: 'system', step: 's', data: { op: `write:${path}` } },
    (so) => ({ type: 'result', actor: 'system', step: 's', data: { op: `write:${path}`, intent: so[so.length - 1].seq, ok, output: { sha256: sha(bytes), bytes: bytes.length } } }),
  ];
}

function check(journal: ReturnType<typeof write>, files: Record<string, Buffer>): Group {
  const { entries } = writeJournal([{ type: 'ceremony.started', actor: 'system', data: {} }, ...journal]);
  const g = new Group('outputs');
  checkOutputs(g, { files: new Map(Object.entries(files)), entries });
  return g;
}

describe('checkOutputs', () => {
  it('passes outputs that match their recorded writes', () => {
    const g = check([...write('outputs/root.cert.pem', pem), ...write('outputs/a.txt', Buffer.from('a'))], { 'outputs/root.cert.pem': pem, 'outputs/a.txt': Buffer.from('a') });
    expect(g.problems).toEqual([]);
    expect(g.notes).toEqual(['2 output files match the SHA-256 recorded in journal.jsonl']);
  });

  it('takes the last successful write of a path', () => {
    const g = check([...write('outputs/a.txt', Buffer.from('old')), ...write('outputs/a.txt', Buffer.from('new'))], { 'outputs/a.txt': Buffer.from('new') });
    expect(g.problems).toEqual([]);
  });

  it.each<{ name: string; journal: ReturnType<typeof write>; files: Record<string, Buffer>; problems: string[] }>([
    { name: 'a recorded file missing', journal: write('outputs/a.txt', pem), files: {}, problems: ['outputs/a.txt: written at journal.jsonl line 3 but missing'] },
    {
      name: 'changed bytes',
      journal: write('outputs/a.txt', pem),
      files: { 'outputs/a.txt': Buffer.from('x') },
      problems: [`outputs/a.txt: SHA-256 ${sha(Buffer.from('x')).slice(0, 16)}… is not the ${sha(pem).slice(0, 16)}… journal.jsonl recorded (line 3)`],
    },
    { name: 'a file nobody wrote', journal: [], files: { 'outputs/stray.txt': pem }, problems: ['outputs/stray.txt: not written by any operation recorded in journal.jsonl'] },
    { name: 'a failed write is no write', journal: write('outputs/a.txt', pem, false), files: { 'outputs/a.txt': pem }, problems: ['outputs/a.txt: not written by any operation recorded in journal.jsonl'] },
  ])('reports $name', ({ journal, files, problems }) => {
    expect(check(journal, files).problems).toEqual(problems);
  });

  it('reports a size that is not the recorded one even when the hash matches', () => {
    const { entries } = writeJournal([
      { type: 'ceremony.started', actor: 'system', data: {} },
      { type: 'intent', actor: 'system', data: { op: 'write:outputs/a.txt' } },
      { type: 'result', actor: 'system', data: { op: 'write:outputs/a.txt', intent: 2, ok: true, output: { sha256: sha(pem), bytes: 1 } } },
    ]);
    const g = new Group('outputs');
    checkOutputs(g, { files: new Map([['outputs/a.txt', pem]]), entries });
    expect(g.problems).toEqual([`outputs/a.txt: ${pem.length} bytes, journal.jsonl recorded 1 (line 3)`]);
  });
});
