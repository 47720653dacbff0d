// Renders the sealed evidence packet (packet.pdf) from a PacketDocument: a cover (ceremony, run, outcome, times,
// participants, script SHA-256, the journal head and its words to read aloud, the evidence key), a table of
// contents whose page numbers count the whole packet, every step record exactly as it was written, and an
// appendix with every certificate and public key as PEM. Cover, contents and appendix are drawn with pdfkit in
// the fonts and page settings of step-page.yaml (all embedded) and the wording of packet.yaml; the parts are
// merged with pdf-lib. With a PdfSignature the merged file carries one embedded detached CMS signature
// (adbe.pkcs7.detached, made by detachedCms in the HSM) over all of it; without one it is returned unsigned.
// The same document and templates give the same unsigned bytes. A template problem throws OfficiantError
// 'env.fs' naming the file and the YAML path before anything is drawn.
import { join } from 'node:path';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { PDFArray, PDFDict, PDFDocument as PdfLibDocument, PDFName } from 'pdf-lib';
export { headWords } from '../record/digest-words.js';
import { headWords } from '../record/digest-words.js';
import PDFDocument from 'pdfkit';
import { z } from 'zod';
import { detachedCms } from './cms.js';
import type { PacketDocument, PacketStep } from './packet.types.js';
import { collect, FONT, loadPageTemplate, readTemplateFile, text, type FontRole, type PageTemplate } from './page-template.js';
import type { PdfSignature } from './sign-pdf.js';

export const PACKET_TEMPLATE_FILE = 'packet.yaml';

// ---- template ---------------------------------------------------------------------------------------------


const PacketTemplateSchema = z
  .object({
    watermark: z.object({ text: text(), banner: text() }).strict(),
    cover: z
      .object({
        title: text(),
        document: text(),
        ceremony: text(),
        version: text(),
        authority: text(),
        ceremonyRun: text(),
        outcome: text(),
        outcomes: z.object({ completed: text(), aborted: text() }).strict(),
        abortReason: text(),
        startedAt: text(),
        endedAt: text(),
        duration: text(),
        steps: text(),
        stepsSummary: text('total', 'completed', 'aborted', 'notReached'),
        participants: text(),
        name: text(),
        role: text(),
        none: text(),
        scriptSha256: text(),
        journalHead: text(),
        readAloud: text(),
        evidenceKey: text(),
        evidenceSubject: text(),
        evidenceCertificate: text(),
        noEvidenceKey: text(),
      })
      .strict(),
    contents: z
      .object({
        title: text(),
        note: text(),
        number: text(),
        step: text(),
        outcome: text(),
        page: text(),
        outcomes: z.object({ completed: text(), aborted: text(), notReached: text() }).strict(),
        noPage: text(),
        noPageNumber: text(),
        appendix: text(),
      })
      .strict(),
    appendix: z
      .object({
        title: text(),
        continued: text(),
        intro: text(),
        file: text(),
        sha256: text(),
        none: text(),
      })
      .strict(),
    footer: z
      .object({
        legal: text(),
        run: text('ceremony', 'version', 'run'),
        page: text('page', 'pages'),
      })
      .strict(),
  })
  .strict();

export type PacketTemplate = z.output<typeof PacketTemplateSchema>;

/** Reads and validates <templateDir>/packet.yaml; every problem at once, as OfficiantError 'env.fs'. */
export async function loadPacketTemplate(templateDir: string): Promise<PacketTemplate> {
  const file = join(templateDir, PACKET_TEMPLATE_FILE);
  const parsed = await readTemplateFile(file, PacketTemplateSchema);
  return parsed.value;
}



// ---- journal head words -----------------------------------------------------------------------------------


// ---- rendering --------------------------------------------------------------------------------------------

// Room for the CMS: certificate (~600 bytes) + attributes + ECDSA signature, hex-encoded in the PDF.
const SIGNATURE_LENGTH = 8192;


const INK = '#111111';
const MUTED = '#555555';
const RULE = '#9a9a9a';
const HAIRLINE = '#d0d0d0';
const ALERT = '#a00000';
const WATERMARK = '#e6e6e6';
const PANEL = '#f3f3f3';

const BODY = 9;
const SMALL = 7.5;
const TINY = 7;
const LINE_GAP = 1;
const PAD_X = 3;
const PAD_Y = 2.5;

