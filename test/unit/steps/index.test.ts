// Every registered step kind declares `needs`, and the declaration matches what its code uses. Pre-flight and
// the CLI load the HSM, roster, officers' tokens and backup set from these declarations alone, so a kind that
// uses more than it declares fails in a ceremony after people have started.
//
// How it is checked: each kind runs in a probe (a scenario with the fakes of this folder, deep enough to reach
// every accessor the kind calls) whose context lets through only the accessors of the declared needs: ctx.hsm(),
// session() and securityOfficer() are `hsm`; roster() is `roster`; piv() and attestationRoots() are `piv`;
// backup() is `backup`; reading a backed-up key's wrapped blob is `wrappedKeys`. An undeclared accessor throws
// (a kind that under-declares fails here); the accessors reached must be exactly the declared ones (a kind
// that over-declares, or a probe too shallow to prove anything, fails here too). The one reading both sides
// share: a roster brings the officers' tokens with it (engine/needs.ts: piv = roster || piv), so a declared
// piv is satisfied by roster use.
import { describe, expect, it } from 'vitest';
import { STEP_HANDLERS } from '../../../src/steps/index.js';
import { STEP_KINDS, type StepKind } from '../../../src/script/schema.js';
import type { StepHandler, StepNeeds } from '../../../src/engine/step-kind.types.js';
import { keyRecordJson } from '../../../src/steps/hsm-generate-key.js';
import { createRosterBody, createRosterFile, createRosterWorld } from '../../helpers/roster-fixture.js';
import { createStepContext, type ContextOptions, type FakeStep, type Need } from './fakes/step-context.js';
import { attributesFor, FakeHsm, FakeHsmSession } from './fakes/fake-hsm.js';
import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { createBackupWorld } from './fakes/backup-world.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';
import { evidenceTokenWorld } from './fakes/evidence-token.js';
import { createReleaseWorld } from './fakes/release-world.js';
import { createManifestWorld } from './fakes/manifest-world.js';
import { createWindowWorld, FakeWindowServer } from './fakes/window-world.js';
import { room } from './fakes/room.js';
import type { JsonObject, NewEntry } from '../../../src/record/journal.js';

const NEED_KEYS: Need[] = ['hsm', 'evidenceToken', 'roster', 'piv', 'backup', 'wrappedKeys', 'release', 'policyDraft', 'manifest', 'signingPlan'];
const on = (...needs: Need[]): StepNeeds => Object.fromEntries(NEED_KEYS.map((n) => [n, needs.includes(n)])) as unknown as StepNeeds;

/** What each kind declares, pinned: a change to a declaration is a change to what a ceremony loads. */
const DECLARED: Record<StepKind, StepNeeds> = {
  'room.preflight': on(),
  'participants.check-in': on(),
  'manual.confirm': on(),
  'hsm.init-token': on('hsm'),
  'hsm.generate-key': on('hsm'),
  'hsm.inspect-key': on('hsm'),
  'hsm.self-signed-certificate': on('hsm'),
  'evidence.init-key': on('hsm'),
  'evidence.use-key': on('evidenceToken'),
  'piv.enroll': on('hsm', 'piv'),
  'officer.revoke': on('roster', 'piv'),
  'roster.sign': on('piv'),
  'quorum.approve': on('roster', 'piv'),
  'backup.split': on('hsm', 'roster', 'piv'),
  'backup.restore': on('hsm', 'roster', 'piv', 'backup', 'wrappedKeys'),
  'backup.reshare': on('hsm', 'roster', 'piv', 'backup', 'wrappedKeys'),
  'backup.verify': on('roster', 'piv', 'backup'),
  'policy.adopt': on('roster', 'piv', 'policyDraft'),
  'request.load': on('roster', 'release'),
  'artifacts.stage': on('roster', 'release'),
  'policy.check': on('roster', 'release'),
  'hsm.sign-artifacts': on('hsm', 'roster', 'release'),
  'signatures.verify': on('roster', 'release'),
  'release.gates': on('roster', 'release'),
  'release.publish': on('hsm', 'roster', 'release'),
  'manifest.sign': on('roster', 'piv', 'manifest'),
  'android.sign-window': on('hsm', 'signingPlan'),
};

