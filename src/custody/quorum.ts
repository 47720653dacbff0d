// Approvals and officer identity, as pure functions over data: the runner uses them while people approve and
// `officiant verify` uses the same ones over a finished journal. Contract:
// - a statement says exactly what is approved (ceremony, step, script hash, the approved step's kind and
//   parameters or the journal head, a fresh nonce); people read its digest aloud as words;
// - an approval counts only if its device is on the roster and not revoked, its officer holds the role, the
//   officer has not approved this statement already, it carries this statement's nonce and digest, and its
//   signature verifies with the officer's enrolled 9a certificate;
// - thresholds count distinct officers, never signatures.
import type { PlanSubject } from './signing-plan.js';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../record/canonical-json.js';
import { headWords } from '../record/digest-words.js';
import type { RosterBody, RosterOfficer } from './roster.types.js';
import { signatureValid } from './signed-document.js';
import { officerByDevice } from './roster.js';
import type { Step } from '../script/schema.js';
import type { JournalEntry } from '../record/journal.js';

export interface CeremonyRef {
  script_id: string;
  ceremony_id: string;
  script_sha256: string;
}

/** The backup a restore or re-share works from, as ceremony.started records it. */
export interface BackupSource {
  manifest_sha256: string;
  ceremony_id: string;
  kcv: string;
}

/** The release a signing step signs, as request.load journaled it: what officers approve before hsm.sign-artifacts. */
export interface ReleaseSubject {
  request_id: string;
  request_sha256: string;
  build_id: string;
  channel: string;
  version: number;
  artifacts: number;
  bytes: number;
  kinds: string[];
  artifacts_sha256: string;
  policy: { version: number; sha256: string };
  key: { label: string; spki_sha256: string };
}

export type ApprovedSubject =
  | { what: 'step'; step: { id: string; kind: string; title: string; params: unknown }; backup?: BackupSource; release?: ReleaseSubject; plan?: PlanSubject }
  | { what: 'record'; journal_head: string; entries: number };

export interface ApprovalStatement {
  type: 'officiant-approval/1';
  ceremony: CeremonyRef;
  step: { id: string; number: number };
  role: string;
  threshold: number;
  approve: ApprovedSubject;
  nonce: string;
}

export interface CheckInChallenge {
  type: 'officiant-check-in/1';
  ceremony: CeremonyRef;
  step: { id: string; number: number };
  role: string;
  nonce: string;
}

/** What one approver's token produced, as journaled. */
export interface ApprovalRecord {
  device_serial: string;
  nonce: string;
  statement_sha256: string;
  /** base64 DER ECDSA-SHA256 over the statement bytes. */
  signature: string;
}

/**
 * What an approval of `step` binds. A restore or re-share also binds the backup it works from (its manifest's
 * SHA-256, ceremony and check value): approvers approve that backup, not whichever one is given later.
 */
export function subjectOfStep(step: Step, backup?: BackupSource | null, entries: readonly JournalEntry[] = []): ApprovedSubject {
  const subject: ApprovedSubject = { what: 'step', step: { id: step.id, kind: step.kind, title: step.title, params: step.params } };
  if ((step.kind === 'backup.restore' || step.kind === 'backup.reshare') && backup) {
    subject.backup = { manifest_sha256: backup.manifest_sha256, ceremony_id: backup.ceremony_id, kcv: backup.kcv };
  }
  if (step.kind === 'android.sign-window') {
    // The plan the ceremony started with (ceremony.started records its subject): officers approve exactly it.
    const plan = entries[0]?.type === 'ceremony.started' ? entries[0].data.signing_plan : undefined;
    if (plan && typeof plan === 'object') subject.plan = plan as unknown as PlanSubject;
  }
  if (step.kind === 'hsm.sign-artifacts') {
    const release = releaseSubjectOf(entries);
    if (release) subject.release = release;
  }
  return subject;
}

