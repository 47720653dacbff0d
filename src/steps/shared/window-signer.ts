// One request to an open signing window (steps/android-sign-window.ts), from the helper's bytes to the bytes it
// gets back: parsed, checked against the approved plan (a key of the plan, by SPKI SHA-256, never a test key;
// the kind's budget for that key not yet spent; the window not past its time limit), the block checked
// (custody/window-request.ts), signed in the HSM session the window holds, verified in software against the
// key's public key, and journaled before it is returned. A refusal is journaled too, and answered with why.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { builtInDenyList, deniedKey } from '../../custody/deny-list.js';
import type { PlanKey, WindowKind } from '../../custody/signing-plan.js';
import { avbToBeSigned, parseWindowRequest, payloadDigestProblem, windowSignatureHolds, type SignRequest } from '../../custody/window-request.js';
import { p1363ToDer } from '../../evidence/cms.js';
import type { HsmSession, KeyRecord } from '../../engine/ports.js';
import type { JsonObject } from '../../record/journal.js';
import { sha256Hex } from '../../record/digest.js';

export const WINDOW_SIGNATURE = 'window-signature';
export const WINDOW_REFUSED = 'window-refused';

/** A plan key as the window found it on the token. */
export interface WindowKey {
  plan: PlanKey;
  record: KeyRecord;
  spkiSha256: string;
  publicKey: KeyObject;
  bits: number;
}

export interface WindowState {
  keys: WindowKey[];
  /** Signatures made per key label and kind. */
  used: Map<string, Record<WindowKind, number>>;
  /** SHA-256 of each signature returned, in order. */
  returned: string[];
  closesAt: Date;
  closed: boolean;
}

export interface WindowDeps {
  session: HsmSession;
  now(): Date;
  event(what: string, data: JsonObject): void;
  close(reason: string): void;
}

type Answer = { ok: true; signature: string } | { ok: false; error: string } | { ok: true; closed: true; signatures: number };
const reply = (a: Answer) => Buffer.from(`${JSON.stringify(a)}\n`);

export function serveWindowRequest(bytes: Buffer, state: WindowState, deps: WindowDeps): Buffer {
  const { request, problem } = parseWindowRequest(bytes);
  if (!request) return refuse(deps, {}, problem!);
  if (request.op === 'close') {
    deps.close('the operator closed it');
    return reply({ ok: true, closed: true, signatures: state.returned.length });
  }
  const who = { kind: request.kind, key_spki_sha256: request.key_spki_sha256, caller: request.caller.join(' ').slice(0, 4096) };
  if (state.closed) return refuse(deps, who, 'the signing window is closed');
  if (deps.now() >= state.closesAt) {
    deps.close('its time limit passed');
    return refuse(deps, who, `the signing window's time limit passed at ${state.closesAt.toISOString()}`);
  }
  const test = deniedKey(builtInDenyList(), request.key_spki_sha256);
  if (test) return refuse(deps, who, `KEY_PATH holds ${test.name} (${test.source}), a public test key: it never signs here`);
  const key = state.keys.find((k) => k.spkiSha256 === request.key_spki_sha256);
  if (!key) return refuse(deps, who, `the key in KEY_PATH (SPKI SHA-256 ${request.key_spki_sha256}) is none of the plan's keys`);
  const used = state.used.get(key.plan.label)!;
  const budget = key.plan.budget[request.kind];
  if (budget === 0) return refuse(deps, who, `the plan allows key ${key.plan.label} no ${request.kind} signature`);
  if (used[request.kind] >= budget) return refuse(deps, who, `key ${key.plan.label} has made all ${budget} ${request.kind} signature(s) the plan allows`);
  let signed: ReturnType<typeof sign>;
  try {
    signed = sign(request, key, deps.session);
  } catch (err) {
    signed = { problem: `the HSM did not sign: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  if ('problem' in signed) return refuse(deps, who, signed.problem);
  // Journaled before it is counted and returned: a signature the journal lacks is never handed out.
  deps.event(WINDOW_SIGNATURE, {
    seq: state.returned.length + 1,
    kind: request.kind,
    algorithm: signed.algorithm,
    key: key.plan.label,
    spki_sha256: key.spkiSha256,
    digest: signed.digest.toString('hex'),
    signature_sha256: sha256Hex(signed.signature),
    signature: signed.signature.toString('base64'),
    caller: who.caller,
    verified: true,
  });
  used[request.kind] += 1;
  state.returned.push(sha256Hex(signed.signature));
  return reply({ ok: true, signature: signed.signature.toString('base64') });
}

function refuse(deps: WindowDeps, who: JsonObject, why: string): Buffer {
  deps.event(WINDOW_REFUSED, { ...who, why });
  return reply({ ok: false, error: why });
}

/** Checks the block, signs it in the HSM and verifies the signature in software. */
function sign(request: SignRequest, key: WindowKey, session: HsmSession): { signature: Buffer; digest: Buffer; algorithm: string } | { problem: string } {
  const data = Buffer.from(request.data, 'base64');
  const rsa = key.record.algorithm.startsWith('RSA');
  const ref = { label: key.record.label, id: key.record.id };
  let made: { signature: Buffer; digest: Buffer; algorithm: string; hash: 'sha256' | 'sha512' };
  if (request.kind === 'avb') {
    if (!rsa) return { problem: `avb signatures are RSA; key ${key.plan.label} is ${key.record.algorithm}` };
    const block = avbToBeSigned(request.algorithm, data, key.bits);
    if ('problem' in block) return block;
    const [sig] = session.signDigests(ref, [block.digest], block.hash === 'sha512' ? 'SHA-512' : 'SHA-256');
    made = { signature: sig, digest: block.digest, algorithm: request.algorithm!, hash: block.hash };
  } else {
    const why = payloadDigestProblem(data);
    if (why) return { problem: why };
    const [raw] = session.signDigests(ref, [data]);
    made = rsa ? { signature: raw, digest: data, algorithm: 'SHA256_RSA_PKCS1', hash: 'sha256' } : { signature: p1363ToDer(raw), digest: data, algorithm: 'SHA256_ECDSA_P256', hash: 'sha256' };
  }
  if (!windowSignatureHolds(key.record.spki, made.digest, made.signature, made.hash)) return { problem: `the HSM's signature does not verify under key ${key.plan.label}: nothing returned` };
  return made;
}

/** A key record's public key and modulus size (bits; 256 for P-256). */
export function windowKey(plan: PlanKey, record: KeyRecord, spkiSha256: string): WindowKey {
  const publicKey = createPublicKey({ key: record.spki, format: 'der', type: 'spki' });
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 256;
  return { plan, record, spkiSha256, publicKey, bits };
}
