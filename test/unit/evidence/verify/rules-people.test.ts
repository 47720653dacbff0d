// Who may act in the journal before anyone is checked in: only the person deciding a failed step's retry or
// abort (named at the keyboard, or the operator of an answers file); and no token revoked in a ceremony took
// part in it.
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../../src/record/journal.js';
import { checkActors, checkRevokedAbsent } from '../../../../src/evidence/verify/rules-people.js';
import { parseScript } from '../../../../src/script/rules.js';

const script = parseScript(
  's.yaml',
  `id: t
title: T
version: 1
authority: release
roles:
  admin: { title: Administrator, people: 1 }
  witness: { title: Witness, people: 1 }
steps:
  - { id: room, kind: room.preflight, title: Room, instructions: Read the clock., perform: admin, witness: [witness], on_failure: retry }
  - { id: check-in, kind: participants.check-in, title: Check in, instructions: Documents., perform: admin, witness: [witness] }
`,
).script!;
const e = (type: string, actor: string, data: Record<string, unknown> = {}, step = 'room') => ({ type, step, actor, data }) as unknown as JournalEntry;

function problems(entries: JournalEntry[]): string[] {
  const out: string[] = [];
  checkActors(entries, script, { fail: (m) => out.push(m) });
  checkRevokedAbsent(entries, { fail: (m) => out.push(m) });
  return out;
}

describe('verify: people before the check-in', () => {
  it.each<[string, JournalEntry[], string[]]>([
    ['a retry decided by the person at the keyboard, named', [e('step.failed', 'system'), e('deviation', 'Jane Doe (Administrator)', { action: 'retry' })], []],
    ['an abort decided by the operator of an answers file', [e('step.failed', 'system'), e('ceremony.aborted', 'operator (Administrator)')], []],
    ['anything else by someone not checked in', [e('step.event', 'Jane Doe (Administrator)', { what: 'recorded' })], ['people: line 1: step.event recorded by Jane Doe (Administrator), who is not checked in']],
    [
      'a token revoked in the ceremony it checked in to',
      [e('step.event', 'X (Crypto Officer)', { what: 'check-in', device: '10000004' }, 'check-in'), e('step.event', 'A (Administrator)', { what: 'participants', people: [] }, 'check-in'), e('step.event', 'system', { what: 'officer-revoked', device: '10000004' }, 'revoke')],
      ['people: line 3: device 10000004 is revoked in the ceremony it checked in to: a token being revoked takes no part in it'],
    ],
  ])('%s', (_n, entries, expected) => {
    expect(problems(entries).filter((p) => !p.includes('participants'))).toEqual(expected);
  });
});
