// Who a journal actor is, for the export's index: the check-in record decides for people who checked in (names
// may carry parentheses of their own), the `<name> (<role title>)` suffix otherwise.
import { describe, expect, it } from 'vitest';
import { createResolver } from '../../../../src/evidence/export/people.js';
import type { JournalEntry } from '../../../../src/record/journal.js';
import type { Script } from '../../../../src/script/schema.js';

const checkIn: JournalEntry = {
  seq: 2,
  time: '2026-11-26T12:00:00.000Z',
  type: 'step.event',
  actor: 'system',
  step: 'check-in',
  data: { what: 'participants', people: [{ name: 'Officer 1 (rehearsal)', role: 'crypto-officer' }, { name: 'Wanda', role: 'witness' }] },
  prev: '0'.repeat(64),
  hash: '1'.repeat(64),
};
const script = { roles: { 'crypto-officer': { title: 'Crypto Officer' }, witness: { title: 'Witness' } } } as unknown as Script;

describe('createResolver', () => {
  const who = createResolver([checkIn], script);
  it.each([
    { actor: 'system', want: { person: 'system', role: 'system', roleTitle: 'system' } },
    { actor: 'Officer 1 (rehearsal) (Crypto Officer)', want: { person: 'Officer 1 (rehearsal)', role: 'crypto-officer', roleTitle: 'Crypto Officer' } },
    { actor: 'Wanda', want: { person: 'Wanda', role: 'witness', roleTitle: 'Witness' } },
    { actor: 'Zed (Witness)', want: { person: 'Zed', role: 'witness', roleTitle: 'Witness' } },
    { actor: 'Yan (Auditor)', want: { person: 'Yan', role: 'Auditor', roleTitle: 'Auditor' } },
    { actor: 'Xi', want: { person: 'Xi', role: 'unknown', roleTitle: '' } },
  ])('$actor', ({ actor, want }) => {
    expect(who(actor)).toEqual(want);
  });

  it('reads the role title from the check-in role when the script is unreadable', () => {
    expect(createResolver([checkIn], undefined)('Wanda (witness)')).toEqual({ person: 'Wanda', role: 'witness', roleTitle: 'witness' });
  });
});
