// A release policy as a signing session loads it: signed by the roster's threshold of distinct active officers
// with their enrolled 9a keys, consistent, and in force now; otherwise every problem, by name.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spkiSha256 } from '../../../src/custody/deny-list.js';
import { POLICY_TYPE, type PolicyBody } from '../../../src/custody/release-policy.js';
import { verifyPolicyDocument } from '../../../src/custody/release-policy-document.js';
import { createRosterBody, createRosterWorld, signDocument, tamper } from '../../helpers/roster-fixture.js';

const world = await createRosterWorld({ officers: 3 });
const [o1, o2, o3] = world.officers;
const roster = createRosterBody(world);
const revokedRoster = createRosterBody(world, { officers: world.officers.map((o, i) => (i === 1 ? { ...o.officer, status: 'revoked' as const, revoked: { at: '2025-07-01T00:00:00.000Z', reason: 'lost', ceremony_id: 'r-1' } } : o.officer)) });
const body: PolicyBody = {
  format: POLICY_TYPE,
  authority: 'release',
  version: 1,
  previous_sha256: null,
  issued_at: '2026-12-01T00:00:00Z',
  expires_at: '2027-06-01T00:00:00Z',
  keys: [{ label: 'release-root-2026', spki_sha256: spkiSha256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), algorithm: 'ECDSA-SHA256', kinds: ['image', 'apk'] }],
  approvals: { role: 'crypto-officer', threshold: 2 },
  limits: { max_artifacts: 100, max_bytes: 2 ** 34, max_request_age_hours: 48 },
  version_rule: 'increasing-per-channel',
  require_builder_signature: false,
  builder_keys: [],
  deny_list: [],
};
const NOW = new Date('2026-12-05T12:00:00Z');
const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('verifyPolicyDocument', () => {
  it('loads a policy signed by the roster threshold, with its payload SHA-256 as its name', () => {
    const doc = signDocument(POLICY_TYPE, body, [o1, o2]);
    const r = verifyPolicyDocument(json(doc), roster, NOW);
    expect(r.problems).toEqual([]);
    expect(r.sha256).toBe(doc.payload_sha256);
    expect(r.policy?.body.version).toBe(1);
  });

  it.each<[string, () => unknown, RegExp]>([
    ['one signature (the roster needs 2)', () => signDocument(POLICY_TYPE, body, [o1]), /^policy quorum not met: 1\/2 distinct crypto-officer signatures \(policy of roster version 1\)$/],
    ['the same officer twice', () => signDocument(POLICY_TYPE, body, [o1, o1]), /^policy quorum not met: 1\/2 distinct crypto-officer signatures/],
    ['a body changed after signing', () => tamper(signDocument(POLICY_TYPE, body, [o1, o2]), (b) => ({ ...b, version: 2 }) as never), /^policy signature 1 \(crypto-officer-1, device 10000001\): does not verify over the payload$/],
    ['a roster document passed as a policy', () => signDocument('officiant-roster/1', body, [o1, o2]), /^policy payload_type is "officiant-roster\/1", expected officiant-release-policy\/1$/],
    ['an expired policy', () => signDocument(POLICY_TYPE, { ...body, expires_at: '2026-12-02T00:00:00Z' }, [o1, o2]), /^policy version 1 expired at 2026-12-02T00:00:00Z$/],
    ['a policy issued in the future', () => signDocument(POLICY_TYPE, { ...body, issued_at: '2026-12-31T00:00:00Z' }, [o1, o2]), /^policy version 1 is issued at 2026-12-31T00:00:00Z, after now/],
    ['an inconsistent body', () => signDocument(POLICY_TYPE, { ...body, approvals: { role: 'crypto-officer', threshold: 1 } }, [o1, o2]), /^policy body: approvals\.threshold: a release needs at least 2 approvals$/],
    ['not a signed document', () => ({ hello: 'world' }), /^policy/],
  ])('refuses %s', (_, make, problem) => {
    const r = verifyPolicyDocument(json(make()), roster, NOW);
    expect(r.policy).toBeUndefined();
    expect(r.problems.filter((p) => problem.test(p)), r.problems.join('\n')).not.toEqual([]);
  });

  it('does not count an officer the roster shows revoked', () => {
    const r = verifyPolicyDocument(json(signDocument(POLICY_TYPE, body, [o1, o2])), revokedRoster, NOW);
    expect(r.problems).toContain('policy signature 2 (crypto-officer-2, device 10000002): crypto-officer-2 is revoked in the roster (version 1)');
    expect(r.problems).toContain('policy quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)');
    expect(verifyPolicyDocument(json(signDocument(POLICY_TYPE, body, [o1, o3])), revokedRoster, NOW).problems).toEqual([]);
  });
});
