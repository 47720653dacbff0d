// officiant validate <script>: every problem at once, one line each, file:line:col path: message.
import { createHash } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { formatProblem } from '../../script/parse.js';
import { renderPlan } from '../../script/plan.js';
import { parseScript } from '../../script/rules.js';
import { readInput } from '../compose.js';

export function validateCommand(file: string, print: (l: string) => void): number {
  const check = parseScript(file, readInput(file, 'script'));
  for (const w of check.warnings) print(`warning: ${formatProblem(w)}`);
  if (!check.script) {
    throw new OfficiantError('input.script-invalid', `${file}: ${check.errors.length} problem(s)`, { details: check.errors.map(formatProblem) });
  }
  print(`${file}: valid (${check.script.steps.length} steps, ${check.warnings.length} warning(s))`);
  return 0;
}

export function planCommand(file: string, print: (l: string) => void): number {
  const text = readInput(file, 'script');
  const check = parseScript(file, text);
  if (!check.script) {
    throw new OfficiantError('input.script-invalid', `${file}: ${check.errors.length} problem(s)`, { details: check.errors.map(formatProblem) });
  }
  print(renderPlan(check.script, createHash('sha256').update(text).digest('hex')).trimEnd());
  return 0;
}
