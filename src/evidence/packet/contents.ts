// The packet's table of contents: every step with its record's path and SHA-256 (or why there is none), its
// outcome, and the packet page its record starts on; then the appendix. Page numbers count the whole packet.
import { INK, MUTED, outcomeColor } from '../pdf/palette.js';
import { drawTable, type Cell, type Span } from '../pdf/table.js';
import type { Numbering, PacketPart } from './packet-part.js';

export function drawContents({ w, t, doc }: PacketPart, numbering: Numbering): void {
  const { doc: pdf } = w;
  const c = t.contents;
  const { body: BODY, small: SMALL, tiny: TINY } = w.type;
  pdf.y = w.top;
  w.block(c.title, { font: 'bold', size: 15, color: INK });
  pdf.y += 2;
  w.block(c.note, { font: 'regular', size: SMALL + 0.5, color: MUTED }, { lineGap: 1 });
  pdf.y += 8;

  const outcomes = { completed: c.outcomes.completed, aborted: c.outcomes.aborted, 'not reached': c.outcomes.notReached };
  const rows: Cell[][] = doc.steps.map((s, i) => {
    const start = numbering.stepStart[i];
    const described: Span[] = [{ text: s.title, font: 'bold', size: BODY }];
    if (s.page) described.push({ text: s.page.path, font: 'mono', size: TINY, color: MUTED }, { text: s.page.sha256, font: 'mono', size: TINY, color: INK });
    else described.push({ text: c.noPage, font: 'regular', size: TINY, color: MUTED });
    return [
      String(s.number),
      described,
      { text: outcomes[s.outcome], font: s.outcome === 'aborted' ? 'bold' : 'regular', color: outcomeColor(s.outcome) },
      start === undefined ? { text: c.noPageNumber, color: MUTED } : { text: String(start), font: 'bold' },
    ];
  });
  rows.push(['', { text: c.appendix, font: 'bold' }, '', { text: String(numbering.appendixStart), font: 'bold' }]);
  drawTable(
    w,
    [
      { header: c.number, width: 34, align: 'right' },
      { header: c.step, width: 0 },
      { header: c.outcome, width: 74 },
      { header: c.page, width: 40, align: 'right' },
    ],
    rows,
  );
}

