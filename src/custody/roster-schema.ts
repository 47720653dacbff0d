// The shape of a roster file, its signed documents and their bodies, and how a shape problem reads: every
// object strict (an unknown key is a problem), nothing defaulted, because the signed bytes are the canonical
// JSON of exactly what is written. Problems name the path: `roster body: officers[0].device.serial: is required`.
import { z } from 'zod';
import { article, valueAt } from '../script/parse.js';
import { KEYRING_TYPE, ROSTER_FILE_FORMAT, ROSTER_TYPE, type KeyringBody, type RosterBody } from './roster.types.js';
import type { SignedDocument } from './signed-document.js';

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
    manifest_threshold: z.number().int().min(2, 'dual control: at least 2 distinct keys').max(1000).optional(),
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

export const RosterFileSchema = z
  .object({ format: z.literal(ROSTER_FILE_FORMAT), roster: z.looseObject({}), keyring: z.looseObject({}), previous: z.looseObject({}).nullable().optional() })
  .strict();

// Compile-time: the schemas produce exactly the lead's types.
const _roster: z.ZodType<RosterBody> = RosterBodySchema;
const _keyring: z.ZodType<KeyringBody> = KeyringBodySchema;
const _document: z.ZodType<SignedDocument> = SignedDocumentSchema;
void _roster, void _keyring, void _document;

type Issue = z.core.$ZodIssue;

export function zodProblems(prefix: string, error: z.ZodError, raw: unknown): string[] {
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
