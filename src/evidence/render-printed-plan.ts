// Renders the printed plan of a ceremony script: the paper every participant reviews before the ceremony,
// brings to it, and fills in by hand on the day, so that it joins the record as the documented script that
// was (or was not) followed. A title page with the script's SHA-256 and blanks for date, place, times,
// approval and storage; the roles with a line per required person to print a name, sign and give initials;
// the materials as checkboxes; every step with who performs, witnesses and signs off, what happens on
// failure, its instructions, and boxes for initials (one per signer role), time and notes; a deviation log;
// and a sign-off page on which every participant and witness states whether the script was followed.
// Fixed texts come from <templateDir>/printed-plan.yaml; page size, margins and fonts from step-page.yaml
// (page-template.ts), so the plan and the evidence pages match. Only those fonts are used, all embedded.
// Every page carries the script SHA-256 and "page X of Y". The same script, digest and templates give the
// same bytes: the PDF's creation date is a constant, the epoch. A template problem throws OfficiantError 'env.fs' naming the
// file and the YAML path before anything is drawn.
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import { z } from 'zod';
import { approvalSubject } from '../script/plan.js';
import { custodianCount, custodianNames, type Script, type Step, type StepKind } from '../script/schema.js';
import { collect, FONT, loadPageTemplate, readTemplateFile, text, type FontRole, type PageTemplate } from './page-template.js';

export const PRINTED_PLAN_TEMPLATE_FILE = 'printed-plan.yaml';


// Keyed by step kind, so a new kind cannot be added without saying what the plan prints for it.
const KIND_TEXTS = {
  'participants.check-in': text('people'),
  'manual.confirm': text('role'),
  'hsm.init-token': text('people', 'role'),
  'hsm.generate-key': text('algorithm', 'label', 'authority', 'purpose', 'protection'),
  'hsm.inspect-key': text('key'),
  'hsm.self-signed-certificate': text('key', 'subject', 'days'),
  'evidence.init-key': text('label', 'algorithm'),
  'piv.enroll': text('role', 'index', 'slots', 'issuer'),
  'officer.revoke': text('role'),
  'roster.sign': text('threshold', 'role'),
  'quorum.approve': text('threshold', 'role', 'what'),
  'backup.split': text('keys', 'threshold', 'count', 'custodians'),
  'backup.restore': text('keys'),
  'backup.reshare': text('threshold', 'count', 'custodians'),
  'backup.verify': text('custodians'),
} satisfies Record<StepKind, z.ZodType>;

// Steps at which a value is read aloud for people to copy onto their plan (see writeIns).
const WRITE_IN_TEXTS = {
  'hsm.inspect-key': text(),
  'hsm.self-signed-certificate': text(),
  'evidence.init-key': text(),
  'quorum.approve': text(),
  'backup.split': text(),
  'backup.reshare': text(),
} satisfies Partial<Record<StepKind, z.ZodType>>;

const PrintedPlanTemplateSchema = z
  .object({
    layout: z.object({ deviationRows: z.number().int().min(1).max(100) }).strict(),
    labels: z
      .object({
        document: text(),
        ceremony: text(),
        version: text(),
        authority: text(),
        steps: text(),
        hsmProfile: text(),
        hsmProfileValue: text('profile'),
        tokenActivation: text(),
        tokenActivationValue: text('people', 'role'),
        scriptSha256: text(),
        compareSha256: text(),
        fillIn: text(),
        date: text(),
        location: text(),
        scheduledStart: text(),
        actualStart: text(),
        endTime: text(),
        approvedBy: text(),
        storedAt: text(),
        roles: text(),
        rolesIntro: text(),
        role: text(),
        name: text(),
        signature: text(),
        initials: text(),
        personOf: text('number', 'count'),
        materials: text(),
        materialsIntro: text(),
        noMaterials: text(),
        step: text('number', 'total', 'title'),
        stepId: text(),
        kind: text(),
        performedBy: text(),
        witnessedBy: text(),
        signedOffBy: text(),
        onFailure: text(),
        onFailureRetry: text(),
        onFailureAbort: text(),
        nobody: text(),
        instructions: text(),
        writeDown: text(),
        initialsOf: text('role'),
        time: text(),
        notes: text(),
        deviationLog: text(),
        deviationIntro: text(),
        deviationTime: text(),
        deviationStep: text(),
        deviationDescription: text(),
        deviationReason: text(),
        deviationInitials: text(),
        signOff: text(),
        signOffIntro: text(),
        statement: text(),
        followed: text(),
        followedWithDeviations: text(),
        signOffDate: text(),
        deviationCount: text(),
      })
      .strict(),
    kinds: z.object(KIND_TEXTS).strict(),
    writeIn: z.object(WRITE_IN_TEXTS).strict(),
    footer: z.object({ plan: text('ceremony', 'version', 'title'), legal: text(), page: text('page', 'pages') }).strict(),
  })
  .strict();

