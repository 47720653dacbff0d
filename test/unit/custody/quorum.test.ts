// checkApproval and checkOfficerSignature over rosters made with real crypto (test/helpers/roster-fixture.ts):
// every signature is made with the officer's (or an impostor's) real private key over the real statement bytes,
// and each case breaks one thing, asserting the exact reason, so a check that stops firing fails here.
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkApproval,
  checkOfficerSignature,
  quorumReached,
  statementBytes,
  statementDigest,
  statementWords,
  type ApprovalRecord,
  type ApprovalStatement,
  type CheckInChallenge,
} from '../../../src/custody/quorum.js';
import { createOfficer, createRosterBody, createRosterWorld, type TestOfficer } from '../../helpers/roster-fixture.js';

const world = await createRosterWorld();
const [o1, o2, o3] = world.officers;
const auditor = await createOfficer({ id: 'auditor-1', serial: '10000005', roles: ['auditor'] }, world);
const revoked = await createOfficer({ id: 'crypto-officer-4', serial: '10000004', status: 'revoked' }, world);
// Not on the roster: a device and keys of their own, made by the same enrollment CA.
const stranger = await createOfficer({ id: 'crypto-officer-9', serial: '10000009' }, world);
const roster = createRosterBody(world, {}, [o1, o2, o3, revoked, auditor]);

const ref = { script_id: 'release-authority-init', ceremony_id: 'c0ffee00-0000-4000-8000-000000000001', script_sha256: 'ab'.repeat(32) };
const nonce = () => randomBytes(16).toString('hex');

function statementFor(n: string, params: unknown = { label: 'root', algorithm: 'EC-P256', authority: 'release', purpose: 'release root' }): ApprovalStatement {
  return {
    type: 'officiant-approval/1',
    ceremony: ref,
    step: { id: 'approve-root-key', number: 5 },
    role: 'crypto-officer',
    threshold: 2,
    approve: { what: 'step', step: { id: 'generate-root-key', kind: 'hsm.generate-key', title: 'Generate the root key', params } },
    nonce: n,
  };
}

const statement = statementFor(nonce());
const digest = statementDigest(statement);
const earlier = statementFor(nonce());
const otherParams = statementFor(statement.nonce, { label: 'root', algorithm: 'RSA-4096', authority: 'release', purpose: 'release root' });

const sig = (key: KeyObject | undefined, s: ApprovalStatement | CheckInChallenge) => sign('sha256', statementBytes(s), key!).toString('base64');

/** What a token produces: the device, the statement's nonce and digest, and a 9a signature over its bytes. */
function approval(device: TestOfficer, s: ApprovalStatement, key: KeyObject | undefined = device.keys['9a']): ApprovalRecord {
  return { device_serial: device.officer.device.serial, nonce: s.nonce, statement_sha256: statementDigest(s), signature: sig(key, s) };
}

interface ApprovalCase {
  name: string;
  record: () => ApprovalRecord;
  approvedBy?: string[];
  result: { ok: true; officer: string } | { ok: false; reason: string };
}

const approvalCases: ApprovalCase[] = [
  { name: 'a valid approval', record: () => approval(o1, statement), result: { ok: true, officer: 'crypto-officer-1' } },
  { name: 'a valid approval by a second officer', record: () => approval(o2, statement), approvedBy: ['crypto-officer-1'], result: { ok: true, officer: 'crypto-officer-2' } },
  {
    name: 'forged: a device that is not on the roster',
    record: () => approval(stranger, statement),
    result: { ok: false, reason: 'device 10000009 is not on the roster (version 1)' },
  },
  {
    name: "forged: an officer's device, signed with a key that is not on the roster",
    record: () => approval(o1, statement, stranger.keys['9a']),
    result: { ok: false, reason: "the signature from device 10000001 does not verify with Officer crypto-officer-1's enrolled 9a certificate" },
  },
  {
    name: "forged: an officer's device, signed with another officer's 9a key",
    record: () => approval(o1, statement, o2.keys['9a']),
    result: { ok: false, reason: "the signature from device 10000001 does not verify with Officer crypto-officer-1's enrolled 9a certificate" },
  },
  {
    name: "forged: signed with the officer's own 9c key, not the enrolled 9a",
    record: () => approval(o1, statement, o1.keys['9c']),
    result: { ok: false, reason: "the signature from device 10000001 does not verify with Officer crypto-officer-1's enrolled 9a certificate" },
  },
  {
    name: 'an approval over a different digest (other parameters)',
    record: () => approval(o1, otherParams),
    result: { ok: false, reason: `the approval from device 10000001 is over a different statement (${statementDigest(otherParams).slice(0, 16)}…, expected ${digest.slice(0, 16)}…)` },
  },
  {
    name: "the statement's digest, but a signature over different parameters",
    record: () => ({ ...approval(o1, otherParams), statement_sha256: digest }),
    result: { ok: false, reason: "the signature from device 10000001 does not verify with Officer crypto-officer-1's enrolled 9a certificate" },
  },
  {
    name: 'the same officer twice',
    record: () => approval(o1, statement),
    approvedBy: ['crypto-officer-1'],
    result: { ok: false, reason: 'Officer crypto-officer-1 has already approved this statement: approvals count distinct people' },
  },
  {
    name: 'an officer without the role',
    record: () => approval(auditor, statement),
    result: { ok: false, reason: 'Officer auditor-1 (device 10000005) is not a Crypto Officer on the roster (roles: auditor)' },
  },
  {
    name: 'a revoked device',
    record: () => approval(revoked, statement),
    result: { ok: false, reason: 'device 10000004 of Officer crypto-officer-4 is revoked (device lost)' },
  },
  {
    name: 'a replayed approval of an earlier statement (stale nonce)',
    record: () => approval(o1, earlier),
    result: { ok: false, reason: `stale nonce: the approval from device 10000001 carries nonce ${earlier.nonce.slice(0, 12)}…, this statement's is ${statement.nonce.slice(0, 12)}…` },
  },
  {
    name: "a stale approval relabelled with this statement's nonce and digest",
    record: () => ({ ...approval(o1, earlier), nonce: statement.nonce, statement_sha256: digest }),
    result: { ok: false, reason: "the signature from device 10000001 does not verify with Officer crypto-officer-1's enrolled 9a certificate" },
  },
];

