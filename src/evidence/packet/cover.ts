// The packet's cover: ceremony and run, the outcome in a box (with the reason when aborted), times and step
// counts, participants, the script SHA-256, the journal head and its words to read aloud, the evidence key.
import { headWords } from '../../record/digest-words.js';
import type { PacketStep } from '../packet.types.js';
import { duration, fill } from '../pdf/format.js';
import { ALERT, INK, MUTED, PANEL, outcomeColor } from '../pdf/palette.js';
import { drawGrid, drawTable } from '../pdf/table.js';
import { PACKET_SECTION, type PacketPart } from './packet-part.js';

export function drawCover(part: PacketPart): void {
  const { w, doc } = part;
  const { doc: pdf } = w;
  const c = part.t.cover;
  const { body: BODY, small: SMALL, tiny: TINY } = w.type;
  pdf.y = w.top;
  w.block(c.title, { font: 'bold', size: 22, color: INK });
  pdf.y += 2;
  w.block(doc.ceremony.title, { font: 'bold', size: 14, color: INK });
  pdf.y += 6;
  drawGrid(w, [
    [c.ceremony, { text: doc.ceremony.id, font: 'mono' }, c.version, String(doc.ceremony.version)],
    [c.authority, doc.ceremony.authority, c.ceremonyRun, { text: doc.ceremony.ceremonyId, font: 'mono' }],
  ]);

  if (doc.rehearsal) {
    pdf.y += 8;
    box(part, ALERT, 1.5, () => {
      w.style({ font: 'bold', size: 14, color: ALERT });
      pdf.text(part.t.watermark.banner, w.left + 10, pdf.y, { width: w.width - 20, align: 'center' });
    });
  }

  pdf.y += 10;
  const aborted = doc.outcome === 'aborted';
  const outcomeInk = outcomeColor(doc.outcome);
  box(part, outcomeInk, aborted ? 2 : 1.2, () => {
    const inner = { x: w.left + 12, width: w.width - 24 };
    w.style({ font: 'regular', size: SMALL + 0.5, color: MUTED });
    pdf.text(c.outcome, inner.x, pdf.y, inner);
    w.style({ font: 'bold', size: 30, color: outcomeInk });
    pdf.text(c.outcomes[doc.outcome], inner.x, pdf.y, { ...inner, lineGap: 0 });
    if (aborted) {
      pdf.y += 2;
      w.style({ font: 'bold', size: BODY + 1, color: ALERT });
      pdf.text(c.abortReason, inner.x, pdf.y, inner);
      w.style({ font: 'regular', size: BODY + 1, color: INK });
      pdf.text(doc.abortReason?.trim() || '—', inner.x, pdf.y, { ...inner, lineGap: 1.5 });
    }
  });

  pdf.y += 8;
  const count = (o: PacketStep['outcome']) => doc.steps.filter((s) => s.outcome === o).length;
  drawGrid(w, [
    [c.startedAt, { text: doc.startedAt, font: 'mono' }, c.endedAt, { text: doc.endedAt, font: 'mono' }],
    [
      c.duration,
      { text: duration(doc.startedAt, doc.endedAt), font: 'mono' },
      c.steps,
      fill(c.stepsSummary, { total: doc.steps.length, completed: count('completed'), aborted: count('aborted'), notReached: count('not reached') }),
    ],
  ]);
  drawTable(w, [{ header: '', width: 78, size: SMALL + 0.5, color: MUTED }, { header: '', width: 0 }], [[c.course, fill(c.courseSummary, doc.course)]], { header: false, rules: false });

  w.section(c.participants, PACKET_SECTION);
  if (doc.participants.length === 0) w.block(c.none, { font: 'regular', size: BODY, color: MUTED });
  else
    drawTable(
      w,
      [
        { header: c.name, width: 200, font: 'bold' },
        { header: c.role, width: 0 },
      ],
      doc.participants.map((p) => [p.name, [{ text: p.roleTitle }, { text: p.role, font: 'mono', size: TINY, color: MUTED }]]),
    );

  w.section(c.scriptSha256, PACKET_SECTION);
  w.block(doc.ceremony.scriptSha256, { font: 'mono', size: BODY, color: INK });

  w.section(c.journalHead, { ...PACKET_SECTION, keepWithNext: 130 });
  w.block(doc.journalHead, { font: 'mono', size: BODY + 1, color: INK });
  pdf.y += 4;
  w.block(c.readAloud, { font: 'regular', size: SMALL + 0.5, color: MUTED }, { lineGap: 1 });
  pdf.y += 6;
  words(part, doc.journalHeadWords.length > 0 ? doc.journalHeadWords : headWords(doc.journalHead));
  countersign(part);
  leftBehind(part);

  w.section(c.evidenceKey, PACKET_SECTION);
  if (doc.evidenceKey)
    drawTable(
      w,
      [
        { header: '', width: 130, size: SMALL + 0.5, color: MUTED },
        { header: '', width: 0 },
      ],
      [
        [c.evidenceSubject, doc.evidenceKey.subject],
        [c.evidenceCertificate, { text: doc.evidenceKey.certificateSha256, font: 'mono', size: 8.5 }],
      ],
      { header: false },
    );
  else w.block(c.noEvidenceKey, { font: 'regular', size: BODY, color: MUTED });
}

