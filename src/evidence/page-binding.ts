// A step page's binding to the journal: one line in the PDF's document information (key /OfficiantPage) naming
// the ceremony run, the step (number and id), the outcome and the hash of the journal entry that ended the step.
// The page is signed over every byte, so the binding is as authentic as the page; verify reads it back and
// compares it with the journal, so a page spliced in from another ceremony or another step fails by name.
import { createHash } from 'node:crypto';

export const PAGE_BINDING_KEY = 'OfficiantPage';
const FORMAT = 'officiant-page/1';

export interface PageBinding {
  ceremonyId: string;
  number: number;
  stepId: string;
  outcome: string;
  anchor: string;
}

export function pageBinding(b: PageBinding): string {
  return `${FORMAT} ceremony=${b.ceremonyId} step=${b.number}:${b.stepId} outcome=${b.outcome} entry=${b.anchor}`;
}

/** The text after `(<format> ` up to its closing parenthesis, when the PDF holds exactly one such string. */
function bindingText(pdf: Buffer, format: string): string | undefined {
  const text = pdf.toString('latin1');
  const marker = `(${format} `;
  const at = text.indexOf(marker);
  if (at < 0 || text.indexOf(marker, at + 1) >= 0) return undefined;
  return text.slice(at + marker.length, text.indexOf(')', at));
}

/**
 * The binding a PDF carries (pdfkit writes the value as its own string object, referenced from the document
 * information), or undefined when it has none, more than one, or one that does not read.
 */
export function readPageBinding(pdf: Buffer): PageBinding | undefined {
  const m = /^ceremony=([A-Za-z0-9-]{1,64}) step=(\d{1,4}):([A-Za-z0-9._-]{1,64}) outcome=([a-z]{1,16}) entry=([0-9a-f]{64})$/.exec(bindingText(pdf, FORMAT) ?? '');
  if (!m) return undefined;
  return { ceremonyId: m[1], number: Number(m[2]), stepId: m[3], outcome: m[4], anchor: m[5] };
}

/**
 * packet.pdf's binding, the same way (key /OfficiantPacket): the ceremony run, how it ended, the closing entry's
 * hash and a digest of the step pages it was made from (each "number:sha256" line, in step order). A packet
 * from another ceremony, or made from other pages, fails by name even when re-signed with this evidence key.
 */
export const PACKET_BINDING_KEY = 'OfficiantPacket';
const PACKET_FORMAT = 'officiant-packet/1';

export interface PacketBinding {
  ceremonyId: string;
  outcome: string;
  head: string;
  pages: string;
}

/** The digest of the step pages a packet is made from: SHA-256 of "number:sha256\n" per page, in step order. */
export function pagesDigest(pages: ReadonlyArray<{ number: number; sha256: string }>): string {
  return createHash('sha256').update(pages.map((p) => `${p.number}:${p.sha256}\n`).join('')).digest('hex');
}

export function packetBinding(b: PacketBinding): string {
  return `${PACKET_FORMAT} ceremony=${b.ceremonyId} outcome=${b.outcome} head=${b.head} pages=${b.pages}`;
}

export function readPacketBinding(pdf: Buffer): PacketBinding | undefined {
  const m = /^ceremony=([A-Za-z0-9-]{1,64}) outcome=([a-z]{1,16}) head=([0-9a-f]{64}) pages=([0-9a-f]{64})$/.exec(bindingText(pdf, PACKET_FORMAT) ?? '');
  return m ? { ceremonyId: m[1], outcome: m[2], head: m[3], pages: m[4] } : undefined;
}
