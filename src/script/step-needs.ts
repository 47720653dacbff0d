// What each step kind needs from the site before a ceremony using it may start. It is part of the ceremony
// language (a reviewer must know that backup.verify needs the backup set and an hsm.* step the HSM), so it is
// declared once, here, for every kind; each step kind hands its row to the engine as `needs`
// (src/steps/*.ts), and validate, pre-flight and the CLI read it, never a list of kind names.
import type { Authority, StepKind } from './schema.js';

export interface StepNeeds {
  /** The site HSM: pre-flight loads the module and checks the token before any such step. */
  hsm: boolean;
  /** The site's evidence token (its label and pinned certificate in the site file's hsm profile). */
  evidenceToken: boolean;
  /** The verified officer roster (--roster, or --officers in rehearsals). */
  roster: boolean;
  /** Officers' PIV tokens: the site file's piv section (module, attestation roots). */
  piv: boolean;
  /** An existing backup set: its manifest and the custodians' share files (--backup, or --from). */
  backup: boolean;
  /** The backup's wrapped keys too, not only its shares (restore, re-share). */
  wrappedKeys: boolean;
  /**
   * A release signing session's inputs: the request (--request) with its artifacts, the signed policy (--policy)
   * and the release authority's section of the site file (certificate, signing log). Each step of the session
   * verifies the policy's signatures again, against the roster.
   */
  release: boolean;
  /** An unsigned release policy to adopt (--policy <draft>). */
  policyDraft: boolean;
  /**
   * A manifest signing session's inputs: the manifest draft (--manifest), the release bundles its targets come
   * from (--release), the pinned release authority certificate and the manifest authority's signing log.
   */
  manifest: boolean;
  /**
   * An Android signing window's plan (--signing-plan): the inputs, commands, keys with their budgets and the time
   * limit the officers approve before Android's tools may sign through the HSM.
   */
  signingPlan: boolean;
}

export const STEP_NEEDS = {
  'room.preflight': { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'participants.check-in': { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'manual.confirm': { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'hsm.init-token': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'hsm.generate-key': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'hsm.inspect-key': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'hsm.self-signed-certificate': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'evidence.init-key': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'evidence.use-key': { hsm: false, evidenceToken: true, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'piv.enroll': { hsm: true, evidenceToken: false, roster: false, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'officer.revoke': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'roster.sign': { hsm: false, evidenceToken: false, roster: false, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'quorum.approve': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'backup.split': { hsm: true, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'backup.restore': { hsm: true, evidenceToken: false, roster: true, piv: true, backup: true, wrappedKeys: true, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'backup.reshare': { hsm: true, evidenceToken: false, roster: true, piv: true, backup: true, wrappedKeys: true, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'backup.verify': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: true, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false },
  'policy.adopt': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: true, manifest: false, signingPlan: false },
  'request.load': { hsm: false, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'artifacts.stage': { hsm: false, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'policy.check': { hsm: false, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'hsm.sign-artifacts': { hsm: true, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'signatures.verify': { hsm: false, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'release.gates': { hsm: false, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'release.publish': { hsm: true, evidenceToken: false, roster: true, piv: false, backup: false, wrappedKeys: false, release: true, policyDraft: false, manifest: false, signingPlan: false },
  'manifest.sign': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: true, signingPlan: false },
  'android.sign-window': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: true },
} as const satisfies Record<StepKind, StepNeeds>;

/**
 * The one authority whose ceremonies may hold a step of each kind (undefined: either). The release authority's
 * session steps adopt its policy, sign or publish releases with its HSM key; a manifest-authority script may
 * hold none of them, so a manifest ceremony never reaches the release key (validate refuses the script).
 */
export const STEP_AUTHORITY = {
  'room.preflight': undefined,
  'participants.check-in': undefined,
  'manual.confirm': undefined,
  'hsm.init-token': undefined,
  'hsm.generate-key': undefined,
  'hsm.inspect-key': undefined,
  'hsm.self-signed-certificate': undefined,
  'evidence.init-key': undefined,
  'evidence.use-key': undefined,
  'piv.enroll': undefined,
  'officer.revoke': undefined,
  'roster.sign': undefined,
  'quorum.approve': undefined,
  'backup.split': undefined,
  'backup.restore': undefined,
  'backup.reshare': undefined,
  'backup.verify': undefined,
  'policy.adopt': 'release',
  'request.load': 'release',
  'artifacts.stage': 'release',
  'policy.check': 'release',
  'hsm.sign-artifacts': 'release',
  'signatures.verify': 'release',
  'release.gates': 'release',
  'release.publish': 'release',
  'manifest.sign': 'manifest',
  'android.sign-window': 'release',
} as const satisfies Record<StepKind, Authority | undefined>;

/** Whether a step of `kind` (undefined: a step that did not parse) needs `need`. */
export function kindNeeds(kind: string | undefined, need: keyof StepNeeds): boolean {
  return kind !== undefined && kind in STEP_NEEDS && STEP_NEEDS[kind as StepKind][need];
}
