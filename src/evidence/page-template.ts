// The fixed texts and layout of a step's evidence page, read from <templateDir>/step-page.yaml so an organisation
// can change wording without touching src/. loadPageTemplate reads and validates the file (strict: every key
// required, unknown keys refused, texts may use only their own {placeholders}) and reads the three fonts it
// names, which must be TrueType/OpenType files because they are embedded for archival. Any problem throws an
// OfficiantError 'env.fs' whose message names the file and the YAML path, with every problem in `details`.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { OfficiantError } from '../errors.js';
import { formatProblem, parseWithSchema, type Problem, type YamlSource } from '../script/parse.js';

export const PAGE_TEMPLATE_FILE = 'step-page.yaml';

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

const points = z.number().min(0).max(200);

const PageTemplateSchema = z
  .object({
    page: z
      .object({
        size: z.enum(['A4', 'A3', 'LETTER', 'LEGAL']),
        margins: z.object({ top: points, right: points, bottom: points.min(48), left: points }).strict(),
      })
      .strict(),
    fonts: z.object({ regular: z.string().min(1), bold: z.string().min(1), mono: z.string().min(1) }).strict(),
    watermark: z.object({ text: text(), banner: text() }).strict(),
    labels: z
      .object({
        document: text(),
        ceremony: text(),
        version: text(),
        authority: text(),
        ceremonyRun: text(),
        step: text('number', 'total', 'title'),
        continued: text('number', 'total', 'title'),
        stepId: text(),
        kind: text(),
        instructions: text(),
        people: text(),
        part: text(),
        name: text(),
        role: text(),
        performedBy: text(),
        witnessedBy: text(),
        signedOffBy: text(),
        timing: text(),
        startedAt: text(),
        endedAt: text(),
        duration: text(),
        outcome: text(),
        outcomes: z.object({ completed: text(), failed: text(), aborted: text() }).strict(),
        token: text(),
        tokenLabel: text(),
        manufacturer: text(),
        model: text(),
        serial: text(),
        firmwareVersion: text(),
        hardwareVersion: text(),
        results: text(),
        label: text(),
        value: text(),
        outputs: text(),
        file: text(),
        sha256: text(),
        size: text(),
        deviations: text(),
        time: text(),
        by: text(),
        reason: text(),
        journal: text(),
        seq: text(),
        type: text(),
        actor: text(),
        summary: text(),
        hash: text(),
        none: text(),
        scriptSha256: text(),
        chain: text(),
        previousPage: text(),
        firstPage: text(),
        signedBy: text(),
        unsigned: text(),
        signatureNote: text(),
      })
      .strict(),
    footer: z
      .object({
        legal: text(),
        run: text('ceremony', 'version', 'run', 'number', 'total', 'step'),
        page: text('page', 'pages'),
      })
      .strict(),
  })
  .strict();

export type FontRole = 'regular' | 'bold' | 'mono';

export interface PageFont {
  /** Absolute path of the font file. */
  file: string;
  data: Buffer;
}

export type PageTemplate = Omit<z.output<typeof PageTemplateSchema>, 'fonts'> & { fonts: Record<FontRole, PageFont> };

const fontCache = new Map<string, Buffer>();

/** Reads and validates one template file; a missing file or any problem is one OfficiantError 'env.fs'. */
export async function readTemplateFile<S extends z.ZodType>(file: string, schema: S): Promise<{ value: z.output<S>; source: YamlSource }> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new OfficiantError('env.fs', `${file}: ${describeFsError(err)}`, { cause: err });
  }
  const parsed = parseWithSchema(file, source, schema);
  if (!parsed.value) throw invalid(file, parsed.errors);
  return { value: parsed.value, source: parsed.source };
}

/** The names every renderer registers the template's three fonts under. */
export const FONT: Record<FontRole, string> = { regular: 'officiant-sans', bold: 'officiant-sans-bold', mono: 'officiant-mono' };

/** The bytes of a pdfkit document, once doc.end() has been called. */
export function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolvePromise, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolvePromise(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

export async function loadPageTemplate(templateDir: string): Promise<PageTemplate> {
  const file = join(templateDir, PAGE_TEMPLATE_FILE);
  const parsed = await readTemplateFile(file, PageTemplateSchema);

  const fonts = {} as Record<FontRole, PageFont>;
  const problems: Problem[] = [];
  for (const role of ['regular', 'bold', 'mono'] as const) {
    const fontFile = isAbsolute(parsed.value.fonts[role]) ? parsed.value.fonts[role] : resolve(templateDir, parsed.value.fonts[role]);
    const font = await readFont(fontFile);
    if (typeof font === 'string') problems.push(parsed.source.problem(['fonts', role], `${fontFile}: ${font}`));
    else fonts[role] = { file: fontFile, data: font };
  }
  if (problems.length > 0) throw invalid(file, problems);
  return { ...parsed.value, fonts };
}

/** The font's bytes, or why they cannot be embedded. */
async function readFont(file: string): Promise<Buffer | string> {
  const cached = fontCache.get(file);
  if (cached) return cached;
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    return describeFsError(err);
  }
  const magic = data.subarray(0, 4).toString('latin1');
  if (magic !== '\x00\x01\x00\x00' && magic !== 'true' && magic !== 'OTTO') return 'not a TrueType or OpenType font';
  fontCache.set(file, data);
  return data;
}

/** One error for a bad template file: its first problem in the message, all of them in the details. */
export function invalid(file: string, problems: readonly Problem[]): OfficiantError {
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new OfficiantError('env.fs', `${file}: ${first.path}: ${first.message}${more}`, { details: problems.map(formatProblem) });
}

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot read${code ? ` (${code})` : ''}`;
}
