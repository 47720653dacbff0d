// What every template file (step-page.yaml, packet.yaml, printed-plan.yaml) shares: texts that may use only
// their own {placeholders}, reading and validating one file through a TemplateReader, and the one error a bad
// template gives: OfficiantError 'env.fs' whose message names the file and the YAML path of its first
// problem, with every problem in `details`.
import { z } from 'zod';
import { OfficiantError } from '../errors.js';
import { formatProblem, parseWithSchema, type Problem, type YamlSource } from '../script/parse.js';
import type { TemplateReader } from './template-reader.js';

/** A template text that may use only the given {placeholders}. */
export function text(...placeholders: string[]) {
  const allowed = new Set(placeholders);
  const shown = placeholders.length === 0 ? 'none' : placeholders.map((p) => `{${p}}`).join(', ');
  return z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      for (const m of value.matchAll(/\{([^{}]*)\}/g)) {
        if (!allowed.has(m[1])) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${m[1]}}; allowed: ${shown}` });
      }
    });
}

/** Reads and validates one template file; a missing file or any problem is one OfficiantError 'env.fs'. */
export async function readTemplateFile<S extends z.ZodType>(reader: TemplateReader, file: string, schema: S): Promise<{ value: z.output<S>; source: YamlSource }> {
  let source: string;
  try {
    source = (await reader.read(file)).toString('utf8');
  } catch (err) {
    throw new OfficiantError('env.fs', `${file}: ${describeReadError(err)}`, { cause: err });
  }
  const parsed = parseWithSchema(file, source, schema);
  if (!parsed.value) throw invalid(file, parsed.errors);
  return { value: parsed.value, source: parsed.source };
}

/** One error for a bad template file: its first problem in the message, all of them in the details. */
export function invalid(file: string, problems: readonly Problem[]): OfficiantError {
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new OfficiantError('env.fs', `${file}: ${first.path}: ${first.message}${more}`, { details: problems.map(formatProblem) });
}

/** Why a file could not be read, from the error code a TemplateReader rejects with. */
export function describeReadError(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot read${typeof code === 'string' && code !== '' ? ` (${code})` : ''}`;
}
