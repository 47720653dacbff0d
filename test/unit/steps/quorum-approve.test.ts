// quorum.approve: the statement binds the approved step's kind and exact parameters (or the journal head for
// "record"); refusals that need no signature come before any PIN; the step completes only when `threshold`
// distinct officers' token signatures over the statement verify against the roster.
import { describe, expect, it } from 'vitest';
import { verify, X509Certificate } from 'node:crypto';
import { APPROVAL_STATEMENT, approvalStatement, earlyRefusal, quorumApprove } from '../../../src/steps/quorum-approve.js';
import { statementBytes, statementDigest, statementWords, type ApprovalStatement } from '../../../src/custody/quorum.js';
import { createOfficer, createRosterBody, createRosterWorld } from '../../helpers/roster-fixture.js';
import { CEREMONY, createStepContext, failStep, runStep } from './fakes/step-context.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';
import type { Person } from '../../../src/engine/ports.js';

const world = await createRosterWorld();
const [o1, o2, o3] = world.officers;
const auditor = await createOfficer({ id: 'auditor-1', serial: '10000005', roles: ['auditor'] }, world);
const body = createRosterBody(world, {}, [o1, o2, o3, auditor]);
const roster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
const gen = step('gen', 'hsm.generate-key', { label: 'root', algorithm: 'EC-P256', authority: 'manifest', purpose: 'manifest root' });
const s = scriptWith([step('approve', 'quorum.approve', { role: 'crypto-officer', threshold: 2, approve: 'gen' }), gen, step('approve-record', 'quorum.approve', { role: 'crypto-officer', threshold: 2, approve: 'record' })], { officers: 3 });
const officer = (o: typeof o1): Person => ({ name: o.officer.name, role: 'crypto-officer', officer: o.officer.id, device: o.officer.device.serial });
const people = [ADMIN, WITNESS, officer(o1), officer(o2), officer(o3)];
const pins = Object.fromEntries(world.officers.map((o) => [`${o.officer.name}.piv-pin`, OFFICER_PIN]));

describe('approvalStatement', () => {
  const at = (approve: string) => ({ ceremony: CEREMONY, step: { id: 'approve', number: 2 }, params: { role: 'crypto-officer', threshold: 2, approve }, nonce: 'aa'.repeat(16) });

  it('binds the approved step: its id, kind, title and exact parameters', () => {
    const fake = createStepContext({ script: s, stepId: 'approve', needs: quorumApprove.needs });
    expect(approvalStatement(s, fake.ctx.entries(), at('gen'))).toEqual({
      type: 'officiant-approval/1',
      ceremony: CEREMONY,
      step: { id: 'approve', number: 2 },
      role: 'crypto-officer',
      threshold: 2,
      approve: { what: 'step', step: { id: 'gen', kind: 'hsm.generate-key', title: 'Step gen', params: { label: 'root', algorithm: 'EC-P256', authority: 'manifest', purpose: 'manifest root', backup: false } } },
      nonce: 'aa'.repeat(16),
    });
  });

  it('for "record", binds the journal head and its length', () => {
    const fake = createStepContext({ script: s, stepId: 'approve-record', needs: quorumApprove.needs });
    const entries = fake.ctx.entries();
    expect(approvalStatement(s, entries, at('record')).approve).toEqual({ what: 'record', journal_head: entries.at(-1)!.hash, entries: entries.length });
  });
});

describe('earlyRefusal', () => {
  const owner = o2.officer;
  it.each([
    ['a device the roster does not know: left to the signature check', { owner: undefined, present: undefined }, undefined],
    ['the owner is not checked in', { owner, present: undefined }, `${owner.name} (device 10000002) is not checked in to this ceremony: approvers must be present`],
    ['the owner does not hold the role', { owner: auditor.officer, present: { ...officer(auditor), role: 'witness' } }, `${auditor.officer.name} (device 10000002) is not a Crypto Officer on the roster (roles: auditor)`],
    ['the owner checked in under another role', { owner, present: { ...officer(o2), role: 'witness' } }, `${owner.name} (device 10000002) checked in as Witness, not as Crypto Officer: one role per person`],
    ['the owner approved already', { owner, present: officer(o2), approvedBy: ['crypto-officer-2'] }, `${owner.name} has already approved this statement: approvals count distinct people`],
    ['a present officer of the role', { owner, present: officer(o2) }, undefined],
  ])('%s', (_n, a, reason) => {
    expect(earlyRefusal(s, { serial: '10000002', role: 'crypto-officer', approvedBy: [], ...a })).toBe(reason);
  });
});

