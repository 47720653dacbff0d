// Pure auditor logic over a sealed evidence packet (format: evidence/README.md). verifyPacket() is handed the
// packet's files as bytes and knows nothing about where they came from. It recomputes whatever it can instead
// of believing the packet: every hash, every CMS signature (parsed with pkijs/asn1js, checked with node:crypto
// against the evidence certificate, never against what a PDF or CMS says about itself), the journal's hash
// chain, and the links between journal, pages, outputs, packet.pdf and manifest.json. It never throws on bad
// data: every problem is reported, each naming the packet file and what is wrong.
import { createHash, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parse as parseYaml } from 'yaml';
import { isOfficiantError } from '../errors.js';
import { parseJournal, verifyChain, type JournalEntry } from '../record/journal.js';
import { effectState } from '../record/ledger.js';
import { formatProblem } from '../script/parse.js';
import { parseScript } from '../script/rules.js';
import { verifyRosterFile } from '../custody/roster.js';
import type { RosterBody } from '../custody/roster.types.js';
import type { Script } from '../script/schema.js';
import { verifyCeremonyIdentity } from './verify-approvals.js';
import { BACKUP_SOURCE, verifyBackupEvidence } from './verify-backup.js';

import {
  EVIDENCE_CERT_OP,
  EVIDENCE_CERT_PATH as EVIDENCE_CERT,
  JOURNAL,
  MANIFEST,
  MANIFEST_SIG,
  PACKET,
  PACKET_FORMAT as FORMAT,
  ROSTER_COPY,
  ROSTER_OUTPUT,
  SCRIPT_COPY as SCRIPT,
} from './packet-files.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
};
const DIGESTS: Record<string, 'sha256' | 'sha384'> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384' };
const SIGNATURES: Record<string, 'sha256' | 'sha384'> = { [OID.ecdsaSha256]: 'sha256', [OID.ecdsaSha384]: 'sha384' };

export interface PacketTrust {
  /** The evidence certificate the auditor holds (PEM). */
  certificatePem?: string;
  /** The SHA-256 fingerprint of the evidence certificate's DER (hex; colons, spaces and case ignored). */
  sha256?: string;
}

export interface PacketCheckGroup {
  name: string;
  ok: boolean;
  /** Each starts with the packet file it concerns: `steps/02-x.pdf: SHA-256 differs from manifest.json`. */
  problems: string[];
  notes: string[];
}

export interface PacketReport {
  groups: PacketCheckGroup[];
  ok: boolean;
  /** SHA-256 of the evidence certificate's DER, when the packet carries a readable one. */
  evidenceKeySha256?: string;
  rehearsal: boolean;
}

export const CHECK_GROUPS = ['manifest', 'journal', 'script', 'pdf signatures', 'chain', 'outputs', 'evidence key', 'officers', 'backup', 'rehearsal'] as const;

