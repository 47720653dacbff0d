// Tables on the step page and the packet: a bold header row (repeated on every page the table flows onto),
// rows that never split across pages (see placeRow), hairlines between rows, and label/value grids without a
// header. Column width 0 takes what the others leave.
import { HAIRLINE, INK, MUTED, RULE } from './palette.js';
import type { PageWriter } from './page-writer.js';
import { CELL_LINE_GAP, CELL_PAD_X, CELL_PAD_Y, baselineShifts, columnWidths, fitColumnWidth, placeRow, rowHeight, spanHeight, spansOf, type Cell, type Column, type Span } from './table-layout.js';
import type { FontRole } from './pdf-document.js';

export type { Cell, Column, Span } from './table-layout.js';

export interface TableOptions {
  /** A header row from the column headers (default true). */
  header?: boolean;
  /** Hairlines between rows (default true). */
  rules?: boolean;
  /** First baselines of a row's cells on one line when their sizes differ (the step page does). */
  alignBaselines?: boolean;
}

export function drawTable(w: PageWriter, columns: Column[], rows: Cell[][], options: TableOptions = {}): void {
  const header = options.header ?? true;
  const rules = options.rules ?? true;
  const align = options.alignBaselines ?? false;
  const widths = columnWidths(
    columns.map((c) => c.width),
    w.width,
    40,
  );
  const spans = (row: Cell[]) => row.map((cell, i) => spansOf(columns[i], cell, { size: w.type.body, color: INK }));
  const measure = (row: Cell[]) => {
    const height = rowHeight(w, widths, spans(row), align);
    w.style({});
    return height;
  };
  const headerRow: Cell[] = columns.map((c) => ({ text: c.header, font: 'bold', size: w.type.small, color: MUTED }));
  const headerHeight = header ? measure(headerRow) : 0;
  const fullPage = w.bottom - w.top - headerHeight;

  const drawHeader = () => {
    if (!header) return;
    drawRow(w, columns, widths, spans(headerRow), headerHeight, align);
    w.rule(w.doc.y, RULE);
  };

  const first = rows.length > 0 ? measure(rows[0]) : 0;
  w.ensure(headerHeight + (first > fullPage ? 3 * w.type.body : first));
  drawHeader();
  for (const row of rows) {
    const height = measure(row);
    const placement = placeRow(w.doc.y, height, w.bottom, fullPage);
    if (placement === 'next-page') {
      w.newPage();
      drawHeader();
    }
    if (placement === 'stacked') {
      drawStacked(w, spans(row));
      continue;
    }
    drawRow(w, columns, widths, spans(row), height, align);
    if (rules) w.rule(w.doc.y, HAIRLINE, 0.4);
  }
}

/** Label/value pairs side by side, two to a row, without a header row. */
export function drawGrid(w: PageWriter, rows: Cell[][], options: { alignBaselines?: boolean } = {}): void {
  const half = w.width / 2;
  const label = { width: 78, size: w.type.small + 0.5, color: MUTED };
  drawTable(w, [{ header: '', ...label }, { header: '', width: half - 78 }, { header: '', ...label }, { header: '', width: 0 }], rows, {
    header: false,
    rules: false,
    alignBaselines: options.alignBaselines,
  });
}

/** A column width fitted to `texts` and `header` (see fitColumnWidth). */
export function fitColumn(w: PageWriter, font: FontRole, size: number, texts: string[], cap: number, header = ''): number {
  const width = fitColumnWidth(w, { font, size, texts, cap, header, headerSize: w.type.small });
  w.style({});
  return width;
}

function drawRow(w: PageWriter, columns: Column[], widths: number[], cells: Array<Array<Required<Span>>>, height: number, align: boolean): void {
  const y = w.doc.y;
  const shifts = baselineShifts(cells, align);
  let x = w.left;
  cells.forEach((spans, i) => {
    let cy = y + CELL_PAD_Y + shifts[i];
    for (const span of spans) {
      w.style({ font: span.font, size: span.size, color: span.color });
      if (span.text !== '') w.doc.text(span.text, x + CELL_PAD_X, cy, { width: widths[i] - 2 * CELL_PAD_X, lineGap: CELL_LINE_GAP, align: columns[i].align ?? 'left' });
      cy += spanHeight(w, span, widths[i]);
    }
    x += widths[i];
  });
  w.doc.x = w.left;
  w.doc.y = y + height;
}

/** A row too tall for any page: its cells one under the other, flowing across pages. */
function drawStacked(w: PageWriter, cells: Array<Array<Required<Span>>>): void {
  for (const spans of cells) {
    for (const span of spans) {
      w.style({ font: span.font, size: span.size, color: span.color });
      w.doc.text(span.text === '' ? ' ' : span.text, w.left + CELL_PAD_X, w.doc.y + CELL_PAD_Y, { width: w.width - 2 * CELL_PAD_X, lineGap: CELL_LINE_GAP });
    }
  }
  w.doc.y += CELL_PAD_Y;
  w.rule(w.doc.y, HAIRLINE, 0.4);
}
