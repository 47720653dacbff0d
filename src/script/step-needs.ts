// What each step kind needs from the site before a ceremony using it may start. It is part of the ceremony
// language (a reviewer must know that backup.verify needs the backup set and an hsm.* step the HSM), so it is
// declared once, here, for every kind; each step kind hands its row to the engine as `needs`
// (src/steps/*.ts), and validate, pre-flight and the CLI read it, never a list of kind names.
import type { StepKind } from './schema.js';

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
}

export const STEP_NEEDS = {
  'participants.check-in': { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'manual.confirm': { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'hsm.init-token': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'hsm.generate-key': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'hsm.inspect-key': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'hsm.self-signed-certificate': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'evidence.init-key': { hsm: true, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false },
  'evidence.use-key': { hsm: false, evidenceToken: true, roster: false, piv: false, backup: false, wrappedKeys: false },
  'piv.enroll': { hsm: true, evidenceToken: false, roster: false, piv: true, backup: false, wrappedKeys: false },
  'officer.revoke': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false },
  'roster.sign': { hsm: false, evidenceToken: false, roster: false, piv: true, backup: false, wrappedKeys: false },
  'quorum.approve': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false },
  'backup.split': { hsm: true, evidenceToken: false, roster: true, piv: true, backup: false, wrappedKeys: false },
  'backup.restore': { hsm: true, evidenceToken: false, roster: true, piv: true, backup: true, wrappedKeys: true },
  'backup.reshare': { hsm: true, evidenceToken: false, roster: true, piv: true, backup: true, wrappedKeys: true },
  'backup.verify': { hsm: false, evidenceToken: false, roster: true, piv: true, backup: true, wrappedKeys: false },
} as const satisfies Record<StepKind, StepNeeds>;

/** Whether a step of `kind` (undefined: a step that did not parse) needs `need`. */
export function kindNeeds(kind: string | undefined, need: keyof StepNeeds): boolean {
  return kind !== undefined && kind in STEP_NEEDS && STEP_NEEDS[kind as StepKind][need];
}
