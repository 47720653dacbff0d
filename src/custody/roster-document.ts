// Opening one signed document (the roster or the keyring of a roster file, a release policy): its shape, payload type, base64
// payload, payload_sha256, canonical JSON and body shape. Every problem is reported; what could be read is
// returned for the signature and keyring checks.
import type { z } from 'zod';
import { canonicalJson } from '../record/canonical-json.js';
import { sha256 } from './roster-common.js';
import { SignedDocumentSchema, zodProblems } from './roster-schema.js';
import type { SignedDocument } from './signed-document.js';

export interface Opened<T> {
  doc?: SignedDocument;
  bytes?: Buffer;
  sha256?: string;
  body?: T;
}

export function openDocument<T>(name: 'roster' | 'keyring' | 'policy', raw: unknown, payloadType: string, schema: z.ZodType<T>, problems: string[]): Opened<T> {
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
