// The officer roster and the manifest keyring derived from it, verified as pure functions over the data they
// are handed (no files, no clock). Contract:
// - verifyRosterFile reports EVERY problem it finds, each a short lowercase fact naming the officer and device;
//   `ok` is true only when there is none. Notes are facts that do not invalidate (a duplicate signature, an
//   attestation without a serial).
// - Who may sign: the first roster (version 1, no previous) is signed by every officer it lists; a later
//   roster by `signing_policy.threshold` DISTINCT active officers of the previous roster holding
//   `signing_policy.role`, each with the 9a certificate the previous roster gives them. The keyring carries
//   signatures under the same rule, and its body must be exactly keyringBody(roster, rosterSha256).
// - Every slot key is certified by the enrollment CA and attested by its device, whose attestation
//   certificate chains to one of the roster's attestation roots. In production nothing simulated passes, and
//   every attestation root must be one the caller trusts (by SHA-256 of its DER).
import { SIMULATED_MARK, YUBICO_OID } from './piv-attestation.js';
import { article, valueAt } from '../script/parse.js';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../record/canonical-json.js';
import {
  KEYRING_TYPE,
  ROSTER_FILE_FORMAT,
  ROSTER_TYPE,
  type KeyringBody,
  type KeyringKey,
  type RosterBody,
  type RosterOfficer,
} from './roster.types.js';
import { certificateSha256, signatureValid, type SignedDocument } from './signed-document.js';

/** Yubico PIV attestation extension carrying the device serial as a DER INTEGER. */

const SLOTS = ['9a', '9c', '9d', '9e'] as const;

// ---------------------------------------------------------------------------------------------------------
// Schemas: every object strict (an unknown key is a problem), nothing defaulted, because the signed bytes are
// the canonical JSON of exactly what is written.

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha-256)');
const officerId = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, starting with a letter');
const time = z.iso.datetime({ offset: true });
const text = z.string().min(1);

const RosterKeySchema = z
  .object({ certificate: text, certificate_sha256: sha256Hex, spki_sha256: sha256Hex, attestation: text, attestation_sha256: sha256Hex })
  .strict();

const RosterOfficerSchema = z
  .object({
    id: officerId,
    name: text,
    roles: z.array(officerId).min(1),
    status: z.enum(['active', 'revoked']),
    revoked: z.object({ at: time, reason: text, ceremony_id: text }).strict().nullable(),
    enrolled: z.object({ at: time, ceremony_id: text }).strict(),
    device: z.object({ serial: text, model: text, firmware: text, simulated: z.boolean(), attestation_certificate: text }).strict(),
    keys: z.object({ '9a': RosterKeySchema.optional(), '9c': RosterKeySchema.optional(), '9d': RosterKeySchema.optional(), '9e': RosterKeySchema.optional() }).strict(),
  })
  .strict();

export const RosterBodySchema = z
  .object({
    format: z.literal(ROSTER_TYPE),
    authority: z.enum(['manifest', 'release']),
    version: z.number().int().min(1),
    previous_sha256: sha256Hex.nullable(),
    issued_at: time,
    issued_by: z.object({ script_id: text, ceremony_id: text }).strict(),
    rehearsal: z.boolean(),
    attestation_roots: z.array(z.object({ subject: text, sha256: sha256Hex, pem: text, simulated: z.boolean() }).strict()).min(1),
    enrollment_ca: z.object({ pem: text, sha256: sha256Hex, subject: text }).strict(),
    signing_policy: z.object({ role: officerId, threshold: z.number().int().min(2, 'dual control: at least 2 distinct officers') }).strict(),
    officers: z.array(RosterOfficerSchema).min(1),
  })
  .strict();

export const KeyringBodySchema = z
  .object({
    format: z.literal(KEYRING_TYPE),
    authority: z.literal('manifest'),
    roster_version: z.number().int().min(1),
    roster_sha256: sha256Hex,
    issued_at: time,
    rehearsal: z.boolean(),
    keys: z.array(
      z
        .object({ officer: officerId, name: text, device_serial: text, certificate: text, certificate_sha256: sha256Hex, spki_sha256: sha256Hex, public_key: text })
        .strict(),
    ),
  })
  .strict();

