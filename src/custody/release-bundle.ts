// The release bundle: what a signing ceremony of the release authority writes, and what anyone outside the
// trust boundary checks (verify-release-bundle.ts). A directory holding exactly:
//   request.json           the signing request, byte for byte as it was loaded (a bare Statement or a DSSE envelope)
//   authority.pem          the release authority's X.509 certificate (PEM); its key signed everything below
//   artifacts/<name>       each artifact (names pass badArtifactName)
//   signatures/<name>.sig  a detached signature over the artifact's bytes: RSA PKCS#1 v1.5 with SHA-256, or ECDSA
//                          P-256 with SHA-256 as a DER Ecdsa-Sig-Value (what `openssl dgst -sha256 -verify` takes)
//   release.json           the release statement: an in-toto Statement v1 with predicate RELEASE_PREDICATE_TYPE
//   release.json.sig       a signature of the same form over release.json's exact bytes
// The statement is written as statementBytes(releaseStatement(fields)): those are the bytes signed, and a
// statement in any other form (other key order, spacing, a key twice) is refused when read. Pure.
import { z } from 'zod';
import { foreignShape } from '../record/journal.js';
import { jsonValuesOver } from '../record/json-values.js';
import { CLASS, DerError, TAG, children, content, is, readDer } from './der.js';
import { SIGNATURE_ALGORITHMS } from './release-policy.js';
import { AUTHORITY_KINDS, STATEMENT_TYPE, badArtifactName, capped } from './release-request.js';
import { zodProblems } from './roster-schema.js';

export const RELEASE_PREDICATE_TYPE = 'https://officiant.dev/release/v1';

/** The bundle's fixed names. */
export const BUNDLE = {
  request: 'request.json',
  certificate: 'authority.pem',
  statement: 'release.json',
  statementSignature: 'release.json.sig',
  artifacts: 'artifacts',
  signatures: 'signatures',
} as const;

/** What a checker reads whole at most; anything larger is refused unread (artifacts are streamed instead). */
export const BUNDLE_LIMITS = {
  /** 100,000 artifacts of some 400 bytes each in the statement, a few hundred in the request. */
  statementBytes: 64 * 1024 * 1024,
  requestBytes: 64 * 1024 * 1024,
  certificateBytes: 64 * 1024,
  /** An RSA-8192 signature is 1,024 bytes; a DER P-256 one at most 72. */
  signatureBytes: 16 * 1024,
  artifacts: 100_000,
  /** JSON values in release.json, counted before it is parsed: some a dozen per artifact, and the fixed fields. */
  statementValues: 16 * 100_000 + 1024,
} as const;

export const artifactPath = (name: string) => `${BUNDLE.artifacts}/${name}`;
export const signaturePath = (name: string) => `${BUNDLE.signatures}/${name}.sig`;

export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];
/** What the release authority signs. */
export type ReleaseKind = (typeof AUTHORITY_KINDS.release)[number];

export interface ReleaseArtifact {
  name: string;
  kind: ReleaseKind;
  size: number;
  sha256: string;
  /** SHA-256 of the bytes of signatures/<name>.sig. */
  signatureSha256: string;
}

export interface ReleaseFields {
  scriptId: string;
  ceremonyId: string;
  request: { id: string; sha256: string; buildId: string; sourceRevision: string; channel: string; version: number };
  policy: { version: number; sha256: string };
  approvalStatementSha256: string;
  signingKey: { label: string; spkiSha256: string; algorithm: SignatureAlgorithm };
  /** SHA-256 of the DER of authority.pem's certificate. */
  certificateSha256: string;
  /** In the request's order. */
  artifacts: ReleaseArtifact[];
  signedAt: string;
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const text = z.string().min(1).max(256);
const Subject = z.object({ name: z.string().max(255), digest: z.object({ sha256 }).strict() }).strict();
const Artifact = z
  .object({
    name: z.string().max(255),
    kind: z.enum(AUTHORITY_KINDS.release),
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    sha256,
    signature: z.string().max(300),
    signature_sha256: sha256,
  })
  .strict();
const Predicate = z
  .object({
    authority: z.literal('release'),
    script_id: text,
    ceremony_id: text,
    request: z
      .object({
        id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
        sha256,
        build_id: text,
        source_revision: text,
        channel: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lowercase letters, digits, dot, dash or underscore'),
        version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      })
      .strict(),
    policy: z.object({ version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), sha256 }).strict(),
    approval_statement_sha256: sha256,
    signing_key: z
      .object({ label: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dot, dash or underscore'), spki_sha256: sha256, algorithm: z.enum(SIGNATURE_ALGORITHMS) })
      .strict(),
    certificate_sha256: sha256,
    artifacts: z.array(Artifact).min(1).max(BUNDLE_LIMITS.artifacts),
    signed_at: z.iso.datetime({ offset: true }),
  })
  .strict();
export const ReleaseStatementSchema = z
  .object({
    _type: z.literal(STATEMENT_TYPE),
    subject: z.array(Subject).min(1).max(BUNDLE_LIMITS.artifacts),
    predicateType: z.literal(RELEASE_PREDICATE_TYPE),
    predicate: Predicate,
  })
  .strict();
export type ReleaseStatement = z.output<typeof ReleaseStatementSchema>;

/** The statement of a signed release, keys in the order written here (the schema's). */
export function releaseStatement(f: ReleaseFields): ReleaseStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: f.artifacts.map((a) => ({ name: a.name, digest: { sha256: a.sha256 } })),
    predicateType: RELEASE_PREDICATE_TYPE,
    predicate: {
      authority: 'release',
      script_id: f.scriptId,
      ceremony_id: f.ceremonyId,
      request: { id: f.request.id, sha256: f.request.sha256, build_id: f.request.buildId, source_revision: f.request.sourceRevision, channel: f.request.channel, version: f.request.version },
      policy: { version: f.policy.version, sha256: f.policy.sha256 },
      approval_statement_sha256: f.approvalStatementSha256,
      signing_key: { label: f.signingKey.label, spki_sha256: f.signingKey.spkiSha256, algorithm: f.signingKey.algorithm },
      certificate_sha256: f.certificateSha256,
      artifacts: f.artifacts.map((a) => ({ name: a.name, kind: a.kind, size: a.size, sha256: a.sha256, signature: signaturePath(a.name), signature_sha256: a.signatureSha256 })),
      signed_at: f.signedAt,
    },
  };
}