describe('checkApproval', () => {
  it.each(approvalCases)('$name', ({ record, approvedBy, result }) => {
    const check = checkApproval(roster, statement, record(), { roleTitle: 'Crypto Officer', approvedBy: approvedBy ?? [] });
    expect(check.ok ? { ok: true, officer: check.officer.id } : check).toEqual(result);
  });
});

const challenge: CheckInChallenge = { type: 'officiant-check-in/1', ceremony: ref, step: { id: 'check-in', number: 1 }, role: 'crypto-officer', nonce: nonce() };
const otherCeremony: CheckInChallenge = { ...challenge, ceremony: { ...ref, ceremony_id: 'c0ffee00-0000-4000-8000-000000000002' } };

interface SignatureCase {
  name: string;
  device: TestOfficer;
  signature: () => string;
  result: { ok: true; officer: string } | { ok: false; reason: string };
}

const signatureCases: SignatureCase[] = [
  { name: 'a valid check-in', device: o2, signature: () => sig(o2.keys['9a'], challenge), result: { ok: true, officer: 'crypto-officer-2' } },
  { name: 'a device not on the roster', device: stranger, signature: () => sig(stranger.keys['9a'], challenge), result: { ok: false, reason: 'device 10000009 is not on the roster (version 1)' } },
  {
    name: 'signed by another device',
    device: o2,
    signature: () => sig(o3.keys['9a'], challenge),
    result: { ok: false, reason: "the signature from device 10000002 does not verify with Officer crypto-officer-2's enrolled 9a certificate" },
  },
  {
    name: "a signature over another ceremony's challenge (replayed)",
    device: o2,
    signature: () => sig(o2.keys['9a'], otherCeremony),
    result: { ok: false, reason: "the signature from device 10000002 does not verify with Officer crypto-officer-2's enrolled 9a certificate" },
  },
  {
    name: 'an approval signature offered as a check-in',
    device: o2,
    signature: () => sig(o2.keys['9a'], statement),
    result: { ok: false, reason: "the signature from device 10000002 does not verify with Officer crypto-officer-2's enrolled 9a certificate" },
  },
  { name: 'an officer without the role', device: auditor, signature: () => sig(auditor.keys['9a'], challenge), result: { ok: false, reason: 'Officer auditor-1 (device 10000005) is not a Crypto Officer on the roster (roles: auditor)' } },
  { name: 'a revoked device', device: revoked, signature: () => sig(revoked.keys['9a'], challenge), result: { ok: false, reason: 'device 10000004 of Officer crypto-officer-4 is revoked (device lost)' } },
  { name: 'a signature that is not base64 DER', device: o2, signature: () => 'not a signature', result: { ok: false, reason: "the signature from device 10000002 does not verify with Officer crypto-officer-2's enrolled 9a certificate" } },
];

describe('checkOfficerSignature', () => {
  it.each(signatureCases)('$name', ({ device, signature, result }) => {
    const check = checkOfficerSignature(roster, { device_serial: device.officer.device.serial, role: 'crypto-officer', roleTitle: 'Crypto Officer', bytes: statementBytes(challenge), signature: signature() });
    expect(check.ok ? { ok: true, officer: check.officer.id } : check).toEqual(result);
  });
});

describe('statements', () => {
  it('are canonical JSON: the bytes do not depend on key order', () => {
    const reordered = JSON.parse(JSON.stringify({ nonce: statement.nonce, approve: statement.approve, threshold: 2, role: 'crypto-officer', step: statement.step, ceremony: ref, type: statement.type })) as ApprovalStatement;
    expect(statementBytes(reordered).equals(statementBytes(statement))).toBe(true);
    expect(statementDigest(reordered)).toBe(digest);
  });

  it('differ in digest and words when the nonce differs', () => {
    expect(statementDigest(earlier)).not.toBe(digest);
    expect(statementWords(digest)).toHaveLength(6);
    expect(statementWords(statementDigest(earlier))).not.toEqual(statementWords(digest));
  });
});

describe('quorumReached', () => {
  it.each([
    { ids: ['crypto-officer-1', 'crypto-officer-2'], threshold: 2, result: { count: 2, met: true } },
    { ids: ['crypto-officer-1', 'crypto-officer-1'], threshold: 2, result: { count: 1, met: false } },
    { ids: ['crypto-officer-1', 'crypto-officer-2', 'crypto-officer-1'], threshold: 3, result: { count: 2, met: false } },
    { ids: [], threshold: 2, result: { count: 0, met: false } },
  ])('$ids of $threshold', ({ ids, threshold, result }) => {
    expect(quorumReached(ids, threshold)).toEqual(result);
  });
});
