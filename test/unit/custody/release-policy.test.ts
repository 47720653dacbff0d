// A release policy's own consistency, before any officer signs it: a policy as the policy ceremony would adopt
// reads; every problem names its field: too few approvals, a manifest kind for the release key, a test key as
// the signing key (built in, or added by the policy), an expiry before issue, a version chain without its
// previous, a builder requirement without builder keys; and mangled input never throws.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtInDenyList, spkiSha256 } from '../../../src/custody/deny-list.js';
import { POLICY_TYPE, readPolicyBody, type PolicyBody } from '../../../src/custody/release-policy.js';
import { FUZZ_RUNS, FUZZ_SEED, mutateJson, rng } from '../../helpers/fuzz.js';

const release = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const builder = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const extraDenied = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const base: PolicyBody = {
  format: POLICY_TYPE,
  authority: 'release',
  version: 1,
  previous_sha256: null,
  issued_at: '2026-12-05T00:00:00Z',
  expires_at: '2027-06-05T00:00:00Z',
  keys: [{ label: 'release-root-2026', spki_sha256: spkiSha256(release), algorithm: 'RSA-PKCS1-SHA256', kinds: ['image', 'vbmeta', 'apk'] }],
  approvals: { role: 'crypto-officer', threshold: 2 },
  limits: { max_artifacts: 1000, max_bytes: 64 * 2 ** 30, max_request_age_hours: 72 },
  version_rule: 'increasing-per-channel',
  require_builder_signature: true,
  builder_keys: [{ keyid: 'ci', public_key: builder.export({ type: 'spki', format: 'pem' }) as string }],
  deny_list: [],
};
const edited = (edit: (b: PolicyBody) => void): unknown => {
  const b = JSON.parse(JSON.stringify(base)) as PolicyBody;
  edit(b);
  return b;
};

describe('readPolicyBody', () => {
  it('reads a consistent policy; its deny list is the test keys and its own', () => {
    const withExtra = edited((b) => b.deny_list.push({ name: 'old ci key', source: 'revoked 2026-11', spki_sha256: spkiSha256(extraDenied), public_key: extraDenied.export({ type: 'spki', format: 'pem' }) as string }));
    const { policy, problems } = readPolicyBody(withExtra);
    expect(problems).toEqual([]);
    expect(policy!.denied.map((k) => k.name)).toEqual([...builtInDenyList().map((k) => k.name), 'old ci key']);
  });

  const testKey = builtInDenyList().find((k) => k.name === 'platform')!;
  it.each<[string, unknown, string[]]>([
    ['one approval', edited((b) => void (b.approvals.threshold = 1)), ['policy: approvals.threshold: a release needs at least 2 approvals']],
    ['a manifest kind for the release key', edited((b) => b.keys[0].kinds.push('ota-manifest')), ["keys[0].kinds: ota-manifest is the manifest authority's; the release key never signs it"]],
    ['a test key as the signing key', edited((b) => void (b.keys[0].spki_sha256 = testKey.spkiSha256)), [`keys[0].spki_sha256: is the denied key platform (${testKey.source}): it must never sign a release`]],
    ['an expiry before issue', edited((b) => void (b.expires_at = '2026-01-01T00:00:00Z')), ['expires_at: is not after issued_at']],
    ['version 2 without its previous', edited((b) => void (b.version = 2)), ['previous_sha256: version 2 must name the policy it replaces']],
    ['version 1 naming a previous', edited((b) => void (b.previous_sha256 = 'ab'.repeat(32))), ['previous_sha256: version 1 has no previous policy']],
    ['a builder requirement without builder keys', edited((b) => void (b.builder_keys = [])), ['builder_keys: require_builder_signature needs at least one builder key']],
    ['a builder key that is no key', edited((b) => void (b.builder_keys[0].public_key = 'nope')), ['builder_keys[0].public_key: is not a PEM public key']],
    ['the same label twice', edited((b) => b.keys.push({ ...b.keys[0] })), ['keys[1].label: release-root-2026 is listed twice']],
    ['an unknown field', edited((b) => void ((b as Record<string, unknown>).approve_all = true)), ['policy: approve_all: unknown key']],
  ])('%s', (_, body, problems) => {
    const r = readPolicyBody(body);
    expect(r.policy).toBeUndefined();
    expect(r.problems).toEqual(problems);
  });

  it('refuses a signing key the policy itself denies', () => {
    const pem = release.export({ type: 'spki', format: 'pem' }) as string;
    const r = readPolicyBody(edited((b) => b.deny_list.push({ name: 'leaked', source: 'incident 7', spki_sha256: spkiSha256(release), public_key: pem })));
    expect(r.problems).toEqual(['keys[0].spki_sha256: is the denied key leaked (incident 7): it must never sign a release']);
  });

  it('never throws on mutated policies', () => {
    const odd: string[] = [];
    for (let run = 0; run < FUZZ_RUNS; run++) {
      const r = rng(FUZZ_SEED * 32_452_843 + run);
      try {
        const out = readPolicyBody(mutateJson(base, r));
        if (!out.policy && out.problems.length === 0) odd.push(`run ${run}: neither a policy nor a problem`);
        if (out.policy && out.policy.body.approvals.threshold < 2) odd.push(`run ${run}: accepted a threshold below 2`);
      } catch (err) {
        odd.push(`run ${run}: threw ${String(err).slice(0, 200)}`);
      }
      if (odd.length > 5) break;
    }
    expect(odd).toEqual([]);
  });
});