const people = [ADMIN, WITNESS];
const rw = await createRosterWorld();
const rosterBody = createRosterBody(rw);
const rosterFile = createRosterFile(rosterBody, rw.officers);
const roster = { body: rosterBody, bytes: Buffer.from(JSON.stringify(rosterFile)), sha256: rosterFile.roster.payload_sha256 };
const officers = rw.officers.map((o) => ({ name: o.officer.name, role: 'crypto-officer', officer: o.officer.id, device: o.officer.device.serial }));
const pins = (names: string[]) => Object.fromEntries(names.map((n) => [`${n}.piv-pin`, OFFICER_PIN]));
const bw = await createBackupWorld();
const relw = await createReleaseWorld();
const relPins = () => new TablePrompter({ secrets: pins(relw.officers.map((o) => o.name)) });
const mw = await createManifestWorld();
const ww = createWindowWorld();
const releaseProbe = (id: string) => async () => relw.chain(id, { piv: new FakePivReader(relw.rw.officers), prompter: relPins() });
const custodians = bw.custodians.map((c) => c.officer.id);

/** Journal entries of an earlier step's effect (the first ceremony.started entry is seq 1). */
function doneEffect(stepId: string, op: string, output: JsonObject, seq: number): NewEntry[] {
  return [
    { type: 'intent', step: stepId, actor: 'system', data: { op, params: {} } },
    { type: 'result', step: stepId, actor: 'system', data: { intent: seq, op, ok: true, output } },
  ];
}

function generatedKeyEntry(session: FakeHsmSession, label: string, backup: boolean): NewEntry[] {
  const rec = session.generateKeyPair({ label, id: 'aa'.repeat(8), algorithm: 'EC-P256', backup });
  return doneEffect('gen', 'hsm.generate-key', keyRecordJson(rec, label), 2);
}

type Probe = () => Promise<Omit<ContextOptions, 'needs'>>;

