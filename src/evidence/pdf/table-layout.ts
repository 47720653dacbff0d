// The arithmetic of a table, apart from drawing: column widths (fixed, fitted to their texts, or sharing what is
// left), how tall a row is once its cells wrap, and where a row goes when the page is nearly full. Text is
// measured through TextMetrics (the page writer in a renderer, a fake in tests), so this module is pure.
import type { FontRole } from './pdf-document.js';

export const CELL_PAD_X = 3;
export const CELL_PAD_Y = 2.5;
export const CELL_LINE_GAP = 1;
/** Ascent per point of size, to put the first baselines of a row's cells on one line. */
export const ASCENT = 0.93;

export interface TextMetrics {
  widthOf(text: string, font: FontRole, size: number): number;
  heightOf(text: string, font: FontRole, size: number, width: number, lineGap: number): number;
  /** Height of one line, with its line gap. */
  lineHeight(font: FontRole, size: number): number;
}

/** One line or paragraph inside a table cell; a cell stacks its spans top to bottom. */
export interface Span {
  text: string;
  font?: FontRole;
  size?: number;
  color?: string;
}

export type Cell = string | Span | Span[];

export interface Column {
  header: string;
  /** 0: shares what the other columns leave. */
  width: number;
  font?: FontRole;
  size?: number;
  color?: string;
  align?: 'left' | 'right';
}

/** Fixed widths as given; every 0 gets an equal share of what is left, but at least `minFlexible`. */
export function columnWidths(widths: readonly number[], available: number, minFlexible: number): number[] {
  const fixed = widths.reduce((sum, w) => sum + w, 0);
  const flexible = widths.filter((w) => w === 0).length;
  return widths.map((w) => (w === 0 ? Math.max(minFlexible, (available - fixed) / Math.max(1, flexible)) : w));
}

/**
 * Width of a column fitted to its widest text (in `font` at `size`) and its header (bold at `headerSize`: on
 * one line if that fits within `cap`, else its longest word), with the cell padding, at most `cap`.
 */
export function fitColumnWidth(m: TextMetrics, c: { font: FontRole; size: number; texts: readonly string[]; cap: number; header?: string; headerSize: number }): number {
  const header = c.header ?? '';
  let widest = Math.max(0, ...c.texts.map((t) => m.widthOf(t, c.font, c.size)));
  const whole = m.widthOf(header, 'bold', c.headerSize);
  const longestWord = Math.max(...header.split(/\s+/).map((word) => m.widthOf(word, 'bold', c.headerSize)));
  widest = Math.max(widest, whole + 2 * CELL_PAD_X + 1 <= c.cap ? whole : longestWord);
  return Math.min(c.cap, Math.ceil(widest + 2 * CELL_PAD_X + 1));
}

/** A cell's spans with the column's font, size and colour wherever the span gives none. */
export function spansOf(column: Column, cell: Cell, defaults: { size: number; color: string }): Array<Required<Span>> {
  const list = typeof cell === 'string' ? [{ text: cell }] : Array.isArray(cell) ? cell : [cell];
  return list.map((s) => ({ text: s.text, font: s.font ?? column.font ?? 'regular', size: s.size ?? column.size ?? defaults.size, color: s.color ?? column.color ?? defaults.color }));
}

/**
 * How far each cell's first line is moved down: with `alignBaselines`, cells set smaller than the row's
 * largest size move down so their first baselines meet; without, none moves.
 */
export function baselineShifts(cells: ReadonlyArray<ReadonlyArray<Required<Span>>>, alignBaselines: boolean): number[] {
  if (!alignBaselines) return cells.map(() => 0);
  const largest = Math.max(...cells.map((spans) => spans[0]?.size ?? 0));
  return cells.map((spans) => ASCENT * (largest - (spans[0]?.size ?? largest)));
}

/** Height of one span in a cell of `width`: an empty span still takes a line. */
export function spanHeight(m: TextMetrics, span: Required<Span>, width: number): number {
  return span.text === '' ? m.lineHeight(span.font, span.size) : m.heightOf(span.text, span.font, span.size, width - 2 * CELL_PAD_X, CELL_LINE_GAP);
}

/** The row's height: its tallest cell (spans stacked, moved down by its baseline shift), padded, rounded up. */
export function rowHeight(m: TextMetrics, widths: readonly number[], cells: ReadonlyArray<ReadonlyArray<Required<Span>>>, alignBaselines: boolean): number {
  const shifts = baselineShifts(cells, alignBaselines);
  let height = 0;
  cells.forEach((spans, i) => {
    const h = spans.reduce((sum, span) => sum + spanHeight(m, span, widths[i]), 0);
    height = Math.max(height, h + shifts[i]);
  });
  return Math.ceil(height + 2 * CELL_PAD_Y);
}

export type RowPlacement = 'here' | 'next-page' | 'stacked';

/**
 * Where a row of `height` goes when the current position is `y`: here if it fits; on the next page (under a
 * repeated header) if it would fit on a page of its own; a row taller than any page (`fullPage`: the room
 * below a repeated header) is stacked, its cells one under the other, flowing across pages from here.
 */
export function placeRow(y: number, height: number, bottom: number, fullPage: number): RowPlacement {
  if (height > fullPage) return 'stacked';
  return y + height > bottom ? 'next-page' : 'here';
}
