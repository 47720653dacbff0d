// Renders one step's evidence page (StepPage) to PDF bytes, laid out for an auditor: the ceremony and run it
// belongs to, the step and its instructions as shown to people, who performed, witnessed and signed off, times
// and outcome, the HSM token, results, outputs with SHA-256, deviations, and the journal entries it covers. The
// wording comes from <templateDir>/step-page.yaml (see page-template.ts); only the fonts that template names
// are used and all are embedded, never a standard-14 font, so the page reads the same in any archive. Every
// page carries the script SHA-256, the run and "page X of Y"; a rehearsal page carries a watermark on every
// page and a banner in the header. The same page and template give the same bytes, unless the page's
// times are not valid dates. A template problem throws OfficiantError 'env.fs' before anything is drawn.
import PDFDocument from 'pdfkit';
import { collect, FONT, loadPageTemplate, type FontRole, type PageTemplate } from './page-template.js';
import type { PagePerson, StepPage } from './step-page.types.js';


const INK = '#111111';
const MUTED = '#555555';
const RULE = '#9a9a9a';
const HAIRLINE = '#d0d0d0';
const ALERT = '#a00000';
const WATERMARK = '#e6e6e6';

const BODY = 9;
const SMALL = 7.5;
const TINY = 7;
const LINE_GAP = 1;
const PAD_X = 3;
const PAD_Y = 2.5;
/** Ascent per point of size, to put the first baselines of a row's cells on one line. */
const ASCENT = 0.93;

interface Style {
  font: FontRole;
  size: number;
  color: string;
}

interface Cell {
  text: string;
  font?: FontRole;
  color?: string;
}

interface Column {
  header: string;
  width: number;
  font: FontRole;
  size: number;
  align?: 'left' | 'right';
  color?: string;
}

type Row = Array<string | Cell>;

export async function renderStepPage(page: StepPage, options: { templateDir: string; beforeEnd?: (doc: PDFKit.PDFDocument) => void }): Promise<Buffer> {
  const template = await loadPageTemplate(options.templateDir);
  const created = firstValidDate(page.endedAt, page.startedAt);
  const stepHeading = fill(template.labels.step, { number: page.step.number, total: page.step.total, title: page.step.title });
  const doc = new PDFDocument({
    size: template.page.size,
    margins: template.page.margins,
    bufferPages: true,
    autoFirstPage: false,
    font: '',
    pdfVersion: '1.7',
    displayTitle: true,
    info: {
      Title: `${page.ceremony.title} — ${stepHeading}`,
      Subject: `${template.labels.document}: ${page.ceremony.id} v${page.ceremony.version}, run ${page.ceremony.ceremonyId}, step ${page.step.id} (${page.step.kind})${page.rehearsal ? `, ${template.watermark.banner}` : ''}`,
      Author: page.performedBy.map((p) => p.name).join(', ') || page.ceremony.authority,
      Creator: 'Officiant',
      Keywords: ['officiant', page.ceremony.id, page.ceremony.ceremonyId, page.step.id, page.step.kind, ...(page.rehearsal ? ['rehearsal'] : [])].join(', '),
      ...(created ? { CreationDate: created, ModDate: created } : {}),
    },
  });
  const bytes = collect(doc);
  for (const role of ['regular', 'bold', 'mono'] as const) doc.registerFont(FONT[role], template.fonts[role].data);

  const writer = new PageWriter(doc, template);
  if (page.rehearsal) doc.on('pageAdded', () => writer.watermark(template.watermark.text));
  doc.addPage();

  writer.header(page, stepHeading);
  writer.body(page);
  writer.decorate(page);

  options.beforeEnd?.(doc);
  doc.end();
  return bytes;
}

