// participants.check-in: typed names per role (exactly the declared number of distinct people), one role per
// person whether named by a typed name or a roster entry, and officers of a piv role proving presence with a
// fresh challenge signed by their token's 9a key, checked against the roster.
import { describe, expect, it } from 'vitest';
import { createRoll, participantsCheckIn, typedNamesProblem } from '../../../src/steps/participants-check-in.js';
import { statementBytes, statementDigest, type CheckInChallenge } from '../../../src/custody/quorum.js';
import { verify, X509Certificate } from 'node:crypto';
import { createOfficer, createRosterBody, createRosterWorld } from '../../helpers/roster-fixture.js';
import { failStep, runStep } from './fakes/step-context.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { scriptWith } from './fakes/scripts.js';

const typed = scriptWith([]);
const role = (people: number) => ({ title: 'Witness', people, identity: 'document' as const });

describe('typedNamesProblem', () => {
  it.each([
    ['exactly the distinct names needed', 2, ['a', 'b'], undefined],
    ['a name twice', 2, ['a', 'a'], 'Witness: 2 distinct people needed, got 1'],
    ['too few', 2, ['a'], 'Witness: 2 distinct people needed, got 1'],
    ['too many', 1, ['a', 'b'], 'Witness: 1 distinct people needed, got 2'],
  ])('%s', (_n, people, names, problem) => {
    expect(typedNamesProblem(role(people), names)).toBe(problem);
  });
});

describe('createRoll', () => {
  it('admits people in order and refuses a second role under any of their keys', () => {
    const roll = createRoll(typed);
    roll.admit({ name: 'Ada', role: 'admin' }, ['ada']);
    expect(() => roll.admit({ name: 'ADA', role: 'witness' }, ['ada'])).toThrow('ADA is already checked in as Ceremony Administrator: one role per person');
    roll.admit({ name: 'Walt', role: 'witness' }, ['walt']);
    expect(roll.people.map((p) => p.name)).toEqual(['Ada', 'Walt']);
  });
});

describe('participants.check-in with typed identities', () => {
  it('records everyone, trimmed, in role order, and shows each role', async () => {
    const prompter = new TablePrompter({ people: { admin: [' Ada Admin '], witness: ['Walt Witness'] } });
    const run = await runStep(participantsCheckIn, { script: typed, stepId: 'check-in', prompter });
    expect(run.ctx.people()).toEqual([{ name: 'Ada Admin', role: 'admin' }, { name: 'Walt Witness', role: 'witness' }]);
    expect(run.events('participants')).toEqual([{ what: 'participants', people: [{ name: 'Ada Admin', role: 'admin' }, { name: 'Walt Witness', role: 'witness' }] }]);
    expect(run.results).toEqual([{ label: 'Ceremony Administrator', value: 'Ada Admin' }, { label: 'Witness', value: 'Walt Witness' }]);
    expect(run.used.size).toBe(0);
  });

  it.each([
    ['one person in two roles (names compared without case)', { admin: ['Ada'], witness: ['ada'] }, 'ada is already checked in as Ceremony Administrator: one role per person'],
    ['fewer distinct names than the role needs', { admin: ['Ada'], witness: [] }, 'Witness: 1 distinct people needed, got 0'],
  ])('refuses %s', async (_n, people, message) => {
    const { error, fake } = await failStep(participantsCheckIn, { script: typed, stepId: 'check-in', prompter: new TablePrompter({ people }) });
    expect([error.code, error.message]).toEqual(['ceremony.step-failed', message]);
    expect(fake.events('participants')).toEqual([]);
  });
});

