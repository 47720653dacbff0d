// `officiant policy draft`'s reading of flags and files into a release policy draft: the key's SPKI SHA-256 and
// algorithm from a real certificate (RSA-2048 or P-256), defaults, the version chain from an adopted policy, builder
// and denied keys from PEM files; the bytes it would write are a draft the policy ceremony's own read accepts,
// with the SHA-256 the ceremony shows. Refused with every problem, each named by its flag: what the ceremony
// would refuse (a manifest kind, one approval, a test key as the signing key, an expiry in the past), flags that
// do not parse, unreadable files, a private key, an --out that exists.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { POLICY_TYPE, readPolicyDraft } from '../../../src/custody/release-policy.js';
import { payloadBytes, unsignedDocument } from '../../../src/custody/signed-document.js';
import { statementWords } from '../../../src/custody/quorum.js';
import { draftPolicy, type PolicyDraftFlags } from '../../../src/inputs/policy-draft.js';
import { timeFromFlag } from '../../../src/inputs/time-flag.js';
import { ROOT } from '../../helpers/cli.js';
import { createAuthority, sha256, type TestAuthority } from '../../helpers/release-bundle.js';
import { MemoryInputFiles } from './memory-input-files.js';

const NOW = new Date('2026-12-05T10:00:00.123Z');
const TEST_KEY = readFileSync(join(ROOT, 'test/fixtures/test-keys/testkey.x509.pem'));
const builder = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const revoked = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: { export(o: object): string | Buffer }, type: 'spki' | 'pkcs8') => k.export({ type, format: 'pem' }).toString();

let rsa: TestAuthority;
let ec: TestAuthority;
beforeAll(async () => {
  [rsa, ec] = await Promise.all([createAuthority('rsa'), createAuthority('ec')]);
}, 60_000);

const files = () =>
  new MemoryInputFiles()
    .file('/w/rsa.cert.pem', rsa.pem)
    .file('/w/ec.cert.pem', ec.pem)
    .file('/w/testkey.x509.pem', TEST_KEY)
    .file('/w/ci.pub.pem', pem(builder.publicKey, 'spki'))
    .file('/w/ci.key.pem', pem(builder.privateKey, 'pkcs8'))
    .file('/w/old-ci.pem', pem(revoked.publicKey, 'spki'));
const flags = (over: Partial<PolicyDraftFlags> = {}): PolicyDraftFlags => ({ authority: 'release', certificate: '/w/rsa.cert.pem', label: 'release-root-2026', kinds: 'image,vbmeta,apk', out: '/w/draft.json', ...over });
const draft = (over: Partial<PolicyDraftFlags> = {}, f = files()) => draftPolicy(f, flags(over), NOW);

