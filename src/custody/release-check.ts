// A signing request checked against the policy in force and the authority's signing log, before anything is
// staged or signed: the key the session signs with must be the policy's for every kind requested; counts, bytes
// and age within the policy's limits; not past its not-after time; its id never signed before (replay); its
// version above the last one signed for its channel (rollback); and, when the policy requires it, signed by one
// of its builder keys (a DSSE envelope: provenance, never an approval). Pure: every problem, as sentences.
import { createPublicKey, verify } from 'node:crypto';
import { lastVersion, signedRequest, type SigningLogEntry } from '../record/signing-log.js';
import { DSSE_PAYLOAD_TYPE, type SigningRequest } from './release-request.js';
import type { ReleasePolicy } from './release-policy.js';

export interface RequestCheckInput {
  request: SigningRequest;
  policy: ReleasePolicy;
  /** The label of the key this session signs with (the hsm.sign-artifacts step's `key`). */
  keyLabel: string;
  log: readonly SigningLogEntry[];
  now: Date;
}

/** DSSE's pre-authentication encoding: what a DSSE signature signs. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** The builder keys (by keyid) whose signature on the envelope verifies. */
export function builderSigners(request: SigningRequest, policy: ReleasePolicy): string[] {
  const env = request.envelope;
  if (!env) return [];
  const pae = dssePae(DSSE_PAYLOAD_TYPE, env.payload);
  const found: string[] = [];
  for (const b of policy.body.builder_keys) {
    let key;
    try {
      key = createPublicKey(b.public_key);
    } catch {
      continue;
    }
    const algorithm = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
    const ok = env.signatures.some((s) => {
      try {
        return verify(algorithm, pae, key, Buffer.from(s.sig, 'base64'));
      } catch {
        return false;
      }
    });
    if (ok) found.push(b.keyid);
  }
  return found;
}

export function requestProblems(input: RequestCheckInput): string[] {
  const { request: r, policy, keyLabel, log, now } = input;
  const body = policy.body;
  const problems: string[] = [];
  const key = body.keys.find((k) => k.label === keyLabel);
  if (!key) problems.push(`the policy (version ${body.version}) lists no key "${keyLabel}": it may not sign`);
  else {
    const refused = [...new Set(r.artifacts.map((a) => a.kind))].filter((k) => !key.kinds.includes(k));
    if (refused.length > 0) problems.push(`the policy lets key "${keyLabel}" sign ${key.kinds.join(', ')}, not ${refused.join(', ')}`);
  }
  const bytes = r.artifacts.reduce((n, a) => n + a.size, 0);
  if (r.artifacts.length > body.limits.max_artifacts) problems.push(`${r.artifacts.length} artifacts: the policy allows at most ${body.limits.max_artifacts} per request`);
  if (bytes > body.limits.max_bytes) problems.push(`${bytes} bytes in all: the policy allows at most ${body.limits.max_bytes} per request`);
  const t = now.getTime();
  if (t > Date.parse(r.notAfter)) problems.push(`the request expired at ${r.notAfter} (not_after); ask the pipeline for a new one`);
  const age = (t - Date.parse(r.createdAt)) / 3_600_000;
  if (age > body.limits.max_request_age_hours) problems.push(`the request was made at ${r.createdAt}, more than the policy's ${body.limits.max_request_age_hours} hours ago`);
  if (Date.parse(r.createdAt) > t + 5 * 60_000) problems.push(`the request says it was made at ${r.createdAt}, in the future`);
  const replay = signedRequest(log, r.requestId);
  if (replay) problems.push(`request ${r.requestId} was already signed (signing log line ${replay.seq}, ceremony ${replay.ceremony_id}): a request is signed once`);
  const last = lastVersion(log, 'release', r.channel);
  if (last !== undefined && r.version <= last) problems.push(`version ${r.version} is not above ${last}, the last version signed for channel ${r.channel}`);
  if (body.require_builder_signature) {
    if (!r.envelope) problems.push('the policy requires the request to be signed by a builder key (a DSSE envelope); it is unsigned');
    else if (builderSigners(r, policy).length === 0) problems.push("the request's DSSE signature is by none of the policy's builder keys");
  }
  return problems;
}
