// Journal entry hashes are part of every sealed packet: the literals below were computed before canonical JSON
// was made one module, so any change to how an entry is serialised for hashing fails here.
import { describe, expect, it } from 'vitest';
import { entryHash, type JournalEntry } from '../../../src/record/journal.js';

type Body = Omit<JournalEntry, 'hash'>;

const cases: { name: string; entry: Body; hash: string }[] = [
  {
    name: 'a ceremony.started entry without a step',
    entry: { seq: 1, time: '2026-11-26T12:00:00.000Z', type: 'ceremony.started', actor: 'system', data: { ceremonyId: 'c1', mode: 'rehearsal' }, prev: '0'.repeat(64) },
    hash: '260423b2cd71a56184168fd063048042a83ae75fca449bfb100b1a0122c13a51',
  },
  {
    name: 'a result with nested data, unicode keys, escapes and numbers in exponent form',
    entry: {
      seq: 7,
      time: '2026-11-26T12:00:07.000Z',
      type: 'result',
      actor: 'system',
      step: 'gen-root',
      data: {
        op: 'write:outputs/root.pem',
        ok: true,
        intent: 6,
        output: { sha256: 'ab'.repeat(32), bytes: 1234, ratio: 0.1, big: 1e21, small: 1e-7, neg: -0 },
        names: ['Zoë', 'Ärger', 'a'],
        é: 1,
        Z: 2,
        '\u{1F600}': 3,
        '\uFF61': 4,
        nested: { b: [1, { d: null, c: 'x\n"\u0001' }], a: false },
      },
      prev: 'cd'.repeat(32),
    },
    hash: '8dd0ad9ad5b1e08d45e605e0ced3ca128b6f0c3a82b566f12c3d13127c402662',
  },
];

describe('entryHash', () => {
  it.each(cases)('is unchanged for $name', ({ entry, hash }) => {
    expect(entryHash(entry)).toBe(hash);
  });

  it('treats an absent step and step: undefined alike', () => {
    const { entry, hash } = cases[0];
    expect(entryHash({ ...entry, step: undefined })).toBe(hash);
  });

  it('changes when any field changes', () => {
    const { entry, hash } = cases[1];
    expect(entryHash({ ...entry, seq: 8 })).not.toBe(hash);
    expect(entryHash({ ...entry, data: { ...entry.data, ok: false } })).not.toBe(hash);
  });
});

describe('entryHash refuses what canonical JSON cannot write', () => {
  it.each([NaN, Infinity])('data holding %s', (n) => {
    const entry: Body = { seq: 1, time: '2026-11-26T12:00:00.000Z', type: 'step.event', actor: 'system', data: { n }, prev: '0'.repeat(64) };
    expect(() => entryHash(entry)).toThrow('canonical JSON has no NaN or Infinity');
  });
});