describe('draftPolicy', () => {
  it('builds a first policy from the certificate and the defaults; the ceremony reads its bytes as written', () => {
    const r = draft();
    expect(r.problems).toEqual([]);
    const d = r.value!;
    expect(d.body).toEqual({
      format: POLICY_TYPE,
      authority: 'release',
      version: 1,
      previous_sha256: null,
      issued_at: '2026-12-05T10:00:00Z',
      expires_at: '2027-03-05T10:00:00Z',
      keys: [{ label: 'release-root-2026', spki_sha256: rsa.spkiSha256, algorithm: 'RSA-PKCS1-SHA256', kinds: ['image', 'vbmeta', 'apk'] }],
      approvals: { role: 'crypto-officer', threshold: 3 },
      limits: { max_artifacts: 1000, max_bytes: 64 * 2 ** 30, max_request_age_hours: 24 },
      version_rule: 'increasing-per-channel',
      require_builder_signature: false,
      builder_keys: [],
      deny_list: [],
    });
    expect(d.bytes.toString('utf8')).toBe(`${JSON.stringify(d.body, null, 2)}\n`);
    expect(readPolicyDraft(d.bytes).problems).toEqual([]);
    expect(d.policySha256).toBe(sha256(payloadBytes(d.body)));
    expect(d.words).toEqual(statementWords(d.policySha256));
    expect(d.certificate).toEqual({ name: 'Release Authority Test', keyDescription: 'RSA-2048' });
  });

  it('takes the algorithm from an EC certificate, and every option as given', () => {
    const r = draft({ certificate: '/w/ec.cert.pem', kinds: ' ota-payload , apex ', approvals: 'release-officer:2', maxArtifacts: '50', maxBytes: '3GiB', maxRequestAgeHours: '72', expires: '2027-01-31T00:00:00Z', requireBuilderSignature: true, builderKey: ['/w/ci.pub.pem'], deny: ['/w/old-ci.pem'] });
    expect(r.problems).toEqual([]);
    const b = r.value!.body;
    expect(b.keys[0]).toMatchObject({ spki_sha256: ec.spkiSha256, algorithm: 'ECDSA-SHA256', kinds: ['ota-payload', 'apex'] });
    expect(b.approvals).toEqual({ role: 'release-officer', threshold: 2 });
    expect(b.limits).toEqual({ max_artifacts: 50, max_bytes: 3 * 2 ** 30, max_request_age_hours: 72 });
    expect(b.expires_at).toBe('2027-01-31T00:00:00Z');
    expect(b.require_builder_signature).toBe(true);
    const spki = (k: typeof builder.publicKey) => sha256(k.export({ type: 'spki', format: 'der' }));
    expect(b.builder_keys).toEqual([{ keyid: spki(builder.publicKey), public_key: pem(builder.publicKey, 'spki') }]);
    expect(b.deny_list).toEqual([{ name: 'old-ci', source: '/w/old-ci.pem', spki_sha256: spki(revoked.publicKey), public_key: pem(revoked.publicKey, 'spki') }]);
    expect(readPolicyDraft(r.value!.bytes).policy!.denied.at(-1)!.name).toBe('old-ci');
  });

  it('follows the adopted policy it replaces: the next version, naming its SHA-256', () => {
    const first = draft().value!;
    const adopted = unsignedDocument(POLICY_TYPE, first.body);
    const r = draft({ previous: '/w/policy.json', out: '/w/draft-2.json' }, files().file('/w/policy.json', JSON.stringify(adopted)));
    expect(r.problems).toEqual([]);
    expect(r.value!.body).toMatchObject({ version: 2, previous_sha256: first.policySha256 });
  });

  const cases: Array<[string, Partial<PolicyDraftFlags>, string[], ((f: MemoryInputFiles) => MemoryInputFiles)?]> = [
    ['a manifest kind and an unknown kind', { kinds: 'image,ota-manifest,firmware' }, ["--kinds: ota-manifest is the manifest authority's; the release key never signs it (the policy's keys[0].kinds)", `--kinds: unknown kind "firmware" (the policy's keys[0].kinds)`]],
    ['one approval', { approvals: 'crypto-officer:1' }, ["--approvals: a release needs at least 2 approvals (the policy's approvals.threshold)"]],
    ['an approval count that is no number', { approvals: 'three' }, ['--approvals: "three" is not <role>:<count> (crypto-officer:3)']],
    ['the AOSP test key as the signing key', { certificate: '/w/testkey.x509.pem' }, ["--certificate: is the denied key testkey (AOSP build/make/target/product/security/testkey.x509.pem): it must never sign a release (the policy's keys[0].spki_sha256)"]],
    ['its own key denied', { deny: ['/w/rsa.cert.pem'] }, [`--certificate: is the denied key rsa.cert (/w/rsa.cert.pem): it must never sign a release (the policy's keys[0].spki_sha256)`]],
    ['an expiry in the past', { expires: '2026-01-01T00:00:00Z' }, ["--expires: is not after issued_at (the policy's expires_at)"]],
    ['an expiry that is no time', { expires: 'soon' }, ['--expires: "soon" is neither a time (2027-03-31T00:00:00Z) nor a duration (90d, 2160h)']],
    ['limits that are no numbers', { maxArtifacts: '1e3', maxBytes: '1PB', maxRequestAgeHours: '-1' }, ['--max-bytes: "1PB" is not a number of bytes (68719476736, 64GiB)', '--max-artifacts: "1e3" is not a whole number', '--max-request-age-hours: "-1" is not a whole number']],
    ['a request age over 90 days', { maxRequestAgeHours: '2161' }, ["--max-request-age-hours: too big: expected number to be <=2160 (the policy's limits.max_request_age_hours)"]],
    ['a label that is no label', { label: 'release root' }, ["--label: must be letters, digits, dot, dash or underscore (the policy's keys[0].label)"]],
    ['an algorithm the key does not make', { algorithm: 'ECDSA-SHA256' }, ["--algorithm: ECDSA-SHA256 does not fit the certificate's RSA-2048 key, which signs RSA-PKCS1-SHA256"]],
    ['an unknown algorithm', { algorithm: 'RSA-PSS' }, [`--algorithm: must be "RSA-PKCS1-SHA256" or "ECDSA-SHA256" (the policy's keys[0].algorithm)`]],
    ['a builder signature required without builder keys', { requireBuilderSignature: true }, ["--builder-key: require_builder_signature needs at least one builder key (the policy's builder_keys)"]],
    ['a private key given as a key', { builderKey: ['/w/ci.key.pem'] }, ['--builder-key: /w/ci.key.pem: holds a private key; give its public key or certificate (a policy never holds a private key)']],
    ['a key file that is no key', { deny: ['/w/draft-notes.txt'] }, ['--deny: /w/draft-notes.txt: is neither a PEM public key nor a PEM certificate'], (f) => f.file('/w/draft-notes.txt', 'hello')],
    ['the manifest authority', { authority: 'manifest' }, ['--authority: the manifest authority has no release signing policy: policy draft is for the release authority']],
    ['a certificate that is a public key', { certificate: '/w/ci.pub.pem' }, ['--certificate: /w/ci.pub.pem: not a PEM certificate (one CERTIFICATE block and nothing else)']],
    ['a missing certificate', { certificate: '/w/none.pem' }, ['cannot read certificate /w/none.pem: no such file']],
    ['an unsigned draft as the previous policy', { previous: '/w/draft-1.json' }, ["--previous: /w/draft-1.json: is a draft, not an adopted policy: give the policy ceremony's outputs/policy.json"], (f) => f.file('/w/draft-1.json', draft().value!.bytes)],
    ['a previous policy whose payload was changed', { previous: '/w/policy.json' }, [expect.stringMatching(/^--previous: \/w\/policy\.json: policy payload_sha256 does not match the payload/) as unknown as string], (f) => f.file('/w/policy.json', JSON.stringify({ ...unsignedDocument(POLICY_TYPE, draft().value!.body), payload_sha256: 'ab'.repeat(32) }))],
    ['an --out that exists', {}, ['/w/draft.json already exists'], (f) => f.file('/w/draft.json', '{}')],
  ];
  it.each(cases)('refuses %s, naming the flag', (_, over, messages, setup) => {
    const r = draft(over, (setup ?? ((f) => f))(files()));
    expect(r.value).toBeUndefined();
    expect(r.problems.map((p) => p.message)).toEqual(messages);
    expect(new Set(r.problems.map((p) => p.group))).toEqual(new Set([`the policy draft was not written: ${messages.length} problem(s)`]));
  });

  it('lists every problem at once; an existing --out first, so that its code decides', () => {
    const r = draft({ kinds: 'ota-manifest', expires: '2026-01-01T00:00:00Z', certificate: '/w/testkey.x509.pem' }, files().file('/w/draft.json', '{}'));
    expect(r.problems.map((p) => p.field)).toEqual(['--out', '--expires', '--kinds', '--certificate']);
    expect(r.problems.map((p) => p.code)).toEqual(['input.file-exists', 'input.request-invalid', 'input.request-invalid', 'input.request-invalid']);
  });
});

describe('timeFromFlag', () => {
  it.each([
    ['24h', '2026-12-06T10:00:00.123Z'],
    ['90d', '2027-03-05T10:00:00.123Z'],
    ['2027-01-31T00:00:00+01:00', '2027-01-30T23:00:00.000Z'],
    ['2027-01-31', undefined],
    ['soon', undefined],
    ['12345h', undefined],
  ])('%s', (value, expected) => expect(timeFromFlag(value, NOW)).toBe(expected));
});
