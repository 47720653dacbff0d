// officer.revoke: the device typed must be an active officer's on the roster the ceremony started with; the
// revocation needs a stated reason and a confirmation, and is journaled for roster.sign to apply.
import { describe, expect, it } from 'vitest';
import { OFFICER_REVOKED, officerRevoke, revocableOfficer } from '../../../src/steps/officer-revoke.js';
import { createOfficer, createRosterBody, createRosterWorld } from '../../helpers/roster-fixture.js';
import { failStep, runStep } from './fakes/step-context.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const world = await createRosterWorld();
const gone = await createOfficer({ id: 'crypto-officer-4', serial: '10000004', status: 'revoked' }, world);
const keeper = await createOfficer({ id: 'custodian-5', serial: '10000005', roles: ['crypto-officer', 'custodian'] }, world);
const body = createRosterBody(world, {}, [...world.officers, gone, keeper]);
const roster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
const s = scriptWith([step('revoke', 'officer.revoke', { record_by: 'admin' })]);
const people = [ADMIN, WITNESS];
const typed = (serial: string, reason: string) => new TablePrompter({ records: { 'revoke.device-serial': serial, 'revoke.reason': reason } });

describe('revocableOfficer', () => {
  it.each([
    ['an active officer', '10000002', 'crypto-officer-2'],
    ['a device not on the roster', '99', 'device 99 is not on the roster (version 1)'],
    ['an officer already revoked', '10000004', 'device 10000004 of Officer crypto-officer-4 is already revoked'],
  ])('%s', (_n, serial, expected) => {
    if (expected.startsWith('crypto-officer')) expect(revocableOfficer(body, serial).id).toBe(expected);
    else expect(() => revocableOfficer(body, serial)).toThrow(expected);
  });
});

describe('officer.revoke', () => {
  it('journals the revocation with officer, device and reason, by the person who recorded it', async () => {
    const run = await runStep(officerRevoke, { script: s, stepId: 'revoke', people, roster, prompter: typed(' 10000002 ', ' device lost on a train ') });
    expect(run.events(OFFICER_REVOKED)).toEqual([{ what: OFFICER_REVOKED, officer: 'crypto-officer-2', name: 'Officer crypto-officer-2', device: '10000002', reason: 'device lost on a train', custodian: false }]);
    expect(run.journal.entries.at(-1)!.actor).toBe('Ada Admin (Ceremony Administrator)');
    expect(run.results).toEqual([
      { label: 'Revoked officer', value: 'Officer crypto-officer-2 (crypto-officer-2)' },
      { label: 'Device', value: '10000002' },
      { label: 'Reason', value: 'device lost on a train' },
    ]);
    expect([...run.used]).toEqual(['roster']);
  });

  it('says a revoked custodian\'s backups must be re-shared: their share is sealed to the revoked token', async () => {
    const run = await runStep(officerRevoke, { script: s, stepId: 'revoke', people, roster, prompter: typed('10000005', 'token lost at the airport') });
    expect(run.events(OFFICER_REVOKED)[0]).toMatchObject({ officer: 'custodian-5', custodian: true });
    expect(run.results.at(-1)).toEqual({ label: 'Backup shares', value: `${keeper.officer.name} is a backup custodian: every backup they hold a share of must be re-shared next (ceremonies/backup-reshare.yaml), or the revoked token still opens their share` });
  });

  it('refuses to revoke a token checked in at this ceremony: it takes no part in the ceremony that revokes it', async () => {
    const withHolder = [...people, { name: 'Officer crypto-officer-2', role: 'officer', officer: 'crypto-officer-2', device: '10000002' }];
    const { error } = await failStep(officerRevoke, { script: s, stepId: 'revoke', people: withHolder, roster, prompter: typed('10000002', 'device lost on a train') });
    expect(error.message).toMatch(/^device 10000002 checked in at this ceremony \(as .*\): a token being revoked takes no part in the ceremony that revokes it/);
  });

  it.each([
    ['a reason shorter than 5 characters', typed('10000002', 'lost'), 'a revocation needs a stated reason (at least 5 characters)'],
    ['a "no" at the confirmation', new TablePrompter({ records: { 'revoke.device-serial': '10000002', 'revoke.reason': 'departure' }, confirm: [['revoke', false]] }), 'Ada Admin did not confirm the revocation'],
    ['an unknown device', typed('12345', 'departure'), 'device 12345 is not on the roster (version 1)'],
  ])('refuses %s and journals nothing', async (_n, prompter, message) => {
    const { error, fake } = await failStep(officerRevoke, { script: s, stepId: 'revoke', people, roster, prompter });
    expect(error.message).toBe(message);
    expect(fake.events()).toEqual([]);
  });
});