export const SignedDocumentSchema = z
  .object({
    format: z.literal('officiant-signed/1'),
    payload_type: text,
    payload: z.string(),
    payload_sha256: sha256Hex,
    signatures: z.array(z.object({ officer: text, device_serial: text, slot: z.literal('9a'), certificate: text, signature: text }).strict()),
  })
  .strict();

const RosterFileSchema = z
  .object({ format: z.literal(ROSTER_FILE_FORMAT), roster: z.looseObject({}), keyring: z.looseObject({}), previous: z.looseObject({}).nullable().optional() })
  .strict();

// Compile-time: the schemas produce exactly the lead's types.
const _roster: z.ZodType<RosterBody> = RosterBodySchema;
const _keyring: z.ZodType<KeyringBody> = KeyringBodySchema;
const _document: z.ZodType<SignedDocument> = SignedDocumentSchema;
void _roster, void _keyring, void _document;

// ---------------------------------------------------------------------------------------------------------
// Lookups the engine uses.

export function officerById(roster: RosterBody, id: string): RosterOfficer | undefined {
  return roster.officers.find((o) => o.id === id);
}

export function officerByDevice(roster: RosterBody, serial: string): RosterOfficer | undefined {
  return roster.officers.find((o) => o.device.serial === serial);
}

/** The officer whose 9a (identity) certificate has this SHA-256 (of its DER). */
export function officerByCertificate(roster: RosterBody, certificateSha256: string): RosterOfficer | undefined {
  const want = certificateSha256.toLowerCase();
  return roster.officers.find((o) => o.keys['9a']?.certificate_sha256 === want);
}

// ---------------------------------------------------------------------------------------------------------
// The keyring.

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The manifest keyring a roster implies: the 9c key of every active officer, sorted by officer id (code-unit
 * order, never locale order, so every machine derives the same bytes). Throws if a 9c certificate does not
 * parse; verifyRosterFile reports that as a problem first.
 */
