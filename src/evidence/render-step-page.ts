// Renders one step's evidence page (StepPage) to PDF bytes, laid out for an auditor: the ceremony and run it
// belongs to, the step and its instructions as shown to people, who performed, witnessed and signed off, times
// and outcome, the HSM token, results, outputs with SHA-256, deviations, and the journal entries it covers. The
// wording comes from the loaded step-page.yaml (see page-template.ts); only the fonts that template names
// are used and all are embedded, never a standard-14 font, so the page reads the same in any archive. Every
// page carries the script SHA-256, the run and "page X of Y"; a rehearsal page carries a watermark on every
// page and a banner in the header. The same page and template give the same bytes, unless the page's
// times are not valid dates.
import type { PageTemplate } from './page-template.js';
import { drawFooter, drawRunningHeader } from './pdf/page-chrome.js';
import { PageWriter, type SectionLook } from './pdf/page-writer.js';
import { createPdf } from './pdf/pdf-document.js';
import { PAGE_BINDING_KEY, pageBinding } from './page-binding.js';
import { duration, fill, firstValidDate, groupDigits, reflow } from './pdf/format.js';
import { ALERT, EVIDENCE_TYPE, INK, MUTED, outcomeColor } from './pdf/palette.js';
import { drawGrid, drawTable, fitColumn, type Cell, type Column } from './pdf/table.js';
import { watermarkPages } from './pdf/watermark.js';
import type { PagePerson, StepPage } from './step-page.types.js';

const { body: BODY, small: SMALL, tiny: TINY } = EVIDENCE_TYPE;
const SECTION: SectionLook = { space: 9, size: 10, keepWithNext: 48 };

export async function renderStepPage(page: StepPage, options: { template: PageTemplate; beforeEnd?: (doc: PDFKit.PDFDocument) => void }): Promise<Buffer> {
  const { template } = options;
  const created = firstValidDate(page.endedAt, page.startedAt);
  const stepHeading = fill(template.labels.step, { number: page.step.number, total: page.step.total, title: page.step.title });
  const { doc, bytes } = createPdf(
    template,
    {
      Title: `${page.ceremony.title} — ${stepHeading}`,
      Subject: `${template.labels.document}: ${page.ceremony.id} v${page.ceremony.version}, run ${page.ceremony.ceremonyId}, step ${page.step.id} (${page.step.kind})${page.rehearsal ? `, ${template.watermark.banner}` : ''}`,
      Author: page.performedBy.map((p) => p.name).join(', ') || page.ceremony.authority,
      Creator: 'Officiant',
      Keywords: ['officiant', page.ceremony.id, page.ceremony.ceremonyId, page.step.id, page.step.kind, ...(page.rehearsal ? ['rehearsal'] : [])].join(', '),
      ...(created ? { CreationDate: created, ModDate: created } : {}),
      // Machine-readable binding to the journal, checked by verify (evidence/page-binding.ts).
      ...(page.anchor ? { [PAGE_BINDING_KEY]: pageBinding({ ceremonyId: page.ceremony.ceremonyId, number: page.step.number, stepId: page.step.id, outcome: page.outcome, anchor: page.anchor }) } : {}),
    } as PDFKit.DocumentInfo,
    { displayTitle: true },
  );

  const w = new PageWriter(doc, EVIDENCE_TYPE);
  watermarkPages(w, page.rehearsal ? template.watermark.text : undefined);
  doc.addPage();

  header(w, template, page, stepHeading);
  body(w, template.labels, page);
  decorate(w, template, page);

  options.beforeEnd?.(doc);
  doc.end();
  return bytes;
}

type Labels = PageTemplate['labels'];

function grid(w: PageWriter, rows: Cell[][]): void {
  drawGrid(w, rows, { alignBaselines: true });
}

function table(w: PageWriter, columns: Column[], rows: Cell[][]): void {
  drawTable(w, columns, rows, { alignBaselines: true });
}

function none(w: PageWriter, labels: Labels): void {
  w.block(labels.none, { font: 'regular', size: BODY, color: MUTED });
}

function header(w: PageWriter, template: PageTemplate, page: StepPage, stepHeading: string): void {
  const { doc } = w;
  const l = template.labels;
  w.style({ font: 'regular', size: SMALL, color: MUTED });
  doc.text(l.document, w.left, w.top, { width: w.width });
  if (page.rehearsal) {
    w.style({ font: 'bold', size: SMALL, color: ALERT });
    doc.text(template.watermark.banner, w.left, w.top, { width: w.width, align: 'right' });
  }
  doc.y = w.top + 12;
  w.block(page.ceremony.title, { font: 'bold', size: 15, color: INK });
  doc.y += 4;
  grid(w, [
    [l.ceremony, page.ceremony.id, l.version, String(page.ceremony.version)],
    [l.authority, page.ceremony.authority, l.ceremonyRun, { text: page.ceremony.ceremonyId, font: 'mono' }],
  ]);
  doc.y += 6;
  w.rule(doc.y, INK, 1);
  doc.y += 8;
  w.block(stepHeading, { font: 'bold', size: 12.5, color: INK });
  doc.y += 3;
  grid(w, [[l.stepId, { text: page.step.id, font: 'mono' }, l.kind, { text: page.step.kind, font: 'mono' }]]);
}

