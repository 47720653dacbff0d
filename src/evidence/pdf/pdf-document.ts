// A new pdfkit document as every renderer starts one: page size and margins from step-page.yaml, pages buffered
// so headers and footers can count them, no default font (only the template's three fonts, registered here and
// embedded, never a standard-14 font), PDF 1.7, and the bytes collected once doc.end() is called.
// Each font file is parsed once per process (fontkit, the parser pdfkit itself uses) and the parsed font is
// handed to every document: a ceremony renders a page per step with the same three fonts, and parsing and
// shaping them anew for each page was a third of a rehearsal's time (shaping is remembered across documents:
// shaping-memo.ts). pdfkit only reads the parsed font and makes its own subset per document.
import PDFDocument from 'pdfkit';
import { create as parseFont, type Font } from 'fontkit';
import { withShapingMemo } from './shaping-memo.js';

export type FontRole = 'regular' | 'bold' | 'mono';

/** The names every renderer registers the template's three fonts under. */
export const FONT: Record<FontRole, string> = { regular: 'officiant-sans', bold: 'officiant-sans-bold', mono: 'officiant-mono' };

export interface PdfSetup {
  page: { size: string; margins: { top: number; right: number; bottom: number; left: number } };
  fonts: Record<FontRole, { data: Buffer }>;
}

export function createPdf(setup: PdfSetup, info: PDFKit.DocumentInfo, options: { displayTitle?: boolean } = {}): { doc: PDFKit.PDFDocument; bytes: Promise<Buffer> } {
  const doc = new PDFDocument({
    size: setup.page.size,
    margins: setup.page.margins,
    bufferPages: true,
    autoFirstPage: false,
    font: '',
    pdfVersion: '1.7',
    ...(options.displayTitle ? { displayTitle: true } : {}),
    info,
  });
  const bytes = collect(doc);
  // pdfkit accepts a parsed fontkit font (anything with layout()); its type declarations list only file sources.
  for (const role of ['regular', 'bold', 'mono'] as const) doc.registerFont(FONT[role], parsed(setup.fonts[role].data) as unknown as Buffer);
  return { doc, bytes };
}

const parsedFonts = new WeakMap<Buffer, Font>();

/** The parsed font for these bytes, parsed on first use (page-template.ts hands out one Buffer per font file). */
function parsed(data: Buffer): Font {
  let font = parsedFonts.get(data);
  if (!font) {
    font = withShapingMemo(parseFont(data) as Font);
    parsedFonts.set(data, font);
  }
  return font;
}

/** The bytes of a pdfkit document, once doc.end() has been called. */
export function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolvePromise, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolvePromise(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}