export function keyringBody(roster: RosterBody, rosterSha256: string): KeyringBody {
  const keys: KeyringKey[] = roster.officers
    .filter((o) => o.status === 'active' && o.keys['9c'] !== undefined)
    .sort((a, b) => byCodeUnit(a.id, b.id))
    .map((o) => {
      const k = o.keys['9c']!;
      return {
        officer: o.id,
        name: o.name,
        device_serial: o.device.serial,
        certificate: k.certificate,
        certificate_sha256: k.certificate_sha256,
        spki_sha256: k.spki_sha256,
        public_key: new X509Certificate(k.certificate).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    });
  return {
    format: KEYRING_TYPE,
    authority: 'manifest',
    roster_version: roster.version,
    roster_sha256: rosterSha256,
    issued_at: roster.issued_at,
    rehearsal: roster.rehearsal,
    keys,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Verification.

export interface RosterVerifyOptions {
  /** The roster this one replaces, already verified by the caller, and its payload_sha256. */
  previous?: { body: RosterBody; sha256: string };
  production: boolean;
  /** SHA-256 (of the DER) of the vendor attestation roots accepted in production. */
  trustedAttestationRoots?: string[];
}

export interface RosterVerification {
  ok: boolean;
  roster?: RosterBody;
  rosterSha256?: string;
  keyring?: KeyringBody;
  problems: string[];
  notes: string[];
}

interface Opened<T> {
  doc?: SignedDocument;
  bytes?: Buffer;
  sha256?: string;
  body?: T;
}

type Signers = { kind: 'first'; roster: RosterBody } | { kind: 'previous'; roster: RosterBody } | { kind: 'unknown' };

export function verifyRosterFile(file: unknown, opts: RosterVerifyOptions): RosterVerification {
  const problems: string[] = [];
  const notes: string[] = [];
  const outer = RosterFileSchema.safeParse(file);
  if (!outer.success) {
    problems.push(...zodProblems('roster file', outer.error, file));
    return { ok: false, problems, notes };
  }
  if (!opts.previous && outer.data.previous) {
    // The file carries the roster it replaces (and that one its own, back to version 1): verify the chain
    // from the first roster, whose officers all signed it, and take the verified previous roster as given.
    const prior = verifyRosterFile(outer.data.previous, { ...opts, previous: undefined });
    problems.push(...prior.problems.map((p) => `previous roster: ${p}`));
    if (!prior.ok || !prior.roster || !prior.rosterSha256) return { ok: false, problems, notes };
    notes.push(...prior.notes.map((n) => `previous roster: ${n}`));
    return verifyRosterFile({ ...outer.data, previous: undefined }, { ...opts, previous: { body: prior.roster, sha256: prior.rosterSha256 } });
  }
  const roster = openDocument('roster', outer.data.roster, ROSTER_TYPE, RosterBodySchema, problems);
  const keyring = openDocument('keyring', outer.data.keyring, KEYRING_TYPE, KeyringBodySchema, problems);

  let signers: Signers = { kind: 'unknown' };
  const body = roster.body;
  if (body) {
    checkRosterBody(body, opts, problems, notes);
    signers = checkChain(body, opts, problems);
  }
  if (roster.doc && roster.bytes) checkSignatures('roster', roster.doc, roster.bytes, signers, problems, notes);
  if (keyring.doc && keyring.bytes) checkSignatures('keyring', keyring.doc, keyring.bytes, signers, problems, notes);

  let expected: KeyringBody | undefined;
  if (body && roster.sha256) {
    if (body.authority !== 'manifest') problems.push(`keyring: a manifest keyring cannot derive from a ${body.authority} roster`);
    try {
      expected = keyringBody(body, roster.sha256);
    } catch {
      problems.push('keyring: cannot derive the keyring from the roster: a 9c certificate does not parse');
    }
    if (expected && keyring.body) compareKeyring(keyring.body, expected, body, problems);
  }
  if (body?.rehearsal && !opts.production) notes.push('rehearsal roster: simulated devices, for rehearsals only');

  const ok = problems.length === 0;
  return {
    ok,
    ...(body ? { roster: body, rosterSha256: roster.sha256 } : {}),
    ...(ok && expected ? { keyring: expected } : {}),
    problems,
    notes,
  };
}

function openDocument<T>(name: 'roster' | 'keyring', raw: unknown, payloadType: string, schema: z.ZodType<T>, problems: string[]): Opened<T> {
  const parsed = SignedDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(name, parsed.error, raw));
    return {};
  }
  const doc = parsed.data;
  const out: Opened<T> = { doc };
  if (doc.payload_type !== payloadType) problems.push(`${name} payload_type is ${JSON.stringify(doc.payload_type)}, expected ${payloadType}`);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(doc.payload) || doc.payload === '') {
    problems.push(`${name} payload is not base64`);
    return out;
  }
  const bytes = Buffer.from(doc.payload, 'base64');
  out.bytes = bytes;
  out.sha256 = sha256(bytes);
  if (out.sha256 !== doc.payload_sha256) problems.push(`${name} payload_sha256 does not match the payload (which hashes to ${out.sha256})`);
  const textual = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(textual);
  } catch {
    problems.push(`${name} payload is not JSON`);
    return out;
  }
  if (canonicalJson(value) !== textual) problems.push(`${name} payload is not canonical JSON (sorted keys, no whitespace)`);
  const body = schema.safeParse(value);
  if (!body.success) {
    problems.push(...zodProblems(`${name} body`, body.error, value));
    return out;
  }
  out.body = body.data;
  return out;
}

const who = (o: { id: string; device: { serial: string } }) => `${o.id} (device ${o.device.serial})`;

