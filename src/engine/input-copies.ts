// The files a release session or a policy ceremony starts with, as the packet keeps them (copied byte for byte
// at the start, beside the script copy) and as the journal's first entry records them: their SHA-256 and the
// places the session works in. Resume reads the copies back, never the files people named at the start.
import { INPUT_COPIES } from '../evidence/packet-files.js';
import type { JsonObject } from '../record/journal.js';
import type { CeremonyDeps } from './ceremony-deps.types.js';
import type { InputDocument, ManifestInputs, ReleaseInputs, SigningWindowInputs } from './ceremony-inputs.types.js';
import { parseSigningPlan, planSubject } from '../custody/signing-plan.js';

/** Each input copy of this ceremony: its path in the packet and the document. */
export function inputCopies(deps: Pick<CeremonyDeps, 'release' | 'policyDraft' | 'manifest' | 'signingWindow'>): Array<[string, InputDocument]> {
  const copies: Array<[string, InputDocument]> = [];
  if (deps.release) {
    copies.push([INPUT_COPIES.request, deps.release.request], [INPUT_COPIES.policy, deps.release.policy], [INPUT_COPIES.certificate, deps.release.certificate]);
  }
  if (deps.policyDraft) copies.push([INPUT_COPIES.policyDraft, deps.policyDraft]);
  if (deps.manifest) copies.push([INPUT_COPIES.manifestDraft, deps.manifest.draft], [INPUT_COPIES.releaseCertificate, deps.manifest.releaseCertificate]);
  if (deps.signingWindow) copies.push([INPUT_COPIES.signingPlan, deps.signingWindow.plan]);
  return copies;
}

/** What ceremony.started records of a release session. */
export function releaseRecord(r: ReleaseInputs): JsonObject {
  return {
    request_sha256: r.request.sha256,
    policy_sha256: r.policy.sha256,
    certificate_sha256: r.certificate.sha256,
    artifacts_dir: r.artifactsDir,
    staging: r.staging,
    bundle: r.bundle,
    signing_log: r.signingLog,
  };
}

/** What ceremony.started records of a signing window's plan: what the officers approve (custody/signing-plan.ts). */
export function signingPlanRecord(w: SigningWindowInputs): JsonObject | undefined {
  const read = parseSigningPlan(w.plan.bytes);
  return read.plan && read.sha256 ? (planSubject(read.plan, read.sha256) as unknown as JsonObject) : undefined;
}

/** What ceremony.started records of a manifest signing session. */
export function manifestRecord(m: ManifestInputs): JsonObject {
  return { draft_sha256: m.draft.sha256, release_certificate_sha256: m.releaseCertificate.sha256, releases: m.releases, signing_log: m.signingLog };
}