function sha256Hex(...parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

function short(hex: string | undefined): string {
  return hex === undefined ? '(none)' : hex.length > 16 ? `${hex.slice(0, 16)}…` : hex;
}

/** Hex fingerprint as people write it (colons, spaces, case) -> 64 lowercase hex digits, or undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

// ---- the evidence certificate and detached CMS -----------------------------------------------------------

interface EvidenceCert {
  der: Buffer;
  sha256: string;
  publicKey: KeyObject;
  pkijs: pkijs.Certificate;
}

function pemCertificateDer(pem: string): Buffer | undefined {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  return m ? Buffer.from(m[1].replace(/\s/g, ''), 'base64') : undefined;
}

function parseCertificate(der: Buffer): EvidenceCert | string {
  try {
    const x509 = new X509Certificate(der);
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
    if (x509.publicKey.asymmetricKeyType !== 'ec') return `not an EC key (${x509.publicKey.asymmetricKeyType})`;
    return { der, sha256: sha256Hex(der), publicKey: x509.publicKey, pkijs: cert };
  } catch (err) {
    return `not a readable X.509 certificate (${(err as Error).message})`;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/**
 * Checks a detached CMS SignedData (DER, `der`) over `content` (the concatenated parts) as `openssl cms -verify`
 * and pdfsig would, but with the signer fixed to the evidence certificate: one SignerInfo identified by the
 * certificate's issuer and serial, the certificate itself carried in the CMS, contentType id-data, a
 * messageDigest equal to the content's digest, and an ECDSA signature over the DER SET OF signed attributes
 * that verifies under the evidence certificate's public key. `allowZeroPadding` accepts the zero bytes a PDF
 * /Contents placeholder leaves after the DER. Returns what is wrong, each message prefixed by `file`.
 */
function verifyDetachedCms(der: Buffer, content: Buffer[], cert: EvidenceCert, file: string, contentName: string, allowZeroPadding = false): string[] {
  const bad = (m: string) => [`${file}: ${m}`];
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) return bad('signature is not DER (cannot be parsed)');
  if (asn.offset !== der.length) {
    const rest = der.subarray(asn.offset);
    if (!allowZeroPadding || rest.some((b) => b !== 0)) return bad(`signature has ${der.length - asn.offset} unexpected bytes after its DER`);
  }
  let signedData: pkijs.SignedData;
  let signedDataAsn: asn1js.Sequence;
  try {
    const info = new pkijs.ContentInfo({ schema: asn.result });
    if (info.contentType !== OID.signedData) return bad(`signature is not CMS SignedData (content type ${info.contentType})`);
    signedDataAsn = info.content as asn1js.Sequence;
    signedData = new pkijs.SignedData({ schema: signedDataAsn });
  } catch (err) {
    return bad(`signature is not a CMS SignedData (${(err as Error).message})`);
  }
  if (signedData.encapContentInfo.eContentType !== OID.data) return bad(`signed content type is ${signedData.encapContentInfo.eContentType}, expected id-data`);
  if (signedData.encapContentInfo.eContent !== undefined) return bad('signature is not detached (it carries its own content)');
  if (signedData.signerInfos.length !== 1) return bad(`signature has ${signedData.signerInfos.length} signers, expected 1`);
  const si = signedData.signerInfos[0];

  const problems: string[] = [];
  // Signer identity: issuer and serial of the evidence certificate, and that very certificate in the CMS.
  if (!(si.sid instanceof pkijs.IssuerAndSerialNumber)) {
    problems.push(`${file}: signer is not identified by issuer and serial number`);
  } else if (!si.sid.issuer.isEqual(cert.pkijs.issuer) || !si.sid.serialNumber.isEqual(cert.pkijs.serialNumber)) {
    problems.push(`${file}: signer is not the evidence key (issuer/serial differ from ${EVIDENCE_CERT})`);
  }
  const certSet = signedDataAsn.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  const carried = (certSet?.valueBlock.value ?? []).map((c) => c.valueBeforeDecodeView);
  if (!carried.some((c) => sameBytes(c, cert.der))) problems.push(`${file}: the certificate in the signature is not ${EVIDENCE_CERT}`);

  const digestName = DIGESTS[si.digestAlgorithm.algorithmId];
  const sigHash = SIGNATURES[si.signatureAlgorithm.algorithmId];
  if (!digestName) return [...problems, `${file}: unsupported digest algorithm ${si.digestAlgorithm.algorithmId}`];
  if (!sigHash) return [...problems, `${file}: unsupported signature algorithm ${si.signatureAlgorithm.algorithmId}`];
  if (!signedData.digestAlgorithms.some((a) => a.algorithmId === si.digestAlgorithm.algorithmId)) {
    problems.push(`${file}: signer's digest algorithm is not among the SignedData digest algorithms`);
  }
  const attrs = si.signedAttrs?.attributes ?? [];
  if (!si.signedAttrs || attrs.length === 0) return [...problems, `${file}: signature has no signed attributes`];
  const attr = (oid: string) => attrs.filter((a) => a.type === oid);
  const ct = attr(OID.contentType);
  if (ct.length !== 1 || ct[0].values.length !== 1 || !(ct[0].values[0] instanceof asn1js.ObjectIdentifier) || ct[0].values[0].getValue() !== OID.data) {
    problems.push(`${file}: signed contentType attribute is missing or not id-data`);
  }
  const md = attr(OID.messageDigest);
  if (md.length !== 1 || md[0].values.length !== 1 || !(md[0].values[0] instanceof asn1js.OctetString)) {
    problems.push(`${file}: signed messageDigest attribute is missing or malformed`);
  } else {
    const h = createHash(digestName);
    for (const p of content) h.update(p);
    if (!sameBytes(md[0].values[0].valueBlock.valueHexView, h.digest())) {
      problems.push(contentName === file ? `${file}: signed bytes do not match the digest in its signature (changed after signing)` : `${contentName}: content does not match the digest signed in ${file} (changed after signing)`);
    }
  }
  // The signature covers the signed attributes as a DER SET OF (pkijs keeps the received bytes, retagged 0x31).
  const signedBytes = Buffer.from(si.signedAttrs.encodedValue);
  let valid = false;
  try {
    valid = cryptoVerify(sigHash, signedBytes, { key: cert.publicKey, dsaEncoding: 'der' }, Buffer.from(si.signature.valueBlock.valueHexView));
  } catch {
    valid = false;
  }
  if (!valid) problems.push(`${file}: signature does not verify under the evidence key ${short(cert.sha256)}`);
  return problems;
}

// ---- PDF signatures --------------------------------------------------------------------------------------

/**
 * The last signature of a PDF: its /ByteRange must be [0 b c d] with b the offset of the '<' that opens the
 * /Contents hex string, c the offset right after its '>', and c + d the file length, so the signature covers
 * every byte but its own value. Nothing else the PDF says about the signature (/Name, /Reason, ...) is used.
 */
