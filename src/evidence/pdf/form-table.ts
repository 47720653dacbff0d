// Forms on the printed plan: a bordered table with a shaded header row, repeated on every page the rows flow
// onto, ruled cells people write in by hand, and rows that never split. A row's cells are painted by the
// renderer (a role title, checkboxes) or left blank for handwriting.
import { INK, MUTED, PANEL } from './palette.js';
import type { PageWriter, Style } from './page-writer.js';
import { columnWidths } from './table-layout.js';

export const FORM_PAD = 4;

/** Paints one cell of a form row inside its rectangle. */
export type CellPainter = (x: number, y: number, width: number, height: number) => void;

export interface FormColumn {
  header: string;
  /** 0: shares what the other columns leave. */
  width: number;
}

export interface FormRow {
  height: number;
  cells: Array<CellPainter | undefined>;
}

export function formColumnWidths(w: PageWriter, columns: FormColumn[]): number[] {
  return columnWidths(
    columns.map((c) => c.width),
    w.width,
    50,
  );
}

function headerStyle(w: PageWriter): Style {
  return { font: 'bold', size: w.type.tiny + 0.5, color: MUTED };
}

export function formHeaderHeight(w: PageWriter, columns: FormColumn[], widths: number[]): number {
  const s = headerStyle(w);
  return Math.ceil(Math.max(...columns.map((c, i) => w.measure(c.header, s, widths[i] - 2 * FORM_PAD))) + 2 * FORM_PAD);
}

export function drawFormTable(w: PageWriter, columns: FormColumn[], rows: FormRow[]): void {
  const widths = formColumnWidths(w, columns);
  const headerHeight = formHeaderHeight(w, columns, widths);
  const xs = widths.reduce<number[]>((acc, width) => [...acc, acc[acc.length - 1] + width], [w.left]);
  const drawHeader = () => {
    const y = w.doc.y;
    w.rect(w.left, y, w.width, headerHeight, { fill: PANEL, stroke: INK, lineWidth: 0.8 });
    columns.forEach((c, i) => {
      w.put(c.header, headerStyle(w), xs[i] + FORM_PAD, y + FORM_PAD, widths[i] - 2 * FORM_PAD);
      if (i > 0) w.line(xs[i], y, xs[i], y + headerHeight, INK, 0.5);
    });
    w.doc.y = y + headerHeight;
  };
  w.ensure(headerHeight + (rows[0]?.height ?? 0));
  drawHeader();
  for (const row of rows) {
    if (w.doc.y + row.height > w.bottom) {
      w.newPage();
      drawHeader();
    }
    const y = w.doc.y;
    w.rect(w.left, y, w.width, row.height, { stroke: INK, lineWidth: 0.8 });
    for (let i = 1; i < columns.length; i++) w.line(xs[i], y, xs[i], y + row.height, INK, 0.5);
    row.cells.forEach((paint, i) => paint?.(xs[i], y, widths[i], row.height));
    w.doc.y = y + row.height;
  }
}