class PageWriter {
  private current: Style = { font: 'regular', size: BODY, color: INK };
  private readonly labels: PageTemplate['labels'];

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly template: PageTemplate,
  ) {
    this.labels = template.labels;
  }

  private get left(): number {
    return this.doc.page.margins.left;
  }

  private get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get top(): number {
    return this.doc.page.margins.top;
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  private style(s: Partial<Style>): void {
    this.current = { ...this.current, ...s };
    this.doc.font(FONT[this.current.font]).fontSize(this.current.size).fillColor(this.current.color);
  }

  private ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  private rule(y: number, color = RULE, lineWidth = 0.5): void {
    this.doc.save().moveTo(this.left, y).lineTo(this.left + this.width, y).lineWidth(lineWidth).strokeColor(color).stroke().restore();
  }

  watermark(text: string): void {
    const { doc } = this;
    const { x, y } = doc;
    const w = doc.page.width;
    const h = doc.page.height;
    const angle = (Math.atan2(h, w) * 180) / Math.PI;
    doc.font(FONT.bold).fontSize(100);
    const size = Math.min(160, (100 * 0.75 * Math.hypot(w, h)) / doc.widthOfString(text));
    doc.fontSize(size);
    const textWidth = doc.widthOfString(text);
    const textHeight = doc.currentLineHeight();
    doc.save();
    doc.rotate(-angle, { origin: [w / 2, h / 2] });
    doc.fillColor(WATERMARK).text(text, (w - textWidth) / 2, (h - textHeight) / 2, { lineBreak: false });
    doc.restore();
    doc.x = x;
    doc.y = y;
    this.style({});
  }

  header(page: StepPage, stepHeading: string): void {
    const { doc } = this;
    this.style({ font: 'regular', size: SMALL, color: MUTED });
    doc.text(this.labels.document, this.left, this.top, { width: this.width });
    if (page.rehearsal) {
      this.style({ font: 'bold', size: SMALL, color: ALERT });
      doc.text(this.template.watermark.banner, this.left, this.top, { width: this.width, align: 'right' });
    }
    doc.y = this.top + 12;
    this.style({ font: 'bold', size: 15, color: INK });
    doc.text(page.ceremony.title, this.left, doc.y, { width: this.width });
    doc.y += 4;
    this.grid([
      [this.labels.ceremony, page.ceremony.id, this.labels.version, String(page.ceremony.version)],
      [this.labels.authority, page.ceremony.authority, this.labels.ceremonyRun, { text: page.ceremony.ceremonyId, font: 'mono' }],
    ]);
    doc.y += 6;
    this.rule(doc.y, INK, 1);
    doc.y += 8;
    this.style({ font: 'bold', size: 12.5, color: INK });
    doc.text(stepHeading, this.left, doc.y, { width: this.width });
    doc.y += 3;
    this.grid([[this.labels.stepId, { text: page.step.id, font: 'mono' }, this.labels.kind, { text: page.step.kind, font: 'mono' }]]);
  }

  body(page: StepPage): void {
    const l = this.labels;
    this.section(l.instructions);
    this.paragraph(page.step.instructions);

    this.section(l.people);
    this.table(
      [
        { header: l.part, width: 90, font: 'regular', size: BODY, color: MUTED },
        { header: l.name, width: 170, font: 'bold', size: BODY },
        { header: l.role, width: 0, font: 'regular', size: BODY },
      ],
      [
        ...this.people(l.performedBy, page.performedBy),
        ...this.people(l.witnessedBy, page.witnessedBy),
        ...this.people(l.signedOffBy, page.signedOffBy),
      ],
    );

    this.section(l.timing);
    const failed = page.outcome !== 'completed';
    this.grid([
      [l.startedAt, { text: page.startedAt, font: 'mono' }, l.endedAt, { text: page.endedAt, font: 'mono' }],
      [l.duration, { text: duration(page.startedAt, page.endedAt), font: 'mono' }, l.outcome, { text: l.outcomes[page.outcome], font: 'bold', color: failed ? ALERT : INK }],
    ]);

    if (page.token) {
      const t = page.token;
      this.section(l.token);
      this.grid([
        [l.tokenLabel, { text: t.label, font: 'mono' }, l.serial, { text: t.serial, font: 'mono' }],
        [l.manufacturer, t.manufacturer, l.model, t.model],
        [l.firmwareVersion, t.firmwareVersion, l.hardwareVersion, t.hardwareVersion],
      ]);
    }

    this.section(l.results);
    if (page.results.length === 0) this.none();
    else
      this.table(
        [
          { header: l.label, width: 150, font: 'regular', size: BODY, color: MUTED },
          { header: l.value, width: 0, font: 'mono', size: 8 },
        ],
        page.results.map((r) => [r.label, r.value]),
      );

    this.section(l.outputs);
    if (page.outputs.length === 0) this.none();
    else
      this.table(
        [
          { header: `${l.file} / ${l.sha256}`, width: 0, font: 'mono', size: SMALL },
          { header: l.size, width: this.fit('regular', SMALL, page.outputs.map((o) => groupDigits(o.bytes)), 90, l.size), font: 'regular', size: SMALL, align: 'right' },
        ],
        page.outputs.map((o) => [`${o.path}\n${o.sha256}`, groupDigits(o.bytes)]),
      );

    this.section(l.deviations);
    if (page.deviations.length === 0) this.none();
    else
      this.table(
        [
          { header: l.time, width: this.fit('mono', SMALL, page.deviations.map((d) => d.time), 120, l.time), font: 'mono', size: SMALL },
          { header: l.by, width: 110, font: 'regular', size: SMALL },
          { header: l.reason, width: 0, font: 'regular', size: SMALL },
        ],
        page.deviations.map((d) => [d.time, d.by, d.reason]),
      );

    this.section(l.journal);
    if (page.journal.length === 0) this.none();
    else
      this.table(
        [
          { header: l.seq, width: this.fit('regular', TINY, page.journal.map((e) => String(e.seq)), 40, l.seq), font: 'regular', size: TINY, align: 'right' },
          { header: l.time, width: this.fit('mono', TINY, page.journal.map((e) => e.time), 110, l.time), font: 'mono', size: TINY },
          { header: l.type, width: this.fit('regular', TINY, page.journal.map((e) => e.type), 90, l.type), font: 'regular', size: TINY },
          { header: l.actor, width: this.fit('regular', TINY, page.journal.map((e) => e.actor), 80, l.actor), font: 'regular', size: TINY },
          { header: l.summary, width: 0, font: 'regular', size: TINY },
          { header: l.hash, width: this.fit('mono', TINY, ['0'.repeat(16)], 80), font: 'mono', size: TINY },
        ],
        page.journal.map((e) => [String(e.seq), e.time, e.type, e.actor, e.summary, e.hash.slice(0, 16)]),
      );

    if (page.chain) {
      this.section(l.chain);
      this.table(
        [
          { header: l.label, width: 150, font: 'regular', size: BODY, color: MUTED },
          { header: l.value, width: 0, font: 'mono', size: 8 },
        ],
        [
          [l.previousPage, page.chain.previousPageSha256 ?? l.firstPage],
          [l.signedBy, page.chain.signer ?? l.unsigned],
          [l.signatureNote, page.chain.note],
        ],
      );
    }
  }

  /** Running header, footer with "page X of Y", on every buffered page. */
  decorate(page: StepPage): void {
    const { doc } = this;
    const l = this.labels;
    const footer = this.template.footer;
    const range = doc.bufferedPageRange();
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
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const margins = doc.page.margins;
      const bottomMargin = margins.bottom;
      margins.bottom = 0;
      const pageLabel = fill(footer.page, { page: i + 1, pages: range.count });

      if (i > range.start) {
        const y = Math.max(8, this.top - 26);
        this.style({ font: 'regular', size: SMALL, color: MUTED });
        doc.text(continued, this.left, y, { width: this.width * (page.rehearsal ? 0.62 : 1), height: doc.currentLineHeight(), ellipsis: true });
        if (page.rehearsal) {
          this.style({ font: 'bold', size: SMALL, color: ALERT });
          doc.text(this.template.watermark.banner, this.left, y, { width: this.width, align: 'right', lineBreak: false });
        }
        this.rule(y + 12, HAIRLINE);
      }

      const y = doc.page.height - bottomMargin + 10;
      this.rule(y - 5);
      this.style({ font: 'bold', size: SMALL, color: INK });
      const pageWidth = doc.widthOfString(pageLabel);
      doc.text(pageLabel, this.left, y, { width: this.width, align: 'right', lineBreak: false });
      this.style({ font: 'regular', size: TINY, color: MUTED });
      const labelWidth = doc.widthOfString(`${l.scriptSha256} `);
      doc.text(`${l.scriptSha256} `, this.left, y, { lineBreak: false });
      this.style({ font: 'mono', size: TINY, color: INK });
      doc.text(page.ceremony.scriptSha256, this.left + labelWidth, y, { width: this.width - labelWidth - pageWidth - 8, height: doc.currentLineHeight(), ellipsis: true });
      this.style({ font: 'regular', size: TINY, color: MUTED });
      doc.text(run, this.left, y + 10, { width: this.width, height: doc.currentLineHeight(), ellipsis: true });
      const legalHeight = doc.page.height - (y + 20) - 8;
      doc.text(legal, this.left, y + 20, { width: this.width, height: Math.max(legalHeight, doc.currentLineHeight(true)), ellipsis: true, lineGap: 0.5 });
      margins.bottom = bottomMargin;
    }
    doc.switchToPage(range.start + range.count - 1);
  }

  private section(title: string): void {
    this.ensure(48);
    this.doc.y += 9;
    this.style({ font: 'bold', size: 10, color: INK });
    this.doc.text(title, this.left, this.doc.y, { width: this.width });
    this.doc.y += 2;
  }

  private paragraph(text: string): void {
    this.style({ font: 'regular', size: BODY, color: INK });
    this.doc.text(text, this.left, this.doc.y, { width: this.width, lineGap: 1.5 });
  }

  private none(): void {
    this.style({ font: 'regular', size: BODY, color: MUTED });
    this.doc.text(this.labels.none, this.left, this.doc.y, { width: this.width });
  }

  private people(part: string, people: PagePerson[]): Row[] {
    if (people.length === 0) return [[part, { text: this.labels.none, font: 'regular', color: MUTED }, '']];
    return people.map((p, i) => [i === 0 ? part : '', p.name, `${p.roleTitle} (${p.role})`]);
  }

  /** Width of the widest text (in `font` at `size`) or header (bold, SMALL; on one line if it fits), with padding, at most `cap`. */
  private fit(font: FontRole, size: number, texts: string[], cap: number, header = ''): number {
    this.doc.font(FONT[font]).fontSize(size);
    let widest = Math.max(0, ...texts.map((t) => this.doc.widthOfString(t)));
    this.doc.font(FONT.bold).fontSize(SMALL);
    const whole = this.doc.widthOfString(header);
    const longestWord = Math.max(...header.split(/\s+/).map((word) => this.doc.widthOfString(word)));
    widest = Math.max(widest, whole + 2 * PAD_X + 1 <= cap ? whole : longestWord);
    this.style({});
    return Math.min(cap, Math.ceil(widest + 2 * PAD_X + 1));
  }

  /** Label/value pairs side by side, without a header row. */
  private grid(rows: Row[]): void {
    const half = this.width / 2;
    this.table(
      [
        { header: '', width: 78, font: 'regular', size: SMALL + 0.5, color: MUTED },
        { header: '', width: half - 78, font: 'regular', size: BODY },
        { header: '', width: 78, font: 'regular', size: SMALL + 0.5, color: MUTED },
        { header: '', width: 0, font: 'regular', size: BODY },
      ],
      rows,
      { header: false, rules: false },
    );
  }

  /**
   * Rows that never split across pages: a row that does not fit moves to the next page, under a repeated
   * header row. Column width 0 takes what the others leave.
   */
  private table(columns: Column[], rows: Row[], options: { header?: boolean; rules?: boolean } = {}): void {
    const header = options.header ?? true;
    const rules = options.rules ?? true;
    const fixed = columns.reduce((sum, c) => sum + c.width, 0);
    const flexible = columns.filter((c) => c.width === 0).length;
    const widths = columns.map((c) => (c.width === 0 ? Math.max(40, (this.width - fixed) / Math.max(1, flexible)) : c.width));
    const headerRow: Row = columns.map((c) => ({ text: c.header, font: 'bold' as const, color: MUTED }));
    const headerHeight = header ? this.rowHeight(columns, widths, headerRow, SMALL) : 0;
    const fullPage = this.bottom - this.top - headerHeight;

    const drawHeader = () => {
      if (!header) return;
      this.drawRow(columns, widths, headerRow, headerHeight, SMALL);
      this.rule(this.doc.y, RULE);
    };

    const first = rows.length > 0 ? this.rowHeight(columns, widths, rows[0]) : 0;
    this.ensure(headerHeight + (first > fullPage ? 3 * BODY : first));
    drawHeader();
    for (const row of rows) {
      const height = this.rowHeight(columns, widths, row);
      if (this.doc.y + height > this.bottom && height <= fullPage) {
        this.doc.addPage();
        drawHeader();
      }
      if (height > fullPage) {
        this.stacked(columns, row);
        continue;
      }
      this.drawRow(columns, widths, row, height);
      if (rules) this.rule(this.doc.y, HAIRLINE, 0.4);
    }
  }

  /** A row too tall for any page: its cells one under the other, flowing across pages. */
  private stacked(columns: Column[], row: Row): void {
    row.forEach((raw, i) => {
      const cell = asCell(raw);
      const column = columns[i];
      this.style({ font: cell.font ?? column.font, size: column.size, color: cell.color ?? column.color ?? INK });
      this.doc.text(cell.text === '' ? ' ' : cell.text, this.left + PAD_X, this.doc.y + PAD_Y, { width: this.width - 2 * PAD_X, lineGap: LINE_GAP });
    });
    this.doc.y += PAD_Y;
    this.rule(this.doc.y, HAIRLINE, 0.4);
  }

  private rowHeight(columns: Column[], widths: number[], row: Row, sizeOverride?: number): number {
    const largest = Math.max(...columns.map((c) => sizeOverride ?? c.size));
    let height = 0;
    row.forEach((raw, i) => {
      const cell = asCell(raw);
      const column = columns[i];
      const size = sizeOverride ?? column.size;
      this.doc.font(FONT[cell.font ?? column.font]).fontSize(size);
      const h = cell.text === '' ? this.doc.currentLineHeight(true) : this.doc.heightOfString(cell.text, { width: widths[i] - 2 * PAD_X, lineGap: LINE_GAP });
      height = Math.max(height, h + ASCENT * (largest - size));
    });
    this.style({});
    return Math.ceil(height + 2 * PAD_Y);
  }

  private drawRow(columns: Column[], widths: number[], row: Row, height: number, sizeOverride?: number): void {
    const y = this.doc.y;
    const largest = Math.max(...columns.map((c) => sizeOverride ?? c.size));
    let x = this.left;
    row.forEach((raw, i) => {
      const cell = asCell(raw);
      const column = columns[i];
      const size = sizeOverride ?? column.size;
      if (cell.text !== '') {
        this.style({ font: cell.font ?? column.font, size, color: cell.color ?? column.color ?? INK });
        this.doc.text(cell.text, x + PAD_X, y + PAD_Y + ASCENT * (largest - size), { width: widths[i] - 2 * PAD_X, lineGap: LINE_GAP, align: column.align ?? 'left' });
      }
      x += widths[i];
    });
    this.doc.x = this.left;
    this.doc.y = y + height;
  }
}

function asCell(raw: string | Cell): Cell {
  return typeof raw === 'string' ? { text: raw } : raw;
}

function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{([^{}]*)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

function firstValidDate(...times: string[]): Date | undefined {
  for (const t of times) {
    const d = new Date(t);
    if (t !== '' && !Number.isNaN(d.getTime())) return d;
  }
  return undefined;
}

function duration(start: string, end: string): string {
  const ms = Date.parse(end) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