function body(w: PageWriter, l: Labels, page: StepPage): void {
  w.section(l.instructions, SECTION);
  // Paragraphs as the script means them (its own line breaks are for its file), as on the screen and the plan.
  w.block(reflow(page.step.instructions), { font: 'regular', size: BODY, color: INK }, { lineGap: 1.5 });

  w.section(l.people, SECTION);
  table(
    w,
    [
      { header: l.part, width: 90, font: 'regular', size: BODY, color: MUTED },
      { header: l.name, width: 170, font: 'bold', size: BODY },
      { header: l.role, width: 0, font: 'regular', size: BODY },
    ],
    [...people(l, l.performedBy, page.performedBy), ...people(l, l.witnessedBy, page.witnessedBy), ...people(l, l.signedOffBy, page.signedOffBy)],
  );

  w.section(l.timing, SECTION);
  grid(w, [
    [l.startedAt, { text: page.startedAt, font: 'mono' }, l.endedAt, { text: page.endedAt, font: 'mono' }],
    [l.duration, { text: duration(page.startedAt, page.endedAt), font: 'mono' }, l.outcome, { text: l.outcomes[page.outcome], font: 'bold', color: outcomeColor(page.outcome) }],
  ]);

  if (page.token) {
    const t = page.token;
    w.section(l.token, SECTION);
    grid(w, [
      [l.tokenLabel, { text: t.label, font: 'mono' }, l.serial, { text: t.serial, font: 'mono' }],
      [l.manufacturer, t.manufacturer, l.model, t.model],
      [l.firmwareVersion, t.firmwareVersion, l.hardwareVersion, t.hardwareVersion],
    ]);
  }

  w.section(l.results, SECTION);
  if (page.results.length === 0) none(w, l);
  else table(w, labelValueColumns(l), page.results.map((r) => [r.label, r.value]));

  w.section(l.outputs, SECTION);
  if (page.outputs.length === 0) none(w, l);
  else
    table(
      w,
      [
        { header: `${l.file} / ${l.sha256}`, width: 0, font: 'mono', size: SMALL },
        { header: l.size, width: fitColumn(w, 'regular', SMALL, page.outputs.map((o) => groupDigits(o.bytes)), 90, l.size), font: 'regular', size: SMALL, align: 'right' },
      ],
      page.outputs.map((o) => [`${o.path}\n${o.sha256}`, groupDigits(o.bytes)]),
    );

  w.section(l.deviations, SECTION);
  if (page.deviations.length === 0) none(w, l);
  else
    table(
      w,
      [
        { header: l.time, width: fitColumn(w, 'mono', SMALL, page.deviations.map((d) => d.time), 120, l.time), font: 'mono', size: SMALL },
        { header: l.by, width: 110, font: 'regular', size: SMALL },
        { header: l.reason, width: 0, font: 'regular', size: SMALL },
      ],
      page.deviations.map((d) => [d.time, d.by, d.reason]),
    );

  w.section(l.journal, SECTION);
  if (page.journal.length === 0) none(w, l);
  else
    table(
      w,
      [
        { header: l.seq, width: fitColumn(w, 'regular', TINY, page.journal.map((e) => String(e.seq)), 40, l.seq), font: 'regular', size: TINY, align: 'right' },
        { header: l.time, width: fitColumn(w, 'mono', TINY, page.journal.map((e) => e.time), 110, l.time), font: 'mono', size: TINY },
        { header: l.type, width: fitColumn(w, 'regular', TINY, page.journal.map((e) => e.type), 90, l.type), font: 'regular', size: TINY },
        { header: l.actor, width: fitColumn(w, 'regular', TINY, page.journal.map((e) => e.actor), 80, l.actor), font: 'regular', size: TINY },
        { header: l.summary, width: 0, font: 'regular', size: TINY },
        { header: l.hash, width: fitColumn(w, 'mono', TINY, ['0'.repeat(16)], 80), font: 'mono', size: TINY },
      ],
      page.journal.map((e) => [String(e.seq), e.time, e.type, e.actor, e.summary, e.hash.slice(0, 16)]),
    );

  if (page.chain) {
    w.section(l.chain, SECTION);
    table(w, labelValueColumns(l), [
      [l.previousPage, page.chain.previousPageSha256 ?? l.firstPage],
      [l.signedBy, page.chain.signer ?? l.unsigned],
      [l.signatureNote, page.chain.note],
    ]);
  }
}

function labelValueColumns(l: Labels): Column[] {
  return [
    { header: l.label, width: 150, font: 'regular', size: BODY, color: MUTED },
    { header: l.value, width: 0, font: 'mono', size: 8 },
  ];
}

function people(l: Labels, part: string, list: PagePerson[]): Cell[][] {
  if (list.length === 0) return [[part, { text: l.none, font: 'regular', color: MUTED }, '']];
  return list.map((p, i) => [i === 0 ? part : '', p.name, `${p.roleTitle} (${p.role})`]);
}

/** Running header from the second page on, footer with "page X of Y" on every page. */
function decorate(w: PageWriter, template: PageTemplate, page: StepPage): void {
  const l = template.labels;
  const footer = template.footer;
  const continued = fill(l.continued, { number: page.step.number, total: page.step.total, title: page.step.title });
  const run = fill(footer.run, {
    ceremony: page.ceremony.id,
    version: page.ceremony.version,
    run: page.ceremony.ceremonyId,
    number: page.step.number,
    total: page.step.total,
    step: page.step.id,
  });
  const legal = page.footer.trim() === '' ? footer.legal : page.footer;
  w.eachPage((p) => {
    if (p.index > 0) drawRunningHeader(w, { title: continued, aside: page.rehearsal ? { text: template.watermark.banner, banner: true } : undefined });
    drawFooter(w, p, { pageLabel: fill(footer.page, { page: p.index + 1, pages: p.count }), scriptSha256Label: l.scriptSha256, scriptSha256: page.ceremony.scriptSha256, line: run, legal });
  });
}
