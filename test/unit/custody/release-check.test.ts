// A signing request against the policy and the signing log, as a table: each rule broken alone gives its own
// sentence; a request that breaks none gives none. The builder signature is a real DSSE signature.
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dssePae, requestProblems } from '../../../src/custody/release-check.js';
import { readPolicyBody, POLICY_TYPE, type PolicyBody } from '../../../src/custody/release-policy.js';
import { DSSE_PAYLOAD_TYPE, type SigningRequest } from '../../../src/custody/release-request.js';
import { signingLogLine, parseSigningLog, type SigningLogEntry } from '../../../src/record/signing-log.js';

const NOW = new Date('2026-12-05T12:00:00Z');
const builder = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const body: PolicyBody = {
  format: POLICY_TYPE,
  authority: 'release',
  version: 1,
  previous_sha256: null,
  issued_at: '2026-12-01T00:00:00Z',
  expires_at: '2027-12-01T00:00:00Z',
  keys: [{ label: 'root', spki_sha256: 'a'.repeat(64), algorithm: 'RSA-PKCS1-SHA256', kinds: ['image', 'apk'] }],
  approvals: { role: 'crypto-officer', threshold: 2 },
  limits: { max_artifacts: 2, max_bytes: 1000, max_request_age_hours: 24 },
  version_rule: 'increasing-per-channel',
  require_builder_signature: false,
  builder_keys: [{ keyid: 'ci', public_key: builder.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
  deny_list: [],
};
const policy = (b: Partial<PolicyBody> = {}) => readPolicyBody({ ...body, ...b }).policy!;
const request: SigningRequest = {
  authority: 'release',
  requestId: '1'.repeat(32),
  buildId: 'b',
  sourceRevision: 'r',
  channel: 'stable',
  version: 5,
  createdAt: '2026-12-05T10:00:00Z',
  notAfter: '2026-12-06T10:00:00Z',
  artifacts: [{ name: 'system.img', kind: 'image', size: 100, sha256: 'b'.repeat(64) }],
};
function log(lines: Array<Partial<SigningLogEntry>>): SigningLogEntry[] {
  let text = '';
  for (const l of lines) {
    const { entries } = parseSigningLog(text);
    text += signingLogLine(entries, { at: '2026-12-01T00:00:00Z', authority: 'release', request_id: '9'.repeat(32), channel: 'stable', version: 1, ceremony_id: 'c-1', artifacts: 1, artifacts_sha256: 'c'.repeat(64), signatures: { root: 2 }, ...l });
  }
  return parseSigningLog(text).entries;
}
function enveloped(key: typeof builder): SigningRequest {
  const payload = Buffer.from('{"a":1}');
  return { ...request, envelope: { payload, signatures: [{ keyid: 'ci', sig: sign('sha256', dssePae(DSSE_PAYLOAD_TYPE, payload), key.privateKey).toString('base64') }] } };
}

describe('requestProblems', () => {
  it('finds nothing wrong with a request inside the policy', () => {
    expect(requestProblems({ request, policy: policy(), keyLabel: 'root', log: log([{ version: 4 }]), now: NOW })).toEqual([]);
    expect(requestProblems({ request: enveloped(builder), policy: policy({ require_builder_signature: true }), keyLabel: 'root', log: [], now: NOW })).toEqual([]);
  });

  it.each<[string, Partial<Parameters<typeof requestProblems>[0]>, string]>([
    ['a key the policy does not list', { keyLabel: 'other' }, 'the policy (version 1) lists no key "other": it may not sign'],
    ['a kind the key may not sign', { request: { ...request, artifacts: [{ ...request.artifacts[0], kind: 'vbmeta' }] } }, 'the policy lets key "root" sign image, apk, not vbmeta'],
    ['too many artifacts', { request: { ...request, artifacts: ['a', 'b', 'c'].map((n) => ({ ...request.artifacts[0], name: n })) } }, '3 artifacts: the policy allows at most 2 per request'],
    ['too many bytes', { request: { ...request, artifacts: [{ ...request.artifacts[0], size: 1001 }] } }, '1001 bytes in all: the policy allows at most 1000 per request'],
    ['past its not-after', { request: { ...request, notAfter: '2026-12-05T11:00:00Z' } }, 'the request expired at 2026-12-05T11:00:00Z (not_after); ask the pipeline for a new one'],
    ['older than the policy allows', { request: { ...request, createdAt: '2026-12-04T10:00:00Z', notAfter: '2026-12-09T00:00:00Z' } }, 'the request was made at 2026-12-04T10:00:00Z, more than the policy\'s 24 hours ago'],
    ['made in the future', { request: { ...request, createdAt: '2026-12-05T13:00:00Z' } }, 'the request says it was made at 2026-12-05T13:00:00Z, in the future'],
    ['a replayed request id', { log: log([{ request_id: request.requestId, version: 4 }]) }, `request ${request.requestId} was already signed (signing log line 1, ceremony c-1): a request is signed once`],
    ['a version not above the last signed', { log: log([{ version: 5 }]) }, 'version 5 is not above 5, the last version signed for channel stable'],
    ['unsigned when the policy requires a builder signature', { policy: policy({ require_builder_signature: true }) }, 'the policy requires the request to be signed by a builder key (a DSSE envelope); it is unsigned'],
    ['signed by a key that is not a builder key', { policy: policy({ require_builder_signature: true }), request: enveloped(stranger) }, "the request's DSSE signature is by none of the policy's builder keys"],
  ])('refuses %s', (_, change, problem) => {
    expect(requestProblems({ request, policy: policy(), keyLabel: 'root', log: [], now: NOW, ...change })).toEqual([problem]);
  });

  it('takes another channel\'s versions as no rollback', () => {
    expect(requestProblems({ request, policy: policy(), keyLabel: 'root', log: log([{ channel: 'beta', version: 9 }]), now: NOW })).toEqual([]);
  });
});