function verifyPdfSignature(file: string, pdf: Buffer, cert: EvidenceCert | undefined): string[] {
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

// ---- journal ----------------------------------------------------------------------------------------------

interface JournalRead {
  /** Entries to cross-check against (every well-formed line, in file order), even when the chain is broken. */
  entries: JournalEntry[];
  problems: string[];
}

function readJournal(bytes: Buffer): JournalRead {
  const text = bytes.toString('utf8');
  const problems: string[] = [];
  const entries: JournalEntry[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      problems.push(`${JOURNAL}: line ${i + 1}: unreadable (not JSON)`);
      return;
    }
    if (!isObject(e) || typeof e.seq !== 'number' || typeof e.hash !== 'string' || typeof e.prev !== 'string' || typeof e.type !== 'string' || typeof e.time !== 'string' || typeof e.actor !== 'string' || !isObject(e.data) || (e.step !== undefined && typeof e.step !== 'string')) {
      problems.push(`${JOURNAL}: line ${i + 1}: not a journal entry`);
      return;
    }
    entries.push(e as unknown as JournalEntry);
  });
  if (problems.length === 0) {
    // The journal's own rules: only a torn final line is tolerated by parseJournal, and a sealed packet has none.
    try {
      const parsed = parseJournal(text);
      if (parsed.torn) problems.push(`${JOURNAL}: line ${parsed.entries.length + 1}: incomplete final line (${Buffer.byteLength(parsed.torn.text)} bytes)`);
    } catch (err) {
      if (!isOfficiantError(err)) throw err;
      const details = err.details.length > 0 ? err.details : [err.message.replace(/^journal /, '')];
      for (const d of details) problems.push(`${JOURNAL}: ${d}`);
    }
  } else {
    for (const p of verifyChain(entries)) problems.push(`${JOURNAL}: entry ${p.line}: ${p.message}`);
  }
  return { entries, problems };
}

// ---- the report ------------------------------------------------------------------------------------------

interface Context {
  files: ReadonlyMap<string, Buffer>;
  entries: JournalEntry[];
  started?: JournalEntry;
  final?: JournalEntry;
  sealed?: JournalEntry;
  manifest?: Record<string, unknown>;
  cert?: EvidenceCert;
  steps?: string[];
  /** Set by the officers check: the parsed script and the roster the ceremony started with. */
  script?: Script;
  roster?: RosterBody;
}

class Group {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  constructor(readonly name: string) {}
  fail(m: string): void {
    this.problems.push(m);
  }
  note(m: string): void {
    this.notes.push(m);
  }
  done(): PacketCheckGroup {
    return { name: this.name, ok: this.problems.length === 0, problems: this.problems, notes: this.notes };
  }
}

function lineOf(e: JournalEntry, ctx: Context): number {
  const i = ctx.entries.indexOf(e);
  return i === -1 ? e.seq : i + 1;
}

function checkManifest(g: Group, ctx: Context): void {
  const { files } = ctx;
  const bytes = files.get(MANIFEST);
  if (!bytes) {
    g.fail(`${MANIFEST}: missing`);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      g.fail(`${MANIFEST}: not valid JSON (${(err as Error).message})`);
    }
    if (parsed !== undefined && !isObject(parsed)) g.fail(`${MANIFEST}: not a JSON object`);
    if (isObject(parsed)) ctx.manifest = parsed;
  }

  const sig = files.get(MANIFEST_SIG);
  if (!sig) g.fail(`${MANIFEST_SIG}: missing (${MANIFEST} is not signed)`);
  else if (bytes && ctx.cert) for (const p of verifyDetachedCms(sig, [bytes], ctx.cert, MANIFEST_SIG, MANIFEST)) g.fail(p);
  else if (bytes) g.fail(`${MANIFEST_SIG}: cannot check without the evidence certificate ${EVIDENCE_CERT}`);

  const m = ctx.manifest;
  if (!m) {
    if (bytes) g.fail(`${MANIFEST}: no file list to check the packet against`);
    return;
  }
  if (m.format !== FORMAT) g.fail(`${MANIFEST}: format ${JSON.stringify(m.format)}, expected ${FORMAT}`);
  if (!Array.isArray(m.files)) {
    g.fail(`${MANIFEST}: files is not a list`);
    return;
  }
  const listed = new Set<string>();
  m.files.forEach((f, i) => {
    if (!isObject(f) || typeof f.path !== 'string' || typeof f.bytes !== 'number' || typeof f.sha256 !== 'string') {
      g.fail(`${MANIFEST}: files[${i}] is not {path, bytes, sha256}`);
      return;
    }
    if (listed.has(f.path)) g.fail(`${MANIFEST}: lists ${f.path} twice`);
    listed.add(f.path);
    if (f.path === MANIFEST || f.path === MANIFEST_SIG) {
      g.fail(`${MANIFEST}: lists ${f.path}, which it cannot cover`);
      return;
    }
    const file = files.get(f.path);
    if (!file) return g.fail(`${f.path}: listed in ${MANIFEST} but missing`);
    if (file.length !== f.bytes) g.fail(`${f.path}: ${file.length} bytes, ${MANIFEST} says ${f.bytes}`);
    else if (sha256Hex(file) !== f.sha256.toLowerCase()) g.fail(`${f.path}: SHA-256 differs from ${MANIFEST}`);
  });
  for (const path of [...files.keys()].sort()) {
    if (path !== MANIFEST && path !== MANIFEST_SIG && !listed.has(path)) g.fail(`${path}: not listed in ${MANIFEST} (stray file)`);
    // A packet holds only what a ceremony writes, even when a manifest lists more.
    else if (!PACKET_PATH.test(path)) g.fail(`${path}: not a file a ceremony writes (stray file)`);
  }

  // The manifest's claims about the ceremony must be what the journal and the files say.
  const { started, final } = ctx;
  if (started && m.ceremonyId !== started.data.ceremonyId) g.fail(`${MANIFEST}: ceremonyId ${JSON.stringify(m.ceremonyId)} is not the journal's ${JSON.stringify(started.data.ceremonyId)}`);
  if (started && m.scriptId !== started.data.scriptId) g.fail(`${MANIFEST}: scriptId ${JSON.stringify(m.scriptId)} is not the journal's ${JSON.stringify(started.data.scriptId)}`);
  if (started && m.rehearsal !== (started.data.mode === 'rehearsal')) g.fail(`${MANIFEST}: rehearsal ${JSON.stringify(m.rehearsal)} contradicts the journal's mode ${JSON.stringify(started.data.mode)}`);
  if (final) {
    const outcome = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
    if (m.outcome !== outcome) g.fail(`${MANIFEST}: outcome ${JSON.stringify(m.outcome)}, the journal says ${outcome}`);
  }
  const ec = m.evidenceCertificate;
  if (ctx.cert) {
    if (!isObject(ec) || ec.path !== EVIDENCE_CERT || typeof ec.sha256 !== 'string') g.fail(`${MANIFEST}: evidenceCertificate does not name ${EVIDENCE_CERT}`);
    else if (files.get(EVIDENCE_CERT) && sha256Hex(files.get(EVIDENCE_CERT)!) !== ec.sha256) g.fail(`${MANIFEST}: evidenceCertificate SHA-256 is not that of ${EVIDENCE_CERT}`);
  }
  if (g.problems.length === 0) g.note(`${MANIFEST}: ${listed.size} files, each present with its size and SHA-256`);
}

