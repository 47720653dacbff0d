// Answers files: ${ENV} secrets resolved, unset variables named (never values), syntax errors never quote the
// file's text (it may hold a literal PIN), and what a script needs is listed before the HSM is touched.
import { describe, expect, it } from 'vitest';
import { missingAnswers, parseAnswers } from '../../../src/inputs/answers.js';
import { isOfficiantError, type OfficiantError } from '../../../src/errors.js';
import { parseScript } from '../../../src/script/rules.js';
import { readFileSync } from 'node:fs';

function failure(fn: () => unknown): OfficiantError {
  try {
    fn();
  } catch (err) {
    if (isOfficiantError(err)) return err;
    throw err;
  }
  throw new Error('expected an OfficiantError');
}

describe('answers file', () => {
  it('resolves ${ENV} secrets and warns about literal ones without printing them', () => {
    const { answers, warnings } = parseAnswers('a.yaml', 'confirm: true\nsecrets:\n  Carol: { user-pin-half: "${HALF}", so-pin-half: lit3ral-Pin }\n', { HALF: 'h4lf-value' });
    expect(answers.secrets.Carol['user-pin-half']).toBe('h4lf-value');
    expect(warnings).toEqual(['a.yaml:3:51 secrets.Carol.so-pin-half: secret written in the file; prefer ${ENV_VAR}']);
  });

  it('names an unset variable, never a value', () => {
    const err = failure(() => parseAnswers('a.yaml', 'confirm: true\nsecrets:\n  Carol: { user-pin-half: "${NOPE}" }\n', {}));
    expect(err.code).toBe('input.answers-invalid');
    expect(err.details).toEqual(['a.yaml:3:27 secrets.Carol.user-pin-half: environment variable NOPE is not set']);
  });

  it('requires confirm: a sign-off is never recorded by default', () => {
    const err = failure(() => parseAnswers('a.yaml', 'people: {}\n', {}));
    expect(err.details).toEqual(['a.yaml:1:1 confirm: is required']);
  });

  it('says what a union field expects', () => {
    const err = failure(() => parseAnswers('a.yaml', 'confirm: 3\n', {}));
    expect(err.details).toEqual(['a.yaml:1:10 confirm: must be a boolean or a mapping, got a number']);
  });

  it('refuses a deviation reason or a typed record that holds one of its secrets, naming where, never the value', () => {
    const text = [
      'confirm: true',
      'secrets:',
      '  Carol: { so-pin-half: "${HALF}" }',
      'records:',
      '  seal: { bag: "TB-7h4lf9" }',
      'failures:',
      '  backup: [{ action: retry, reason: "typed 7h4lf9 by mistake" }]',
      '',
    ].join('\n');
    const err = failure(() => parseAnswers('a.yaml', text, { HALF: '7h4lf9' }));
    expect(err.code).toBe('input.answers-invalid');
    expect(err.details).toEqual([
      'a.yaml:7:37 failures.backup[0].reason: holds a PIN or PIN half of this file: a reason is recorded in clear',
      'a.yaml:5:16 records.seal.bag: holds a PIN or PIN half of this file: a typed record is recorded in clear',
    ]);
    expect(`${err.message}${err.details.join('')}`).not.toContain('7h4lf9');
  });

  it('does not quote the file in syntax errors (a literal PIN must not reach the screen)', () => {
    const err = failure(() => parseAnswers('a.yaml', 'confirm: true\nsecrets:\n  Carol: { user-pin-half: 93x7Secret ] }\n', {}));
    expect(err.details.length).toBeGreaterThan(0);
    expect(err.details.join('\n')).not.toContain('93x7Secret');
  });

  it('lists what the flagship script needs and the answers lack', () => {
    const script = parseScript('f.yaml', readFileSync('ceremonies/release-authority-init.yaml', 'utf8')).script!;
    const { answers } = parseAnswers('a.yaml', 'confirm: true\npeople:\n  crypto-officer: [Carol]\nsecrets:\n  Carol: { so-pin-half: "${X}" }\n', { X: 'xxxxxx' });
    expect(missingAnswers(script, answers)).toEqual([
      'people.ceremony-administrator: 0 of 1 distinct names',
      'people.internal-witness: 0 of 1 distinct names',
      'devices.check-in.crypto-officer-1: missing (token serial of Crypto Officer 1)',
      'devices.check-in.crypto-officer-2: missing (token serial of Crypto Officer 2)',
      'devices.check-in.crypto-officer-3: missing (token serial of Crypto Officer 3)',
      'people.auditor: 0 of 1 distinct names',
      'records.room.reference-time: missing (the reference time read off the reference clock, UTC, e.g. 14:05:30)',
      'records.hsm-tamper-bag.hsm-bag-serial: missing (tamper-bag serial of the HSM)',
      'records.close.hsm-new-bag-serial: missing (tamper-bag serial the HSM is sealed in)',
    ]);
  });

  it('asks the document-identity flagship for names and PIN halves', () => {
    const script = parseScript('f.yaml', readFileSync('examples/lab-root-key.yaml', 'utf8')).script!;
    const { answers } = parseAnswers('a.yaml', 'confirm: true\npeople:\n  crypto-officer: [Carol]\nsecrets:\n  Carol: { so-pin-half: "${X}" }\n', { X: 'xxxxxx' });
    expect(missingAnswers(script, answers)).toContain('people.crypto-officer: 1 of 2 distinct names');
    expect(missingAnswers(script, answers)).toContain('secrets["Carol"].user-pin-half: missing');
  });

  it.each<[string, string, string[]]>([
    ['a misspelt name', 'Dave Oficer', ['secrets["Dave Oficer"]: unknown person "Dave Oficer" (did you mean "Dave Officer"?)']],
    ['another case', 'dave officer', ['secrets["dave officer"]: unknown person "dave officer" (did you mean "Dave Officer"?)']],
    ['a name like no one\'s (perhaps an officer of the roster, named later): not a problem here', 'Erin Eavesdrop', []],
  ])('names the person a secrets entry was probably meant for: %s', (_, typed, expected) => {
    const script = parseScript('f.yaml', readFileSync('examples/lab-root-key.yaml', 'utf8')).script!;
    const { answers } = parseAnswers('a.yaml', `confirm: true\npeople:\n  crypto-officer: [Carol Officer, Dave Officer]\nsecrets:\n  ${JSON.stringify(typed)}: { so-pin-half: "\${X}" }\n`, { X: 'xxxxxx' });
    expect(missingAnswers(script, answers).filter((p) => p.includes('unknown person'))).toEqual(expected);
  });

  it('says nothing of secrets names in a script whose officers are named by the roster (any name may be one of theirs)', () => {
    const script = parseScript('f.yaml', readFileSync('ceremonies/release-authority-init.yaml', 'utf8')).script!;
    const { answers } = parseAnswers('a.yaml', 'confirm: true\npeople:\n  ceremony-administrator: [Dan Lee]\nsecrets:\n  Dana Lee: { evidence-pin-half: "${X}" }\n', { X: 'xxxxxx' });
    expect(missingAnswers(script, answers).filter((p) => p.includes('unknown person'))).toEqual([]);
  });
});