function checkRosterBody(roster: RosterBody, opts: RosterVerifyOptions, problems: string[], notes: string[]): void {
  // Identity: one entry per officer, per device and per key, or one person could count twice.
  for (const [id, n] of counts(roster.officers.map((o) => o.id))) if (n > 1) problems.push(`officer id ${id} appears ${n} times`);
  for (const [serial, n] of counts(roster.officers.map((o) => o.device.serial))) {
    if (n > 1) problems.push(`device ${serial} is listed for ${n} officers: ${roster.officers.filter((o) => o.device.serial === serial).map((o) => o.id).join(', ')}`);
  }
  const keyOwners = new Map<string, string[]>();
  for (const o of roster.officers) {
    for (const slot of SLOTS) {
      const k = o.keys[slot];
      if (k) keyOwners.set(k.spki_sha256, [...(keyOwners.get(k.spki_sha256) ?? []), `${o.id} ${slot}`]);
    }
  }
  for (const [spki, owners] of keyOwners) if (owners.length > 1) problems.push(`key ${spki} is listed ${owners.length} times: ${owners.join(', ')}`);

  for (const o of roster.officers) {
    if (o.status === 'revoked' && o.revoked === null) problems.push(`officer ${who(o)}: revoked without a revoked record`);
    if (o.status === 'active' && o.revoked !== null) problems.push(`officer ${who(o)}: active but has a revoked record`);
    if (o.status === 'active' && !o.keys['9a']) problems.push(`officer ${who(o)}: active without a 9a key`);
    if (o.status === 'active' && !o.keys['9c']) problems.push(`officer ${who(o)}: active without a 9c key`);
  }

  const holders = roster.officers.filter((o) => o.status === 'active' && o.roles.includes(roster.signing_policy.role)).length;
  if (holders < roster.signing_policy.threshold) {
    problems.push(`signing policy cannot be met: ${roster.signing_policy.threshold} ${roster.signing_policy.role} signatures needed, ${holders} active officer(s) hold the role`);
  }

  // Simulation is a label people rely on: it must agree with the attestation chain and the rehearsal flag.
  const simulated = roster.officers.some((o) => o.device.simulated) || roster.attestation_roots.some((r) => r.simulated);
  if (roster.rehearsal !== simulated) {
    problems.push(roster.rehearsal ? 'rehearsal is true but no device or attestation root is simulated' : 'rehearsal is false but a device or attestation root is simulated');
  }
  if (opts.production) {
    if (roster.rehearsal) problems.push('roster is a rehearsal roster: not valid in production');
    for (const o of roster.officers) if (o.device.simulated) problems.push(`device ${o.device.serial} is simulated: a rehearsal roster is not valid in production`);
    const trusted = new Set((opts.trustedAttestationRoots ?? []).map((s) => s.toLowerCase().replace(/:/g, '')));
    if (trusted.size === 0) problems.push('production needs the trusted vendor attestation roots: none given');
    for (const r of roster.attestation_roots) {
      // The flag is the roster's own word; the sandbox CA's name is checked as well, whatever the flag says.
      const named = SIMULATED_MARK.test(parseCertificate(r.pem)?.subject ?? '') || SIMULATED_MARK.test(r.subject);
      if (r.simulated || named) problems.push(`attestation root "${r.subject}" is simulated: a rehearsal roster is not valid in production`);
      else if (trusted.size > 0 && !trusted.has(r.sha256)) problems.push(`attestation root "${r.subject}" (sha256 ${r.sha256}) is not a trusted vendor root`);
    }
  }

  const ca = parseCertificate(roster.enrollment_ca.pem);
  if (!ca) problems.push('enrollment_ca: not a certificate');
  else if (sha256(ca.raw) !== roster.enrollment_ca.sha256) problems.push('enrollment_ca: sha256 does not match the certificate');

  const roots: Array<{ cert: X509Certificate; simulated: boolean }> = [];
  roster.attestation_roots.forEach((r, i) => {
    const cert = parseCertificate(r.pem);
    if (!cert) return problems.push(`attestation root ${i + 1} "${r.subject}": not a certificate`);
    if (sha256(cert.raw) !== r.sha256) problems.push(`attestation root ${i + 1} "${r.subject}": sha256 does not match the certificate`);
    roots.push({ cert, simulated: r.simulated });
  });

  for (const o of roster.officers) checkOfficer(o, ca, roots, problems, notes);
}

