// Reading an OTA manifest (ota-manifest.types.ts) from the bytes someone handed over. Every object strict (an
// unknown key is a problem), every size bounded, every string ASCII of a known form, so that the signed bytes
// (the canonical JSON of `signed`) are the same whichever JSON tool computes them (`jq -cjS .signed` gives
// them too: docs/ota-manifests.md). Target names are file names, never paths. Pure; never throws: every problem
// is a sentence naming its path (`signed.targets[3].name: "../x" is a path ...`).
import { z } from 'zod';
import { AUTHORITY_KINDS, badArtifactName } from './release-request.js';
import { zodProblems } from './roster-schema.js';
import { payloadBytes } from './signed-document.js';
import { MANIFEST_SPEC_VERSION, MANIFEST_TYPE, type ManifestBody, type OtaManifest } from './ota-manifest.types.js';

export const MANIFEST_LIMITS = {
  /** 100,000 targets of some 250 bytes each. */
  bytes: 64 * 1024 * 1024,
  targets: 100_000,
  devices: 256,
  signatures: 64,
} as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1 to 64 lowercase letters, digits, dot, dash or underscore');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const TargetSchema = z.object({ name: z.string().max(255), length: count, sha256, kind: z.enum(AUTHORITY_KINDS.release), release_sha256: sha256 }).strict();

export const ManifestBodySchema = z
  .object({
    type: z.literal(MANIFEST_TYPE),
    spec_version: z.number().int().min(1).max(1_000_000),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    expires: z.iso.datetime({ message: 'must be a UTC time such as 2026-12-31T00:00:00Z' }),
    channel: slug,
    devices: z.array(slug).min(1).max(MANIFEST_LIMITS.devices),
    targets: z.array(TargetSchema).min(1).max(MANIFEST_LIMITS.targets),
  })
  .strict();

const SignatureSchema = z
  .object({
    keyid: sha256,
    device_serial: z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be 1 to 64 printable ASCII characters'),
    // A DER P-256 signature is at most 72 bytes (96 in base64); room for an RSA-8192 one (1,368) lets a
    // signature by the wrong kind of key (an AOSP test key) be named for what it is.
    sig: z.string().max(1400).regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64'),
  })
  .strict();

export const OtaManifestSchema = z.object({ signed: ManifestBodySchema, signatures: z.array(SignatureSchema).min(1).max(MANIFEST_LIMITS.signatures) }).strict();

// Compile-time: the schemas produce exactly the types.
const _body: z.ZodType<ManifestBody> = ManifestBodySchema;
const _manifest: z.ZodType<OtaManifest> = OtaManifestSchema;
void _body, void _manifest;

/** The exact bytes each signature covers: the UTF-8 canonical JSON of the body. */
export function manifestSigningBytes(body: ManifestBody): Buffer {
  return payloadBytes(body);
}

export interface ParsedManifest {
  manifest?: OtaManifest;
  /** manifestSigningBytes(manifest.signed), when the manifest parses. */
  signedBytes?: Buffer;
  problems: string[];
}

/** The JSON value of a manifest's bytes, or why there is none (too large, not JSON). */
function manifestJson(bytes: Uint8Array, what: string): { raw: unknown; problems?: undefined } | { problems: string[] } {
  if (bytes.length > MANIFEST_LIMITS.bytes) return { problems: [`${what}: ${bytes.length} bytes, more than the ${MANIFEST_LIMITS.bytes} a manifest may have`] };
  try {
    return { raw: JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as unknown };
  } catch {
    return { problems: [`${what}: not JSON`] };
  }
}

export function parseManifest(bytes: Uint8Array, what = 'manifest'): ParsedManifest {
  const json = manifestJson(bytes, what);
  if (json.problems) return { problems: json.problems };
  const raw = json.raw;
  const parsed = OtaManifestSchema.safeParse(raw);
  if (!parsed.success) return { problems: zodProblems(what, parsed.error, raw) };
  const manifest = parsed.data;
  const problems = bodyProblems(manifest.signed).map((p) => `${what}: ${p}`);
  return problems.length > 0 ? { problems } : { manifest, signedBytes: manifestSigningBytes(manifest.signed), problems };
}

const ManifestDraftSchema = z.object({ signed: ManifestBodySchema, signatures: z.array(z.never()).max(0, 'a draft carries no signatures: the ceremony adds them') }).strict();

/**
 * An unsigned manifest as the release pipeline prepares it (`officiant manifest draft`): `signed` is a whole
 * manifest body, `signatures` is empty (the ceremony adds them). The same rules as a signed manifest's body.
 */
export function parseManifestDraft(bytes: Uint8Array, what = 'draft'): { body?: ManifestBody; signedBytes?: Buffer; problems: string[] } {
  const json = manifestJson(bytes, what);
  if (json.problems) return { problems: json.problems };
  const raw = json.raw;
  const parsed = ManifestDraftSchema.safeParse(raw);
  if (!parsed.success) return { problems: zodProblems(what, parsed.error, raw) };
  const problems = bodyProblems(parsed.data.signed).map((p) => `${what}: ${p}`);
  return problems.length > 0 ? { problems } : { body: parsed.data.signed, signedBytes: manifestSigningBytes(parsed.data.signed), problems };
}

/** What the shape cannot say: the spec version this checker reads, file names, each name and device once. */
function bodyProblems(body: ManifestBody): string[] {
  const problems: string[] = [];
  if (body.spec_version !== MANIFEST_SPEC_VERSION) problems.push(`signed.spec_version: ${body.spec_version}: this checker reads spec version ${MANIFEST_SPEC_VERSION} only`);
  const names = new Set<string>();
  body.targets.forEach((t, i) => {
    const bad = badArtifactName(t.name);
    if (bad) problems.push(`signed.targets[${i}].name: ${JSON.stringify(t.name.slice(0, 80))} ${bad}`);
    else if (names.has(t.name)) problems.push(`signed.targets[${i}].name: ${JSON.stringify(t.name)} is listed twice`);
    names.add(t.name);
  });
  const devices = new Set<string>();
  body.devices.forEach((d, i) => {
    if (devices.has(d)) problems.push(`signed.devices[${i}]: ${JSON.stringify(d)} is listed twice`);
    devices.add(d);
  });
  return problems;
}