interface Templates {
  page: PageTemplate;
  packet: PacketTemplate;
}

/** Where things land in the merged packet; 1-based page numbers. */
interface Numbering {
  /** Pages before this part. */
  offset: number;
  total: number;
  stepStart: Array<number | undefined>;
  appendixStart: number;
}

interface Part {
  pdf: Buffer;
  pages: number;
}

class PacketSigner extends Signer {
  constructor(private readonly signature: PdfSignature) {
    super();
  }

  async sign(content: Buffer): Promise<Buffer> {
    return detachedCms(content, this.signature.key, this.signature.signingTime);
  }
}

export async function renderPacket(doc: PacketDocument, options: { templateDir: string; signature?: PdfSignature }): Promise<Buffer> {
  const templates: Templates = { page: await loadPageTemplate(options.templateDir), packet: await loadPacketTemplate(options.templateDir) };
  const created = firstValidDate(doc.endedAt, doc.startedAt);
  const records = await Promise.all(doc.steps.map((s) => (s.page ? loadStepRecord(s) : undefined)));
  const recordPages = records.map((r) => r?.getPageCount() ?? 0);
  const stepPageTotal = recordPages.reduce((a, b) => a + b, 0);

  // The contents cite page numbers that depend on how many pages the cover, contents and appendix take, and
  // the footers count the whole packet: lay out again until the counts that were assumed are the counts drawn.
  let assumed = { front: 2, appendix: 1 };
  let front: Part | undefined;
  let appendix: Part | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    const total = assumed.front + stepPageTotal + assumed.appendix;
    const stepStart: Array<number | undefined> = [];
    let next = assumed.front + 1;
    for (const pages of recordPages) {
      stepStart.push(pages > 0 ? next : undefined);
      next += pages;
    }
    const numbering = { total, stepStart, appendixStart: next };
    front = await renderFrontMatter(doc, templates, { ...numbering, offset: 0 }, created);
    appendix = await renderAppendix(doc, templates, { ...numbering, offset: next - 1 }, created);
    if (front.pages === assumed.front && appendix.pages === assumed.appendix) break;
    assumed = { front: front.pages, appendix: appendix.pages };
    front = appendix = undefined;
  }
  if (!front || !appendix) throw new Error('packet page numbers did not settle after 4 layouts');

  const out = await PdfLibDocument.create({ updateMetadata: false });
  const t = templates.packet;
  out.setTitle(`${doc.ceremony.title} — ${t.cover.title}`);
  out.setSubject(
    `${t.cover.document}: ${doc.ceremony.id} v${doc.ceremony.version}, run ${doc.ceremony.ceremonyId}, ${t.cover.outcomes[doc.outcome]}${doc.rehearsal ? `, ${t.watermark.banner}` : ''}`,
  );
  out.setAuthor(doc.ceremony.authority);
  out.setKeywords(['officiant', 'packet', doc.ceremony.id, doc.ceremony.ceremonyId, doc.outcome, ...(doc.rehearsal ? ['rehearsal'] : [])]);
  out.setCreator('Officiant');
  out.setProducer('Officiant');
  if (created) {
    out.setCreationDate(created);
    out.setModificationDate(created);
  }
  for (const part of [await PdfLibDocument.load(front.pdf), ...records, await PdfLibDocument.load(appendix.pdf)]) {
    if (!part) continue;
    for (const page of await out.copyPages(part, part.getPageIndices())) out.addPage(page);
  }

  if (!options.signature) return Buffer.from(await out.save({ useObjectStreams: false }));
  const s = options.signature;
  pdflibAddPlaceholder({
    pdfDoc: out,
    reason: s.reason,
    contactInfo: '',
    name: s.name,
    location: s.location,
    signingTime: s.signingTime,
    signatureLength: SIGNATURE_LENGTH,
  });
  // @signpdf finds the placeholder by scanning the bytes: it must not sit inside a compressed object stream.
  const bytes = Buffer.from(await out.save({ useObjectStreams: false }));
  return new SignPdf().sign(bytes, new PacketSigner(s));
}

/**
 * A step record ready to be copied in. Its own signature field is dropped from the copy: that signature
 * covers the step record file (whose SHA-256 the contents show), not the packet, and a copied field would
 * read as a second, broken signature of packet.pdf.
 */
