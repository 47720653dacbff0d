// validate for enrollments into a live roster: the roster's CA is never one generated today, a replacement
// names an earlier revocation, and one ceremony certifies with one enrollment CA. Edits of the shipped
// ceremonies, each breaking one rule.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';

const ADDITION = readFileSync(new URL('../../../ceremonies/officer-addition.yaml', import.meta.url), 'utf8');
const REPLACEMENT = readFileSync(new URL('../../../ceremonies/officer-token-replacement.yaml', import.meta.url), 'utf8');
const errors = (text: string) => parseScript('s.yaml', text).errors.map(formatProblem);

describe('validate: joining a live roster', () => {
  it.each([
    ['the shipped addition', ADDITION],
    ['the shipped replacement', REPLACEMENT],
  ])('%s is valid', (_n, text) => {
    expect(errors(text)).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['a replacement naming a step that is not a revocation', REPLACEMENT.replace('replaces: revoke', 'replaces: check-in'), /params\.replaces: "check-in" is not an earlier officer\.revoke step/],
    ['a replacement naming no step at all', REPLACEMENT.replace('replaces: revoke', 'replaces: nowhere'), /params\.replaces: "nowhere" is not an earlier officer\.revoke step/],
    ['the roster\'s CA but no officers of the roster', ADDITION.replace(/\n    identity: piv\n/, '\n'), /issuer_source: enrolling into the roster needs its officers/],
  ])('refuses %s', (_n, text, problem) => {
    expect(errors(text).join('\n')).toMatch(problem);
  });

  it('refuses a second enrollment with another enrollment CA', () => {
    const i = ADDITION.indexOf('  - id: enroll-new-officer');
    const j = ADDITION.indexOf('  - id: sign-roster');
    const second = ADDITION.slice(i, j).replace('id: enroll-new-officer', 'id: enroll-second').replace('issuer_source: roster', 'issuer_source: ceremony');
    expect(errors(ADDITION.slice(0, j) + second + ADDITION.slice(j)).join('\n')).toMatch(/every piv\.enroll of a ceremony uses one enrollment CA/);
  });
});