/** Per kind: a scenario reaching every accessor the kind calls; `fails` when the probe ends in an expected error. */
const PROBES: Record<StepKind, { probe: Probe; fails?: string }> = {
  'room.preflight': {
    probe: async () => ({ script: scriptWith([step('room', 'room.preflight', {})]), stepId: 'room', room: room(), now: new Date('2026-12-05T10:00:00Z'), prompter: new TablePrompter({ records: { 'room.reference-time': '10:00:30' } }) }),
  },
  'participants.check-in': {
    probe: async () => ({ script: scriptWith([]), stepId: 'check-in', prompter: new TablePrompter({ people: { admin: ['Ada Admin'], witness: ['Walt Witness'] } }) }),
  },
  'manual.confirm': {
    probe: async () => ({ script: scriptWith([step('m', 'manual.confirm', { confirm_by: 'admin' })]), stepId: 'm', people }),
  },
  'hsm.init-token': {
    probe: async () => ({
      script: scriptWith([step('init', 'hsm.init-token', { pin_holders: { role: 'holder', people: 2 } })], { extraRoles: { holder: { title: 'PIN holder', people: 2 } } }),
      stepId: 'init',
      people: [...people, { name: 'Hal', role: 'holder' }, { name: 'Hoa', role: 'holder' }],
      hsm: new FakeHsm(),
      prompter: new TablePrompter({ secrets: { 'Hal.so-pin-half': 'so-half-1', 'Hoa.so-pin-half': 'so-half-2', 'Hal.user-pin-half': 'us-half-1', 'Hoa.user-pin-half': 'us-half-2' } }),
    }),
  },
  'hsm.generate-key': {
    probe: async () => ({ script: scriptWith([step('gen', 'hsm.generate-key', { label: 'k', algorithm: 'EC-P256', authority: 'manifest', purpose: 'p' })]), stepId: 'gen', people, session: new FakeHsmSession() }),
  },
  'hsm.inspect-key': {
    probe: async () => {
      const session = new FakeHsmSession();
      return { script: scriptWith([step('gen', 'hsm.generate-key', { label: 'k', algorithm: 'EC-P256', authority: 'manifest', purpose: 'k' }), step('inspect', 'hsm.inspect-key', { key: 'k' })]), stepId: 'inspect', people, session, earlier: generatedKeyEntry(session, 'k', false) };
    },
  },
  'hsm.self-signed-certificate': {
    probe: async () => {
      const session = new FakeHsmSession();
      return { script: scriptWith([step('gen', 'hsm.generate-key', { label: 'k', algorithm: 'EC-P256', authority: 'manifest', purpose: 'k' }), step('cert', 'hsm.self-signed-certificate', { key: 'k', subject: { CN: 'Root' }, validity_days: 30 })]), stepId: 'cert', people, session, earlier: generatedKeyEntry(session, 'k', false) };
    },
  },
  'evidence.init-key': {
    probe: async () => ({ script: scriptWith([step('ev', 'evidence.init-key', {})]), stepId: 'ev', people, session: new FakeHsmSession() }),
  },
  'evidence.use-key': {
    probe: async () => {
      const { evidenceSession, site } = await evidenceTokenWorld();
      return { script: scriptWith([step('ev', 'evidence.use-key', { pin_holders: { role: 'holder', people: 2 } })], { extraRoles: { holder: { title: 'PIN holder', people: 2 } } }), stepId: 'ev', people: [...people, { name: 'Hal', role: 'holder' }, { name: 'Hoa', role: 'holder' }], evidenceSession, site };
    },
  },
  'piv.enroll': {
    // A factory-fresh token, enrolled end to end: the enrollment CA's key (the fixture's, adopted by the fake
    // token) and certificate come from earlier steps of the journal.
    probe: async () => {
      const session = new FakeHsmSession();
      const caKey = KeyObject.from(rw.ca.keys.privateKey);
      const spki = createPublicKey(caKey).export({ type: 'spki', format: 'der' });
      const record = { label: 'enroll-ca', id: 'bb'.repeat(8), algorithm: 'EC-P256' as const, spki, attributes: attributesFor(false) };
      session.adopt(record, caKey);
      const earlier = [
        ...doneEffect('gen', 'hsm.generate-key', keyRecordJson(record, 'enrollment CA'), 2),
        ...doneEffect('cert', 'hsm.sign-certificate', { pem: rw.ca.pem, sha256: rw.ca.sha256, serial: '01', notBefore: '', notAfter: '', subject: rw.ca.subject }, 4),
      ];
      earlier[2].data.params = { key: 'enroll-ca' };
      const newcomer = rw.officers[0];
      const name = officers[0].name;
      return {
        script: scriptWith([step('enroll', 'piv.enroll', { officer: { role: 'crypto-officer', index: 1 }, issuer: 'enroll-ca' })], { officers: 1 }),
        stepId: 'enroll',
        people: [...people, { name, role: 'crypto-officer' }],
        session,
        piv: new FakePivReader([], [newcomer]),
        attestationRoots: [rw.root.pem],
        earlier,
        prompter: new TablePrompter({
          records: { 'enroll.document-type': 'passport', 'enroll.document-number': 'X1234567' },
          devices: { 'enroll.device': newcomer.officer.device.serial },
          secrets: { [`${name}.piv-new-pin`]: '739184', [`${name}.piv-pin`]: '739184' },
        }),
      };
    },
  },
  'officer.revoke': {
    probe: async () => ({ script: scriptWith([step('revoke', 'officer.revoke', { record_by: 'admin' })]), stepId: 'revoke', people, roster, prompter: new TablePrompter({ records: { 'revoke.device-serial': '10000003', 'revoke.reason': 'departure' } }) }),
  },
  'roster.sign': {
    probe: async () => ({
      script: scriptWith([step('sign', 'roster.sign', { signing_policy: { role: 'crypto-officer', threshold: 2 } })], { officers: 2 }),
      stepId: 'sign',
      people: [...people, ...officers.slice(0, 2)],
      rosterIfAny: undefined,
      roster,
      piv: new FakePivReader(rw.officers),
      attestationRoots: [rw.root.pem],
      prompter: new TablePrompter({ secrets: pins(officers.map((o) => o.name)) }),
    }),
  },
  'quorum.approve': {
    probe: async () => ({
      script: scriptWith([step('approve', 'quorum.approve', { role: 'crypto-officer', threshold: 2, approve: 'record' })], { officers: 3 }),
      stepId: 'approve',
      people: [...people, ...officers],
      roster,
      piv: new FakePivReader(rw.officers),
      prompter: new TablePrompter({ secrets: pins(officers.map((o) => o.name)) }),
    }),
  },
  'backup.split': {
    // Resumed after its backup effect was journaled (the effect's inside is the HSM's): the backup set is written
    // and every custodian opens their share with their token.
    probe: async () => {
      const session = new FakeHsmSession();
      const earlier = [...generatedKeyEntry(session, 'signing', true), ...doneEffect('split', 'backup.split', bw.made as unknown as JsonObject, 4)];
      return {
        script: scriptWith([step('gen', 'hsm.generate-key', { label: 'signing', algorithm: 'EC-P256', authority: 'manifest', purpose: 'p', backup: true }), step('split', 'backup.split', { keys: ['signing'], custodians, threshold: 2 })], { officers: 3 }),
        stepId: 'split',
        people: [...people, ...bw.people],
        session,
        roster: bw.roster,
        piv: new FakePivReader(bw.custodians),
        earlier,
        prompter: new TablePrompter({ secrets: pins(bw.people.map((p) => p.name)) }),
      };
    },
  },
  'backup.restore': {
    // Ends where the rebuilt wrap key goes into the HSM (not faked): shares opened, wrap key rebuilt and checked.
    fails: 'wrap keys are not faked',
    probe: async () => ({
      script: scriptWith([step('restore', 'backup.restore', {})], { officers: 3 }),
      stepId: 'restore',
      people: [...people, ...bw.people],
      session: new FakeHsmSession(),
      roster: bw.roster,
      piv: new FakePivReader(bw.custodians),
      backup: bw.backup,
      prompter: new TablePrompter({ records: { 'restore.backup-check-value': bw.kcv }, secrets: pins(bw.people.map((p) => p.name)) }),
    }),
  },
  'backup.reshare': {
    fails: 'wrap keys are not faked',
    probe: async () => ({
      script: scriptWith([step('reshare', 'backup.reshare', { custodians, threshold: 2 })], { officers: 3 }),
      stepId: 'reshare',
      people: [...people, ...bw.people],
      session: new FakeHsmSession(),
      roster: bw.roster,
      piv: new FakePivReader(bw.custodians),
      backup: bw.backup,
      prompter: new TablePrompter({ records: { 'reshare.backup-check-value': bw.kcv }, secrets: pins(bw.people.map((p) => p.name)) }),
    }),
  },
  'backup.verify': {
    probe: async () => ({
      script: scriptWith([step('verify', 'backup.verify', {})], { officers: 3 }),
      stepId: 'verify',
      people: [...people, ...bw.people],
      roster: bw.roster,
      piv: new FakePivReader(bw.custodians),
      backup: bw.backup,
      prompter: new TablePrompter({ records: { 'verify.backup-check-value': bw.kcv }, secrets: pins(bw.people.map((p) => p.name)) }),
    }),
  },
  'policy.adopt': {
    probe: async () => ({
      script: scriptWith([step('adopt', 'policy.adopt', {})], { officers: 3 }),
      stepId: 'adopt',
      people: relw.people,
      roster: relw.roster,
      piv: new FakePivReader(relw.rw.officers),
      policyDraft: (() => {
        const b = Buffer.from(Buffer.from(JSON.parse(relw.release().policy.bytes.toString()).payload, 'base64'));
        return { bytes: b, sha256: createHash('sha256').update(b).digest('hex') };
      })(),
      prompter: relPins(),
    }),
  },
  'request.load': { probe: releaseProbe('load') },
  'artifacts.stage': { probe: releaseProbe('stage') },
  'policy.check': { probe: releaseProbe('check') },
  'hsm.sign-artifacts': { probe: releaseProbe('sign') },
  'signatures.verify': { probe: releaseProbe('verify') },
  'release.gates': { probe: releaseProbe('gates') },
  'release.publish': { probe: releaseProbe('publish') },
  'manifest.sign': {
    probe: async () => ({ script: mw.script, stepId: 'sign', people: mw.people, roster: mw.roster, piv: new FakePivReader(mw.rw.officers), manifest: mw.inputs(), prompter: new TablePrompter({ secrets: pins(mw.officers.map((o) => o.name)) }) }),
  },
  'android.sign-window': {
    probe: async () => ({ script: ww.script, stepId: 'window', people: ww.people, session: ww.session, signingWindow: ww.inputs(new FakeWindowServer([ww.sign('payload', 'payload', createHash('sha256').update('p').digest())])), started: ww.started, earlier: [ww.approval()] }),
  },
};

