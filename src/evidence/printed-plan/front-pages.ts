// The printed plan's first pages: the title page (the script's identity, its SHA-256 in a box of its own to compare
// with the laptop, blanks for date, place, times, approval and storage), then the roles with a line per
// required person to print a name, sign and initial, and the materials as checkboxes.
import { fill, reflow } from '../pdf/format.js';
import { drawFormTable, type FormRow } from '../pdf/form-table.js';
import type { FontRole } from '../pdf/pdf-document.js';
import type { Style } from '../pdf/page-writer.js';
import { INK, MUTED } from '../pdf/palette.js';
import { BODY, CHECKBOX, PAD, SMALL, TINY, checkbox, heading, pairs, paragraph, roleTitle, section, writeIn, type PlanContext } from './plan-elements.js';

export function titlePage(ctx: PlanContext): void {
  const { w } = ctx;
  const l = ctx.template.labels;
  const s = ctx.script;
  w.newPage();
  w.put(l.document, { font: 'regular', size: SMALL, color: MUTED }, w.left, w.top, w.width);
  w.doc.y = w.top + 16;
  heading(ctx, s.title, 20);
  w.doc.y += 4;
  const items: Array<[string, string, FontRole?]> = [
    [l.ceremony, s.id, 'mono'],
    [l.version, String(s.version)],
    [l.authority, s.authority],
    [l.steps, String(s.steps.length)],
  ];
  if (s.site.hsm) items.push([l.hsmProfile, fill(l.hsmProfileValue, { profile: s.site.hsm })]);
  if (s.site.pin_holders) {
    items.push([l.tokenActivation, fill(l.tokenActivationValue, { people: s.site.pin_holders.people, role: roleTitle(ctx.script, s.site.pin_holders.role) })]);
  }
  pairs(ctx, items).draw();
  if (s.description) {
    w.doc.y += 8;
    paragraph(ctx, reflow(s.description), { font: 'regular', size: 10, color: INK });
  }

  // The digest in a box of its own: people compare it with the laptop before anything else happens.
  w.doc.y += 16;
  const inner = w.width - 2 * 10;
  const labelStyle: Style = { font: 'bold', size: 9, color: INK };
  const hexStyle: Style = { font: 'mono', size: 11, color: INK };
  const noteStyle: Style = { font: 'regular', size: SMALL, color: MUTED };
  const boxHeight = 10 + w.measure(l.scriptSha256, labelStyle, inner) + 4 + w.measure(ctx.sha256, hexStyle, inner) + 5 + w.measure(l.compareSha256, noteStyle, inner) + 10;
  const boxTop = w.doc.y;
  w.rect(w.left, boxTop, w.width, boxHeight, { stroke: INK, lineWidth: 1.2 });
  let y = w.put(l.scriptSha256, labelStyle, w.left + 10, boxTop + 10, inner) + 4;
  y = w.put(ctx.sha256, hexStyle, w.left + 10, y, inner) + 5;
  w.put(l.compareSha256, noteStyle, w.left + 10, y, inner);
  w.doc.y = boxTop + boxHeight;

  section(ctx, l.fillIn);
  const blanks: Array<[string, number]> = [
    [l.date, 1],
    [l.location, 1],
    [l.scheduledStart, 1],
    [l.actualStart, 1],
    [l.endTime, 1],
    [l.approvedBy, 1],
    [l.storedAt, 2],
  ];
  const labelWidth = 175;
  for (const [label, lines] of blanks) writeIn(ctx, label, lines, labelWidth, 30);
}

export function rolesAndMaterials(ctx: PlanContext): void {
  const { w } = ctx;
  const l = ctx.template.labels;
  w.newPage();
  heading(ctx, l.roles);
  paragraph(ctx, l.rolesIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
  w.doc.y += 8;

  const roleWidth = 165;
  const titleStyle: Style = { font: 'bold', size: BODY, color: INK };
  const noteStyle: Style = { font: 'regular', size: TINY + 0.5, color: MUTED };
  const rows: FormRow[] = [];
  for (const role of Object.values(ctx.script.roles)) {
    for (let n = 1; n <= role.people; n++) {
      const note = [role.people > 1 ? fill(l.personOf, { number: n, count: role.people }) : '', n === 1 ? (role.description?.trim() ?? '') : '']
        .filter((t) => t !== '')
        .join(' — ');
      const textWidth = roleWidth - 2 * PAD;
      const height = Math.max(34, PAD + w.measure(role.title, titleStyle, textWidth) + (note ? 2 + w.measure(note, noteStyle, textWidth) : 0) + PAD + 2);
      rows.push({
        height,
        cells: [
          (x, y, cellWidth) => {
            const below = w.put(role.title, titleStyle, x + PAD, y + PAD, cellWidth - 2 * PAD);
            if (note) w.put(note, noteStyle, x + PAD, below + 2, cellWidth - 2 * PAD);
          },
        ],
      });
    }
  }
  drawFormTable(w, 
    [
      { header: l.role, width: roleWidth },
      { header: l.name, width: 0 },
      { header: l.signature, width: 125 },
      { header: l.initials, width: 55 },
    ],
    rows,
  );

  section(ctx, l.materials);
  if (ctx.script.materials.length === 0) {
    paragraph(ctx, l.noMaterials, { font: 'regular', size: BODY, color: MUTED });
    return;
  }
  paragraph(ctx, l.materialsIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
  w.doc.y += 6;
  const itemStyle: Style = { font: 'regular', size: BODY, color: INK };
  const indent = CHECKBOX + 9;
  for (const material of ctx.script.materials) {
    const height = w.measure(material, itemStyle, w.width - indent, 1.5);
    w.ensure(height + 8);
    const y = w.doc.y;
    checkbox(ctx, w.left, y + 1);
    w.put(material, itemStyle, w.left + indent, y, w.width - indent, { lineGap: 1.5 });
    w.doc.y = y + Math.max(height, CHECKBOX + 2) + 8;
  }
}