describe('participants.check-in by PIV token', async () => {
  const world = await createRosterWorld();
  const [o1, o2] = world.officers;
  const stranger = await createOfficer({ id: 'crypto-officer-9', serial: '10000009' }, world);
  const body = createRosterBody(world);
  const roster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
  const s = scriptWith([], { officers: 2 });
  // Roles of identity piv make the script need the roster and the tokens (engine/needs.ts), not the kind.
  const grant = { roster: true, piv: true };
  const answers = (devices: string[]) =>
    new TablePrompter({
      people: { admin: ['Ada Admin'], witness: ['Walt Witness'] },
      devices: { 'check-in.crypto-officer-1': devices[0], 'check-in.crypto-officer-2': devices[1] },
      secrets: Object.fromEntries(world.officers.map((o) => [`${o.officer.name}.piv-pin`, OFFICER_PIN])),
    });

  it('names officers as the roster does, with a challenge signature that verifies with their 9a certificate', async () => {
    const run = await runStep(participantsCheckIn, { script: s, stepId: 'check-in', grant, roster, piv: new FakePivReader([o1, o2, stranger]), prompter: answers(['10000002', '10000001']) });
    expect(run.ctx.people('crypto-officer')).toEqual([
      { name: o2.officer.name, role: 'crypto-officer', officer: 'crypto-officer-2', device: '10000002' },
      { name: o1.officer.name, role: 'crypto-officer', officer: 'crypto-officer-1', device: '10000001' },
    ]);
    const [first] = run.events('check-in');
    const challenge = first.challenge as unknown as CheckInChallenge;
    expect(challenge).toMatchObject({ type: 'officiant-check-in/1', step: { id: 'check-in', number: 1 }, role: 'crypto-officer' });
    expect(first.challenge_sha256).toBe(statementDigest(challenge));
    const cert = new X509Certificate(o2.officer.keys['9a']!.certificate);
    expect(verify('sha256', statementBytes(challenge), cert.publicKey, Buffer.from(String(first.signature), 'base64'))).toBe(true);
    expect(run.results.filter((r) => r.label === 'Crypto Officer').map((r) => r.value)).toEqual([
      `${o2.officer.name} (device 10000002, SIMULATED: rehearsal only, token-verified)`,
      `${o1.officer.name} (device 10000001, SIMULATED: rehearsal only, token-verified)`,
    ]);
  });

  it('refuses a device that is not on the roster before any PIN is typed, journaling the refusal', async () => {
    const prompter = answers(['10000009']);
    const { error, fake } = await failStep(participantsCheckIn, { script: s, stepId: 'check-in', grant, roster, piv: new FakePivReader([o1, o2, stranger]), prompter });
    const reason = 'device 10000009 is not on the roster (version 1): only enrolled officers check in as Crypto Officer';
    expect(error.message).toBe(reason);
    expect(fake.events('check-in-refused')).toEqual([{ what: 'check-in-refused', role: 'crypto-officer', device: '10000009', reason }]);
    expect(prompter.asked.filter((a) => a.kind === 'secret')).toEqual([]);
  });

  it('refuses a device already checked in, by its owner\'s name, before its PIN is asked a second time', async () => {
    const prompter = answers(['10000001', '10000001']);
    const { error } = await failStep(participantsCheckIn, { script: s, stepId: 'check-in', grant, roster, piv: new FakePivReader([o1, o2]), prompter });
    expect(error.message).toBe(`device 10000001 (${o1.officer.name}) is already checked in`);
    expect(prompter.asked.filter((a) => a.kind === 'secret').map((a) => a.person)).toEqual([o1.officer.name]);
  });

  it('at the keyboard, re-asks only the slipped pick, offers no device already checked in, and journals the slip under the owner', async () => {
    const prompter = new TablePrompter({
      interactive: true,
      people: { admin: ['Ada Admin'], witness: ['Walt Witness'] },
      devices: { 'check-in.crypto-officer-1': '10000001', 'check-in.crypto-officer-2': ['10000009', '10000001', '10000002'] },
      secrets: Object.fromEntries(world.officers.map((o) => [`${o.officer.name}.piv-pin`, OFFICER_PIN])),
    });
    const run = await runStep(participantsCheckIn, { script: s, stepId: 'check-in', grant, roster, piv: new FakePivReader([o1, o2, stranger]), prompter });
    expect(run.ctx.people('crypto-officer').map((p) => p.device)).toEqual(['10000001', '10000002']);
    // One PIN each: nobody typed theirs again for someone else's slip.
    expect(prompter.asked.filter((a) => a.kind === 'secret').map((a) => a.person)).toEqual([o1.officer.name, o2.officer.name]);
    // The second officer's picks were offered without the device already checked in.
    expect(prompter.offered.slice(1).map((list) => list.map((d) => d.serial))).toEqual([
      ['10000002', '10000009'],
      ['10000002', '10000009'],
      ['10000002', '10000009'],
    ]);
    expect(prompter.said.join('\n')).toContain(`device 10000001 (${o1.officer.name}) is already checked in. Pick the token of the Crypto Officer checking in now.`);
    expect(run.events('check-in-refused').map((e) => e.reason)).toEqual([
      'device 10000009 is not on the roster (version 1): only enrolled officers check in as Crypto Officer',
      `device 10000001 (${o1.officer.name}) is already checked in`,
    ]);
  });
});

describe('participants.check-in: a revoked token, and a slip too many', async () => {
  const world = await createRosterWorld();
  const [o1, o2] = world.officers;
  const lost = await createOfficer({ id: 'crypto-officer-7', serial: '10000007', status: 'revoked' }, world);
  const body = createRosterBody(world, {}, [...world.officers, lost]);
  const roster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
  const s = scriptWith([], { officers: 2 });
  const grant = { roster: true, piv: true };
  const prompter = (interactive: boolean, second: string | string[]) =>
    new TablePrompter({
      interactive,
      people: { admin: ['Ada Admin'], witness: ['Walt Witness'] },
      devices: { 'check-in.crypto-officer-1': '10000001', 'check-in.crypto-officer-2': second },
      secrets: Object.fromEntries([...world.officers, lost].map((o) => [`${o.officer.name}.piv-pin`, OFFICER_PIN])),
    });

  it('refuses a revoked token before its holder types a PIN', async () => {
    const p = prompter(false, '10000007');
    const { error } = await failStep(participantsCheckIn, { script: s, stepId: 'check-in', grant, roster, piv: new FakePivReader([o1, o2, lost]), prompter: p });
    expect(error.message).toMatch(/^device 10000007 of .* is revoked/);
    expect(p.asked.filter((a) => a.kind === 'secret').map((a) => a.person)).toEqual([o1.officer.name]);
  });

  it('at the keyboard, a third slip for the same pick fails the step (the performer then decides): nobody is stuck', async () => {
    const p = prompter(true, ['10000007', '10000001', '10000007']);
    const { error } = await failStep(participantsCheckIn, { script: s, stepId: 'check-in', grant, roster, piv: new FakePivReader([o1, o2, lost]), prompter: p });
    expect(error.message).toMatch(/^device 10000007 of .* is revoked/);
    expect(p.said.filter((l) => l.includes('Pick the token'))).toHaveLength(2);
  });
});

describe('participants.check-in slips at the keyboard', () => {
  it('re-asks only a name that already holds another role, naming the role it holds', async () => {
    const prompter = new TablePrompter({ interactive: true, people: { admin: ['Ada Admin'], witness: ['ada admin', 'Walt Witness'] } });
    const run = await runStep(participantsCheckIn, { script: typed, stepId: 'check-in', prompter });
    expect(run.ctx.people()).toEqual([{ name: 'Ada Admin', role: 'admin' }, { name: 'Walt Witness', role: 'witness' }]);
    expect(prompter.refusedNames).toEqual(['ada admin is already checked in as Ceremony Administrator: one role per person']);
  });
});