function checkOfficer(o: RosterOfficer, ca: X509Certificate | undefined, roots: Array<{ cert: X509Certificate; simulated: boolean }>, problems: string[], notes: string[]): void {
  const device = parseCertificate(o.device.attestation_certificate);
  if (!device) problems.push(`officer ${who(o)}: device attestation certificate is not a certificate`);
  else {
    const root = roots.find((r) => issuedBy(device, r.cert));
    if (!root) problems.push(`officer ${who(o)}: device attestation certificate is not issued by any attestation root of the roster`);
    else if (root.simulated && !o.device.simulated) problems.push(`officer ${who(o)}: device attests through a simulated root but is not marked simulated`);
  }

  for (const slot of SLOTS) {
    const k = o.keys[slot];
    if (!k) continue;
    const at = `officer ${who(o)} ${slot}`;
    const cert = parseCertificate(k.certificate);
    let spki: Buffer | undefined;
    if (!cert) problems.push(`${at} certificate: not a certificate`);
    else {
      spki = cert.publicKey.export({ type: 'spki', format: 'der' });
      if (sha256(cert.raw) !== k.certificate_sha256) problems.push(`${at} certificate: certificate_sha256 does not match the certificate`);
      if (sha256(spki) !== k.spki_sha256) problems.push(`${at} certificate: spki_sha256 does not match the certificate's key`);
      if (ca && !issuedBy(cert, ca)) problems.push(`${at} certificate: not issued by the enrollment ca`);
    }

    const att = parseCertificate(k.attestation);
    if (!att) {
      problems.push(`${at} attestation: not a certificate`);
      continue;
    }
    if (sha256(att.raw) !== k.attestation_sha256) problems.push(`${at} attestation: attestation_sha256 does not match the certificate`);
    if (spki && !att.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) problems.push(`${at} attestation: attests a different key than the ${slot} certificate`);
    if (device && !issuedBy(att, device)) problems.push(`${at} attestation: not signed by the device attestation certificate`);
    const serial = attestedSerial(att);
    if (serial === 'malformed') problems.push(`${at} attestation: serial extension is not an integer`);
    else if (serial === undefined) notes.push(`${at} attestation: carries no device serial`);
    else if (!/^[0-9]+$/.test(o.device.serial) || BigInt(o.device.serial) !== serial) problems.push(`${at} attestation: attests device ${serial}, not ${o.device.serial}`);
  }
}

function checkChain(roster: RosterBody, opts: RosterVerifyOptions, problems: string[]): Signers {
  const prev = opts.previous;
  if (!prev) {
    if (roster.version === 1 && roster.previous_sha256 === null) {
      for (const o of roster.officers) if (o.status !== 'active') problems.push(`officer ${who(o)}: revoked in the first roster`);
      return { kind: 'first', roster };
    }
    problems.push(`roster version ${roster.version} replaces roster ${roster.previous_sha256 ?? '(none)'}: the previous roster is needed to check who signed it`);
    return { kind: 'unknown' };
  }
  if (roster.previous_sha256 !== prev.sha256) problems.push(`previous_sha256 is ${roster.previous_sha256 ?? 'null'}, not the previous roster's ${prev.sha256}`);
  if (roster.version !== prev.body.version + 1) problems.push(`version is ${roster.version}, expected ${prev.body.version + 1} (the previous roster is version ${prev.body.version})`);
  if (roster.authority !== prev.body.authority) problems.push(`authority is ${roster.authority}, the previous roster's is ${prev.body.authority}`);
  return { kind: 'previous', roster: prev.body };
}

function checkSignatures(name: 'roster' | 'keyring', doc: SignedDocument, bytes: Buffer, signers: Signers, problems: string[], notes: string[]): void {
  const counted = new Set<string>();
  const named = new Set<string>();
  doc.signatures.forEach((s, i) => {
    const at = `${name} signature ${i + 1} (${s.officer}, device ${s.device_serial})`;
    named.add(s.officer);
    if (signers.kind === 'unknown') {
      if (!signatureValid(s.certificate, bytes, s.signature)) problems.push(`${at}: does not verify over the payload`);
      return;
    }
    const where = signers.kind === 'first' ? 'this roster' : `the previous roster (version ${signers.roster.version})`;
    const officer = officerById(signers.roster, s.officer);
    if (!officer) return problems.push(`${at}: not an officer of ${where}`);
    const own: string[] = [];
    if (officer.device.serial !== s.device_serial) own.push(`${officer.id} holds device ${officer.device.serial} in ${where}`);
    let certSha: string | undefined;
    try {
      certSha = certificateSha256(s.certificate);
    } catch {
      certSha = undefined;
    }
    if (certSha === undefined || certSha !== officer.keys['9a']?.certificate_sha256) own.push(`certificate is not the 9a certificate of ${officer.id} in ${where}`);
    if (signers.kind === 'previous') {
      if (officer.status !== 'active') own.push(`${officer.id} is revoked in ${where}`);
      const role = signers.roster.signing_policy.role;
      if (!officer.roles.includes(role)) own.push(`${officer.id} does not hold role ${role} in ${where}`);
    }
    // Only a certificate the roster gives this officer says anything: verifying with any other is meaningless.
    if (certSha !== undefined && certSha === officer.keys['9a']?.certificate_sha256 && !signatureValid(s.certificate, bytes, s.signature)) own.push('does not verify over the payload');
    for (const p of own) problems.push(`${at}: ${p}`);
    if (own.length > 0) return;
    if (counted.has(officer.id)) return notes.push(`${at}: a second signature by ${officer.id} counts once`);
    counted.add(officer.id);
  });

  if (signers.kind === 'first') {
    // Officers whose signature is there but bad are already named above.
    for (const o of signers.roster.officers) if (!named.has(o.id)) problems.push(`${name} is not signed by ${who(o)}: the first roster needs every officer it lists`);
  } else if (signers.kind === 'previous') {
    const { role, threshold } = signers.roster.signing_policy;
    if (counted.size < threshold) problems.push(`${name} quorum not met: ${counted.size}/${threshold} distinct ${role} signatures (policy of roster version ${signers.roster.version})`);
  }
}

