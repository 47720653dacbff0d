// The printed plan's building blocks, shared by its pages: what every drawing function works with (the page
// writer, the template, the script and its digest), headings and sections, paragraphs, checkboxes, handwriting
// lines, and label/value pairs laid out as a Part (its height known before it is drawn, so a step block can be
// kept on one page).
import type { Script } from '../../script/schema.js';
import type { PageWriter, Style } from '../pdf/page-writer.js';
import type { FontRole } from '../pdf/pdf-document.js';
import { FORM_PAD } from '../pdf/form-table.js';
import { INK, MUTED, PLAN_TYPE } from '../pdf/palette.js';
import { ASCENT } from '../pdf/table-layout.js';
import type { PrintedPlanTemplate } from './printed-plan-template.js';

export const { body: BODY, small: SMALL, tiny: TINY } = PLAN_TYPE;
export const PAD = FORM_PAD;
export const BOX_GAP = 8;
export const CHECKBOX = 9;

export interface PlanContext {
  w: PageWriter;
  template: PrintedPlanTemplate;
  script: Script;
  /** The script's SHA-256. */
  sha256: string;
}

/** One part of a step block: its height at a given width, and how to draw it at doc.y. */
export interface Part {
  height: number;
  draw(): void;
}

export function roleTitle(script: Script, role: string): string {
  return script.roles[role]?.title ?? role;
}

export function checkbox(ctx: PlanContext, x: number, y: number): void {
  const { w } = ctx;
  w.rect(x, y, CHECKBOX, CHECKBOX, { stroke: INK, lineWidth: 0.8 });
}

export function heading(ctx: PlanContext, title: string, size = 15): void {
  const { w } = ctx;
  w.doc.y = w.put(title, { font: 'bold', size, color: INK }, w.left, w.doc.y, w.width) + 4;
}

export function section(ctx: PlanContext, title: string, minFollowing = 60): void {
  const { w } = ctx;
  w.ensure(minFollowing);
  w.doc.y += 12;
  w.doc.y = w.put(title, { font: 'bold', size: 11.5, color: INK }, w.left, w.doc.y, w.width) + 1;
  w.rule(w.doc.y, INK, 0.8);
  w.doc.y += 5;
}

export function paragraph(ctx: PlanContext, value: string, s: Style = { font: 'regular', size: BODY, color: INK }): void {
  const { w } = ctx;
  w.doc.y = w.put(value, s, w.left, w.doc.y, w.width, { lineGap: 1.5 });
}

/** Label/value pairs, two per row. */
export function pairs(ctx: PlanContext, items: Array<[string, string, FontRole?]>): Part {
  const { w } = ctx;
  const labelWidth = 78;
  const half = w.width / 2;
  const valueWidth = half - labelWidth - PAD;
  const rows: Array<Array<[string, string, FontRole?]>> = [];
  for (let i = 0; i < items.length; i += 2) rows.push(items.slice(i, i + 2));
  const label: Style = { font: 'regular', size: SMALL, color: MUTED };
  const value = (font: FontRole = 'regular'): Style => ({ font, size: font === 'mono' ? SMALL + 0.5 : BODY, color: INK });
  const heights = rows.map((row) =>
    Math.max(...row.map(([l, v, f]) => Math.max(w.measure(l, label, labelWidth - PAD), w.measure(v, value(f), valueWidth)))) + 3,
  );
  return {
    height: heights.reduce((a, b) => a + b, 0),
    draw: () => {
      rows.forEach((row, r) => {
        const y = w.doc.y;
        row.forEach(([l, v, f], i) => {
          const x = w.left + i * half;
          // Label and value on one baseline.
          w.put(l, label, x, y + ASCENT * (value(f).size - label.size), labelWidth - PAD);
          w.put(v, value(f), x + labelWidth, y, valueWidth);
        });
        w.doc.y = y + heights[r];
      });
    },
  };
}

/** A label and `lines` handwriting lines to its right, each `pitch` high. */
export function writeIn(ctx: PlanContext, label: string, lines: number, labelWidth: number, pitch: number): void {
  const { w } = ctx;
  const s: Style = { font: 'regular', size: BODY, color: INK };
  const height = Math.max(lines * pitch, w.measure(label, s, labelWidth - PAD) + 8);
  w.ensure(height);
  const y = w.doc.y;
  w.put(label, s, w.left, y + pitch - 14, labelWidth - PAD);
  for (let i = 1; i <= lines; i++) w.line(w.left + labelWidth, y + i * pitch - 4, w.left + w.width, y + i * pitch - 4, INK, 0.5);
  w.doc.y = y + height;
}
