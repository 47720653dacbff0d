// A ceremony script a person names: read, parsed and checked by the script rules, every problem located as
// file:line:col path. Also what a script asks of the other inputs (officers' PIV tokens, wrapped keys), read
// from the step kinds' `needs` (script/step-needs.ts).
import { formatProblem } from '../script/parse.js';
import { parseScript } from '../script/rules.js';
import type { Script, StepKind } from '../script/schema.js';
import { scriptNeeds } from '../engine/needs.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, type Loaded } from './problems.js';

export interface LoadedScript {
  script: Script;
  text: string;
  /** Warnings as file:line:col path: message lines. */
  warnings: string[];
}

export function loadScript(files: InputFiles, path: string): Loaded<LoadedScript> {
  const read = readBytes(files, path, 'script');
  if (read.problem) return { problems: [read.problem] };
  const text = read.bytes.toString('utf8');
  const check = parseScript(path, text);
  if (!check.script) {
    const group = `${path}: ${check.errors.length} problem(s)`;
    return { problems: check.errors.map((p) => inputProblem('input.script-invalid', path, p.path, formatProblem(p), group)) };
  }
  return loaded({ script: check.script, text, warnings: check.warnings.map(formatProblem) }, []);
}

/** The ceremony language's table, not the step registry: reading inputs loads no step kind. */
const needsOf = (kind: StepKind) => STEP_NEEDS[kind];

/** Whether a script needs the wrapped keys of its backup (restore, re-share), not only the shares (verify). */
export function needsBlobs(script: Script): boolean {
  return scriptNeeds(script, needsOf).wrappedKeys;
}

/** Whether a script works with officers' PIV tokens (check-in by token, enrollment, approvals, roster). */
export function usesPiv(script: Script): boolean {
  return scriptNeeds(script, needsOf).piv;
}
