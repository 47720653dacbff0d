// The session checks of request.load beyond the request's own rules (custody release-check, tested on its own):
// the script's approval against the policy's, the authority's certificate against the policy's key, and a
// signing key that is itself a test key. Each refusal alone, with its message, on the release world's session.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReleaseFrom, readCertificate, type OpenRelease } from '../../../src/steps/shared/release-session.js';
import { sessionProblems } from '../../../src/steps/request-load.js';
import type { Script } from '../../../src/script/schema.js';
import { ROOT } from '../../helpers/cli.js';
import { createReleaseWorld } from './fakes/release-world.js';

const w = await createReleaseWorld();
const opened = openReleaseFrom(w.release(), w.roster.body, new Date(), w.script);
const session = opened.release!;
const TEST_KEY = readCertificate(readFileSync(join(ROOT, 'test/fixtures/test-keys/testkey.x509.pem')));

/** The world's script with its approval step's parameters changed (or the step dropped). */
function withApproval(params: Record<string, unknown> | null): Script {
  const steps: Script['steps'][number][] = w.script.steps.flatMap((s): Script['steps'][number][] => (s.kind !== 'quorum.approve' ? [s] : params === null ? [] : [{ ...s, params: { ...s.params, ...params } } as typeof s]));
  return { ...w.script, steps } as Script;
}

describe('sessionProblems', () => {
  it('finds nothing wrong with the world session', () => {
    expect(opened.problems).toEqual([]);
    expect(sessionProblems(session, w.script, [], new Date())).toEqual([]);
  });

  it.each<[string, Partial<OpenRelease>, Script, string]>([
    ['fewer approvals than the policy needs', {}, withApproval({ threshold: 1 }), 'step approve asks 1 approvals by crypto-officer; the policy needs at least 2 by crypto-officer'],
    ['approvals by another role', {}, withApproval({ role: 'auditor' }), 'step approve asks 2 approvals by auditor; the policy needs at least 2 by crypto-officer'],
    ['no approval of the signing step', {}, withApproval(null), 'the script has no quorum.approve step approving sign: the policy needs 2 approvals by crypto-officer'],
    [
      'a certificate of another key than the policy names',
      { certificate: TEST_KEY, policy: { ...session.policy, denied: [] } },
      w.script,
      `the authority's certificate (${TEST_KEY.subject}) holds the key ${TEST_KEY.spkiSha256}, not the policy's key "release-root" (${session.policy.body.keys[0].spki_sha256})`,
    ],
  ])('refuses %s', (_what, change, script, problem) => {
    expect(sessionProblems({ ...session, ...change }, script, [], new Date())).toEqual([problem]);
  });

  it('refuses a signing key that is an AOSP test key, even one the policy names', () => {
    const policy = { ...session.policy, body: { ...session.policy.body, keys: [{ ...session.policy.body.keys[0], spki_sha256: TEST_KEY.spkiSha256 }] } };
    expect(session.policy.denied.some((k) => k.name === 'testkey')).toBe(true);
    expect(sessionProblems({ ...session, certificate: TEST_KEY, policy }, w.script, [], new Date())).toEqual([
      'the signing key is the test key testkey (AOSP build/make/target/product/security/testkey.x509.pem): it never signs a release',
    ]);
  });
});