/** For an aborted ceremony: the keys on the token and the files it wrote, and what people do about them. */
function leftBehind(part: PacketPart): void {
  const { w, doc } = part;
  const c = part.t.cover;
  const left = doc.leftBehind;
  if (!left) return;
  const body = { font: 'regular' as const, size: w.type.body, color: INK };
  w.section(c.leftBehind, { ...PACKET_SECTION, keepWithNext: 60 });
  if (left.keys.length === 0 && left.files.length === 0) return w.block(c.leftBehindNone, { ...body, color: MUTED });
  if (left.keys.length > 0) {
    w.block(fill(c.leftBehindKeys, { token: left.token }), { ...body, font: 'bold' });
    for (const k of left.keys) w.block(`•  ${fill(c.leftBehindKey, k)}`, body, { lineGap: 1 });
  }
  if (left.files.length > 0) {
    w.block(c.leftBehindFiles, { ...body, font: 'bold' });
    w.block(left.files.join('\n'), { ...body, font: 'mono', size: w.type.small }, { lineGap: 1 });
  }
  w.block(c.leftBehindAdvice, { ...body, color: ALERT }, { lineGap: 1.5 });
}

/** Who countersigned the closing entry, or plainly that the officers did not. */
function countersign(part: PacketPart): void {
  const { w, doc } = part;
  const c = part.t.cover;
  const cs = doc.countersign;
  w.section(c.countersign, { ...PACKET_SECTION, keepWithNext: 50 });
  if (!cs) return w.block(c.countersignNone, { font: 'regular', size: w.type.body, color: MUTED });
  if (cs.signers.length < cs.threshold) w.block(fill(c.countersignShort, { signed: cs.signers.length, threshold: cs.threshold }), { font: 'bold', size: w.type.body, color: ALERT });
  if (cs.signers.length > 0) w.block(cs.signers.map((s) => fill(c.countersigner, s)).join('   '), { font: 'regular', size: w.type.body, color: INK }, { lineGap: 1.5 });
}

/** The journal head words, large and numbered, three to a row, for reading aloud and copying by hand. */
function words({ w }: PacketPart, list: string[]): void {
  const { doc: pdf } = w;
  const perRow = 3;
  const cellWidth = w.width / perRow;
  const rowHeight = 30;
  const rows = Math.ceil(list.length / perRow);
  w.ensure(rows * rowHeight + 8);
  const top = pdf.y;
  pdf.save().roundedRect(w.left, top, w.width, rows * rowHeight + 8, 4).fillColor(PANEL).fill().restore();
  list.forEach((word, i) => {
    const x = w.left + (i % perRow) * cellWidth + 14;
    const y = top + 4 + Math.floor(i / perRow) * rowHeight + 4;
    w.style({ font: 'regular', size: 11, color: MUTED });
    pdf.text(`${i + 1}.`, x, y + 6, { lineBreak: false });
    w.style({ font: 'bold', size: 18, color: INK });
    pdf.text(word, x + 22, y, { lineBreak: false });
  });
  pdf.x = w.left;
  pdf.y = top + rows * rowHeight + 8;
}

/** Content drawn by `draw` inside a bordered box, moved to the next page first if it would not fit. */
function box({ w }: PacketPart, color: string, lineWidth: number, draw: () => void): void {
  const { doc: pdf } = w;
  w.ensure(90);
  const top = pdf.y;
  pdf.y = top + 8;
  draw();
  const bottom = pdf.y + 6;
  pdf.save().roundedRect(w.left, top, w.width, bottom - top, 4).lineWidth(lineWidth).strokeColor(color).stroke().restore();
  pdf.x = w.left;
  pdf.y = bottom;
}
