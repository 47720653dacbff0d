// A script that backs a key up must not say the key never leaves the HSM: the plan and the signed evidence
// print those words. Table-driven over where the claim stands and how it is qualified.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';

const FLAGSHIP = readFileSync(new URL('../../../ceremonies/release-authority-init.yaml', import.meta.url), 'utf8');
const withDescription = (text: string) => FLAGSHIP.replace(/^description: \|\n(?: {2}.*\n)+/m, `description: |\n  ${text}\n`);
const messages = (text: string) => parseScript('s.yaml', text).errors.map(formatProblem);

describe('wording: a backed-up key described as never leaving the HSM', () => {
  it('the flagship as shipped says what is true', () => {
    expect(messages(FLAGSHIP)).toEqual([]);
  });

  it.each([
    ['never leaves it', 'The root key is generated inside the HSM and never leaves it.', 'never leaves'],
    ['can never leave', 'The root key can never leave the HSM.', 'can never leave'],
    ['cannot leave', 'The root key cannot leave the HSM.', 'cannot leave'],
    ['non-extractable', 'The root key is non-extractable.', 'non-extractable'],
    ['never be exported', 'The root key will never be exported.', 'never be exported'],
  ])('%s in the description is an error naming the key and the line', (_what, text, said) => {
    expect(messages(withDescription(text))).toEqual([
      `s.yaml:10:14 description: says a key "${said}", but "release-root-2026" is made extractable for its backup (backup: true): say it leaves the HSM only wrapped, never in plaintext`,
    ]);
  });

  it.each([
    ['in plaintext', 'The root key never leaves the HSM in plaintext.'],
    ['unwrapped', 'The root key never leaves the HSM unwrapped.'],
    ['in the clear, across a line break', 'The root key never leaves the HSM in\n  the clear.'],
  ])('qualified (%s) is true of a wrapped backup, and passes', (_what, text) => {
    expect(messages(withDescription(text))).toEqual([]);
  });

  it('in a step\'s instructions, named at that step', () => {
    const text = FLAGSHIP.replace('and is sensitive (it can leave the HSM only wrapped, for the backup, never in plaintext)', 'and can never leave it');
    expect(messages(text)).toEqual([expect.stringMatching(/^s\.yaml:\d+:\d+ steps\[8\]\.instructions: says a key "can never leave", but "release-root-2026" is made extractable/)]);
  });

  it('without backup: true the claim is the script author\'s to make', () => {
    const text = withDescription('The root key never leaves the HSM.').replace('      backup: true\n', '');
    expect(messages(text).filter((m) => m.includes('never leaves'))).toEqual([]);
  });
});

describe('wording: a revocation says the revoked custodian\'s backups are re-shared', () => {
  const REVOCATION = readFileSync(new URL('../../../ceremonies/officer-revocation.yaml', import.meta.url), 'utf8');
  const REPLACEMENT = readFileSync(new URL('../../../ceremonies/officer-token-replacement.yaml', import.meta.url), 'utf8');
  const warnings = (text: string) => parseScript('s.yaml', text).warnings.map(formatProblem);

  it.each([
    ['the shipped revocation', REVOCATION],
    ['the shipped token replacement', REPLACEMENT],
  ])('%s says so, and validates without a warning', (_n, text) => {
    expect(parseScript('s.yaml', text).errors).toEqual([]);
    expect(warnings(text)).toEqual([]);
  });

  it('a revocation that never mentions a re-share is warned where it revokes', () => {
    const silent = REVOCATION.replace(/re-?share(?:d)?/gi, 'handled').replace(/backup-reshare\.yaml/g, 'x.yaml');
    expect(warnings(silent)).toEqual([
      expect.stringMatching(/^s\.yaml:\d+:\d+ steps\[4\]\.instructions: revokes an officer who may hold backup shares sealed to the revoked token: say that every backup they hold a share of is re-shared next/),
    ]);
  });
});