function checkJournal(g: Group, ctx: Context, read: JournalRead | undefined): void {
  if (!read) return g.fail(`${JOURNAL}: missing`);
  for (const p of read.problems) g.fail(p);
  const { entries } = ctx;
  if (entries.length === 0) return g.fail(`${JOURNAL}: no entries`);
  if (entries[0].type !== 'ceremony.started') g.fail(`${JOURNAL}: line 1: ${entries[0].type}, expected ceremony.started`);
  entries.forEach((e, i) => {
    if (i > 0 && e.type === 'ceremony.started') g.fail(`${JOURNAL}: line ${i + 1}: a second ceremony.started`);
  });
  const closing = entries.filter((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
  const sealed = entries.filter((e) => e.type === 'ceremony.sealed');
  const last = entries[entries.length - 1];
  if (closing.length === 0) g.fail(`${JOURNAL}: no ceremony.completed or ceremony.aborted entry (the ceremony did not end)`);
  if (closing.length > 1) g.fail(`${JOURNAL}: line ${lineOf(closing[1], ctx)}: the ceremony ends more than once`);
  if (sealed.length === 0) g.fail(`${JOURNAL}: no ceremony.sealed entry`);
  // A seal interrupted by a crash is recorded again on resume; every seal entry must then say the same.
  for (const again of sealed.slice(1)) {
    const a = sealed[0].data;
    const b = again.data;
    if (a.journalHead !== b.journalHead || (a.packet as { sha256?: string })?.sha256 !== (b.packet as { sha256?: string })?.sha256) {
      g.fail(`${JOURNAL}: line ${lineOf(again, ctx)}: sealed again with a different packet or journal head`);
    }
  }
  if (last.type !== 'ceremony.sealed') g.fail(`${JOURNAL}: line ${entries.length}: last entry is ${last.type}, expected ceremony.sealed`);
  const final = closing[0];
  const seal = sealed[sealed.length - 1];
  if (final && seal) {
    if (lineOf(seal, ctx) < lineOf(final, ctx)) g.fail(`${JOURNAL}: line ${lineOf(seal, ctx)}: sealed before the ceremony ended (line ${lineOf(final, ctx)})`);
    if (seal.data.journalHead !== final.hash) g.fail(`${JOURNAL}: line ${lineOf(seal, ctx)}: ceremony.sealed names journal head ${short(str(seal.data.journalHead))}, not the closing entry's ${short(final.hash)}`);
  }
  if (final && ctx.manifest && ctx.manifest.journalHead !== final.hash) {
    g.fail(`${MANIFEST}: journalHead ${short(str(ctx.manifest.journalHead))} is not the hash of ${JOURNAL}'s closing entry (line ${lineOf(final, ctx)}, ${short(final.hash)})`);
  }
  // Every side effect is bracketed: each intent has a result, each result answers an earlier intent.
  const intents = new Map<number, JournalEntry>();
  const answered = new Set<number>();
  entries.forEach((e, i) => {
    if (e.type === 'intent') intents.set(e.seq, e);
    if (e.type === 'result') {
      const intent = intents.get(e.data.intent as number);
      if (!intent) g.fail(`${JOURNAL}: line ${i + 1}: result for no earlier intent (${JSON.stringify(e.data.intent)})`);
      else if (intent.data.op !== e.data.op) g.fail(`${JOURNAL}: line ${i + 1}: result for ${String(e.data.op)} answers intent #${intent.seq} (${String(intent.data.op)})`);
      else answered.add(intent.seq);
    }
  });
  for (const [seq, intent] of intents) {
    if (!answered.has(seq)) g.fail(`${JOURNAL}: line ${lineOf(intent, ctx)}: intent ${String(intent.data.op)} has no result`);
  }
  if (final) g.note(`${JOURNAL}: ${entries.length} entries, ${final.type.replace('ceremony.', '')}; journal head (packet cover, manifest) ${final.hash} at line ${lineOf(final, ctx)}`);
}

function checkScript(g: Group, ctx: Context): void {
  const script = ctx.files.get(SCRIPT);
  if (!script) return g.fail(`${SCRIPT}: missing`);
  const actual = sha256Hex(script);
  const recorded = str(ctx.started?.data.scriptSha256);
  if (!ctx.started) g.fail(`${SCRIPT}: no ceremony.started entry in ${JOURNAL} records its SHA-256`);
  else if (actual !== recorded) g.fail(`${SCRIPT}: SHA-256 ${short(actual)} is not the ${short(recorded)} recorded when the ceremony started (${JOURNAL} line 1)`);
  if (ctx.manifest && ctx.manifest.scriptSha256 !== actual) g.fail(`${MANIFEST}: scriptSha256 ${short(str(ctx.manifest.scriptSha256))} is not the SHA-256 of ${SCRIPT} (${short(actual)})`);
  let doc: unknown;
  try {
    doc = parseYaml(script.toString('utf8'));
  } catch (err) {
    return g.fail(`${SCRIPT}: not readable YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const steps = isObject(doc) && Array.isArray(doc.steps) ? doc.steps.map((s) => (isObject(s) ? str(s.id) : undefined)) : undefined;
  if (!steps || steps.some((s) => s === undefined || !/^[A-Za-z0-9._-]+$/.test(s))) return g.fail(`${SCRIPT}: has no list of steps with ids`);
  ctx.steps = steps as string[];
}

function checkPdfSignatures(g: Group, ctx: Context): void {
  const pdfs = [...ctx.files.keys()].filter((p) => (p.startsWith('steps/') && p.endsWith('.pdf')) || p === PACKET).sort();
  if (!ctx.files.has(PACKET)) g.fail(`${PACKET}: missing`);
  for (const file of pdfs) for (const p of verifyPdfSignature(file, ctx.files.get(file)!, ctx.cert)) g.fail(p);
  if (g.problems.length === 0) g.note(`${pdfs.length} PDFs signed by the evidence key over every byte but the signature`);
}

function pagePath(index: number, stepId: string): string {
  return `steps/${String(index + 1).padStart(2, '0')}-${stepId}.pdf`;
}

/** The page the journal records as a step's final one, as the runner chooses it (completed before aborted, signed first). */
function recordedPage(entries: readonly JournalEntry[], stepId: string, path: string): { sha256?: string; signed: boolean; seq: number } | undefined {
  for (const outcome of ['completed', 'aborted']) {
    for (const signed of [true, false]) {
      const st = effectState(entries, stepId, `evidence:${path}:${outcome}${signed ? ':signed' : ''}`);
      if (st.state === 'done') return { sha256: isObject(st.output) ? str(st.output.sha256) : undefined, signed, seq: st.intent.seq };
    }
  }
  return undefined;
}

function checkChain(g: Group, ctx: Context): void {
  const { files, entries, steps } = ctx;
  if (!steps) return g.fail(`${SCRIPT}: cannot check the pages without the script's steps`);
  const expected = new Set<string>();
  let previous: { seq: number; path: string } | undefined;
  steps.forEach((id, i) => {
    const path = pagePath(i, id);
    expected.add(path);
    const file = files.get(path);
    const rec = recordedPage(entries, id, path);
    const reached = entries.some((e) => e.step === id && (e.type === 'step.completed' || (e.type === 'ceremony.aborted' && ctx.final === e)));
    if (!rec) {
      if (file) g.fail(`${path}: not recorded in ${JOURNAL}`);
      else if (reached) g.fail(`${path}: missing (step ${i + 1} ${id} ended, but ${JOURNAL} records no page for it)`);
      return;
    }
    if (!file) return g.fail(`${path}: recorded in ${JOURNAL} but missing`);
    const actual = sha256Hex(file);
    if (rec.sha256 !== actual) g.fail(`${path}: SHA-256 ${short(actual)} is not the ${short(rec.sha256)} ${JOURNAL} recorded for step ${i + 1}`);
    if (ctx.cert && !rec.signed) g.fail(`${path}: ${JOURNAL} records only an unsigned page for step ${i + 1}`);
    // Each page prints the SHA-256 of the page before it when it is written, so pages are final in step order.
    if (previous && rec.seq < previous.seq) g.fail(`${path}: recorded in ${JOURNAL} before ${previous.path}, out of the script's step order`);
    previous = { seq: rec.seq, path };
  });
  for (const path of [...files.keys()].filter((p) => p.startsWith('steps/')).sort()) {
    if (!expected.has(path)) g.fail(`${path}: not the page of any step of ${SCRIPT}`);
  }
  const packet = files.get(PACKET);
  const recorded = isObject(ctx.sealed?.data.packet) ? str((ctx.sealed!.data.packet as Record<string, unknown>).sha256) : undefined;
  if (!ctx.sealed) g.fail(`${PACKET}: no ceremony.sealed entry in ${JOURNAL} records its SHA-256`);
  else if (!packet) g.fail(`${PACKET}: missing`);
  else if (sha256Hex(packet) !== recorded) g.fail(`${PACKET}: SHA-256 ${short(sha256Hex(packet))} is not the ${short(recorded)} of ${JOURNAL}'s ceremony.sealed entry`);
  if (g.problems.length === 0) g.note(`${expected.size} steps: every page is the one ${JOURNAL} recorded, in step order; ${PACKET} is the one sealed`);
}

function checkOutputs(g: Group, ctx: Context): void {
  const { files, entries } = ctx;
  // The last successful result of each write:<path> operation is what the file must hold.
  const intents = new Map<number, JournalEntry>();
  const written = new Map<string, { sha256?: string; bytes?: number; line: number }>();
  entries.forEach((e, i) => {
    if (e.type === 'intent') intents.set(e.seq, e);
    const op = str(e.data.op);
    if (e.type !== 'result' || e.data.ok !== true || !op?.startsWith('write:') || !intents.has(e.data.intent as number)) return;
    const out = isObject(e.data.output) ? e.data.output : {};
    written.set(op.slice('write:'.length), { sha256: str(out.sha256), bytes: typeof out.bytes === 'number' ? out.bytes : undefined, line: i + 1 });
  });
  for (const [path, rec] of [...written].sort(([a], [b]) => a.localeCompare(b))) {
    const file = files.get(path);
    if (!file) g.fail(`${path}: written at ${JOURNAL} line ${rec.line} but missing`);
    else if (sha256Hex(file) !== rec.sha256) g.fail(`${path}: SHA-256 ${short(sha256Hex(file))} is not the ${short(rec.sha256)} ${JOURNAL} recorded (line ${rec.line})`);
    else if (rec.bytes !== undefined && rec.bytes !== file.length) g.fail(`${path}: ${file.length} bytes, ${JOURNAL} recorded ${rec.bytes} (line ${rec.line})`);
  }
  for (const path of [...files.keys()].filter((p) => p.startsWith('outputs/')).sort()) {
    if (!written.has(path)) g.fail(`${path}: not written by any operation recorded in ${JOURNAL}`);
  }
  if (g.problems.length === 0) g.note(`${written.size} output files match the SHA-256 recorded in ${JOURNAL}`);
}

function loadEvidenceCert(g: Group, ctx: Context): void {
  const bytes = ctx.files.get(EVIDENCE_CERT);
  if (!bytes) return g.fail(`${EVIDENCE_CERT}: missing (nothing in the packet can be checked as signed)`);
  const der = pemCertificateDer(bytes.toString('utf8'));
  if (!der) return g.fail(`${EVIDENCE_CERT}: not a PEM certificate`);
  const cert = parseCertificate(der);
  if (typeof cert === 'string') return g.fail(`${EVIDENCE_CERT}: ${cert}`);
  ctx.cert = cert;
}

function checkEvidenceKey(g: Group, ctx: Context, trust: PacketTrust | undefined): void {
  const { cert } = ctx;
  if (!cert) return;
  // The journal says which certificate this ceremony made in its HSM.
  const recorded = [...ctx.entries]
    .reverse()
    .filter((e) => e.type === 'result' && e.data.op === EVIDENCE_CERT_OP && e.data.ok === true)
    .map((e) => (isObject(e.data.output) ? str(e.data.output.sha256) : undefined))[0];
  if (recorded === undefined) g.fail(`${EVIDENCE_CERT}: ${JOURNAL} records no evidence certificate (${EVIDENCE_CERT_OP})`);
  else if (recorded !== cert.sha256) g.fail(`${EVIDENCE_CERT}: SHA-256 ${short(cert.sha256)} is not the certificate ${JOURNAL} recorded (${short(recorded)})`);
  if (!trust || (trust.certificatePem === undefined && trust.sha256 === undefined)) {
    g.note(`evidence key ${cert.sha256} — compare out of band`);
    return;
  }
  let trusted: string | undefined;
  if (trust.certificatePem !== undefined) {
    const der = pemCertificateDer(trust.certificatePem);
    if (!der) return g.fail(`--trust: not a PEM certificate`);
    trusted = sha256Hex(der);
  } else {
    trusted = normalizeFingerprint(trust.sha256!);
    if (!trusted) return g.fail(`--trust: ${JSON.stringify(trust.sha256)} is not a SHA-256 fingerprint (64 hex digits)`);
  }
  if (trusted !== cert.sha256) g.fail(`${EVIDENCE_CERT}: evidence key ${cert.sha256} is not the trusted ${trusted}`);
  else g.note(`evidence key ${cert.sha256} — matches --trust`);
}

// ---- officers: the roster, token check-ins and approvals ----------------------------------------------------

/** A roster file's JSON verified with verifyRosterFile; every problem and note is reported against `file`. */
function checkRosterJson(g: Group, file: string, bytes: Buffer, opts: Parameters<typeof verifyRosterFile>[1]): ReturnType<typeof verifyRosterFile> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    g.fail(`${file}: not valid JSON`);
    return undefined;
  }
  const v = verifyRosterFile(json, opts);
  for (const p of v.problems) g.fail(`${file}: ${p}`);
  for (const n of v.notes) g.note(`${file}: ${n}`);
  return v;
}

/**
 * The roster the ceremony started with (its copy must be the file recorded in ceremony.started, and verify as
 * a roster: in production with nothing simulated and attestation roots from the site's piv section), the
 * roster a roster.sign step wrote (verified against the one it replaces), and every token check-in and
 * approval recomputed against the roster (verify-approvals.ts).
 */
function checkOfficers(g: Group, ctx: Context): void {
  const { files, started } = ctx;
  if (!started) return;
  const production = started.data.mode === 'production';
  const piv = isObject(started.data.piv) ? started.data.piv : undefined;
  const rootPems = piv && Array.isArray(piv.attestationRoots) ? piv.attestationRoots : [];
  const trustedAttestationRoots: string[] = [];
  rootPems.forEach((pem, i) => {
    const der = typeof pem === 'string' ? pemCertificateDer(pem) : undefined;
    if (der) trustedAttestationRoots.push(sha256Hex(der));
    else g.fail(`${JOURNAL}: line 1: piv attestation root ${i + 1} is not a PEM certificate`);
  });

  const recorded = started.data.roster ?? null;
  const copy = files.get(ROSTER_COPY);
  let roster: { body: RosterBody; sha256: string } | undefined;
  if (recorded !== null && !isObject(recorded)) {
    g.fail(`${JOURNAL}: line 1: roster is neither null nor a record of the roster file`);
  } else if (recorded === null) {
    if (copy) g.fail(`${ROSTER_COPY}: the ceremony started without a roster (${JOURNAL} line 1), yet the packet holds one`);
  } else if (!copy) {
    g.fail(`${ROSTER_COPY}: missing (the ceremony started with roster version ${JSON.stringify(recorded.version)}, ${JOURNAL} line 1)`);
  } else {
    const actual = sha256Hex(copy);
    if (actual !== recorded.file_sha256) g.fail(`${ROSTER_COPY}: SHA-256 ${short(actual)} is not the ${short(str(recorded.file_sha256))} recorded when the ceremony started (${JOURNAL} line 1)`);
    const v = checkRosterJson(g, ROSTER_COPY, copy, { production, trustedAttestationRoots });
    if (v?.roster && v.rosterSha256) {
      roster = { body: v.roster, sha256: v.rosterSha256 };
      if (v.rosterSha256 !== recorded.sha256) g.fail(`${ROSTER_COPY}: roster sha256 ${short(v.rosterSha256)} is not the ${short(str(recorded.sha256))} recorded when the ceremony started (${JOURNAL} line 1)`);
      if (v.roster.version !== recorded.version) g.fail(`${ROSTER_COPY}: roster version ${v.roster.version}, ${JOURNAL} line 1 records ${JSON.stringify(recorded.version)}`);
      if (v.roster.rehearsal !== recorded.rehearsal) g.fail(`${ROSTER_COPY}: rehearsal is ${v.roster.rehearsal}, ${JOURNAL} line 1 records ${JSON.stringify(recorded.rehearsal)}`);
      if (v.ok) g.note(`${ROSTER_COPY}: roster version ${v.roster.version} (sha256 ${v.rosterSha256}), ${v.roster.officers.length} officers, verified`);
    }
  }

  const written = files.get(ROSTER_OUTPUT);
  if (written) {
    const v = checkRosterJson(g, ROSTER_OUTPUT, written, { previous: roster, production, trustedAttestationRoots });
    if (v?.ok && v.roster) {
      const signed = roster ? `signed under the policy of roster version ${roster.body.version}` : 'signed by every officer it lists';
      g.note(`${ROSTER_OUTPUT}: roster version ${v.roster.version} (sha256 ${v.rosterSha256}), ${v.roster.officers.length} officers, ${signed}`);
    }
  }

  const text = files.get(SCRIPT);
  if (!text) return;
  const parsed = parseScript(SCRIPT, text.toString('utf8'));
  if (!parsed.script) {
    const first = parsed.errors[0];
    return g.fail(`${SCRIPT}: not a valid ceremony script (${first ? formatProblem(first) : 'no script'}): check-ins and approvals not verified`);
  }
  if (recorded !== null && !roster) return g.fail(`${JOURNAL}: check-ins and approvals not verified: the ceremony's roster (${ROSTER_COPY}) cannot be read`);
  const identity = verifyCeremonyIdentity({ entries: ctx.entries, script: parsed.script, roster: roster?.body });
  for (const p of identity.problems) g.fail(`${JOURNAL}: ${p}`);
  for (const n of identity.notes) g.note(`${JOURNAL}: ${n}`);
  ctx.roster = roster?.body;
  ctx.script = parsed.script;
}

/** Backups, restores and re-shares (verify-backup.ts), against the roster the officers check established. */
function checkBackups(g: Group, ctx: Context): void {
  if (!ctx.script) return;
  const hasBackup = ctx.script.steps.some((s) => s.kind.startsWith('backup.')) || ctx.files.has(BACKUP_SOURCE);
  if (!hasBackup) return;
  const report = verifyBackupEvidence({ entries: ctx.entries, script: ctx.script, roster: ctx.roster, files: ctx.files });
  for (const p of report.problems) g.fail(`${JOURNAL}: ${p}`);
  for (const n of report.notes) g.note(`${JOURNAL}: ${n}`);
}

/**
 * Verifies an evidence packet completely offline. `files` maps packet-relative paths ('journal.jsonl',
 * 'steps/01-check-in.pdf', ...) to their bytes and must hold every file of the directory, so that a stray file
 * is seen. `trust` pins the evidence certificate (PEM or SHA-256 of its DER); without it the report's notes
 * carry the fingerprint to compare out of band.
 */
/** Every path a ceremony may write: the fixed files, its step pages and its outputs. */
const PACKET_PATH = /^(journal\.jsonl|script\.yaml|site\.json|rehearsal\.json|roster\.json|backup-source\.json|packet\.pdf|manifest\.json|manifest\.json\.p7s|steps\/\d{2,}-[a-z][a-z0-9-]*\.pdf|outputs\/(backup\/|shares\/|restore\/)?[A-Za-z0-9._-]+)$/;

export function verifyPacket(files: ReadonlyMap<string, Buffer>, options: { trust?: PacketTrust } = {}): PacketReport {
  const journalBytes = files.get(JOURNAL);
  const read = journalBytes ? readJournal(journalBytes) : undefined;
  const entries = read?.entries ?? [];
  const ctx: Context = {
    files,
    entries,
    started: entries[0]?.type === 'ceremony.started' ? entries[0] : undefined,
    final: entries.find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted'),
    sealed: [...entries].reverse().find((e) => e.type === 'ceremony.sealed'),
  };
  const groups = Object.fromEntries(CHECK_GROUPS.map((n) => [n, new Group(n)])) as Record<(typeof CHECK_GROUPS)[number], Group>;
  const run = (g: Group, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      // A bug in verify must not pass a packet: it is reported as a failed check.
      g.fail(`(verify) internal error while checking ${g.name}: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  run(groups['evidence key'], () => loadEvidenceCert(groups['evidence key'], ctx));
  run(groups.manifest, () => checkManifest(groups.manifest, ctx));
  run(groups.journal, () => checkJournal(groups.journal, ctx, read));
  run(groups.script, () => checkScript(groups.script, ctx));
  run(groups['pdf signatures'], () => checkPdfSignatures(groups['pdf signatures'], ctx));
  run(groups.chain, () => checkChain(groups.chain, ctx));
  run(groups.outputs, () => checkOutputs(groups.outputs, ctx));
  run(groups['evidence key'], () => checkEvidenceKey(groups['evidence key'], ctx, options.trust));
  run(groups.officers, () => checkOfficers(groups.officers, ctx));
  run(groups.backup, () => checkBackups(groups.backup, ctx));
  const rehearsal = ctx.started?.data.mode === 'rehearsal';
  if (rehearsal) groups.rehearsal.note('rehearsal: made on a throwaway SoftHSM with simulated people; not production evidence');
  else if (ctx.started?.data.mode === 'production') groups.rehearsal.note('production ceremony (not a rehearsal)');
  else if (ctx.started) groups.rehearsal.fail(`${JOURNAL}: line 1: mode ${JSON.stringify(ctx.started.data.mode)} is neither rehearsal nor production`);
  const result = CHECK_GROUPS.map((n) => groups[n].done());
  return { groups: result, ok: result.every((g) => g.ok), evidenceKeySha256: ctx.cert?.sha256, rehearsal };
}
