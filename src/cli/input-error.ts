// Problems with inputs -> the one OfficiantError the CLI prints. The first problem decides the code (so the
// exit code) and the first line: its group's headline ("site.yaml: 3 problem(s)") with every problem of the list
// under it, or its own message with the other problems under it.
import { OfficiantError } from '../errors.js';
import type { InputProblem, Loaded } from '../inputs/problems.js';

export function problemsError(problems: readonly InputProblem[]): OfficiantError {
  const [first, ...rest] = problems;
  if (first.group !== undefined) return new OfficiantError(first.code, first.group, { details: problems.map((p) => p.message) });
  return new OfficiantError(first.code, first.message, { details: rest.map((p) => p.message) });
}

/** The loaded value, or the problems thrown as one OfficiantError. */
export function orThrow<T>(result: Loaded<T>): T {
  if (result.problems.length > 0) throw problemsError(result.problems);
  return result.value as T;
}
