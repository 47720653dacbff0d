// Merging and sealing packet.pdf with pdf-lib: the drawn parts and the step records copied in page by page,
// and with a PdfSignature one embedded detached CMS signature (adbe.pkcs7.detached, made by detachedCms in the
// HSM) over the whole file.
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { SignPdf } from '@signpdf/signpdf';
import { PDFArray, PDFDict, PDFDocument as PdfLibDocument, PDFName, PDFString } from 'pdf-lib';
import type { PacketStep } from '../packet.types.js';
import { HsmCmsSigner, SIGNATURE_LENGTH, type PdfSignature } from '../sign-pdf.js';

export { PdfLibDocument };

/**
 * A step record ready to be copied in. Its own signature field is dropped from the copy: that signature
 * covers the step record file (whose SHA-256 the contents show), not the packet, and a copied field would
 * read as a second, broken signature of packet.pdf.
 */
export async function loadStepRecord(step: PacketStep): Promise<PdfLibDocument> {
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

/** Every page of `parts` in order into `out`; an undefined part (a step without a record) is skipped. */
export async function appendParts(out: PdfLibDocument, parts: Array<PdfLibDocument | undefined>): Promise<void> {
  for (const part of parts) {
    if (!part) continue;
    for (const page of await out.copyPages(part, part.getPageIndices())) out.addPage(page);
  }
}

/** One entry of the document information dictionary, as a literal string (a binding verify reads back). */
export function setInfoString(out: PdfLibDocument, key: string, value: string): void {
  out.context.lookup(out.context.trailerInfo.Info, PDFDict)?.set(PDFName.of(key), PDFString.of(value));
}

/** The merged file's bytes, signed when a signature is given. */
export async function sealPacket(out: PdfLibDocument, signature: PdfSignature | undefined): Promise<Buffer> {
  if (!signature) return Buffer.from(await out.save({ useObjectStreams: false }));
  pdflibAddPlaceholder({
    pdfDoc: out,
    reason: signature.reason,
    contactInfo: '',
    name: signature.name,
    location: signature.location,
    signingTime: signature.signingTime,
    signatureLength: SIGNATURE_LENGTH,
  });
  // @signpdf finds the placeholder by scanning the bytes: it must not sit inside a compressed object stream.
  const bytes = Buffer.from(await out.save({ useObjectStreams: false }));
  return new SignPdf().sign(bytes, new HsmCmsSigner(signature));
}
