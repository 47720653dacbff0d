// officiant validate <script>: every problem at once, one line each, file:line:col path: message (the CLI
// prints the first 50, then how many more).
// officiant plan <script> [--pdf <file>]: the numbered plan as text, and optionally as the printed plan (PDF).
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { OfficiantError } from '../../errors.js';
import { loadPrintedPlanTemplate, renderPrintedPlanDocument } from '../../evidence/render-printed-plan.js';
import { formatProblem } from '../../script/parse.js';
import { renderPlan } from '../../script/plan.js';
import { parseScript } from '../../script/rules.js';
import { readInput, TEMPLATE_DIR, templateReader } from '../compose.js';
import { writeNewFile } from '../write-new-file.js';

export function validateCommand(file: string, print: (l: string) => void): number {
  const check = parseScript(file, readInput(file, 'script'));
  for (const w of check.warnings) print(`warning: ${formatProblem(w)}`);
  if (!check.script) {
    throw new OfficiantError('input.script-invalid', `${file}: ${check.errors.length} problem(s)`, { details: check.errors.map(formatProblem) });
  }
  print(`${file}: valid (${check.script.steps.length} steps, ${check.warnings.length} warning(s))`);
  return 0;
}

export async function planCommand(file: string, print: (l: string) => void, opts: { pdf?: string } = {}): Promise<number> {
  const text = readInput(file, 'script');
  const check = parseScript(file, text);
  if (!check.script) {
    throw new OfficiantError('input.script-invalid', `${file}: ${check.errors.length} problem(s)`, { details: check.errors.map(formatProblem) });
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  // Refused before anything is rendered: a plan people may already have signed is never replaced.
  if (opts.pdf !== undefined && existsSync(opts.pdf)) throw new OfficiantError('input.file-exists', `${opts.pdf} already exists`);
  // ... and where it would go is checked first too: a plan of 160 lines scrolled past before the failure hid it.
  if (opts.pdf !== undefined && !existsSync(dirname(resolve(opts.pdf)))) throw new OfficiantError('input.no-such-directory', `cannot write ${opts.pdf}: no such directory ${dirname(resolve(opts.pdf))}`);
  const printed = opts.pdf === undefined ? undefined : await renderPrintedPlanDocument(check.script, sha256, { template: await loadPrintedPlanTemplate(TEMPLATE_DIR, templateReader) });
  print(renderPlan(check.script, sha256).trimEnd());
  if (opts.pdf !== undefined && printed) {
    writeNewFile(opts.pdf, printed.pdf);
    print(`wrote ${opts.pdf} (${printed.pages} pages, SHA-256 of the script ${sha256})`);
  }
  return 0;
}

