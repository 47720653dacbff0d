// Every step page and packet.pdf carries one signature by the evidence key covering every byte of the file but
// the signature value itself.
import { EVIDENCE_CERT_PATH as EVIDENCE_CERT, PACKET } from '../packet-files.js';
import type { Context, Group } from './check-context.js';
import { verifyDetachedCms } from './detached-cms.js';
import type { EvidenceCert } from './evidence-certificate.js';

/**
 * The last signature of a PDF: its /ByteRange must be [0 b c d] with b the offset of the '<' that opens the
 * /Contents hex string, c the offset right after its '>', and c + d the file length, so the signature covers
 * every byte but its own value. Nothing else the PDF says about the signature (/Name, /Reason, ...) is used.
 */
export function verifyPdfSignature(file: string, pdf: Buffer, cert: EvidenceCert | undefined): string[] {
  const at = pdf.lastIndexOf('/ByteRange');
  if (at === -1) return [`${file}: not signed (no /ByteRange)`];
  const m = /^\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(pdf.subarray(at, at + 120).toString('latin1'));
  if (!m) return [`${file}: /ByteRange is not four numbers`];
  const [a, b, c, d] = m.slice(1, 5).map(Number);
  if (a !== 0 || !(b < c) || c + d !== pdf.length || b < 0 || c > pdf.length) {
    return [`${file}: signature byte range [${a} ${b} ${c} ${d}] does not cover the whole file (${pdf.length} bytes) but the signature`];
  }
  if (pdf[b] !== 0x3c || pdf[c - 1] !== 0x3e) return [`${file}: signature byte range does not exclude exactly the /Contents hex string`];
  if (!/\/Contents\s*$/.test(pdf.subarray(Math.max(0, b - 32), b).toString('latin1'))) return [`${file}: the bytes left out of the signature are not the /Contents value`];
  const hex = pdf.subarray(b + 1, c - 1).toString('latin1');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return [`${file}: signature /Contents is not a hex string`];
  if (!cert) return [`${file}: cannot check its signature without the evidence certificate ${EVIDENCE_CERT}`];
  return verifyDetachedCms(Buffer.from(hex, 'hex'), [pdf.subarray(0, b), pdf.subarray(c, c + d)], cert, file, file, true);
}

export function checkPdfSignatures(g: Group, ctx: Context): void {
  const pdfs = [...ctx.files.keys()].filter((p) => (p.startsWith('steps/') && p.endsWith('.pdf')) || p === PACKET).sort();
  if (!ctx.files.has(PACKET)) g.fail(`${PACKET}: missing`);
  for (const file of pdfs) for (const p of verifyPdfSignature(file, ctx.files.get(file)!, ctx.cert)) g.fail(p);
  if (g.problems.length === 0) g.note(`${pdfs.length} PDFs signed by the evidence key over every byte but the signature`);
}
