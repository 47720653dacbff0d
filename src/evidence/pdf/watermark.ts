// The rehearsal watermark: a large pale word across each page's diagonal, drawn first on every page so all else
// sits on top of it. Only a rehearsal's documents carry it (the renderer decides; see watermarkPages), so
// rehearsal evidence cannot pass for production evidence when printed or opened.
import { FONT } from './pdf-document.js';
import { WATERMARK } from './palette.js';
import type { PageWriter } from './page-writer.js';

/** From now on every new page starts with `text` as its watermark; nothing when `text` is undefined. */
export function watermarkPages(w: PageWriter, text: string | undefined): void {
  if (text === undefined) return;
  w.doc.on('pageAdded', () => drawWatermark(w, text));
}

/**
 * Angle (degrees, counter-clockwise) and font size for a watermark along the page diagonal: three quarters of
 * the diagonal long, never larger than 160 pt. `widthAt100` is the text's width at 100 pt.
 */
export function watermarkFit(pageWidth: number, pageHeight: number, widthAt100: number): { angle: number; size: number } {
  return {
    angle: (Math.atan2(pageHeight, pageWidth) * 180) / Math.PI,
    size: Math.min(160, (100 * 0.75 * Math.hypot(pageWidth, pageHeight)) / widthAt100),
  };
}

function drawWatermark(w: PageWriter, text: string): void {
  const { doc } = w;
  const { x, y } = doc;
  const pageWidth = doc.page.width;
  const pageHeight = doc.page.height;
  doc.font(FONT.bold).fontSize(100);
  const { angle, size } = watermarkFit(pageWidth, pageHeight, doc.widthOfString(text));
  doc.fontSize(size);
  const textWidth = doc.widthOfString(text);
  const textHeight = doc.currentLineHeight();
  doc.save();
  doc.rotate(-angle, { origin: [pageWidth / 2, pageHeight / 2] });
  doc.fillColor(WATERMARK).text(text, (pageWidth - textWidth) / 2, (pageHeight - textHeight) / 2, { lineBreak: false });
  doc.restore();
  doc.x = x;
  doc.y = y;
  w.style({});
}
