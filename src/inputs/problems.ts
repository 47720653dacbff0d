// Problems with the files people hand us, reported all at once. A loader never throws for bad input: it returns
// the value it loaded (only when there is no problem) and every problem it found, each naming the file and the
// field (a YAML or JSON path, a flag, or '(file)' for the file as a whole) with a fact that reads on its own.
// The CLI turns a non-empty list into one OfficiantError: the first problem decides the code (so the exit code)
// and the first line; problems reported under a headline (a schema's N problems) carry that headline in `group`.
import type { ErrorCode } from '../errors.js';
import type { InputFiles } from './input-files.types.js';

export interface InputProblem {
  code: ErrorCode;
  file: string;
  field: string;
  message: string;
  /** The headline of the group this problem belongs to, e.g. "site.yaml: 3 problem(s)". */
  group?: string;
}

export interface Loaded<T> {
  /** Present exactly when `problems` is empty. */
  value?: T;
  problems: InputProblem[];
}

export const WHOLE_FILE = '(file)';

export function inputProblem(code: ErrorCode, file: string, field: string, message: string, group?: string): InputProblem {
  return group === undefined ? { code, file, field, message } : { code, file, field, message, group };
}

export function loaded<T>(value: T, problems: InputProblem[]): Loaded<T> {
  return problems.length === 0 ? { value, problems } : { problems };
}

/** Reads a file a person named: missing or a directory is bad input; unreadable is the environment. */
export function readBytes(files: InputFiles, path: string, what: string): { bytes: Buffer; problem?: undefined } | { bytes?: undefined; problem: InputProblem } {
  try {
    return { bytes: files.read(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code;
    const errorCode = code === 'ENOENT' || code === 'EISDIR' ? 'input.not-a-ceremony' : code === 'EACCES' ? 'env.permission' : 'env.fs';
    return { problem: inputProblem(errorCode, path, WHOLE_FILE, `cannot read ${what} ${path}: ${why}`) };
  }
}

/** A JSON file of an output directory (a copy Officiant wrote): unreadable or not JSON is one problem. */
export function readJson<T>(files: InputFiles, path: string, what: string): { value?: T; problem?: InputProblem } {
  const read = readBytes(files, path, what);
  if (read.problem) return { problem: read.problem };
  try {
    return { value: JSON.parse(read.bytes.toString('utf8')) as T };
  } catch {
    return { problem: inputProblem('input.not-a-ceremony', path, WHOLE_FILE, `${path}: the ${what} is not valid JSON`) };
  }
}

/**
 * A problem a document's reader found (`<what>: <field>: <fact>`) as `[flag, fact (the <noun>'s field)]`: the
 * reader names fields, a person typed flags (`fields` maps a field to the flag that sets it; none: `['draft', ...]`).
 */
export function flagOfField(problem: string, what: string, noun: string, fields: ReadonlyArray<readonly [RegExp, string]>): [string, string] {
  const text = problem.replace(new RegExp(`^${what}: `), '');
  const at = text.indexOf(': ');
  const field = at < 0 ? '' : text.slice(0, at);
  const flag = fields.find(([re]) => re.test(field))?.[1];
  return flag ? [flag, `${text.slice(at + 2)} (the ${noun}'s ${field})`] : ['draft', text];
}
