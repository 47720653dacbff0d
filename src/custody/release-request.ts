// A signing request: what a build pipeline (outside the trust boundary) asks the release authority to sign. It
// is an in-toto Statement v1: `subject` names each artifact with its SHA-256, and the predicate (a type of our
// own) says, per artifact, its kind and size, and for the request: the authority, build id, source revision,
// channel, release version (an integer that only goes up per channel), a random request id and a not-after
// time. A pipeline may wrap it in a DSSE envelope signed with its own key: provenance, never an approval.
// Checking a request is pure: the problems are sentences naming the field; nothing here reads a file.
import { z } from 'zod';
import { foreignShape } from '../record/journal.js';
import { jsonValuesOver } from '../record/json-values.js';
import { zodProblems } from './roster-schema.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const REQUEST_PREDICATE_TYPE = 'https://officiant.dev/signing-request/v1';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** What each authority signs; a kind of the other authority is refused by name. */
export const AUTHORITY_KINDS = {
  release: ['image', 'ota-payload', 'ota-package', 'vbmeta', 'apk', 'apex', 'release-artifact'],
  manifest: ['ota-manifest', 'release-metadata'],
} as const;
export type Authority = keyof typeof AUTHORITY_KINDS;
export type ArtifactKind = (typeof AUTHORITY_KINDS)[Authority][number];

export interface RequestArtifact {
  name: string;
  kind: ArtifactKind;
  size: number;
  sha256: string;
}

export interface SigningRequest {
  authority: Authority;
  requestId: string;
  buildId: string;
  sourceRevision: string;
  channel: string;
  version: number;
  createdAt: string;
  notAfter: string;
  artifacts: RequestArtifact[];
  /** The pipeline's DSSE signatures, if it signed the request (provenance only). */
  envelope?: { payload: Buffer; signatures: Array<{ keyid: string; sig: string }> };
}

const MAX_ARTIFACTS = 100_000;
/** JSON values in a request, counted before it is parsed (record/json-values.ts): some a dozen per artifact, and the fixed fields. */
const MAX_REQUEST_VALUES = 16 * MAX_ARTIFACTS + 1024;
const text = z.string().min(1).max(256);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

