// What every page carries outside its margins: a running header above the top margin (a title cut to fit, and
// an aside at the right: the rehearsal banner or the plan's id) and the footer inside the bottom margin, the
// same on the step page, the packet and the printed plan: "page X of Y" at the right, the script SHA-256, one
// line naming the document, and the legal text.
import { ALERT, HAIRLINE, INK, MUTED } from './palette.js';
import type { FinishedPage, PageWriter } from './page-writer.js';

export interface RunningHeader {
  /** At the left, cut with an ellipsis; a hairline runs under it. */
  title?: string;
  /**
   * At the right. A banner (bold, alert colour) is drawn after the title and leaves the title 62% of the
   * width; a plain aside is drawn first and leaves the title what it does not take, 12 pt apart.
   */
  aside?: { text: string; banner: boolean };
}

export function drawRunningHeader(w: PageWriter, header: RunningHeader): void {
  const { doc } = w;
  const y = Math.max(8, w.top - 26);
  const small = w.type.small;
  let titleWidth = w.width;
  const aside = header.aside;
  if (aside && !aside.banner) {
    w.style({ font: 'regular', size: small, color: MUTED });
    titleWidth = w.width - doc.widthOfString(aside.text) - 12;
    doc.text(aside.text, w.left, y, { width: w.width, align: 'right', lineBreak: false });
  } else if (aside) titleWidth = w.width * 0.62;
  if (header.title !== undefined) {
    w.style({ font: 'regular', size: small, color: MUTED });
    doc.text(header.title, w.left, y, { width: titleWidth, height: doc.currentLineHeight(), ellipsis: true });
  }
  if (aside?.banner) {
    w.style({ font: 'bold', size: small, color: ALERT });
    doc.text(aside.text, w.left, y, { width: w.width, align: 'right', lineBreak: false });
  }
  if (header.title !== undefined) w.rule(y + 12, HAIRLINE);
}

export interface Footer {
  /** "page X of Y", filled in. */
  pageLabel: string;
  scriptSha256Label: string;
  scriptSha256: string;
  /** One line naming the ceremony, run or plan. */
  line: string;
  legal: string;
}

export function drawFooter(w: PageWriter, page: FinishedPage, footer: Footer): void {
  const { doc } = w;
  const tiny = w.type.tiny;
  const y = doc.page.height - page.bottomMargin + 10;
  w.rule(y - 5);
  w.style({ font: 'bold', size: w.type.small, color: INK });
  const pageWidth = doc.widthOfString(footer.pageLabel);
  doc.text(footer.pageLabel, w.left, y, { width: w.width, align: 'right', lineBreak: false });
  w.style({ font: 'regular', size: tiny, color: MUTED });
  const label = `${footer.scriptSha256Label} `;
  const labelWidth = doc.widthOfString(label);
  doc.text(label, w.left, y, { lineBreak: false });
  w.style({ font: 'mono', size: tiny, color: INK });
  doc.text(footer.scriptSha256, w.left + labelWidth, y, { width: w.width - labelWidth - pageWidth - 8, height: doc.currentLineHeight(), ellipsis: true });
  w.style({ font: 'regular', size: tiny, color: MUTED });
  doc.text(footer.line, w.left, y + 10, { width: w.width, height: doc.currentLineHeight(), ellipsis: true });
  const legalHeight = doc.page.height - (y + 20) - 8;
  doc.text(footer.legal, w.left, y + 20, { width: w.width, height: Math.max(legalHeight, doc.currentLineHeight(true)), ellipsis: true, lineGap: 0.5 });
}