async function loadStepRecord(step: PacketStep): Promise<PdfLibDocument> {
  const record = await PdfLibDocument.load(step.page!.pdf, { updateMetadata: false });
  for (const page of record.getPages()) {
    const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
    if (!annots) continue;
    const kept = annots.asArray().filter((ref) => {
      const annot = record.context.lookupMaybe(ref, PDFDict);
      return !(annot && annot.get(PDFName.of('FT')) === PDFName.of('Sig'));
    });
    if (kept.length === 0) page.node.delete(PDFName.of('Annots'));
    else page.node.set(PDFName.of('Annots'), record.context.obj(kept));
  }
  return record;
}

function newDocument(doc: PacketDocument, templates: Templates, created: Date | undefined, subject: string): PDFKit.PDFDocument {
  const pdf = new PDFDocument({
    size: templates.page.page.size,
    margins: templates.page.page.margins,
    bufferPages: true,
    autoFirstPage: false,
    font: '',
    pdfVersion: '1.7',
    info: {
      Title: `${doc.ceremony.title} — ${subject}`,
      Author: doc.ceremony.authority,
      Creator: 'Officiant',
      ...(created ? { CreationDate: created, ModDate: created } : {}),
    },
  });
  for (const role of ['regular', 'bold', 'mono'] as const) pdf.registerFont(FONT[role], templates.page.fonts[role].data);
  return pdf;
}

async function renderFrontMatter(doc: PacketDocument, templates: Templates, numbering: Numbering, created: Date | undefined): Promise<Part> {
  const pdf = newDocument(doc, templates, created, templates.packet.cover.title);
  const bytes = collect(pdf);
  const writer = new PacketWriter(pdf, templates, doc);
  writer.start();
  writer.cover();
  pdf.addPage();
  writer.contents(numbering);
  const pages = writer.decorate(numbering);
  pdf.end();
  return { pdf: await bytes, pages };
}

async function renderAppendix(doc: PacketDocument, templates: Templates, numbering: Numbering, created: Date | undefined): Promise<Part> {
  const pdf = newDocument(doc, templates, created, templates.packet.appendix.title);
  const bytes = collect(pdf);
  const writer = new PacketWriter(pdf, templates, doc);
  writer.start();
  writer.appendix();
  const pages = writer.decorate(numbering);
  pdf.end();
  return { pdf: await bytes, pages };
}

interface Style {
  font: FontRole;
  size: number;
  color: string;
}

/** One line or paragraph inside a table cell; a cell stacks its spans top to bottom. */
interface Span {
  text: string;
  font?: FontRole;
  size?: number;
  color?: string;
}

type Cell = string | Span | Span[];

interface Column {
  header: string;
  width: number;
  font?: FontRole;
  size?: number;
  color?: string;
  align?: 'left' | 'right';
}

class PacketWriter {
  private current: Style = { font: 'regular', size: BODY, color: INK };
  private readonly t: PacketTemplate;

  constructor(
    private readonly pdf: PDFKit.PDFDocument,
    private readonly templates: Templates,
    private readonly doc: PacketDocument,
  ) {
    this.t = templates.packet;
  }

  private get left(): number {
    return this.pdf.page.margins.left;
  }

  private get width(): number {
    return this.pdf.page.width - this.pdf.page.margins.left - this.pdf.page.margins.right;
  }

  private get top(): number {
    return this.pdf.page.margins.top;
  }

  private get bottom(): number {
    return this.pdf.page.height - this.pdf.page.margins.bottom;
  }

  private style(s: Partial<Style>): void {
    this.current = { ...this.current, ...s };
    this.pdf.font(FONT[this.current.font]).fontSize(this.current.size).fillColor(this.current.color);
  }

  private ensure(height: number): void {
    if (this.pdf.y + height > this.bottom) this.pdf.addPage();
  }

  private rule(y: number, color = RULE, lineWidth = 0.5): void {
    this.pdf.save().moveTo(this.left, y).lineTo(this.left + this.width, y).lineWidth(lineWidth).strokeColor(color).stroke().restore();
  }

  /** First page; a rehearsal gets the watermark under everything on every page. */
  start(): void {
    if (this.doc.rehearsal) this.pdf.on('pageAdded', () => this.watermark(this.t.watermark.text));
    this.pdf.addPage();
  }

