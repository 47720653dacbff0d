// The step kinds, by name: the registry the composition root hands to the engine. The compiled machine refers
// to step implementations by these names; each kind declares what it needs (engine/step-kind.types.ts).
import { androidSignWindow } from './android-sign-window.js';
import { evidenceInitKey } from './evidence-init-key.js';
import { evidenceUseKey } from './evidence-use-key.js';
import { hsmGenerateKey } from './hsm-generate-key.js';
import { hsmInitToken } from './hsm-init-token.js';
import { hsmInspectKey } from './hsm-inspect-key.js';
import { hsmSelfSignedCertificate } from './hsm-self-signed-certificate.js';
import { manualConfirm } from './manual-confirm.js';
import { roomPreflight } from './room-preflight.js';
import { participantsCheckIn } from './participants-check-in.js';
import { officerRevoke } from './officer-revoke.js';
import { pivEnroll } from './piv-enroll.js';
import { quorumApprove } from './quorum-approve.js';
import { rosterSign } from './roster-sign.js';
import { backupReshare } from './backup-reshare.js';
import { backupRestore } from './backup-restore.js';
import { backupSplit } from './backup-split.js';
import { backupVerify } from './backup-verify.js';
import { policyAdopt } from './policy-adopt.js';
import { requestLoad } from './request-load.js';
import { artifactsStage } from './artifacts-stage.js';
import { policyCheck } from './policy-check.js';
import { hsmSignArtifacts } from './hsm-sign-artifacts.js';
import { signaturesVerify } from './signatures-verify.js';
import { releaseGates } from './release-gates.js';
import { releasePublish } from './release-publish.js';
import { manifestSign } from './manifest-sign.js';
import type { StepRegistry } from '../engine/step-kind.types.js';

export const STEP_HANDLERS = {
  'participants.check-in': participantsCheckIn,
  'manual.confirm': manualConfirm,
  'room.preflight': roomPreflight,
  'hsm.init-token': hsmInitToken,
  'hsm.generate-key': hsmGenerateKey,
  'hsm.inspect-key': hsmInspectKey,
  'hsm.self-signed-certificate': hsmSelfSignedCertificate,
  'evidence.init-key': evidenceInitKey,
  'evidence.use-key': evidenceUseKey,
  'piv.enroll': pivEnroll,
  'officer.revoke': officerRevoke,
  'roster.sign': rosterSign,
  'quorum.approve': quorumApprove,
  'backup.split': backupSplit,
  'backup.restore': backupRestore,
  'backup.reshare': backupReshare,
  'backup.verify': backupVerify,
  'policy.adopt': policyAdopt,
  'request.load': requestLoad,
  'artifacts.stage': artifactsStage,
  'policy.check': policyCheck,
  'hsm.sign-artifacts': hsmSignArtifacts,
  'signatures.verify': signaturesVerify,
  'release.gates': releaseGates,
  'release.publish': releasePublish,
  'manifest.sign': manifestSign,
  'android.sign-window': androidSignWindow,
} satisfies StepRegistry;
