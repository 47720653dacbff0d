// The rehearsal watermark: its size and angle along the page diagonal, and that it is drawn on every page of a
// rehearsal document and on no page otherwise. A real pdfkit document, with standard fonts standing in for
// the template's (registered under the same names), counts the rotations it draws.
import PDFDocument from 'pdfkit';
import { describe, expect, it, vi } from 'vitest';
import { PageWriter } from '../../../../src/evidence/pdf/page-writer.js';
import { FONT } from '../../../../src/evidence/pdf/pdf-document.js';
import { EVIDENCE_TYPE } from '../../../../src/evidence/pdf/palette.js';
import { watermarkFit, watermarkPages } from '../../../../src/evidence/pdf/watermark.js';

describe('watermarkFit', () => {
  const a4 = { w: 595.28, h: 841.89 };
  it.each([
    // three quarters of the diagonal (1031.1 pt on A4) for a text 600 pt wide at 100 pt
    { name: 'A4, long text', w: a4.w, h: a4.h, widthAt100: 600, size: (75 * Math.hypot(a4.w, a4.h)) / 600 },
    { name: 'A4, short text capped at 160 pt', w: a4.w, h: a4.h, widthAt100: 100, size: 160 },
    { name: 'Letter', w: 612, h: 792, widthAt100: 600, size: (75 * Math.hypot(612, 792)) / 600 },
  ])('$name', ({ w, h, widthAt100, size }) => {
    const fit = watermarkFit(w, h, widthAt100);
    expect(fit.size).toBeCloseTo(size, 6);
    expect(fit.angle).toBeCloseTo((Math.atan2(h, w) * 180) / Math.PI, 6);
    expect(fit.angle).toBeGreaterThan(45);
  });
});

describe('watermarkPages', () => {
  it.each([
    { rehearsal: true, rotations: 3 },
    { rehearsal: false, rotations: 0 },
  ])('rehearsal=$rehearsal: $rotations watermarks on 3 pages', ({ rehearsal, rotations }) => {
    const doc = new PDFDocument({ autoFirstPage: false, bufferPages: true });
    doc.registerFont(FONT.regular, 'Helvetica');
    doc.registerFont(FONT.bold, 'Helvetica-Bold');
    doc.registerFont(FONT.mono, 'Courier');
    const rotate = vi.spyOn(doc, 'rotate');
    const w = new PageWriter(doc, EVIDENCE_TYPE);
    watermarkPages(w, rehearsal ? 'REHEARSAL' : undefined);
    for (let i = 0; i < 3; i++) w.newPage();
    expect(rotate).toHaveBeenCalledTimes(rotations);
    doc.end();
  });
});
