// jsonValuesOver: a bound on a JSON text's values checked on its bytes, before it is parsed. Commas and brackets
// inside strings (escaped quotes too) are not counted, and the largest statement and request the authority takes
// (100,000 artifacts) stay under the bounds that release.json and request.json are checked against.
import { describe, expect, it } from 'vitest';
import { jsonValuesOver } from '../../../src/record/json-values.js';
import { BUNDLE_LIMITS, releaseStatement, statementBytes } from '../../../src/custody/release-bundle.js';

const over = (text: string, max: number) => jsonValuesOver(Buffer.from(text), max);

describe('jsonValuesOver', () => {
  it.each<[string, string, number, boolean]>([
    ['a scalar', '7', 1, false],
    ['three values', '[1,2]', 3, false],
    ['three values, two allowed', '[1,2]', 2, true],
    ['commas and brackets in a string', '["a,b,[c,{d"]', 2, false],
    ['an escaped quote does not end the string', '["a\\",[,,,"]', 2, false],
    ['an escaped backslash does', '["a\\\\",[1,2]]', 4, true],
    ['objects', '{"a":{"b":1},"c":2}', 4, false],
  ])('%s', (_, text, max, expected) => expect(over(text, max)).toBe(expected));

  it('leaves the largest statement the authority writes under the bound release.json is checked against', () => {
    const hex = 'a'.repeat(64);
    const artifacts = Array.from({ length: BUNDLE_LIMITS.artifacts }, (_, i) => ({ name: `artifact-${i}.img`, kind: 'image' as const, size: i, sha256: hex, signatureSha256: hex }));
    const bytes = statementBytes(
      releaseStatement({
        scriptId: 'release-signing',
        ceremonyId: 'c',
        request: { id: 'b'.repeat(32), sha256: hex, buildId: 'b', sourceRevision: 'r', channel: 'stable', version: 1 },
        policy: { version: 1, sha256: hex },
        approvalStatementSha256: hex,
        signingKey: { label: 'k', spkiSha256: hex, algorithm: 'ECDSA-SHA256' },
        certificateSha256: hex,
        artifacts,
        signedAt: '2026-01-01T00:00:00Z',
      }),
    );
    expect(jsonValuesOver(bytes, BUNDLE_LIMITS.statementValues)).toBe(false);
    expect(jsonValuesOver(bytes, BUNDLE_LIMITS.statementValues / 2)).toBe(true);
  });
});
