// Renders the printed plan of a ceremony script: the paper every participant reviews before the ceremony,
// brings to it, and fills in by hand on the day, so that it joins the record as the documented script that
// was (or was not) followed. A title page with the script's SHA-256 and blanks for date, place, times,
// approval and storage; the roles with a line per required person to print a name, sign and give initials;
// the materials as checkboxes; every step with who performs, witnesses and signs off, what happens on
// failure, its instructions, and boxes for initials (one per signer role), time and notes; a deviation log;
// and a sign-off page on which every participant and witness states whether the script was followed.
// Fixed texts come from printed-plan.yaml; page size, margins and fonts from step-page.yaml (see
// printed-plan/printed-plan-template.ts), so the plan and the evidence pages match. Only those fonts are used,
// all embedded. Every page carries the script SHA-256 and "page X of Y". The same script, digest and templates
// give the same bytes: the PDF's creation date is a constant, the epoch.
import type { Script } from '../script/schema.js';
import { drawFooter, drawRunningHeader } from './pdf/page-chrome.js';
import { PageWriter } from './pdf/page-writer.js';
import { createPdf } from './pdf/pdf-document.js';
import { fill } from './pdf/format.js';
import { PLAN_TYPE } from './pdf/palette.js';
import { deviationLog, signOff } from './printed-plan/closing-pages.js';
import { rolesAndMaterials, titlePage } from './printed-plan/front-pages.js';
import type { PlanContext } from './printed-plan/plan-elements.js';
import type { PrintedPlanTemplate } from './printed-plan/printed-plan-template.js';
import { steps } from './printed-plan/step-blocks.js';

export { loadPrintedPlanTemplate, PRINTED_PLAN_TEMPLATE_FILE, type PrintedPlanTemplate } from './printed-plan/printed-plan-template.js';

export interface PrintedPlan {
  pdf: Buffer;
  pages: number;
}

// The plan documents the script, not a moment: it is dated by hand on the day. A constant date (the epoch,
// from which pdfkit also derives the file ID) keeps identical input at identical bytes.
const NO_DATE = new Date(0);

export async function renderPrintedPlan(script: Script, scriptSha256: string, options: { template: PrintedPlanTemplate }): Promise<Buffer> {
  return (await renderPrintedPlanDocument(script, scriptSha256, options)).pdf;
}

/** renderPrintedPlan, with the number of pages it made. */
export async function renderPrintedPlanDocument(script: Script, scriptSha256: string, options: { template: PrintedPlanTemplate }): Promise<PrintedPlan> {
  const { template } = options;
  const { doc, bytes } = createPdf(
    template,
    {
      Title: `${script.title} — ${template.labels.document}`,
      Subject: `${template.labels.document}: ${script.id} v${script.version} (${script.authority}), script SHA-256 ${scriptSha256}`,
      Creator: 'Officiant',
      Keywords: ['officiant', 'printed plan', script.id, `v${script.version}`, scriptSha256].join(', '),
      CreationDate: NO_DATE,
      ModDate: NO_DATE,
    },
    { displayTitle: true },
  );

  const ctx: PlanContext = { w: new PageWriter(doc, PLAN_TYPE), template, script, sha256: scriptSha256 };
  titlePage(ctx);
  rolesAndMaterials(ctx);
  steps(ctx);
  deviationLog(ctx);
  signOff(ctx);
  const pages = decorate(ctx);

  doc.end();
  return { pdf: await bytes, pages };
}

/** Running header on every page but the first; footer with the script SHA-256 and "page X of Y" on all. */
function decorate({ w, template, script, sha256 }: PlanContext): number {
  const footer = template.footer;
  const plan = fill(footer.plan, { ceremony: script.id, version: script.version, title: script.title });
  return w.eachPage((p) => {
    if (p.index > 0) drawRunningHeader(w, { title: script.title, aside: { text: `${script.id} · ${template.labels.version} ${script.version}`, banner: false } });
    drawFooter(w, p, { pageLabel: fill(footer.page, { page: p.index + 1, pages: p.count }), scriptSha256Label: template.labels.scriptSha256, scriptSha256: sha256, line: plan, legal: footer.legal });
  });
}
