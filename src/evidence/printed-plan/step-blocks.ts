// The printed plan's steps, one block each: a shaded heading, who performs, witnesses and signs off, what
// happens on failure, what the kind does, the instructions, boxes for values read aloud, and initials, time
// and notes boxes. A block is kept on one page when it fits on one.
import type { Step } from '../../script/schema.js';
import { fill, reflow } from '../pdf/format.js';
import type { Style } from '../pdf/page-writer.js';
import { BAND, HAIRLINE, INK, MUTED, RULE } from '../pdf/palette.js';
import { kindText, writeIns, type WriteIn } from './kind-texts.js';
import { BODY, BOX_GAP, PAD, SMALL, TINY, pairs, roleTitle, type Part, type PlanContext } from './plan-elements.js';

export function steps(ctx: PlanContext): void {
  const { w } = ctx;
  w.newPage();
  const total = ctx.script.steps.length;
  ctx.script.steps.forEach((step, i) => {
    const parts = stepParts(ctx, step, i + 1, total);
    const height = parts.reduce((sum, p) => sum + p.height, 0);
    // A step is kept on one page when it fits on one; a longer one starts on a page of its own.
    if (height <= w.bottom - w.top) w.ensure(height);
    else if (w.doc.y > w.top) w.newPage();
    for (const part of parts) {
      if (part.height <= w.bottom - w.top) w.ensure(part.height);
      part.draw();
    }
    w.doc.y += 18;
  });
}

function stepParts(ctx: PlanContext, step: Step, number: number, total: number): Part[] {
  const { w } = ctx;
  const l = ctx.template.labels;
  const parts: Part[] = [];

  const headingStyle: Style = { font: 'bold', size: 12.5, color: INK };
  const heading = fill(l.step, { number, total, title: step.title });
  const headingHeight = w.measure(heading, headingStyle, w.width - 2 * 6) + 2 * 5;
  const ids = pairs(ctx, [
    [l.stepId, step.id, 'mono'],
    [l.kind, step.kind, 'mono'],
  ]);
  parts.push({
    height: headingHeight + 4 + ids.height,
    draw: () => {
      const y = w.doc.y;
      w.rect(w.left, y, w.width, headingHeight, { fill: BAND });
      w.line(w.left, y, w.left + w.width, y, INK, 1.2);
      w.put(heading, headingStyle, w.left + 6, y + 5, w.width - 12);
      w.doc.y = y + headingHeight + 4;
      ids.draw();
    },
  });

  const titles = (roles: string[]) => (roles.length === 0 ? l.nobody : roles.map((r) => roleTitle(ctx.script, r)).join(', '));
  parts.push(
    pairs(ctx, [
      [l.performedBy, roleTitle(ctx.script, step.perform)],
      [l.onFailure, step.on_failure === 'retry' ? l.onFailureRetry : l.onFailureAbort],
      [l.witnessedBy, titles(step.witness)],
      [l.signedOffBy, titles(step.sign_off)],
    ]),
  );

  const detailStyle: Style = { font: 'regular', size: SMALL + 0.5, color: MUTED };
  const detail = kindText(ctx, step);
  const detailHeight = w.measure(detail, detailStyle, w.width) + 6;
  parts.push({
    height: detailHeight,
    draw: () => {
      const y = w.doc.y + 2;
      w.put(detail, detailStyle, w.left, y, w.width);
      w.doc.y = y + detailHeight - 2;
    },
  });

  const labelStyle: Style = { font: 'bold', size: SMALL + 0.5, color: INK };
  const bodyStyle: Style = { font: 'regular', size: BODY, color: INK };
  const instructions = reflow(step.instructions);
  const labelHeight = w.measure(l.instructions, labelStyle, w.width);
  parts.push({
    height: 4 + labelHeight + 2 + w.measure(instructions, bodyStyle, w.width, 1.5) + 6,
    draw: () => {
      const y = w.put(l.instructions, labelStyle, w.left, w.doc.y + 4, w.width) + 2;
      // May flow onto the next page when a step's instructions are longer than a page.
      w.doc.y = w.put(instructions, bodyStyle, w.left, y, w.width, { lineGap: 1.5 }) + 6;
    },
  });

  const values = writeIns(ctx, step);
  if (values.length > 0) parts.push(writeInPart(ctx, values));

  parts.push(signatureBoxes(ctx, step));
  return parts;
}