  private watermark(text: string): void {
    const { pdf } = this;
    const { x, y } = pdf;
    const w = pdf.page.width;
    const h = pdf.page.height;
    const angle = (Math.atan2(h, w) * 180) / Math.PI;
    pdf.font(FONT.bold).fontSize(100);
    const size = Math.min(160, (100 * 0.75 * Math.hypot(w, h)) / pdf.widthOfString(text));
    pdf.fontSize(size);
    const textWidth = pdf.widthOfString(text);
    const textHeight = pdf.currentLineHeight();
    pdf.save();
    pdf.rotate(-angle, { origin: [w / 2, h / 2] });
    pdf.fillColor(WATERMARK).text(text, (w - textWidth) / 2, (h - textHeight) / 2, { lineBreak: false });
    pdf.restore();
    pdf.x = x;
    pdf.y = y;
    this.style({});
  }

  cover(): void {
    const { pdf, doc } = this;
    const c = this.t.cover;
    pdf.y = this.top;
    this.style({ font: 'bold', size: 22, color: INK });
    pdf.text(c.title, this.left, pdf.y, { width: this.width });
    pdf.y += 2;
    this.style({ font: 'bold', size: 14, color: INK });
    pdf.text(doc.ceremony.title, this.left, pdf.y, { width: this.width });
    pdf.y += 6;
    this.grid([
      [c.ceremony, { text: doc.ceremony.id, font: 'mono' }, c.version, String(doc.ceremony.version)],
      [c.authority, doc.ceremony.authority, c.ceremonyRun, { text: doc.ceremony.ceremonyId, font: 'mono' }],
    ]);

    if (doc.rehearsal) {
      pdf.y += 8;
      this.box(ALERT, 1.5, () => {
        this.style({ font: 'bold', size: 14, color: ALERT });
        pdf.text(this.t.watermark.banner, this.left + 10, pdf.y, { width: this.width - 20, align: 'center' });
      });
    }

    pdf.y += 10;
    const aborted = doc.outcome === 'aborted';
    this.box(aborted ? ALERT : INK, aborted ? 2 : 1.2, () => {
      const inner = { x: this.left + 12, width: this.width - 24 };
      this.style({ font: 'regular', size: SMALL + 0.5, color: MUTED });
      pdf.text(c.outcome, inner.x, pdf.y, inner);
      this.style({ font: 'bold', size: 30, color: aborted ? ALERT : INK });
      pdf.text(c.outcomes[doc.outcome], inner.x, pdf.y, { ...inner, lineGap: 0 });
      if (aborted) {
        pdf.y += 2;
        this.style({ font: 'bold', size: BODY + 1, color: ALERT });
        pdf.text(c.abortReason, inner.x, pdf.y, inner);
        this.style({ font: 'regular', size: BODY + 1, color: INK });
        pdf.text(doc.abortReason?.trim() || '—', inner.x, pdf.y, { ...inner, lineGap: 1.5 });
      }
    });

    pdf.y += 8;
    const count = (o: PacketStep['outcome']) => doc.steps.filter((s) => s.outcome === o).length;
    this.grid([
      [c.startedAt, { text: doc.startedAt, font: 'mono' }, c.endedAt, { text: doc.endedAt, font: 'mono' }],
      [
        c.duration,
        { text: duration(doc.startedAt, doc.endedAt), font: 'mono' },
        c.steps,
        fill(c.stepsSummary, { total: doc.steps.length, completed: count('completed'), aborted: count('aborted'), notReached: count('not reached') }),
      ],
    ]);

    this.section(c.participants);
    if (doc.participants.length === 0) this.muted(c.none);
    else
      this.table(
        [
          { header: c.name, width: 200, font: 'bold' },
          { header: c.role, width: 0 },
        ],
        doc.participants.map((p) => [p.name, [{ text: p.roleTitle }, { text: p.role, font: 'mono', size: TINY, color: MUTED }]]),
      );

    this.section(c.scriptSha256);
    this.style({ font: 'mono', size: BODY, color: INK });
    pdf.text(doc.ceremony.scriptSha256, this.left, pdf.y, { width: this.width });

    this.section(c.journalHead, 130);
    this.style({ font: 'mono', size: BODY + 1, color: INK });
    pdf.text(doc.journalHead, this.left, pdf.y, { width: this.width });
    pdf.y += 4;
    this.style({ font: 'regular', size: SMALL + 0.5, color: MUTED });
    pdf.text(c.readAloud, this.left, pdf.y, { width: this.width, lineGap: 1 });
    pdf.y += 6;
    this.words(doc.journalHeadWords.length > 0 ? doc.journalHeadWords : headWords(doc.journalHead));

    this.section(c.evidenceKey);
    if (doc.evidenceKey)
      this.table(
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
    else this.muted(c.noEvidenceKey);
  }

  /** The journal head words, large and numbered, three to a row, for reading aloud and copying by hand. */
  private words(words: string[]): void {
    const { pdf } = this;
    const perRow = 3;
    const cellWidth = this.width / perRow;
    const rowHeight = 30;
    const rows = Math.ceil(words.length / perRow);
    this.ensure(rows * rowHeight + 8);
    const top = pdf.y;
    pdf.save().roundedRect(this.left, top, this.width, rows * rowHeight + 8, 4).fillColor(PANEL).fill().restore();
    words.forEach((word, i) => {
      const x = this.left + (i % perRow) * cellWidth + 14;
      const y = top + 4 + Math.floor(i / perRow) * rowHeight + 4;
      this.style({ font: 'regular', size: 11, color: MUTED });
      const number = `${i + 1}.`;
      pdf.text(number, x, y + 6, { lineBreak: false });
      this.style({ font: 'bold', size: 18, color: INK });
      pdf.text(word, x + 22, y, { lineBreak: false });
    });
    pdf.x = this.left;
    pdf.y = top + rows * rowHeight + 8;
  }

  contents(numbering: Numbering): void {
    const { pdf, doc } = this;
    const c = this.t.contents;
    pdf.y = this.top;
    this.style({ font: 'bold', size: 15, color: INK });
    pdf.text(c.title, this.left, pdf.y, { width: this.width });
    pdf.y += 2;
    this.style({ font: 'regular', size: SMALL + 0.5, color: MUTED });
    pdf.text(c.note, this.left, pdf.y, { width: this.width, lineGap: 1 });
    pdf.y += 8;

    const outcomes = { completed: c.outcomes.completed, aborted: c.outcomes.aborted, 'not reached': c.outcomes.notReached };
    const rows: Cell[][] = doc.steps.map((s, i) => {
      const start = numbering.stepStart[i];
      const described: Span[] = [{ text: s.title, font: 'bold', size: BODY }];
      if (s.page)
        described.push({ text: s.page.path, font: 'mono', size: TINY, color: MUTED }, { text: s.page.sha256, font: 'mono', size: TINY, color: INK });
      else described.push({ text: c.noPage, font: 'regular', size: TINY, color: MUTED });
      return [
        String(s.number),
        described,
        { text: outcomes[s.outcome], font: s.outcome === 'aborted' ? 'bold' : 'regular', color: s.outcome === 'aborted' ? ALERT : s.outcome === 'not reached' ? MUTED : INK },
        start === undefined ? { text: c.noPageNumber, color: MUTED } : { text: String(start), font: 'bold' },
      ];
    });
    rows.push(['', { text: c.appendix, font: 'bold' }, '', { text: String(numbering.appendixStart), font: 'bold' }]);
    this.table(
      [
        { header: c.number, width: 34, align: 'right' },
        { header: c.step, width: 0 },
        { header: c.outcome, width: 74 },
        { header: c.page, width: 40, align: 'right' },
      ],
      rows,
    );
  }

  appendix(): void {
    const { pdf, doc } = this;
    const a = this.t.appendix;
    pdf.y = this.top;
    this.style({ font: 'bold', size: 15, color: INK });
    pdf.text(a.title, this.left, pdf.y, { width: this.width });
    pdf.y += 2;
    this.style({ font: 'regular', size: SMALL + 0.5, color: MUTED });
    pdf.text(a.intro, this.left, pdf.y, { width: this.width, lineGap: 1 });
    if (doc.appendix.length === 0) {
      pdf.y += 10;
      this.muted(a.none);
      return;
    }
    for (const item of doc.appendix) {
      const pem = item.pem.replace(/\r\n?/g, '\n').trimEnd();
      const pemOptions = { width: this.width - 2 * 8, lineGap: 0.5 };
      this.style({ font: 'mono', size: 6.5, color: INK });
      const pemHeight = pdf.heightOfString(pem, pemOptions) + 2 * 6;
      const headHeight = 60;
      // An item starts on a new page unless it fits whole where it is; one too long for any page flows on.
      const whole = headHeight + pemHeight;
      if (pdf.y + whole > this.bottom && whole <= this.bottom - this.top) pdf.addPage();
      else this.ensure(headHeight + 40);
      pdf.y += 14;
      this.style({ font: 'bold', size: 11, color: INK });
      pdf.text(item.title, this.left, pdf.y, { width: this.width });
      pdf.y += 2;
      this.table(
        [
          { header: '', width: 60, size: SMALL + 0.5, color: MUTED },
          { header: '', width: 0, font: 'mono', size: 8 },
        ],
        [
          [a.file, item.path],
          [a.sha256, item.sha256],
        ],
        { header: false, rules: false },
      );
      pdf.y += 3;
      const top = pdf.y;
      if (top + pemHeight <= this.bottom) pdf.save().rect(this.left, top, this.width, pemHeight).fillColor(PANEL).fill().restore();
      this.style({ font: 'mono', size: 6.5, color: INK });
      pdf.text(pem, this.left + 8, top + 6, pemOptions);
      pdf.y += 6;
    }
  }

  /**
   * Running header (from the second page of a part on, and on every page of a rehearsal) and the footer with
   * the packet's page numbering, on every buffered page. Returns the number of pages.
   */
  decorate(numbering: Numbering): number {
    const { pdf, doc } = this;
    const footer = this.t.footer;
    const range = pdf.bufferedPageRange();
    const run = fill(footer.run, { ceremony: doc.ceremony.id, version: doc.ceremony.version, run: doc.ceremony.ceremonyId });
    const legal = doc.footer.trim() === '' ? footer.legal : doc.footer;
    for (let i = range.start; i < range.start + range.count; i++) {
      pdf.switchToPage(i);
      const packetPage = numbering.offset + i + 1;
      const margins = pdf.page.margins;
      const bottomMargin = margins.bottom;
      margins.bottom = 0;

      const y = Math.max(8, this.top - 26);
      if (packetPage > 1) {
        this.style({ font: 'regular', size: SMALL, color: MUTED });
        const title = `${this.t.cover.document} — ${doc.ceremony.title}`;
        pdf.text(title, this.left, y, { width: this.width * (doc.rehearsal ? 0.62 : 1), height: pdf.currentLineHeight(), ellipsis: true });
        this.rule(y + 12, HAIRLINE);
      }
      if (doc.rehearsal) {
        this.style({ font: 'bold', size: SMALL, color: ALERT });
        pdf.text(this.t.watermark.banner, this.left, y, { width: this.width, align: 'right', lineBreak: false });
      }

      const fy = pdf.page.height - bottomMargin + 10;
      const pageLabel = fill(footer.page, { page: packetPage, pages: numbering.total });
      this.rule(fy - 5);
      this.style({ font: 'bold', size: SMALL, color: INK });
      const pageWidth = pdf.widthOfString(pageLabel);
      pdf.text(pageLabel, this.left, fy, { width: this.width, align: 'right', lineBreak: false });
      this.style({ font: 'regular', size: TINY, color: MUTED });
      const label = `${this.t.cover.scriptSha256} `;
      const labelWidth = pdf.widthOfString(label);
      pdf.text(label, this.left, fy, { lineBreak: false });
      this.style({ font: 'mono', size: TINY, color: INK });
      pdf.text(doc.ceremony.scriptSha256, this.left + labelWidth, fy, { width: this.width - labelWidth - pageWidth - 8, height: pdf.currentLineHeight(), ellipsis: true });
      this.style({ font: 'regular', size: TINY, color: MUTED });
      pdf.text(run, this.left, fy + 10, { width: this.width, height: pdf.currentLineHeight(), ellipsis: true });
      const legalHeight = pdf.page.height - (fy + 20) - 8;
      pdf.text(legal, this.left, fy + 20, { width: this.width, height: Math.max(legalHeight, pdf.currentLineHeight(true)), ellipsis: true, lineGap: 0.5 });
      margins.bottom = bottomMargin;
    }
    pdf.switchToPage(range.start + range.count - 1);
    return range.count;
  }

  /** Content drawn by `draw` inside a bordered box, moved to the next page first if it would not fit. */
  private box(color: string, lineWidth: number, draw: () => void): void {
    const { pdf } = this;
    this.ensure(90);
    const top = pdf.y;
    pdf.y = top + 8;
    draw();
    const bottom = pdf.y + 6;
    pdf.save().roundedRect(this.left, top, this.width, bottom - top, 4).lineWidth(lineWidth).strokeColor(color).stroke().restore();
    pdf.x = this.left;
    pdf.y = bottom;
  }

  private section(title: string, keepWithNext = 48): void {
    this.ensure(keepWithNext);
    this.pdf.y += 10;
    this.style({ font: 'bold', size: 10.5, color: INK });
    this.pdf.text(title, this.left, this.pdf.y, { width: this.width });
    this.pdf.y += 2;
  }

  private muted(text: string): void {
    this.style({ font: 'regular', size: BODY, color: MUTED });
    this.pdf.text(text, this.left, this.pdf.y, { width: this.width });
  }

  /** Label/value pairs side by side, without a header row. */
  private grid(rows: Cell[][]): void {
    const half = this.width / 2;
    this.table(
      [
        { header: '', width: 78, size: SMALL + 0.5, color: MUTED },
        { header: '', width: half - 78 },
        { header: '', width: 78, size: SMALL + 0.5, color: MUTED },
        { header: '', width: 0 },
      ],
      rows,
      { header: false, rules: false },
    );
  }

  /** Rows that never split across pages: a row that does not fit moves to the next page, under a repeated header. */
  private table(columns: Column[], rows: Cell[][], options: { header?: boolean; rules?: boolean } = {}): void {
    const header = options.header ?? true;
    const rules = options.rules ?? true;
    const fixed = columns.reduce((sum, c) => sum + c.width, 0);
    const flexible = columns.filter((c) => c.width === 0).length;
    const widths = columns.map((c) => (c.width === 0 ? Math.max(40, (this.width - fixed) / Math.max(1, flexible)) : c.width));
    const headerRow: Cell[] = columns.map((c) => ({ text: c.header, font: 'bold' as const, size: SMALL, color: MUTED }));
    const headerHeight = header ? this.rowHeight(columns, widths, headerRow) : 0;

    const drawHeader = () => {
      if (!header) return;
      this.drawRow(columns, widths, headerRow, headerHeight);
      this.rule(this.pdf.y, RULE);
    };

    const first = rows.length > 0 ? this.rowHeight(columns, widths, rows[0]) : 0;
    this.ensure(headerHeight + first);
    drawHeader();
    for (const row of rows) {
      const height = this.rowHeight(columns, widths, row);
      if (this.pdf.y + height > this.bottom) {
        this.pdf.addPage();
        drawHeader();
      }
      this.drawRow(columns, widths, row, height);
      if (rules) this.rule(this.pdf.y, HAIRLINE, 0.4);
    }
  }

  private spans(column: Column, cell: Cell): Required<Span>[] {
    const list = typeof cell === 'string' ? [{ text: cell }] : Array.isArray(cell) ? cell : [cell];
    return list.map((s) => ({ text: s.text, font: s.font ?? column.font ?? 'regular', size: s.size ?? column.size ?? BODY, color: s.color ?? column.color ?? INK }));
  }

  private rowHeight(columns: Column[], widths: number[], row: Cell[]): number {
    let height = 0;
    row.forEach((cell, i) => {
      let h = 0;
      for (const span of this.spans(columns[i], cell)) {
        this.pdf.font(FONT[span.font]).fontSize(span.size);
        h += span.text === '' ? this.pdf.currentLineHeight(true) : this.pdf.heightOfString(span.text, { width: widths[i] - 2 * PAD_X, lineGap: LINE_GAP });
      }
      height = Math.max(height, h);
    });
    this.style({});
    return Math.ceil(height + 2 * PAD_Y);
  }

  private drawRow(columns: Column[], widths: number[], row: Cell[], height: number): void {
    const y = this.pdf.y;
    let x = this.left;
    row.forEach((cell, i) => {
      let cy = y + PAD_Y;
      for (const span of this.spans(columns[i], cell)) {
        this.style({ font: span.font, size: span.size, color: span.color });
        const options = { width: widths[i] - 2 * PAD_X, lineGap: LINE_GAP, align: columns[i].align ?? 'left' };
        if (span.text !== '') this.pdf.text(span.text, x + PAD_X, cy, options);
        cy += span.text === '' ? this.pdf.currentLineHeight(true) : this.pdf.heightOfString(span.text, options);
      }
      x += widths[i];
    });
    this.pdf.x = this.left;
    this.pdf.y = y + height;
  }
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

