// The packet's appendix: every certificate and public key the ceremony wrote, each under its title with its
// file and SHA-256, as PEM text on a shaded panel that people can compare or type in.
import { INK, MUTED, PANEL } from '../pdf/palette.js';
import { drawTable } from '../pdf/table.js';
import type { PacketPart } from './packet-part.js';

export function drawAppendix({ w, t, doc }: PacketPart): void {
  const { doc: pdf } = w;
  const a = t.appendix;
  const { body: BODY, small: SMALL } = w.type;
  pdf.y = w.top;
  w.block(a.title, { font: 'bold', size: 15, color: INK });
  pdf.y += 2;
  w.block(a.intro, { font: 'regular', size: SMALL + 0.5, color: MUTED }, { lineGap: 1 });
  if (doc.appendix.length === 0) {
    pdf.y += 10;
    w.block(a.none, { font: 'regular', size: BODY, color: MUTED });
    return;
  }
  for (const item of doc.appendix) {
    const pem = item.pem.replace(/\r\n?/g, '\n').trimEnd();
    const pemOptions = { width: w.width - 2 * 8, lineGap: 0.5 };
    w.style({ font: 'mono', size: 6.5, color: INK });
    const pemHeight = pdf.heightOfString(pem, pemOptions) + 2 * 6;
    const headHeight = 60;
    // An item starts on a new page unless it fits whole where it is; one too long for any page flows on.
    const whole = headHeight + pemHeight;
    if (pdf.y + whole > w.bottom && whole <= w.bottom - w.top) w.newPage();
    else w.ensure(headHeight + 40);
    pdf.y += 14;
    w.block(item.title, { font: 'bold', size: 11, color: INK });
    pdf.y += 2;
    drawTable(
      w,
      [
        { header: '', width: 60, size: SMALL + 0.5, color: MUTED },
        { header: '', width: 0, font: 'mono', size: 8 },
      ],
      [
        [a.file, item.path],
        [a.sha256, item.sha256],
      ],
      { header: false, rules: false },
    );
    pdf.y += 3;
    const top = pdf.y;
    if (top + pemHeight <= w.bottom) pdf.save().rect(w.left, top, w.width, pemHeight).fillColor(PANEL).fill().restore();
    w.style({ font: 'mono', size: 6.5, color: INK });
    pdf.text(pem, w.left + 8, top + 6, pemOptions);
    pdf.y += 6;
  }
}
