// One part of packet.pdf drawn with pdfkit (the front matter: cover and contents; or the appendix), before the
// parts and the step records are merged: a document in the page settings and fonts of step-page.yaml, the
// rehearsal watermark on every page, and at the end the running header and footer with the page numbers of
// the whole packet.
import type { PacketDocument } from '../packet.types.js';
import { drawFooter, drawRunningHeader } from '../pdf/page-chrome.js';
import { PageWriter, type SectionLook } from '../pdf/page-writer.js';
import { createPdf } from '../pdf/pdf-document.js';
import { fill } from '../pdf/format.js';
import { EVIDENCE_TYPE } from '../pdf/palette.js';
import { watermarkPages } from '../pdf/watermark.js';
import type { PacketTemplate, PacketTemplates } from './packet-template.js';

/** Where things land in the merged packet; 1-based page numbers. */
export interface Numbering {
  /** Pages before this part. */
  offset: number;
  total: number;
  stepStart: Array<number | undefined>;
  appendixStart: number;
}

/** What the drawing functions of a part work with. */
export interface PacketPart {
  w: PageWriter;
  t: PacketTemplate;
  doc: PacketDocument;
}

export interface RenderedPart {
  pdf: Buffer;
  pages: number;
}

export const PACKET_SECTION: SectionLook = { space: 10, size: 10.5, keepWithNext: 48 };

/** Draws a part with `draw` (which starts on a fresh first page) and returns its bytes and page count. */
export async function renderPart(doc: PacketDocument, templates: PacketTemplates, numbering: Numbering, created: Date | undefined, subject: string, draw: (part: PacketPart) => void): Promise<RenderedPart> {
  const { doc: pdf, bytes } = createPdf(templates.page, {
    Title: `${doc.ceremony.title} — ${subject}`,
    Author: doc.ceremony.authority,
    Creator: 'Officiant',
    ...(created ? { CreationDate: created, ModDate: created } : {}),
  });
  const part: PacketPart = { w: new PageWriter(pdf, EVIDENCE_TYPE), t: templates.packet, doc };
  watermarkPages(part.w, doc.rehearsal ? part.t.watermark.text : undefined);
  pdf.addPage();
  draw(part);
  const pages = decorate(part, numbering);
  pdf.end();
  return { pdf: await bytes, pages };
}

/**
 * Running header (from the second page of the packet on, and the banner on every page of a rehearsal) and the
 * footer with the packet's page numbering, on every buffered page. Returns the number of pages.
 */
function decorate({ w, t, doc }: PacketPart, numbering: Numbering): number {
  const footer = t.footer;
  const run = fill(footer.run, { ceremony: doc.ceremony.id, version: doc.ceremony.version, run: doc.ceremony.ceremonyId });
  const legal = doc.footer.trim() === '' ? footer.legal : doc.footer;
  return w.eachPage((p) => {
    const packetPage = numbering.offset + p.index + 1;
    drawRunningHeader(w, {
      title: packetPage > 1 ? `${t.cover.document} — ${doc.ceremony.title}` : undefined,
      aside: doc.rehearsal ? { text: t.watermark.banner, banner: true } : undefined,
    });
    drawFooter(w, p, { pageLabel: fill(footer.page, { page: packetPage, pages: numbering.total }), scriptSha256Label: t.cover.scriptSha256, scriptSha256: doc.ceremony.scriptSha256, line: run, legal });
  });
}
