// The printed plan's last pages: a deviation log to fill in by hand, and the sign-off on which every
// participant and witness states whether the script was followed, with the number of deviations.
import { fill } from '../pdf/format.js';
import { drawFormTable, formColumnWidths, formHeaderHeight, type FormColumn, type FormRow } from '../pdf/form-table.js';
import type { Style } from '../pdf/page-writer.js';
import { INK, MUTED } from '../pdf/palette.js';
import { CHECKBOX, PAD, SMALL, TINY, checkbox, heading, paragraph, writeIn, type PlanContext } from './plan-elements.js';

export function deviationLog(ctx: PlanContext): void {
  const { w } = ctx;
  const l = ctx.template.labels;
  w.newPage();
  heading(ctx, l.deviationLog);
  paragraph(ctx, l.deviationIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
  w.doc.y += 10;
  const columns: FormColumn[] = [
    { header: l.deviationTime, width: 52 },
    { header: l.deviationStep, width: 40 },
    { header: l.deviationDescription, width: 0 },
    { header: l.deviationReason, width: 140 },
    { header: l.deviationInitials, width: 80 },
  ];
  const rows = ctx.template.layout.deviationRows;
  const room = w.bottom - w.doc.y - formHeaderHeight(w, columns, formColumnWidths(w, columns));
  const height = Math.max(32, Math.min(54, Math.floor(room / rows)));
  drawFormTable(w, columns, Array.from({ length: rows }, () => ({ height, cells: [] })));
}

export function signOff(ctx: PlanContext): void {
  const { w } = ctx;
  const l = ctx.template.labels;
  w.newPage();
  heading(ctx, l.signOff);
  paragraph(ctx, l.signOffIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
  w.doc.y += 10;

  const statementWidth = 150;
  const choiceStyle: Style = { font: 'regular', size: SMALL, color: INK };
  const choiceWidth = statementWidth - 2 * PAD - CHECKBOX - 5;
  const titleStyle: Style = { font: 'bold', size: SMALL + 0.5, color: INK };
  const noteStyle: Style = { font: 'regular', size: TINY, color: MUTED };
  const statementHeight = PAD + 2 + w.measure(l.followed, choiceStyle, choiceWidth) + 8 + w.measure(l.followedWithDeviations, choiceStyle, choiceWidth) + PAD + 2;
  const rows: FormRow[] = [];
  for (const role of Object.values(ctx.script.roles)) {
    for (let n = 1; n <= role.people; n++) {
      const note = role.people > 1 ? fill(l.personOf, { number: n, count: role.people }) : '';
      rows.push({
        height: Math.max(56, statementHeight),
        cells: [
          (x, y, cellWidth) => {
            const below = w.put(role.title, titleStyle, x + PAD, y + PAD, cellWidth - 2 * PAD);
            if (note) w.put(note, noteStyle, x + PAD, below + 1, cellWidth - 2 * PAD);
          },
          undefined,
          (x, y) => {
            let cy = y + PAD + 2;
            for (const choice of [l.followed, l.followedWithDeviations]) {
              checkbox(ctx, x + PAD, cy);
              cy = w.put(choice, choiceStyle, x + PAD + CHECKBOX + 5, cy, choiceWidth) + 8;
            }
          },
        ],
      });
    }
  }
  drawFormTable(w, 
    [
      { header: l.role, width: 92 },
      { header: l.name, width: 0 },
      { header: l.statement, width: statementWidth },
      { header: l.signature, width: 100 },
      { header: l.signOffDate, width: 58 },
    ],
    rows,
  );
  w.doc.y += 14;
  writeIn(ctx, l.deviationCount, 1, 230, 26);
}
