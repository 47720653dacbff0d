// What every step of a release signing session works from, read again by each step from the packet's copies
// of its inputs (the request, the signed policy, the authority's certificate) and the journal, never from
// memory a crash would lose: the request, the policy in force, the certificate and its key, the signing key's
// row of the policy, and what earlier steps of this session journaled.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { verifyPolicyDocument } from '../../custody/release-policy-document.js';
import { parseSigningRequest, type SigningRequest } from '../../custody/release-request.js';
import type { ReleasePolicy } from '../../custody/release-policy.js';
import { spkiSha256 } from '../../custody/deny-list.js';
import { parseSigningLog, type SigningLogEntry } from '../../record/signing-log.js';
import type { JournalEntry } from '../../record/journal.js';
import type { StepContext } from '../../engine/step-kind.types.js';
import type { ReleaseInputs } from '../../engine/ceremony-inputs.types.js';
import type { RosterBody } from '../../custody/roster.types.js';
import type { Script } from '../../script/schema.js';

export const RELEASE_REQUEST = 'release-request';
export const ARTIFACTS_STAGED = 'artifacts-staged';
export const POLICY_CHECKED = 'policy-checked';
export const SIGNATURES_VERIFIED = 'signatures-verified';
export const GATES_PASSED = 'release-gates';

/** Where the session keeps its staged artifacts and their signatures. */
export const STAGED_ARTIFACTS = 'artifacts';
export const STAGED_SIGNATURES = 'signatures';

export interface ReleaseCertificate {
  pem: string;
  /** SHA-256 of the certificate's DER. */
  sha256: string;
  spkiSha256: string;
  publicKey: KeyObject;
  subject: string;
}

export interface OpenRelease {
  inputs: ReleaseInputs;
  request: SigningRequest;
  policy: ReleasePolicy;
  /** The policy document's payload SHA-256: its name in the journal, on pages and in the bundle. */
  policySha256: string;
  certificate: ReleaseCertificate;
  /** The label of the key the session's hsm.sign-artifacts step signs with. */
  keyLabel: string;
}

export function readCertificate(pem: Buffer): ReleaseCertificate {
  const cert = new X509Certificate(pem);
  return {
    pem: cert.toString(),
    sha256: createHash('sha256').update(cert.raw).digest('hex'),
    spkiSha256: spkiSha256(cert.publicKey),
    publicKey: cert.publicKey,
    subject: cert.subject.replace(/\n/g, ', '),
  };
}

/** The label the script's hsm.sign-artifacts step signs with. */
export function sessionKeyLabel(script: Script): string {
  const step = script.steps.find((s) => s.kind === 'hsm.sign-artifacts');
  if (!step || step.kind !== 'hsm.sign-artifacts') throw new OfficiantError('ceremony.step-failed', 'this script has no hsm.sign-artifacts step: nothing names the signing key');
  return step.params.key;
}

/** The session's inputs, parsed and verified again; every problem at once. */
export function openRelease(ctx: StepContext): OpenRelease {
  const opened = openReleaseFrom(ctx.release(), ctx.roster(), ctx.now(), ctx.script);
  if (!opened.release) throw new OfficiantError('input.request-invalid', `the signing request or its policy is refused: ${opened.problems.length} problem(s): ${opened.problems.join('; ')}`, { details: opened.problems });
  return opened.release;
}

/** The same, from the inputs alone (the CLI checks them before a ceremony starts). */
export function openReleaseFrom(inputs: ReleaseInputs, roster: RosterBody, now: Date, script: Script): { release?: OpenRelease; problems: string[] } {
  const problems: string[] = [];
  const parsed = parseSigningRequest(inputs.request.bytes, 'release');
  problems.push(...parsed.problems.map((p) => `request: ${p}`));
  let raw: unknown;
  try {
    raw = JSON.parse(inputs.policy.bytes.toString('utf8'));
  } catch {
    problems.push('policy: is not valid JSON');
  }
  const policy = raw === undefined ? undefined : verifyPolicyDocument(raw, roster, now);
  if (policy) problems.push(...policy.problems.map((p) => `policy: ${p}`));
  let certificate: ReleaseCertificate | undefined;
  try {
    certificate = readCertificate(inputs.certificate.bytes);
  } catch {
    problems.push("the authority's certificate is not an X.509 certificate");
  }
  if (problems.length > 0 || !parsed.request || !policy?.policy || !policy.sha256 || !certificate) return { problems };
  return { release: { inputs, request: parsed.request, policy: policy.policy, policySha256: policy.sha256, certificate, keyLabel: sessionKeyLabel(script) }, problems };
}

export function signingLog(r: OpenRelease): SigningLogEntry[] {
  const { entries, problem } = parseSigningLog(r.inputs.files.readLog(r.inputs.signingLog));
  if (problem) throw new OfficiantError('env.fs', `the signing log ${r.inputs.signingLog} is damaged: ${problem}; nothing is signed until it is repaired`);
  return entries;
}

/** The data of the last `what` event journaled in this ceremony (any step), if any. */
export function lastEvent(entries: readonly JournalEntry[], what: string): JournalEntry['data'] | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].type === 'step.event' && entries[i].data.what === what) return entries[i].data;
  return undefined;
}

/** The data of an event an earlier step must have journaled. */
export function requireEvent(ctx: StepContext, what: string, from: string): JournalEntry['data'] {
  const data = lastEvent(ctx.entries(), what);
  if (!data) throw new OfficiantError('ceremony.step-failed', `${from} must run before this step (no ${what} in the journal)`);
  return data;
}

export function totalBytes(r: SigningRequest): number {
  return r.artifacts.reduce((n, a) => n + a.size, 0);
}