/** The bytes of release.json, which release.json.sig signs: JSON with a 2-space indent and one trailing newline. */
export function statementBytes(statement: ReleaseStatement): Buffer {
  return Buffer.from(`${JSON.stringify(statement, null, 2)}\n`, 'utf8');
}

/**
 * The statement release.json holds, or every problem with its shape (capped): strict schema, artifact names
 * that are file names, each artifact's signature at signatures/<name>.sig, and the exact written form.
 */
export function parseReleaseStatement(bytes: Uint8Array): { statement?: ReleaseStatement; problems: string[] } {
  if (jsonValuesOver(bytes, BUNDLE_LIMITS.statementValues)) return { problems: [`${BUNDLE.statement}: holds more than ${BUNDLE_LIMITS.statementValues} JSON values, more than a statement of ${BUNDLE_LIMITS.artifacts} artifacts has (not parsed)`] };
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { problems: [`${BUNDLE.statement}: is not valid JSON`] };
  }
  const foreign = foreignShape(doc, 16);
  if (foreign) return { problems: [`${BUNDLE.statement}: is not a release statement: it ${foreign}`] };
  const parsed = ReleaseStatementSchema.safeParse(doc);
  if (!parsed.success) return { problems: capped(zodProblems(BUNDLE.statement, parsed.error, doc)) };
  const statement = parsed.data;
  const problems: string[] = [];
  statement.predicate.artifacts.forEach((a, i) => {
    const at = `${BUNDLE.statement}: predicate.artifacts[${i}]`;
    // The names become paths in the bundle: one that is not a plain file name is never used as one.
    const bad = badArtifactName(a.name);
    if (bad) problems.push(`${at}.name: ${JSON.stringify(a.name.slice(0, 80))} ${bad}`);
    else if (a.signature !== signaturePath(a.name)) problems.push(`${at}.signature: is ${JSON.stringify(a.signature.slice(0, 80))}, not ${signaturePath(a.name)}`);
  });
  statement.subject.forEach((s, i) => {
    const bad = badArtifactName(s.name);
    if (bad) problems.push(`${BUNDLE.statement}: subject[${i}].name: ${JSON.stringify(s.name.slice(0, 80))} ${bad}`);
  });
  if (problems.length === 0 && !statementBytes(statement).equals(Buffer.from(bytes))) {
    problems.push(`${BUNDLE.statement}: is not written as the release authority writes it (JSON with a 2-space indent, keys in order, each once, one trailing newline)`);
  }
  return problems.length > 0 ? { problems: capped(problems) } : { statement, problems: [] };
}

function derInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const v = magnitude.subarray(i);
  // A set top bit would read as negative: DER INTEGERs are two's complement, so a zero octet goes first.
  return Buffer.concat([Buffer.from(v[0] & 0x80 ? [TAG.integer, v.length + 1, 0] : [TAG.integer, v.length]), v]);
}

/**
 * A raw ECDSA signature r||s (what PKCS#11 CKM_ECDSA returns, IEEE P1363) as the DER Ecdsa-Sig-Value
 * `SEQUENCE { r INTEGER, s INTEGER }` that openssl and X.509 read. Throws a RangeError for a length no curve has.
 */
export function derEcdsaSignature(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 132) throw new RangeError(`an ECDSA signature r||s has an even length of at most 132 bytes, not ${raw.length}`);
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return Buffer.concat([Buffer.from(body.length < 0x80 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
}

/** The inverse: r||s, each left-padded to `size` bytes (32 for P-256). Throws a DerError for anything but a strict DER Ecdsa-Sig-Value. */
export function rawEcdsaSignature(der: Uint8Array, size: number): Buffer {
  const seq = readDer(der);
  const parts = is(seq, CLASS.universal, TAG.sequence, true) ? children(seq) : [];
  if (parts.length !== 2 || !parts.every((p) => is(p, CLASS.universal, TAG.integer, false))) throw new DerError('not an Ecdsa-Sig-Value (a SEQUENCE of two INTEGERs)');
  return Buffer.concat(
    parts.map((p) => {
      const v = content(p);
      if (v.length === 0 || v[0] & 0x80) throw new DerError('a negative or empty INTEGER in an ECDSA signature');
      if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError('an INTEGER with a needless leading zero');
      const magnitude = v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
      if (magnitude.length > size) throw new DerError(`an INTEGER longer than ${size} bytes`);
      return Buffer.concat([Buffer.alloc(size - magnitude.length), magnitude]);
    }),
  );
}
