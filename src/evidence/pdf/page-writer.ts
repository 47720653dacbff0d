// The one page writer under the step page, the packet and the printed plan: the area inside the margins, the
// current text style, measuring and placing text, rules, lines and boxes, moving to a new page when a block
// would not fit, and a last pass over every buffered page for running headers and footers. It knows nothing of
// what a page says; the renderers do.
import { FONT, type FontRole } from './pdf-document.js';
import { INK, RULE, type TypeScale } from './palette.js';
import type { TextMetrics } from './table-layout.js';

export interface Style {
  font: FontRole;
  size: number;
  color: string;
}

/** How a renderer titles its sections: space above, size, and how much must fit below the title on its page. */
export interface SectionLook {
  space: number;
  size: number;
  keepWithNext: number;
}

/** One page of the finished document, as the decorating pass sees it. */
export interface FinishedPage {
  /** 0-based. */
  index: number;
  count: number;
  /** The page's bottom margin; the footer is drawn inside it. */
  bottomMargin: number;
}

export class PageWriter implements TextMetrics {
  private current: Style;
  /**
   * A section title not yet drawn: it is drawn by the next block, text or fit check, together with what
   * follows it (a table's header and first row, a paragraph's first lines), so a title never ends a page alone.
   */
  private pendingTitle?: { title: string; look: SectionLook };

  constructor(
    readonly doc: PDFKit.PDFDocument,
    readonly type: TypeScale,
  ) {
    this.current = { font: 'regular', size: type.body, color: INK };
  }

  get left(): number {
    return this.doc.page.margins.left;
  }

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  get top(): number {
    return this.doc.page.margins.top;
  }

  get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** Sets the given parts of the style, keeping the rest; `style({})` restores it after measuring in other fonts. */
  style(s: Partial<Style>): void {
    this.current = { ...this.current, ...s };
    this.doc.font(FONT[this.current.font]).fontSize(this.current.size).fillColor(this.current.color);
  }

  /** Height of `value` in style `s` wrapped at `width`. */
  measure(value: string, s: Style, width: number, lineGap = 1): number {
    this.style(s);
    return this.doc.heightOfString(value, { width, lineGap });
  }

  /** Draws `value` at (x, y) wrapped at `width`; returns the y below it. */
  put(value: string, s: Style, x: number, y: number, width: number, options: PDFKit.Mixins.TextOptions = {}): number {
    if (this.pendingTitle) {
      // Text placed at the current position goes below the title drawn first.
      const wasAt = this.doc.y;
      this.flushTitle(0);
      if (y === wasAt) y = this.doc.y;
    }
    this.style(s);
    this.doc.text(value, x, y, { width, lineGap: 1, ...options });
    const below = this.doc.y;
    this.doc.x = this.left;
    return below;
  }

  /** Text across the full width at the current position, flowing onto new pages. */
  block(value: string, s: Partial<Style>, options: PDFKit.Mixins.TextOptions = {}): void {
    this.flushTitle(0);
    this.style(s);
    this.doc.text(value, this.left, this.doc.y, { width: this.width, ...options });
  }

  /** A section title, drawn with what follows it (see pendingTitle). */
  section(title: string, look: SectionLook): void {
    this.flushTitle(0);
    this.pendingTitle = { title, look };
  }

  private flushTitle(following: number): void {
    const pending = this.pendingTitle;
    if (!pending) return;
    this.pendingTitle = undefined;
    const { title, look } = pending;
    const titleHeight = this.measure(title, { font: 'bold', size: look.size, color: INK }, this.width);
    this.ensure(look.space + titleHeight + 2 + Math.max(following, look.keepWithNext));
    this.doc.y += look.space;
    this.block(title, { font: 'bold', size: look.size, color: INK });
    this.doc.y += 2;
  }

  /** A new page unless `height` still fits below the current position (a pending section title with it). */
  ensure(height: number): void {
    if (this.pendingTitle) return this.flushTitle(height);
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  line(x1: number, y1: number, x2: number, y2: number, color = INK, lineWidth = 0.5): void {
    this.doc.save().moveTo(x1, y1).lineTo(x2, y2).lineWidth(lineWidth).strokeColor(color).stroke().restore();
  }

  /** A horizontal rule across the full width. */
  rule(y: number, color = RULE, lineWidth = 0.5): void {
    this.line(this.left, y, this.left + this.width, y, color, lineWidth);
  }

  rect(x: number, y: number, w: number, h: number, options: { stroke?: string; fill?: string; lineWidth?: number } = {}): void {
    const { doc } = this;
    doc.save().rect(x, y, w, h).lineWidth(options.lineWidth ?? 0.6);
    if (options.fill && options.stroke) doc.fillColor(options.fill).strokeColor(options.stroke).fillAndStroke();
    else if (options.fill) doc.fillColor(options.fill).fill();
    else doc.strokeColor(options.stroke ?? INK).stroke();
    doc.restore();
  }

  widthOf(value: string, font: FontRole, size: number): number {
    this.doc.font(FONT[font]).fontSize(size);
    return this.doc.widthOfString(value);
  }

  heightOf(value: string, font: FontRole, size: number, width: number, lineGap: number): number {
    this.doc.font(FONT[font]).fontSize(size);
    return this.doc.heightOfString(value, { width, lineGap });
  }

  lineHeight(font: FontRole, size: number): number {
    this.doc.font(FONT[font]).fontSize(size);
    return this.doc.currentLineHeight(true);
  }

  /**
   * Calls `draw` on every buffered page with the bottom margin lifted, so drawing a footer below it does not
   * make pdfkit start a new page; ends on the last page. Returns the number of pages.
   */
  eachPage(draw: (page: FinishedPage) => void): number {
    this.flushTitle(0);
    const { doc } = this;
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const margins = doc.page.margins;
      const bottomMargin = margins.bottom;
      margins.bottom = 0;
      draw({ index: i - range.start, count: range.count, bottomMargin });
      margins.bottom = bottomMargin;
    }
    doc.switchToPage(range.start + range.count - 1);
    return range.count;
  }
}