export type PrintedPlanTemplate = z.output<typeof PrintedPlanTemplateSchema> & Pick<PageTemplate, 'page' | 'fonts'>;

/** printed-plan.yaml, with the page settings and fonts of step-page.yaml; throws OfficiantError 'env.fs'. */
export async function loadPrintedPlanTemplate(templateDir: string): Promise<PrintedPlanTemplate> {
  const pageTemplate = await loadPageTemplate(templateDir);
  const file = join(templateDir, PRINTED_PLAN_TEMPLATE_FILE);
  const parsed = await readTemplateFile(file, PrintedPlanTemplateSchema);
  return { ...parsed.value, page: pageTemplate.page, fonts: pageTemplate.fonts };
}

export interface PrintedPlan {
  pdf: Buffer;
  pages: number;
}

export async function renderPrintedPlan(script: Script, scriptSha256: string, options: { templateDir: string }): Promise<Buffer> {
  return (await renderPrintedPlanDocument(script, scriptSha256, options)).pdf;
}

/** renderPrintedPlan, with the number of pages it made. */
export async function renderPrintedPlanDocument(script: Script, scriptSha256: string, options: { templateDir: string }): Promise<PrintedPlan> {
  const template = await loadPrintedPlanTemplate(options.templateDir);
  const doc = new PDFDocument({
    size: template.page.size,
    margins: template.page.margins,
    bufferPages: true,
    autoFirstPage: false,
    font: '',
    pdfVersion: '1.7',
    displayTitle: true,
    info: {
      Title: `${script.title} — ${template.labels.document}`,
      Subject: `${template.labels.document}: ${script.id} v${script.version} (${script.authority}), script SHA-256 ${scriptSha256}`,
      Creator: 'Officiant',
      Keywords: ['officiant', 'printed plan', script.id, `v${script.version}`, scriptSha256].join(', '),
      // The plan documents the script, not a moment: it is dated by hand on the day. A constant date (the
      // epoch, from which pdfkit also derives the file ID) keeps identical input at identical bytes.
      CreationDate: NO_DATE,
      ModDate: NO_DATE,
    },
  });
  const bytes = collect(doc);
  for (const role of ['regular', 'bold', 'mono'] as const) doc.registerFont(FONT[role], template.fonts[role].data);

  const writer = new PlanWriter(doc, template, script, scriptSha256);
  writer.titlePage();
  writer.rolesAndMaterials();
  writer.steps();
  writer.deviationLog();
  writer.signOff();
  const pages = writer.decorate();

  doc.end();
  return { pdf: await bytes, pages };
}

const NO_DATE = new Date(0);


const INK = '#111111';
const MUTED = '#555555';
const RULE = '#9a9a9a';
const HAIRLINE = '#d0d0d0';
const BAND = '#ececec';
const HEADER_FILL = '#f3f3f3';

const BODY = 9.5;
const SMALL = 8;
const TINY = 7;
const PAD = 4;
const BOX_GAP = 8;
const CHECKBOX = 9;

interface Style {
  font: FontRole;
  size: number;
  color: string;
}

/** Paints one cell of a form row inside its rectangle. */
type CellPainter = (x: number, y: number, width: number, height: number) => void;

interface FormColumn {
  header: string;
  /** 0: shares what the other columns leave. */
  width: number;
}

interface FormRow {
  height: number;
  cells: Array<CellPainter | undefined>;
}

interface WriteIn {
  label: string;
  form: 'line' | 'ends' | 'pairs';
}

/** One part of a step block: its height at a given width, and how to draw it at doc.y. */
interface Part {
  height: number;
  draw(): void;
}

class PlanWriter {
  private readonly labels: PrintedPlanTemplate['labels'];

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly template: PrintedPlanTemplate,
    private readonly script: Script,
    private readonly sha256: string,
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

  private roleTitle(role: string): string {
    return this.script.roles[role]?.title ?? role;
  }

  private style(s: Style): void {
    this.doc.font(FONT[s.font]).fontSize(s.size).fillColor(s.color);
  }

  /** Height of `value` in style `s` wrapped at `width`. */
  private measure(value: string, s: Style, width: number, lineGap = 1): number {
    this.style(s);
    return this.doc.heightOfString(value, { width, lineGap });
  }

  /** Draws `value` at (x, y) wrapped at `width`; returns the y below it. */
  private put(value: string, s: Style, x: number, y: number, width: number, options: PDFKit.Mixins.TextOptions = {}): number {
    this.style(s);
    this.doc.text(value, x, y, { width, lineGap: 1, ...options });
    const below = this.doc.y;
    this.doc.x = this.left;
    return below;
  }

  private ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  private newPage(): void {
    this.doc.addPage();
    this.doc.x = this.left;
    this.doc.y = this.top;
  }

