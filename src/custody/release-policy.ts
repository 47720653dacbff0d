// The release signing policy (inside the trust boundary): which keys may sign which kinds with which algorithm,
// how many approvals of which roster role a request needs (at least 2), the limits of a request (artifacts,
// bytes, how long it may wait), the version rule, extra deny-listed keys (the AOSP test keys are always denied),
// builder keys whose signature a request must carry when the policy requires it, and an expiry. It takes effect
// only signed by officers (the roster's signed-document envelope, payload type POLICY_TYPE) through its own
// ceremony; a new version names the previous one's SHA-256. Here: its shape and its own consistency, pure.
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { foreignShape } from '../record/journal.js';
import { builtInDenyList, readDenyList, type DeniedKey } from './deny-list.js';
import { AUTHORITY_KINDS, capped } from './release-request.js';
import { zodProblems } from './roster-schema.js';

export const POLICY_TYPE = 'officiant-release-policy/1';
export const SIGNATURE_ALGORITHMS = ['RSA-PKCS1-SHA256', 'ECDSA-SHA256'] as const;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const time = z.iso.datetime({ offset: true });
const label = z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dot, dash or underscore');

export const PolicyBody = z
  .object({
    format: z.literal(POLICY_TYPE),
    authority: z.literal('release'),
    version: z.number().int().min(1),
    previous_sha256: sha256Hex.nullable(),
    issued_at: time,
    expires_at: time,
    keys: z
      .array(
        z
          .object({
            label,
            spki_sha256: sha256Hex.describe("the key's SPKI SHA-256 from the authority's initialisation packet"),
            algorithm: z.enum(SIGNATURE_ALGORITHMS),
            kinds: z.array(z.string()).min(1),
          })
          .strict(),
      )
      .min(1)
      .max(16),
    approvals: z.object({ role: label, threshold: z.number().int().min(2, 'a release needs at least 2 approvals').max(20) }).strict(),
    limits: z
      .object({
        max_artifacts: z.number().int().min(1).max(100_000),
        max_bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        max_request_age_hours: z.number().int().min(1).max(24 * 90),
      })
      .strict(),
    version_rule: z.literal('increasing-per-channel'),
    require_builder_signature: z.boolean(),
    builder_keys: z.array(z.object({ keyid: z.string().min(1).max(256), public_key: z.string().min(1).max(20_000) }).strict()).max(16),
    deny_list: z.array(z.object({ name: z.string().min(1).max(120), source: z.string().min(1).max(500), spki_sha256: sha256Hex, public_key: z.string().min(1).max(20_000) }).strict()).max(256),
  })
  .strict();
export type PolicyBody = z.output<typeof PolicyBody>;

export interface ReleasePolicy {
  body: PolicyBody;
  /** The built-in test keys and the policy's own additions. */
  denied: DeniedKey[];
}

/**
 * A policy draft's bytes (the unsigned body a policy ceremony adopts, --policy), read as the ceremony reads them:
 * JSON, then readPolicyBody. `officiant policy draft` runs the same read on what it is about to write.
 */
export function readPolicyDraft(bytes: Uint8Array): { policy?: ReleasePolicy; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { problems: ['is not valid JSON'] };
  }
  return readPolicyBody(raw);
}

/** A policy body, checked for shape and consistency: every problem, capped at 50. */
export function readPolicyBody(value: unknown): { policy?: ReleasePolicy; problems: string[] } {
  const foreign = foreignShape(value, 16);
  if (foreign) return { problems: [`is not a policy: it ${foreign}`] };
  const parsed = PolicyBody.safeParse(value);
  if (!parsed.success) return { problems: capped(zodProblems('policy', parsed.error, value)) };
  const body = parsed.data;
  const problems: string[] = [];
  if (Date.parse(body.expires_at) <= Date.parse(body.issued_at)) problems.push('expires_at: is not after issued_at');
  if ((body.version === 1) !== (body.previous_sha256 === null)) problems.push(body.version === 1 ? 'previous_sha256: version 1 has no previous policy' : `previous_sha256: version ${body.version} must name the policy it replaces`);
  const releaseKinds = AUTHORITY_KINDS.release as readonly string[];
  const labels = new Set<string>();
  const extra = readDenyList(body.deny_list, 'deny_list');
  problems.push(...extra.problems);
  const denied = [...builtInDenyList(), ...extra.keys];
  body.keys.forEach((k, i) => {
    if (labels.has(k.label)) problems.push(`keys[${i}].label: ${k.label} is listed twice`);
    labels.add(k.label);
    for (const kind of k.kinds) {
      if (!releaseKinds.includes(kind)) {
        problems.push((AUTHORITY_KINDS.manifest as readonly string[]).includes(kind) ? `keys[${i}].kinds: ${kind} is the manifest authority's; the release key never signs it` : `keys[${i}].kinds: unknown kind ${JSON.stringify(kind.slice(0, 40))}`);
      }
    }
    const test = denied.find((d) => d.spkiSha256 === k.spki_sha256);
    if (test) problems.push(`keys[${i}].spki_sha256: is the denied key ${test.name} (${test.source}): it must never sign a release`);
  });
  body.builder_keys.forEach((b, i) => {
    try {
      createPublicKey(b.public_key);
    } catch {
      problems.push(`builder_keys[${i}].public_key: is not a PEM public key`);
    }
  });
  if (body.require_builder_signature && body.builder_keys.length === 0) problems.push('builder_keys: require_builder_signature needs at least one builder key');
  if (problems.length > 0) return { problems: capped(problems) };
  return { policy: { body, denied }, problems: [] };
}