/** A value typed at the laptop gets a line beside its label; a digest gets boxes under its label. */
function writeInPart(ctx: PlanContext, values: WriteIn[]): Part {
  const { w } = ctx;
  const headingStyle: Style = { font: 'bold', size: SMALL + 0.5, color: INK };
  const labelStyle: Style = { font: 'regular', size: SMALL + 0.5, color: INK };
  const labelWidth = 200;
  const pairsPerRow = 16;
  const cell = 18;
  const headingHeight = w.measure(ctx.template.labels.writeDown, headingStyle, w.width) + 2;
  const heights = values.map((v) => {
    if (v.form === 'line') return Math.max(cell + 8, w.measure(v.label, labelStyle, labelWidth - PAD) + 10);
    const rows = v.form === 'pairs' ? 2 : 1;
    return w.measure(v.label, labelStyle, w.width) + 3 + rows * (cell + 4) + 4;
  });
  return {
    height: headingHeight + heights.reduce((a, b) => a + b, 0) + 6,
    draw: () => {
      let y = w.put(ctx.template.labels.writeDown, headingStyle, w.left, w.doc.y, w.width) + 2;
      values.forEach((v, i) => {
        if (v.form === 'line') {
          const below = w.put(v.label, labelStyle, w.left, y + 8, labelWidth - PAD);
          const baseline = Math.max(y + cell + 2, below);
          w.line(w.left + labelWidth, baseline, w.left + w.width, baseline, INK, 0.5);
        } else {
          const top = w.put(v.label, labelStyle, w.left, y + 2, w.width) + 3;
          if (v.form === 'pairs') {
            const pair = w.width / pairsPerRow;
            for (let row = 0; row < 2; row++) {
              for (let c = 0; c < pairsPerRow; c++) w.rect(w.left + c * pair, top + row * (cell + 4), pair - 3, cell, { stroke: RULE, lineWidth: 0.6 });
            }
          } else if (v.form === 'fours') {
            // One cell per character, in the groups of four the screen reads them aloud in.
            const gap = 10;
            const width = Math.min(cell - 2, (w.width - 7 * gap) / 32);
            for (let g = 0; g < 8; g++) characterCells(ctx, w.left + g * (4 * width + gap), top, 4, width, cell);
          } else {
            const width = cell - 2;
            characterCells(ctx, w.left, top, 8, width, cell);
            w.put('…', { font: 'regular', size: BODY, color: MUTED }, w.left + 8 * width, top + 4, 24, { align: 'center' });
            characterCells(ctx, w.left + 8 * width + 24, top, 8, width, cell);
          }
        }
        y += heights[i];
      });
      w.doc.y = y + 6;
    },
  };
}

function characterCells(ctx: PlanContext, x: number, y: number, count: number, width: number, height: number): void {
  const { w } = ctx;
  w.rect(x, y, count * width, height, { stroke: RULE, lineWidth: 0.6 });
  for (let c = 1; c < count; c++) w.line(x + c * width, y, x + c * width, y + height, RULE, 0.6);
}

/**
 * Initials boxes, one per sign-off role (the performer's role when nobody else signs off), divided into one
 * cell per person of the role; a time box; a notes box with lines to write on.
 */
function signatureBoxes(ctx: PlanContext, step: Step): Part {
  const { w } = ctx;
  const l = ctx.template.labels;
  const signers = step.sign_off.length > 0 ? step.sign_off : [step.perform];
  const boxes: Array<{ label: string; cells: number }> = [
    ...signers.map((r) => ({ label: fill(l.initialsOf, { role: roleTitle(ctx.script, r) }), cells: Math.min(ctx.script.roles[r]?.people ?? 1, 6) })),
    { label: l.time, cells: 1 },
  ];
  const perRow = Math.min(boxes.length, 4);
  const boxWidth = (w.width - BOX_GAP * (perRow - 1)) / perRow;
  const labelStyle: Style = { font: 'regular', size: TINY, color: MUTED };
  const labelHeight = Math.max(...boxes.map((b) => w.measure(b.label, labelStyle, boxWidth - 2 * PAD)));
  const boxHeight = labelHeight + 30;
  const boxRows = Math.ceil(boxes.length / perRow);
  const notesHeight = 62;
  return {
    height: boxRows * (boxHeight + BOX_GAP) + notesHeight,
    draw: () => {
      let y = w.doc.y;
      boxes.forEach((box, i) => {
        const column = i % perRow;
        if (i > 0 && column === 0) y += boxHeight + BOX_GAP;
        const x = w.left + column * (boxWidth + BOX_GAP);
        w.rect(x, y, boxWidth, boxHeight, { stroke: INK, lineWidth: 0.8 });
        w.put(box.label, labelStyle, x + PAD, y + 3, boxWidth - 2 * PAD);
        for (let c = 1; c < box.cells; c++) {
          const cx = x + (c * boxWidth) / box.cells;
          w.line(cx, y + labelHeight + 6, cx, y + boxHeight, RULE, 0.5);
        }
      });
      y += boxHeight + BOX_GAP;
      w.rect(w.left, y, w.width, notesHeight, { stroke: INK, lineWidth: 0.8 });
      w.put(l.notes, labelStyle, w.left + PAD, y + 3, w.width - 2 * PAD);
      for (const ly of [y + 30, y + 48]) w.line(w.left + PAD, ly, w.left + w.width - PAD, ly, HAIRLINE, 0.5);
      w.doc.y = y + notesHeight;
    },
  };
}