  private line(x1: number, y1: number, x2: number, y2: number, color = INK, lineWidth = 0.5): void {
    this.doc.save().moveTo(x1, y1).lineTo(x2, y2).lineWidth(lineWidth).strokeColor(color).stroke().restore();
  }

  private rule(y: number, color = RULE, lineWidth = 0.5): void {
    this.line(this.left, y, this.left + this.width, y, color, lineWidth);
  }

  private rect(x: number, y: number, w: number, h: number, options: { stroke?: string; fill?: string; lineWidth?: number } = {}): void {
    const { doc } = this;
    doc.save().rect(x, y, w, h).lineWidth(options.lineWidth ?? 0.6);
    if (options.fill && options.stroke) doc.fillColor(options.fill).strokeColor(options.stroke).fillAndStroke();
    else if (options.fill) doc.fillColor(options.fill).fill();
    else doc.strokeColor(options.stroke ?? INK).stroke();
    doc.restore();
  }

  private checkbox(x: number, y: number): void {
    this.rect(x, y, CHECKBOX, CHECKBOX, { stroke: INK, lineWidth: 0.8 });
  }

  private heading(title: string, size = 15): void {
    this.doc.y = this.put(title, { font: 'bold', size, color: INK }, this.left, this.doc.y, this.width) + 4;
  }

  private section(title: string, minFollowing = 60): void {
    this.ensure(minFollowing);
    this.doc.y += 12;
    this.doc.y = this.put(title, { font: 'bold', size: 11.5, color: INK }, this.left, this.doc.y, this.width) + 1;
    this.rule(this.doc.y, INK, 0.8);
    this.doc.y += 5;
  }

  private paragraph(value: string, s: Style = { font: 'regular', size: BODY, color: INK }): void {
    this.doc.y = this.put(value, s, this.left, this.doc.y, this.width, { lineGap: 1.5 });
  }

  /** Label/value pairs, two per row. */
  private pairs(items: Array<[string, string, FontRole?]>): Part {
    const labelWidth = 78;
    const half = this.width / 2;
    const valueWidth = half - labelWidth - PAD;
    const rows: Array<Array<[string, string, FontRole?]>> = [];
    for (let i = 0; i < items.length; i += 2) rows.push(items.slice(i, i + 2));
    const label: Style = { font: 'regular', size: SMALL, color: MUTED };
    const value = (font: FontRole = 'regular'): Style => ({ font, size: font === 'mono' ? SMALL + 0.5 : BODY, color: INK });
    const heights = rows.map((row) =>
      Math.max(...row.map(([l, v, f]) => Math.max(this.measure(l, label, labelWidth - PAD), this.measure(v, value(f), valueWidth)))) + 3,
    );
    return {
      height: heights.reduce((a, b) => a + b, 0),
      draw: () => {
        rows.forEach((row, r) => {
          const y = this.doc.y;
          row.forEach(([l, v, f], i) => {
            const x = this.left + i * half;
            // Label and value on one baseline.
            this.put(l, label, x, y + 0.93 * (value(f).size - label.size), labelWidth - PAD);
            this.put(v, value(f), x + labelWidth, y, valueWidth);
          });
          this.doc.y = y + heights[r];
        });
      },
    };
  }

  titlePage(): void {
    const l = this.labels;
    const s = this.script;
    this.newPage();
    this.put(l.document, { font: 'regular', size: SMALL, color: MUTED }, this.left, this.top, this.width);
    this.doc.y = this.top + 16;
    this.heading(s.title, 20);
    this.doc.y += 4;
    const items: Array<[string, string, FontRole?]> = [
      [l.ceremony, s.id, 'mono'],
      [l.version, String(s.version)],
      [l.authority, s.authority],
      [l.steps, String(s.steps.length)],
    ];
    if (s.site.hsm) items.push([l.hsmProfile, fill(l.hsmProfileValue, { profile: s.site.hsm })]);
    if (s.site.pin_holders) {
      items.push([l.tokenActivation, fill(l.tokenActivationValue, { people: s.site.pin_holders.people, role: this.roleTitle(s.site.pin_holders.role) })]);
    }
    this.pairs(items).draw();
    if (s.description) {
      this.doc.y += 8;
      this.paragraph(reflow(s.description), { font: 'regular', size: 10, color: INK });
    }

    // The digest in a box of its own: people compare it with the laptop before anything else happens.
    this.doc.y += 16;
    const inner = this.width - 2 * 10;
    const labelStyle: Style = { font: 'bold', size: 9, color: INK };
    const hexStyle: Style = { font: 'mono', size: 11, color: INK };
    const noteStyle: Style = { font: 'regular', size: SMALL, color: MUTED };
    const boxHeight = 10 + this.measure(l.scriptSha256, labelStyle, inner) + 4 + this.measure(this.sha256, hexStyle, inner) + 5 + this.measure(l.compareSha256, noteStyle, inner) + 10;
    const boxTop = this.doc.y;
    this.rect(this.left, boxTop, this.width, boxHeight, { stroke: INK, lineWidth: 1.2 });
    let y = this.put(l.scriptSha256, labelStyle, this.left + 10, boxTop + 10, inner) + 4;
    y = this.put(this.sha256, hexStyle, this.left + 10, y, inner) + 5;
    this.put(l.compareSha256, noteStyle, this.left + 10, y, inner);
    this.doc.y = boxTop + boxHeight;

    this.section(l.fillIn);
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
    for (const [label, lines] of blanks) this.writeIn(label, lines, labelWidth, 30);
  }