describe('quorum.approve', () => {
  const ctx = (answers: ConstructorParameters<typeof TablePrompter>[0] = {}) => ({
    script: s,
    stepId: 'approve',
    people,
    roster,
    piv: new FakePivReader([o1, o2, o3]),
    prompter: new TablePrompter({ secrets: pins, ...answers }),
  });

  it('stops at the threshold; each approval is a 9a signature over the statement that verifies', async () => {
    const run = await runStep(quorumApprove, ctx());
    const [made] = run.events(APPROVAL_STATEMENT);
    const statement = made.statement as unknown as ApprovalStatement;
    expect(made.sha256).toBe(statementDigest(statement));
    expect(made.words).toEqual(statementWords(statementDigest(statement)));
    const approvals = run.events('approval');
    expect(approvals.map((a) => a.officer)).toEqual(['crypto-officer-1', 'crypto-officer-2']);
    for (const [i, a] of approvals.entries()) {
      const cert = new X509Certificate(world.officers[i].officer.keys['9a']!.certificate);
      expect(verify('sha256', statementBytes(statement), cert.publicKey, Buffer.from(String(a.signature), 'base64'))).toBe(true);
    }
    expect(run.prompter.asked.filter((a) => a.kind === 'secret').map((a) => a.person)).toEqual([o1.officer.name, o2.officer.name]);
    expect(run.result('Statement SHA-256')).toBe(statementDigest(statement));
    expect(run.result('Approval 2 of 2')).toMatch(/^Officer crypto-officer-2, device 10000002, 9a certificate [0-9a-f]{16}…; ECDSA signature over the statement \(verified\): /);
    expect([...run.used].sort()).toEqual(['piv', 'roster']);
  });

  it('a decline is journaled and the next officer is asked', async () => {
    const prompter = new TablePrompter({ secrets: pins });
    let n = 0;
    prompter.confirm = async () => ++n !== 1;
    const run = await runStep(quorumApprove, { ...ctx(), prompter });
    expect(run.events('approval-declined').map((e) => e.for)).toEqual([o1.officer.name]);
    expect(run.events('approval').map((a) => a.officer)).toEqual(['crypto-officer-2', 'crypto-officer-3']);
  });

  it('fails with the count when too few officers approve, and no PIN is asked of a decliner', async () => {
    const prompter = new TablePrompter({ secrets: pins });
    let n = 0;
    prompter.confirm = async () => ++n === 1;
    const { error, fake } = await failStep(quorumApprove, { ...ctx(), prompter });
    expect([error.code, error.message]).toEqual(['ceremony.quorum-not-met', 'quorum not met: 1/2 Crypto Officer approvals']);
    expect(fake.events('approval-declined').map((e) => e.for)).toEqual([o2.officer.name, o3.officer.name]);
    expect(prompter.asked.filter((a) => a.kind === 'secret').map((a) => a.person)).toEqual([o1.officer.name]);
  });

  it('a wrong device is refused before any PIN and does not count', async () => {
    const prompter = new TablePrompter({ secrets: pins, devices: { 'approve.approver-1': '10000003' } });
    const run = await runStep(quorumApprove, { ...ctx(), prompter });
    // o3's token, picked for o1, signs as o3 (the token decides who signs); o1 is not asked again.
    expect(run.events('approval').map((a) => [a.for, a.officer])).toEqual([[o1.officer.name, 'crypto-officer-3'], [o2.officer.name, 'crypto-officer-2']]);
  });
});
