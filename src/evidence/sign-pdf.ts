// Signs a PDF with an embedded detached CMS signature (adbe.pkcs7.detached) through @signpdf: the placeholder
// is added while the document is written (pdfkit) and the CMS over the byte ranges comes from detachedCms(),
// signed in the HSM. pdfsig and PDF readers then report the signature valid until one byte changes.
import { pdfkitAddPlaceholder } from '@signpdf/placeholder-pdfkit';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { detachedCms, type CmsKey } from './cms.js';

export interface PdfSignature {
  key: CmsKey;
  /** Shown in the signature dictionary (/Name, /Reason, /Location). */
  name: string;
  reason: string;
  location: string;
  signingTime: Date;
}

// Room for the CMS: certificate (~600 bytes) + attributes + ECDSA signature, hex-encoded in the PDF.
export const SIGNATURE_LENGTH = 8192;

/** The @signpdf signer of every evidence PDF (step pages and the packet): a detached CMS made in the HSM. */
export class HsmCmsSigner extends Signer {
  constructor(private readonly signature: PdfSignature) {
    super();
  }

  async sign(content: Buffer): Promise<Buffer> {
    return detachedCms(content, this.signature.key, this.signature.signingTime);
  }
}

/** For renderers: call on the pdfkit document right before doc.end(). */
export function addSignaturePlaceholder(doc: PDFKit.PDFDocument, s: Omit<PdfSignature, 'key' | 'signingTime'>): void {
  pdfkitAddPlaceholder({
    pdf: doc as never,
    pdfBuffer: Buffer.alloc(0),
    reason: s.reason,
    contactInfo: '',
    name: s.name,
    location: s.location,
    signatureLength: SIGNATURE_LENGTH,
  } as never);
}

export async function signPdf(pdfWithPlaceholder: Buffer, s: PdfSignature): Promise<Buffer> {
  return new SignPdf().sign(pdfWithPlaceholder, new HsmCmsSigner(s));
}