  /** A label and `lines` handwriting lines to its right, each `pitch` high. */
  private writeIn(label: string, lines: number, labelWidth: number, pitch: number): void {
    const s: Style = { font: 'regular', size: BODY, color: INK };
    const height = Math.max(lines * pitch, this.measure(label, s, labelWidth - PAD) + 8);
    this.ensure(height);
    const y = this.doc.y;
    this.put(label, s, this.left, y + pitch - 14, labelWidth - PAD);
    for (let i = 1; i <= lines; i++) this.line(this.left + labelWidth, y + i * pitch - 4, this.left + this.width, y + i * pitch - 4, INK, 0.5);
    this.doc.y = y + height;
  }

  rolesAndMaterials(): void {
    const l = this.labels;
    this.newPage();
    this.heading(l.roles);
    this.paragraph(l.rolesIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
    this.doc.y += 8;

    const roleWidth = 165;
    const titleStyle: Style = { font: 'bold', size: BODY, color: INK };
    const noteStyle: Style = { font: 'regular', size: TINY + 0.5, color: MUTED };
    const rows: FormRow[] = [];
    for (const role of Object.values(this.script.roles)) {
      for (let n = 1; n <= role.people; n++) {
        const note = [role.people > 1 ? fill(l.personOf, { number: n, count: role.people }) : '', n === 1 ? (role.description?.trim() ?? '') : '']
          .filter((t) => t !== '')
          .join(' — ');
        const textWidth = roleWidth - 2 * PAD;
        const height = Math.max(34, PAD + this.measure(role.title, titleStyle, textWidth) + (note ? 2 + this.measure(note, noteStyle, textWidth) : 0) + PAD + 2);
        rows.push({
          height,
          cells: [
            (x, y, w) => {
              const below = this.put(role.title, titleStyle, x + PAD, y + PAD, w - 2 * PAD);
              if (note) this.put(note, noteStyle, x + PAD, below + 2, w - 2 * PAD);
            },
          ],
        });
      }
    }
    this.formTable(
      [
        { header: l.role, width: roleWidth },
        { header: l.name, width: 0 },
        { header: l.signature, width: 125 },
        { header: l.initials, width: 55 },
      ],
      rows,
    );

    this.section(l.materials);
    if (this.script.materials.length === 0) {
      this.paragraph(l.noMaterials, { font: 'regular', size: BODY, color: MUTED });
      return;
    }
    this.paragraph(l.materialsIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
    this.doc.y += 6;
    const itemStyle: Style = { font: 'regular', size: BODY, color: INK };
    const indent = CHECKBOX + 9;
    for (const material of this.script.materials) {
      const height = this.measure(material, itemStyle, this.width - indent, 1.5);
      this.ensure(height + 8);
      const y = this.doc.y;
      this.checkbox(this.left, y + 1);
      this.put(material, itemStyle, this.left + indent, y, this.width - indent, { lineGap: 1.5 });
      this.doc.y = y + Math.max(height, CHECKBOX + 2) + 8;
    }
  }

  steps(): void {
    this.newPage();
    const total = this.script.steps.length;
    this.script.steps.forEach((step, i) => {
      const parts = this.stepParts(step, i + 1, total);
      const height = parts.reduce((sum, p) => sum + p.height, 0);
      // A step is kept on one page when it fits on one; a longer one starts on a page of its own.
      if (height <= this.bottom - this.top) this.ensure(height);
      else if (this.doc.y > this.top) this.newPage();
      for (const part of parts) {
        if (part.height <= this.bottom - this.top) this.ensure(part.height);
        part.draw();
      }
      this.doc.y += 18;
    });
  }

  private stepParts(step: Step, number: number, total: number): Part[] {
    const l = this.labels;
    const parts: Part[] = [];

    const headingStyle: Style = { font: 'bold', size: 12.5, color: INK };
    const heading = fill(l.step, { number, total, title: step.title });
    const headingHeight = this.measure(heading, headingStyle, this.width - 2 * 6) + 2 * 5;
    const ids = this.pairs([
      [l.stepId, step.id, 'mono'],
      [l.kind, step.kind, 'mono'],
    ]);
    parts.push({
      height: headingHeight + 4 + ids.height,
      draw: () => {
        const y = this.doc.y;
        this.rect(this.left, y, this.width, headingHeight, { fill: BAND });
        this.line(this.left, y, this.left + this.width, y, INK, 1.2);
        this.put(heading, headingStyle, this.left + 6, y + 5, this.width - 12);
        this.doc.y = y + headingHeight + 4;
        ids.draw();
      },
    });

    const titles = (roles: string[]) => (roles.length === 0 ? l.nobody : roles.map((r) => this.roleTitle(r)).join(', '));
    parts.push(
      this.pairs([
        [l.performedBy, this.roleTitle(step.perform)],
        [l.onFailure, step.on_failure === 'retry' ? l.onFailureRetry : l.onFailureAbort],
        [l.witnessedBy, titles(step.witness)],
        [l.signedOffBy, titles(step.sign_off)],
      ]),
    );

    const detailStyle: Style = { font: 'regular', size: SMALL + 0.5, color: MUTED };
    const detail = this.kindText(step);
    const detailHeight = this.measure(detail, detailStyle, this.width) + 6;
    parts.push({
      height: detailHeight,
      draw: () => {
        const y = this.doc.y + 2;
        this.put(detail, detailStyle, this.left, y, this.width);
        this.doc.y = y + detailHeight - 2;
      },
    });

    const labelStyle: Style = { font: 'bold', size: SMALL + 0.5, color: INK };
    const bodyStyle: Style = { font: 'regular', size: BODY, color: INK };
    const instructions = reflow(step.instructions);
    const labelHeight = this.measure(l.instructions, labelStyle, this.width);
    parts.push({
      height: 4 + labelHeight + 2 + this.measure(instructions, bodyStyle, this.width, 1.5) + 6,
      draw: () => {
        const y = this.put(l.instructions, labelStyle, this.left, this.doc.y + 4, this.width) + 2;
        // May flow onto the next page when a step's instructions are longer than a page.
        this.doc.y = this.put(instructions, bodyStyle, this.left, y, this.width, { lineGap: 1.5 }) + 6;
      },
    });

    const writeIns = this.writeIns(step);
    if (writeIns.length > 0) parts.push(this.writeInPart(writeIns));

    parts.push(this.signatureBoxes(step));
    return parts;
  }

  private kindText(step: Step): string {
    const k = this.template.kinds;
    const title = (r: string) => this.roleTitle(r);
    switch (step.kind) {
      case 'participants.check-in': {
        const roles = step.params.roles ?? Object.keys(this.script.roles);
        return fill(k[step.kind], { people: roles.map((r) => `${this.script.roles[r]?.people ?? '?'} × ${title(r)}`).join(', ') });
      }
      case 'manual.confirm':
        return fill(k[step.kind], { role: title(step.params.confirm_by) });
      case 'hsm.init-token':
        return fill(k[step.kind], { people: step.params.pin_holders.people, role: title(step.params.pin_holders.role) });
      case 'hsm.generate-key':
        return fill(k[step.kind], {
          algorithm: step.params.algorithm,
          label: step.params.label,
          authority: step.params.authority,
          purpose: step.params.purpose,
          protection: step.params.backup ? 'sensitive; for backup it can leave the HSM only wrapped under the SO-trusted wrap key of a later backup step' : 'sensitive, never extractable',
        });
      case 'hsm.inspect-key':
        return fill(k[step.kind], { key: step.params.key });
      case 'hsm.self-signed-certificate': {
        const subject = (['CN', 'O', 'OU', 'C'] as const)
          .filter((a) => step.params.subject[a] !== undefined)
          .map((a) => `${a}=${step.params.subject[a]}`)
          .join(', ');
        return fill(k[step.kind], { key: step.params.key, subject, days: step.params.validity_days });
      }
      case 'evidence.init-key':
        return fill(k[step.kind], { label: step.params.label, algorithm: step.params.algorithm });
      case 'piv.enroll':
        return fill(k[step.kind], { role: title(step.params.officer.role), index: step.params.officer.index, slots: step.params.slots.join(' and '), issuer: step.params.issuer });
      case 'officer.revoke':
        return fill(k[step.kind], { role: title(step.params.record_by) });
      case 'roster.sign':
        return fill(k[step.kind], { threshold: step.params.signing_policy.threshold, role: title(step.params.signing_policy.role) });
      case 'quorum.approve':
        return fill(k[step.kind], { threshold: step.params.threshold, role: title(step.params.role), what: approvalSubject(step.params.approve, this.script) });
      case 'backup.split':
        return fill(k[step.kind], { keys: step.params.keys.join(', '), threshold: step.params.threshold, count: custodianCount(step.params.custodians), custodians: custodianNames(step.params.custodians) });
      case 'backup.restore':
        return fill(k[step.kind], { keys: step.params.keys?.join(', ') ?? 'every backed-up key' });
      case 'backup.verify':
        return fill(k[step.kind], { custodians: step.params.custodians?.join(', ') ?? 'every custodian' });
      case 'backup.reshare':
        return fill(k[step.kind], { threshold: step.params.threshold, count: custodianCount(step.params.custodians), custodians: custodianNames(step.params.custodians) });
    }
  }

  /**
   * Values people copy onto the plan at this step, each with the form to write it in: a line (values typed
   * at manual.confirm), the first and last 8 characters of a digest, or a whole SHA-256 as 32 pairs.
   */
  private writeIns(step: Step): WriteIn[] {
    const w = this.template.writeIn;
    switch (step.kind) {
      case 'manual.confirm':
        return step.params.record.map((f) => ({ label: capitalise(f.label), form: 'line' }));
      case 'hsm.inspect-key':
        return [{ label: w[step.kind], form: 'ends' }];
      case 'hsm.self-signed-certificate':
      case 'evidence.init-key':
        return [{ label: w[step.kind], form: 'pairs' }];
      case 'quorum.approve':
        return [{ label: w[step.kind], form: 'line' }];
      case 'backup.split':
      case 'backup.reshare':
        return [{ label: w[step.kind], form: 'line' }];
      default:
        return [];
    }
  }

  /** A value typed at the laptop gets a line beside its label; a digest gets boxes under its label. */
  private writeInPart(writeIns: WriteIn[]): Part {
    const headingStyle: Style = { font: 'bold', size: SMALL + 0.5, color: INK };
    const labelStyle: Style = { font: 'regular', size: SMALL + 0.5, color: INK };
    const labelWidth = 200;
    const pairsPerRow = 16;
    const cell = 18;
    const headingHeight = this.measure(this.labels.writeDown, headingStyle, this.width) + 2;
    const heights = writeIns.map((w) => {
      if (w.form === 'line') return Math.max(cell + 8, this.measure(w.label, labelStyle, labelWidth - PAD) + 10);
      const rows = w.form === 'pairs' ? 2 : 1;
      return this.measure(w.label, labelStyle, this.width) + 3 + rows * (cell + 4) + 4;
    });
    return {
      height: headingHeight + heights.reduce((a, b) => a + b, 0) + 6,
      draw: () => {
        let y = this.put(this.labels.writeDown, headingStyle, this.left, this.doc.y, this.width) + 2;
        writeIns.forEach((w, i) => {
          if (w.form === 'line') {
            const below = this.put(w.label, labelStyle, this.left, y + 8, labelWidth - PAD);
            const baseline = Math.max(y + cell + 2, below);
            this.line(this.left + labelWidth, baseline, this.left + this.width, baseline, INK, 0.5);
          } else {
            const top = this.put(w.label, labelStyle, this.left, y + 2, this.width) + 3;
            if (w.form === 'pairs') {
              const pair = this.width / pairsPerRow;
              for (let row = 0; row < 2; row++) {
                for (let c = 0; c < pairsPerRow; c++) this.rect(this.left + c * pair, top + row * (cell + 4), pair - 3, cell, { stroke: RULE, lineWidth: 0.6 });
              }
            } else {
              const width = cell - 2;
              this.characterCells(this.left, top, 8, width, cell);
              this.put('…', { font: 'regular', size: BODY, color: MUTED }, this.left + 8 * width, top + 4, 24, { align: 'center' });
              this.characterCells(this.left + 8 * width + 24, top, 8, width, cell);
            }
          }
          y += heights[i];
        });
        this.doc.y = y + 6;
      },
    };
  }

  private characterCells(x: number, y: number, count: number, width: number, height: number): void {
    this.rect(x, y, count * width, height, { stroke: RULE, lineWidth: 0.6 });
    for (let c = 1; c < count; c++) this.line(x + c * width, y, x + c * width, y + height, RULE, 0.6);
  }

  /**
   * Initials boxes, one per sign-off role (the performer's role when nobody else signs off), divided into one
   * cell per person of the role; a time box; a notes box with lines to write on.
   */
  private signatureBoxes(step: Step): Part {
    const l = this.labels;
    const signers = step.sign_off.length > 0 ? step.sign_off : [step.perform];
    const boxes: Array<{ label: string; cells: number }> = [
      ...signers.map((r) => ({ label: fill(l.initialsOf, { role: this.roleTitle(r) }), cells: Math.min(this.script.roles[r]?.people ?? 1, 6) })),
      { label: l.time, cells: 1 },
    ];
    const perRow = Math.min(boxes.length, 4);
    const boxWidth = (this.width - BOX_GAP * (perRow - 1)) / perRow;
    const labelStyle: Style = { font: 'regular', size: TINY, color: MUTED };
    const labelHeight = Math.max(...boxes.map((b) => this.measure(b.label, labelStyle, boxWidth - 2 * PAD)));
    const boxHeight = labelHeight + 30;
    const boxRows = Math.ceil(boxes.length / perRow);
    const notesHeight = 62;
    return {
      height: boxRows * (boxHeight + BOX_GAP) + notesHeight,
      draw: () => {
        let y = this.doc.y;
        boxes.forEach((box, i) => {
          const column = i % perRow;
          if (i > 0 && column === 0) y += boxHeight + BOX_GAP;
          const x = this.left + column * (boxWidth + BOX_GAP);
          this.rect(x, y, boxWidth, boxHeight, { stroke: INK, lineWidth: 0.8 });
          this.put(box.label, labelStyle, x + PAD, y + 3, boxWidth - 2 * PAD);
          for (let c = 1; c < box.cells; c++) {
            const cx = x + (c * boxWidth) / box.cells;
            this.line(cx, y + labelHeight + 6, cx, y + boxHeight, RULE, 0.5);
          }
        });
        y += boxHeight + BOX_GAP;
        this.rect(this.left, y, this.width, notesHeight, { stroke: INK, lineWidth: 0.8 });
        this.put(l.notes, labelStyle, this.left + PAD, y + 3, this.width - 2 * PAD);
        for (const ly of [y + 30, y + 48]) this.line(this.left + PAD, ly, this.left + this.width - PAD, ly, HAIRLINE, 0.5);
        this.doc.y = y + notesHeight;
      },
    };
  }

  deviationLog(): void {
    const l = this.labels;
    this.newPage();
    this.heading(l.deviationLog);
    this.paragraph(l.deviationIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
    this.doc.y += 10;
    const columns: FormColumn[] = [
      { header: l.deviationTime, width: 52 },
      { header: l.deviationStep, width: 40 },
      { header: l.deviationDescription, width: 0 },
      { header: l.deviationReason, width: 140 },
      { header: l.deviationInitials, width: 80 },
    ];
    const rows = this.template.layout.deviationRows;
    const room = this.bottom - this.doc.y - this.headerHeight(columns, this.columnWidths(columns));
    const height = Math.max(32, Math.min(54, Math.floor(room / rows)));
    this.formTable(columns, Array.from({ length: rows }, () => ({ height, cells: [] })));
  }

  signOff(): void {
    const l = this.labels;
    this.newPage();
    this.heading(l.signOff);
    this.paragraph(l.signOffIntro, { font: 'regular', size: SMALL + 0.5, color: MUTED });
    this.doc.y += 10;

    const statementWidth = 150;
    const choiceStyle: Style = { font: 'regular', size: SMALL, color: INK };
    const choiceWidth = statementWidth - 2 * PAD - CHECKBOX - 5;
    const titleStyle: Style = { font: 'bold', size: SMALL + 0.5, color: INK };
    const noteStyle: Style = { font: 'regular', size: TINY, color: MUTED };
    const statementHeight = PAD + 2 + this.measure(l.followed, choiceStyle, choiceWidth) + 8 + this.measure(l.followedWithDeviations, choiceStyle, choiceWidth) + PAD + 2;
    const rows: FormRow[] = [];
    for (const role of Object.values(this.script.roles)) {
      for (let n = 1; n <= role.people; n++) {
        const note = role.people > 1 ? fill(l.personOf, { number: n, count: role.people }) : '';
        rows.push({
          height: Math.max(56, statementHeight),
          cells: [
            (x, y, w) => {
              const below = this.put(role.title, titleStyle, x + PAD, y + PAD, w - 2 * PAD);
              if (note) this.put(note, noteStyle, x + PAD, below + 1, w - 2 * PAD);
            },
            undefined,
            (x, y) => {
              let cy = y + PAD + 2;
              for (const choice of [l.followed, l.followedWithDeviations]) {
                this.checkbox(x + PAD, cy);
                cy = this.put(choice, choiceStyle, x + PAD + CHECKBOX + 5, cy, choiceWidth) + 8;
              }
            },
          ],
        });
      }
    }
    this.formTable(
      [
        { header: l.role, width: 92 },
        { header: l.name, width: 0 },
        { header: l.statement, width: statementWidth },
        { header: l.signature, width: 100 },
        { header: l.signOffDate, width: 58 },
      ],
      rows,
    );
    this.doc.y += 14;
    this.writeIn(l.deviationCount, 1, 230, 26);
  }

  private columnWidths(columns: FormColumn[]): number[] {
    const fixed = columns.reduce((sum, c) => sum + c.width, 0);
    const flexible = columns.filter((c) => c.width === 0).length;
    return columns.map((c) => (c.width === 0 ? Math.max(50, (this.width - fixed) / Math.max(1, flexible)) : c.width));
  }

  private headerHeight(columns: FormColumn[], widths: number[]): number {
    const s: Style = { font: 'bold', size: TINY + 0.5, color: MUTED };
    return Math.ceil(Math.max(...columns.map((c, i) => this.measure(c.header, s, widths[i] - 2 * PAD))) + 2 * PAD);
  }

  /** A bordered form: a shaded header row, repeated on every page the rows flow onto; rows never split. */
  private formTable(columns: FormColumn[], rows: FormRow[]): void {
    const widths = this.columnWidths(columns);
    const headerHeight = this.headerHeight(columns, widths);
    const xs = widths.reduce<number[]>((acc, w) => [...acc, acc[acc.length - 1] + w], [this.left]);
    const drawHeader = () => {
      const y = this.doc.y;
      this.rect(this.left, y, this.width, headerHeight, { fill: HEADER_FILL, stroke: INK, lineWidth: 0.8 });
      columns.forEach((c, i) => {
        this.put(c.header, { font: 'bold', size: TINY + 0.5, color: MUTED }, xs[i] + PAD, y + PAD, widths[i] - 2 * PAD);
        if (i > 0) this.line(xs[i], y, xs[i], y + headerHeight, INK, 0.5);
      });
      this.doc.y = y + headerHeight;
    };
    this.ensure(headerHeight + (rows[0]?.height ?? 0));
    drawHeader();
    for (const row of rows) {
      if (this.doc.y + row.height > this.bottom) {
        this.newPage();
        drawHeader();
      }
      const y = this.doc.y;
      this.rect(this.left, y, this.width, row.height, { stroke: INK, lineWidth: 0.8 });
      for (let i = 1; i < columns.length; i++) this.line(xs[i], y, xs[i], y + row.height, INK, 0.5);
      row.cells.forEach((paint, i) => paint?.(xs[i], y, widths[i], row.height));
      this.doc.y = y + row.height;
    }
  }

  /** Running header on every page but the first; footer with the script SHA-256 and "page X of Y" on all. */
  decorate(): number {
    const { doc } = this;
    const footer = this.template.footer;
    const range = doc.bufferedPageRange();
    const plan = fill(footer.plan, { ceremony: this.script.id, version: this.script.version, title: this.script.title });
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const margins = doc.page.margins;
      const bottomMargin = margins.bottom;
      // Drawing below the bottom margin would otherwise make pdfkit start a new page.
      margins.bottom = 0;
      if (i > range.start) {
        const y = Math.max(8, this.top - 26);
        this.style({ font: 'regular', size: SMALL, color: MUTED });
        const id = `${this.script.id} · ${this.labels.version} ${this.script.version}`;
        const idWidth = doc.widthOfString(id);
        doc.text(id, this.left, y, { width: this.width, align: 'right', lineBreak: false });
        doc.text(this.script.title, this.left, y, { width: this.width - idWidth - 12, height: doc.currentLineHeight(), ellipsis: true });
        this.rule(y + 12, HAIRLINE);
      }
      const y = doc.page.height - bottomMargin + 10;
      const pageLabel = fill(footer.page, { page: i + 1, pages: range.count });
      this.rule(y - 5);
      this.style({ font: 'bold', size: SMALL, color: INK });
      const pageWidth = doc.widthOfString(pageLabel);
      doc.text(pageLabel, this.left, y, { width: this.width, align: 'right', lineBreak: false });
      this.style({ font: 'regular', size: TINY, color: MUTED });
      const labelWidth = doc.widthOfString(`${this.labels.scriptSha256} `);
      doc.text(`${this.labels.scriptSha256} `, this.left, y, { lineBreak: false });
      this.style({ font: 'mono', size: TINY, color: INK });
      doc.text(this.sha256, this.left + labelWidth, y, { width: this.width - labelWidth - pageWidth - 8, height: doc.currentLineHeight(), ellipsis: true });
      this.style({ font: 'regular', size: TINY, color: MUTED });
      doc.text(plan, this.left, y + 10, { width: this.width, height: doc.currentLineHeight(), ellipsis: true });
      const legalHeight = doc.page.height - (y + 20) - 8;
      doc.text(footer.legal, this.left, y + 20, { width: this.width, height: Math.max(legalHeight, doc.currentLineHeight(true)), ellipsis: true, lineGap: 0.5 });
      margins.bottom = bottomMargin;
    }
    doc.switchToPage(range.start + range.count - 1);
    return range.count;
  }
}

/**
 * Script texts are YAML block scalars wrapped at the author's line length: join wrapped lines so the text
 * reflows to the page, keeping blank lines as paragraph breaks and list items on lines of their own.
 */
function reflow(value: string): string {
  const out: string[] = [];
  for (const raw of value.trim().split('\n')) {
    const line = raw.trim();
    const last = out.length - 1;
    if (line === '' || last < 0 || out[last] === '' || /^([-*•]|\d+[.)])\s/.test(line)) out.push(line);
    else out[last] = `${out[last]} ${line}`;
  }
  return out.join('\n').replace(/\n{2,}/g, '\n\n');
}

function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function fill(value: string, values: Record<string, string | number>): string {
  return value.replace(/\{([^{}]*)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}



