// A new pdfkit document as every renderer starts one: page size and margins from step-page.yaml, pages buffered
// so headers and footers can count them, no default font (only the template's three fonts, registered here and
// embedded, never a standard-14 font), PDF 1.7, and the bytes collected once doc.end() is called.
import PDFDocument from 'pdfkit';

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
  for (const role of ['regular', 'bold', 'mono'] as const) doc.registerFont(FONT[role], setup.fonts[role].data);
  return { doc, bytes };
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