const Subject = z.object({ name: z.string(), digest: z.object({ sha256 }).strict() }).strict();
const PredicateArtifact = z.object({ name: z.string(), kind: z.string(), size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict();
const Predicate = z
  .object({
    authority: z.enum(['release', 'manifest']),
    request_id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits (16 random bytes)'),
    build_id: text,
    source_revision: text,
    channel: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lowercase letters, digits, dot, dash or underscore'),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    created_at: z.iso.datetime({ offset: true }),
    not_after: z.iso.datetime({ offset: true }),
    artifacts: z.array(PredicateArtifact).min(1).max(MAX_ARTIFACTS),
  })
  .strict();
export const RequestStatement = z
  .object({
    _type: z.literal(STATEMENT_TYPE),
    subject: z.array(Subject).min(1).max(MAX_ARTIFACTS),
    predicateType: z.literal(REQUEST_PREDICATE_TYPE),
    predicate: Predicate,
  })
  .strict();
const Envelope = z
  .object({
    payloadType: z.literal(DSSE_PAYLOAD_TYPE),
    payload: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    signatures: z.array(z.object({ keyid: z.string().max(256), sig: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64') }).strict()).min(1).max(16),
  })
  .strict();

/** At most 50 problems, then how many more. */
export function capped(problems: string[]): string[] {
  return problems.length > 50 ? [...problems.slice(0, 50), `and ${problems.length - 50} more`] : problems;
}

/** Why an artifact name cannot be a file name in a staging directory or a bundle, if it cannot. */
export function badArtifactName(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 255) return 'is longer than 255 characters';
  if (name === '.' || name === '..' || name.startsWith('.')) return 'starts with a dot';
  if (/[/\\]/.test(name)) return 'is a path (it holds / or \\): give the file name only';
  // Control characters, and characters that read differently on screen or in a file name.
  if (/[\u0000-\u001f\u007f\u0080-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(name)) return 'holds a control or direction character';
  if (!/^[A-Za-z0-9._+@=-][A-Za-z0-9._+@=,-]*$/.test(name)) return 'must be letters, digits and . _ + @ = , -';
  return undefined;
}

/** The request a file holds (a bare Statement or a DSSE envelope of one), or every problem with it. */
export function parseSigningRequest(bytes: Buffer, authority: Authority): { request?: SigningRequest; problems: string[] } {
  const tooMany = `holds more than ${MAX_REQUEST_VALUES} JSON values, more than a request of ${MAX_ARTIFACTS} artifacts has (not parsed)`;
  if (jsonValuesOver(bytes, MAX_REQUEST_VALUES)) return { problems: [tooMany] };
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problems: ['is not valid JSON'] };
  }
  const foreign = foreignShape(doc, 16);
  if (foreign) return { problems: [`is not a signing request: it ${foreign}`] };
  let envelope: SigningRequest['envelope'];
  if (doc !== null && typeof doc === 'object' && 'payloadType' in doc) {
    const env = Envelope.safeParse(doc);
    if (!env.success) return { problems: capped(zodProblems('DSSE envelope', env.error, doc)) };
    const payload = Buffer.from(env.data.payload, 'base64');
    if (jsonValuesOver(payload, MAX_REQUEST_VALUES)) return { problems: [`DSSE envelope: payload ${tooMany}`] };
    envelope = { payload, signatures: env.data.signatures };
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      return { problems: ['DSSE envelope: payload is not valid JSON'] };
    }
    const inner = foreignShape(doc, 16);
    if (inner) return { problems: [`DSSE envelope: payload is not a signing request: it ${inner}`] };
  }
  const parsed = RequestStatement.safeParse(doc);
  if (!parsed.success) {
    return { problems: capped(zodProblems('request', parsed.error, doc)) };
  }
  const { subject, predicate } = parsed.data;
  const problems: string[] = [];
  if (predicate.authority !== authority) problems.push(`predicate.authority: is ${predicate.authority}, this is the ${authority} authority`);
  if (subject.length !== predicate.artifacts.length) problems.push(`subject lists ${subject.length} artifacts, predicate.artifacts ${predicate.artifacts.length}`);
  const allowed = AUTHORITY_KINDS[authority] as readonly string[];
  const other = authority === 'release' ? 'manifest' : 'release';
  const seen = new Set<string>();
  const artifacts: RequestArtifact[] = [];
  predicate.artifacts.forEach((a, i) => {
    const at = `predicate.artifacts[${i}]`;
    const bad = badArtifactName(a.name);
    if (bad) problems.push(`${at}.name: ${JSON.stringify(a.name.slice(0, 80))} ${bad}`);
    if (seen.has(a.name)) problems.push(`${at}.name: ${JSON.stringify(a.name.slice(0, 80))} is listed twice`);
    seen.add(a.name);
    if (!allowed.includes(a.kind)) {
      problems.push(
        (AUTHORITY_KINDS[other] as readonly string[]).includes(a.kind)
          ? `${at}.kind: ${a.kind} is signed by the ${other} authority, never by the ${authority} authority`
          : `${at}.kind: unknown kind ${JSON.stringify(a.kind.slice(0, 40))} (one of: ${allowed.join(', ')})`,
      );
    }
    const s = subject[i];
    if (s && s.name !== a.name) problems.push(`subject[${i}].name: ${JSON.stringify(s.name.slice(0, 80))} is not predicate.artifacts[${i}].name`);
    if (s) artifacts.push({ name: a.name, kind: a.kind as ArtifactKind, size: a.size, sha256: s.digest.sha256 });
  });
  if (Date.parse(predicate.not_after) <= Date.parse(predicate.created_at)) problems.push('predicate.not_after: is not after predicate.created_at');
  if (problems.length > 0) return { problems: capped(problems) };
  return {
    problems: [],
    request: {
      authority,
      requestId: predicate.request_id,
      buildId: predicate.build_id,
      sourceRevision: predicate.source_revision,
      channel: predicate.channel,
      version: predicate.version,
      createdAt: predicate.created_at,
      notAfter: predicate.not_after,
      artifacts,
      ...(envelope ? { envelope } : {}),
    },
  };
}

/** The Statement of a new request (canonical key order as written here). */
export function requestStatement(r: Omit<SigningRequest, 'envelope'>): z.input<typeof RequestStatement> {
  return {
    _type: STATEMENT_TYPE,
    subject: r.artifacts.map((a) => ({ name: a.name, digest: { sha256: a.sha256 } })),
    predicateType: REQUEST_PREDICATE_TYPE,
    predicate: {
      authority: r.authority,
      request_id: r.requestId,
      build_id: r.buildId,
      source_revision: r.sourceRevision,
      channel: r.channel,
      version: r.version,
      created_at: r.createdAt,
      not_after: r.notAfter,
      artifacts: r.artifacts.map((a) => ({ name: a.name, kind: a.kind, size: a.size })),
    },
  };
}