/** The last release request journaled (request.load's release-request event) before an approval, if any. */
export function releaseSubjectOf(entries: readonly JournalEntry[]): ReleaseSubject | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.type !== 'step.event' || e.data.what !== 'release-request') continue;
    const d = e.data as unknown as ReleaseSubject;
    return {
      request_id: d.request_id,
      request_sha256: d.request_sha256,
      build_id: d.build_id,
      channel: d.channel,
      version: d.version,
      artifacts: d.artifacts,
      bytes: d.bytes,
      kinds: d.kinds,
      artifacts_sha256: d.artifacts_sha256,
      policy: d.policy,
      key: d.key,
    };
  }
  return undefined;
}

export function statementBytes(statement: ApprovalStatement | CheckInChallenge): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

export function statementDigest(statement: ApprovalStatement | CheckInChallenge): string {
  return createHash('sha256').update(statementBytes(statement)).digest('hex');
}

/** The words everyone reads aloud for a statement: 6 BIP-39 words from its SHA-256. */
export function statementWords(digest: string): string[] {
  return headWords(digest, 6);
}

export type OfficerCheck = { ok: true; officer: RosterOfficer } | { ok: false; reason: string };

/**
 * Whether the device belongs to an active officer holding `role` whose 9a key signed `bytes`. Used for
 * check-in challenges and approvals alike.
 */
export function checkOfficerSignature(roster: RosterBody, input: { device_serial: string; role: string; roleTitle: string; bytes: Buffer; signature: string }): OfficerCheck {
  const officer = officerByDevice(roster, input.device_serial);
  if (!officer) return { ok: false, reason: `device ${input.device_serial} is not on the roster (version ${roster.version})` };
  if (officer.status !== 'active') {
    return { ok: false, reason: `device ${input.device_serial} of ${officer.name} is revoked${officer.revoked ? ` (${officer.revoked.reason})` : ''}` };
  }
  if (!officer.roles.includes(input.role)) {
    return { ok: false, reason: `${officer.name} (device ${input.device_serial}) is not a ${input.roleTitle} on the roster (roles: ${officer.roles.join(', ')})` };
  }
  const cert = officer.keys['9a']?.certificate;
  if (!cert || !signatureValid(cert, input.bytes, input.signature)) {
    return { ok: false, reason: `the signature from device ${input.device_serial} does not verify with ${officer.name}'s enrolled 9a certificate` };
  }
  return { ok: true, officer };
}

/** Checks one approval against the statement being approved and the officers who already approved it. */
export function checkApproval(
  roster: RosterBody,
  statement: ApprovalStatement,
  approval: ApprovalRecord,
  ctx: { roleTitle: string; approvedBy: readonly string[] },
): OfficerCheck {
  const digest = statementDigest(statement);
  const who = officerByDevice(roster, approval.device_serial);
  if (who && ctx.approvedBy.includes(who.id)) return { ok: false, reason: `${who.name} has already approved this statement: approvals count distinct people` };
  if (approval.nonce !== statement.nonce) return { ok: false, reason: `stale nonce: the approval from device ${approval.device_serial} carries nonce ${approval.nonce.slice(0, 12)}…, this statement's is ${statement.nonce.slice(0, 12)}…` };
  if (approval.statement_sha256 !== digest) {
    return { ok: false, reason: `the approval from device ${approval.device_serial} is over a different statement (${approval.statement_sha256.slice(0, 16)}…, expected ${digest.slice(0, 16)}…)` };
  }
  return checkOfficerSignature(roster, { device_serial: approval.device_serial, role: statement.role, roleTitle: ctx.roleTitle, bytes: statementBytes(statement), signature: approval.signature });
}

/** Distinct officers among accepted approvals, and whether they reach the threshold. */
export function quorumReached(acceptedOfficerIds: readonly string[], threshold: number): { count: number; met: boolean } {
  const count = new Set(acceptedOfficerIds).size;
  return { count, met: count >= threshold };
}

/** The last approval statement journaled (quorum.approve's approval-statement event) that approves step `stepId`, with its index. */
export function lastApprovalOf(entries: readonly JournalEntry[], stepId: string): { statement: ApprovalStatement; at: number } | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.type !== 'step.event' || e.data.what !== 'approval-statement') continue;
    const s = e.data.statement as unknown as ApprovalStatement;
    if (s.approve.what === 'step' && s.approve.step.id === stepId) return { statement: s, at: i };
  }
  return undefined;
}
