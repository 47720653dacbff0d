// Renders the sealed evidence packet (packet.pdf) from a PacketDocument: a cover (ceremony, run, outcome, times,
// participants, script SHA-256, the journal head and its words to read aloud, the evidence key), a table of
// contents whose page numbers count the whole packet, every step record exactly as it was written, and an
// appendix with every certificate and public key as PEM. Cover, contents and appendix are drawn with pdfkit in
// the fonts and page settings of step-page.yaml (all embedded) and the wording of packet.yaml; the parts are
// merged with pdf-lib. With a PdfSignature the merged file carries one embedded detached CMS signature
// (adbe.pkcs7.detached, made by detachedCms in the HSM) over all of it; without one it is returned unsigned.
// The same document and templates give the same unsigned bytes.
import type { PacketDocument } from './packet.types.js';
import { drawAppendix } from './packet/appendix.js';
import { drawContents } from './packet/contents.js';
import { drawCover } from './packet/cover.js';
import { renderPart, type RenderedPart } from './packet/packet-part.js';
import type { PacketTemplates } from './packet/packet-template.js';
import { firstValidDate } from './pdf/format.js';
import type { PdfSignature } from './sign-pdf.js';
import { PACKET_BINDING_KEY, packetBinding, pagesDigest } from './page-binding.js';

export { headWords } from '../record/digest-words.js';
export { loadPacketTemplate, loadPacketTemplates, type PacketTemplate, type PacketTemplates } from './packet/packet-template.js';

export async function renderPacket(doc: PacketDocument, options: { templates: PacketTemplates; signature?: PdfSignature }): Promise<Buffer> {
  const { templates } = options;
  // pdf-lib and the merge are loaded when a packet is made (at the seal), not by every command that loads this module.
  const { PdfLibDocument, appendParts, loadStepRecord, sealPacket, setInfoString } = await import('./packet/merge.js');
  const created = firstValidDate(doc.endedAt, doc.startedAt);
  const records = await Promise.all(doc.steps.map((s) => (s.page ? loadStepRecord(s) : undefined)));
  const recordPages = records.map((r) => r?.getPageCount() ?? 0);
  const stepPageTotal = recordPages.reduce((a, b) => a + b, 0);

  // The contents cite page numbers that depend on how many pages the cover, contents and appendix take, and
  // the footers count the whole packet: lay out again until the counts that were assumed are the counts drawn.
  let assumed = { front: 2, appendix: 1 };
  let front: RenderedPart | undefined;
  let appendix: RenderedPart | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    const total = assumed.front + stepPageTotal + assumed.appendix;
    const stepStart: Array<number | undefined> = [];
    let next = assumed.front + 1;
    for (const pages of recordPages) {
      stepStart.push(pages > 0 ? next : undefined);
      next += pages;
    }
    const numbering = { total, stepStart, appendixStart: next };
    front = await renderPart(doc, templates, { ...numbering, offset: 0 }, created, templates.packet.cover.title, (part) => {
      drawCover(part);
      part.w.newPage();
      drawContents(part, { ...numbering, offset: 0 });
    });
    appendix = await renderPart(doc, templates, { ...numbering, offset: next - 1 }, created, templates.packet.appendix.title, drawAppendix);
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
  const pages = pagesDigest(doc.steps.flatMap((s) => (s.page ? [{ number: s.number, sha256: s.page.sha256 }] : [])));
  const binding = packetBinding({ ceremonyId: doc.ceremony.ceremonyId, outcome: doc.outcome, head: doc.journalHead, pages });
  setInfoString(out, PACKET_BINDING_KEY, binding);
  if (created) {
    out.setCreationDate(created);
    out.setModificationDate(created);
  }
  await appendParts(out, [await PdfLibDocument.load(front.pdf), ...records, await PdfLibDocument.load(appendix.pdf)]);
  return sealPacket(out, options.signature);
}
