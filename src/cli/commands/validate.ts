// officiant validate <script>: every problem at once, one line each, file:line:col path: message.
// officiant plan <script> [--pdf <file>]: the numbered plan as text, and optionally as the printed plan (PDF).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { renderPrintedPlanDocument } from '../../evidence/render-printed-plan.js';
import { formatProblem } from '../../script/parse.js';
import { renderPlan } from '../../script/plan.js';
import { parseScript } from '../../script/rules.js';
import { readInput, TEMPLATE_DIR } from '../compose.js';

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
  const printed = opts.pdf === undefined ? undefined : await renderPrintedPlanDocument(check.script, sha256, { templateDir: TEMPLATE_DIR });
  print(renderPlan(check.script, sha256).trimEnd());
  if (opts.pdf !== undefined && printed) {
    writeNewFile(opts.pdf, printed.pdf);
    print(`wrote ${opts.pdf} (${printed.pages} pages, SHA-256 of the script ${sha256})`);
  }
  return 0;
}

/**
 * Writes `bytes` to `path`, which must not exist: a temp file beside it, fsync'd, then linked into place (so
 * the file appears whole or not at all, and a file created meanwhile is refused rather than replaced).
 */
function writeNewFile(path: string, bytes: Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let linked = false;
    try {
      linkSync(tmp, path);
      linked = true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new OfficiantError('input.file-exists', `${path} already exists`);
      // File systems without hard links: a rename, after the existence check the caller made.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      renameSync(tmp, path);
    }
    if (linked) unlinkSync(tmp);
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    if (err instanceof OfficiantError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    throw new OfficiantError(code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'env.permission' : 'env.fs', `cannot write ${path}: ${code}`, { cause: err });
  }
}
