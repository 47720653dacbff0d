// Problems -> the one OfficiantError the CLI prints: the first problem decides the code (so the exit code) and
// the first line, and no problem is lost. A lone problem prints exactly as the single error it replaced.
import { describe, expect, it } from 'vitest';
import { orThrow, problemsError } from '../../../src/cli/input-error.js';
import { exitCodeFor } from '../../../src/errors.js';
import { inputProblem } from '../../../src/inputs/problems.js';
import { caught } from '../../helpers/caught.js';

const group = 's.yaml: 2 problem(s)';

describe('problemsError', () => {
  it.each([
    ['a lone problem: its message, no details', [inputProblem('input.site-invalid', 'site.yaml', '--slot', '--slot must be a whole number')], 'input.site-invalid', 2, '--slot must be a whole number', []],
    [
      'a group first: its headline, every problem under it, then the rest',
      [inputProblem('input.roster-invalid', 'r.json', 'keyring', 'keyring: x', group), inputProblem('input.roster-invalid', 'r.json', 'roster', 'y', group), inputProblem('input.roster-invalid', 'site.yaml', 'piv.roster_sha256', 'pin it')],
      'input.roster-invalid',
      2,
      group,
      ['keyring: x', 'y', 'pin it'],
    ],
    [
      'an environment problem first: exit 3, the others under it',
      [inputProblem('env.permission', 'a.pem', '(file)', 'cannot read a.pem: permission denied'), inputProblem('input.site-invalid', 'command line', '--slot', 'bad slot')],
      'env.permission',
      3,
      'cannot read a.pem: permission denied',
      ['bad slot'],
    ],
  ])('%s', (_, problems, code, exit, message, details) => {
    const err = problemsError(problems);
    expect([err.code, exitCodeFor(err), err.message, err.details]).toEqual([code, exit, message, details]);
  });
});

describe('orThrow', () => {
  it('gives the value when there is no problem, and throws the problems otherwise', () => {
    expect(orThrow({ value: 42, problems: [] })).toBe(42);
    const err = caught(() => orThrow({ problems: [inputProblem('input.backup-invalid', 'b', 'f', 'gone')] }));
    expect([err.code, err.message]).toEqual(['input.backup-invalid', 'gone']);
  });
});
