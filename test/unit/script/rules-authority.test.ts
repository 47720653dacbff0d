// Authority separation in validate: the shipped release signing session and policy ceremony, declared as the
// manifest authority's, are refused at every step of the release authority's (STEP_AUTHORITY), each named by
// its kind; as the release authority's they are valid. Each row is a shipped script and what its steps must be.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';
import { STEP_AUTHORITY } from '../../../src/script/step-needs.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const read = (file: string) => readFileSync(`${ROOT}ceremonies/${file}`, 'utf8');

const ROWS = [
  { file: 'release-signing.yaml', refused: ['request.load', 'artifacts.stage', 'policy.check', 'hsm.sign-artifacts', 'signatures.verify', 'release.gates', 'release.publish'] },
  { file: 'release-policy.yaml', refused: ['policy.adopt'] },
  { file: 'android-release-signing.yaml', refused: ['android.sign-window'] },
];

describe('a manifest-authority script holding a release authority step', () => {
  for (const { file, refused } of ROWS) {
    it(`${file}: valid as the release authority's`, () => {
      const r = parseScript(file, read(file));
      expect(r.errors.map(formatProblem)).toEqual([]);
    });

    it(`${file}: as the manifest authority's, each of its ${refused.length} release steps is refused by kind`, () => {
      const text = read(file).replace(/^authority: release$/m, 'authority: manifest');
      expect(text).not.toBe(read(file));
      const r = parseScript(file, text);
      const messages = r.errors.map((e) => e.message);
      expect(messages).toEqual(refused.map((kind) => `a manifest script cannot hold ${kind}: it is a step of the release authority's ceremonies, and keys of one authority never sign for the other`));
      expect(r.errors.every((e) => /^steps\[\d+\]\.kind$/.test(e.path))).toBe(true);
    });
  }

  it('manifest-signing.yaml: valid as the manifest authority\'s; as the release authority\'s, manifest.sign is refused', () => {
    expect(parseScript('m.yaml', read('manifest-signing.yaml')).errors.map(formatProblem)).toEqual([]);
    const text = read('manifest-signing.yaml').replace(/^authority: manifest$/m, 'authority: release');
    expect(parseScript('m.yaml', text).errors.map((e) => e.message)).toEqual([
      "a release script cannot hold manifest.sign: it is a step of the manifest authority's ceremonies, and keys of one authority never sign for the other",
    ]);
  });

  it('every step kind that is the release authority\'s is listed in a row above', () => {
    const owned = Object.entries(STEP_AUTHORITY).filter(([, a]) => a === 'release').map(([k]) => k).sort();
    expect(ROWS.flatMap((r) => r.refused).sort()).toEqual(owned);
  });
});
