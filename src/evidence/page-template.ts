// The fixed texts and layout of a step's evidence page, read from <templateDir>/step-page.yaml so an organisation
// can change wording without touching src/. loadPageTemplate validates the file (strict: every key required,
// unknown keys refused, texts may use only their own {placeholders}) and the three fonts it names, which must be
// TrueType/OpenType files because they are embedded for archival. Files arrive through a TemplateReader; this
// module touches no file system. Any problem throws an OfficiantError 'env.fs' whose message names the file and
// the YAML path, with every problem in `details`.
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Problem } from '../script/parse.js';
import type { FontRole } from './pdf/pdf-document.js';
import type { TemplateReader } from './template-reader.js';
import { describeReadError, invalid, readTemplateFile, text } from './template-text.js';

export type { FontRole } from './pdf/pdf-document.js';

export const PAGE_TEMPLATE_FILE = 'step-page.yaml';

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

export interface PageFont {
  /** Absolute path of the font file. */
  file: string;
  data: Buffer;
}

export type PageTemplate = Omit<z.output<typeof PageTemplateSchema>, 'fonts'> & { fonts: Record<FontRole, PageFont> };

// Fonts are read once per reader: a ceremony renders a page per step with the same three fonts.
const fontCache = new WeakMap<TemplateReader, Map<string, Buffer>>();

export async function loadPageTemplate(templateDir: string, reader: TemplateReader): Promise<PageTemplate> {
  const file = join(templateDir, PAGE_TEMPLATE_FILE);
  const parsed = await readTemplateFile(reader, file, PageTemplateSchema);

  const fonts = {} as Record<FontRole, PageFont>;
  const problems: Problem[] = [];
  for (const role of ['regular', 'bold', 'mono'] as const) {
    const fontFile = isAbsolute(parsed.value.fonts[role]) ? parsed.value.fonts[role] : resolve(templateDir, parsed.value.fonts[role]);
    const font = await readFont(reader, fontFile);
    if (typeof font === 'string') problems.push(parsed.source.problem(['fonts', role], `${fontFile}: ${font}`));
    else fonts[role] = { file: fontFile, data: font };
  }
  if (problems.length > 0) throw invalid(file, problems);
  return { ...parsed.value, fonts };
}

/** The font's bytes, or why they cannot be embedded. */
async function readFont(reader: TemplateReader, file: string): Promise<Buffer | string> {
  const cache = fontCache.get(reader) ?? new Map<string, Buffer>();
  fontCache.set(reader, cache);
  const cached = cache.get(file);
  if (cached) return cached;
  let data: Buffer;
  try {
    data = await reader.read(file);
  } catch (err) {
    return describeReadError(err);
  }
  if (!isEmbeddableFont(data)) return 'not a TrueType or OpenType font';
  cache.set(file, data);
  return data;
}

/** TrueType (00 01 00 00 or 'true') or OpenType ('OTTO'): the outlines pdfkit embeds. */
export function isEmbeddableFont(data: Buffer): boolean {
  const magic = data.subarray(0, 4).toString('latin1');
  return magic === '\x00\x01\x00\x00' || magic === 'true' || magic === 'OTTO';
}