function compareKeyring(actual: KeyringBody, expected: KeyringBody, roster: RosterBody, problems: string[]): void {
  if (canonicalJson(actual) === canonicalJson(expected)) return;
  const before = problems.length;
  for (const field of ['roster_version', 'roster_sha256', 'issued_at', 'rehearsal'] as const) {
    if (actual[field] !== expected[field]) problems.push(`keyring ${field} is ${JSON.stringify(actual[field])}, the roster gives ${JSON.stringify(expected[field])}`);
  }
  const listed = new Map(actual.keys.map((k) => [k.officer, k]));
  for (const want of expected.keys) {
    const o = officerById(roster, want.officer)!;
    const got = listed.get(want.officer);
    if (!got) {
      problems.push(`keyring omits the 9c key of ${who(o)}`);
      continue;
    }
    const fields = (Object.keys(want) as Array<keyof KeyringKey>).filter((f) => got[f] !== want[f]);
    if (fields.length > 0) problems.push(`keyring key of ${who(o)} differs from the roster: ${fields.join(', ')}`);
  }
  const wanted = new Set(expected.keys.map((k) => k.officer));
  for (const [id, k] of counts(actual.keys.map((k) => k.officer))) if (k > 1) problems.push(`keyring lists ${id} ${k} times`);
  for (const k of actual.keys) {
    if (wanted.has(k.officer)) continue;
    const o = officerById(roster, k.officer);
    problems.push(o ? `keyring lists ${who(o)}, who has no active 9c key in the roster` : `keyring lists ${k.officer}, who is not an officer of the roster`);
  }
  if (problems.length === before) problems.push('keyring keys are not in officer id order');
}

// ---------------------------------------------------------------------------------------------------------
// Helpers.

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function counts(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Whether `issuer`'s key made the signature on `cert` and `cert` names `issuer` as its issuer. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.issuer === issuer.subject && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The device serial a Yubico slot attestation carries, undefined if it has none. */
function attestedSerial(cert: X509Certificate): bigint | undefined | 'malformed' {
  try {
    const ext = new x509.X509Certificate(cert.raw).getExtension(YUBICO_OID.serial);
    if (!ext) return undefined;
    const asn = asn1js.fromBER(ext.value);
    if (asn.offset === -1 || asn.offset !== ext.value.byteLength || !(asn.result instanceof asn1js.Integer)) return 'malformed';
    return asn.result.toBigInt();
  } catch {
    return 'malformed';
  }
}

type Issue = z.core.$ZodIssue;

function zodProblems(prefix: string, error: z.ZodError, raw: unknown): string[] {
  return error.issues.flatMap((issue: Issue) => {
    const path = issue.path.map((s) => (typeof s === 'symbol' ? String(s) : s));
    const at = (p: Array<string | number>) => `${prefix}: ${formatPath(p)}`;
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((k) => `${at([...path, k])}: unknown key`);
      case 'invalid_type': {
        const v = valueAt(raw, path);
        return [v === undefined ? `${at(path)}: is required` : `${at(path)}: must be ${article(issue.expected)}, got ${describeValue(v)}`];
      }
      case 'invalid_value':
        return [valueAt(raw, path) === undefined ? `${at(path)}: is required` : `${at(path)}: must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`];
      default:
        return [`${at(path)}: ${lower(issue.message)}`];
    }
  });
}

function formatPath(path: Array<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function lower(msg: string): string {
  const m = msg.replace(/^Invalid input: /, '');
  return /^[A-Z][A-Z]/.test(m) ? m : m.charAt(0).toLowerCase() + m.slice(1);
}