/** Needs as the pre-flight reads them: a roster brings the officers' tokens. */
const effective = (needs: Iterable<Need>) => {
  const s = new Set(needs);
  if (s.has('roster')) s.add('piv');
  return [...s].sort();
};

describe('step registry', () => {
  it('registers exactly the kinds of the script language', () => {
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual([...STEP_KINDS].sort());
  });

  it.each(STEP_KINDS)('%s declares every need, as pinned', (kind) => {
    const handler = STEP_HANDLERS[kind] as StepHandler;
    expect(handler.kind).toBe(kind);
    expect(Object.keys(handler.needs).sort()).toEqual([...NEED_KEYS].sort());
    expect(handler.needs).toEqual(DECLARED[kind]);
  });
});

describe('needs match what each kind uses', () => {
  it.each(STEP_KINDS)('%s', async (kind) => {
    const handler = STEP_HANDLERS[kind] as StepHandler;
    const { probe, fails } = PROBES[kind];
    const fake: FakeStep = createStepContext({ ...(await probe()), needs: handler.needs });
    let error: Error | undefined;
    try {
      await handler.run(fake.ctx);
    } catch (err) {
      error = err as Error;
    }
    expect(fake.violations).toEqual([]);
    if (fails) expect(error?.message).toContain(fails);
    else expect(error).toBeUndefined();
    const declared = NEED_KEYS.filter((n) => handler.needs[n]);
    expect(effective(fake.used)).toEqual(effective(declared));
  });
});
