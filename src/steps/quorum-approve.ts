// quorum.approve: officers approve exactly what comes next. Officiant builds a statement (ceremony, step,
// script hash, the approved step's kind and exact parameters or the journal head, a fresh nonce), journals
// it, and shows its SHA-256 and six words everyone reads aloud. Each checked-in officer of the role in turn
// picks their token, says yes or no, and signs the statement with their PIN. Every approval is checked
// (custody/quorum.ts: roster, revocation, role, duplicate, nonce, digest, signature) and journaled, accepted or
// refused; the step completes only when `threshold` distinct officers approved. A retry after a failure makes
// a new statement with a new nonce: approvals of the old one no longer count.
import { randomBytes } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import { checkApproval, quorumReached, statementBytes, statementDigest, statementWords, subjectOfStep, type ApprovalRecord, type ApprovalStatement, type BackupSource, type CeremonyRef, type ReleaseSubject } from '../custody/quorum.js';
import type { RosterOfficer } from '../custody/roster.types.js';
import type { JournalEntry } from '../record/journal.js';
import type { Script, StepOf } from '../script/schema.js';
import { approvalSubject, paramInWords } from '../script/plan.js';
import { deviceChoices, signWithPin } from '../engine/piv-officer.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import type { PlanSubject } from '../custody/signing-plan.js';

export const APPROVAL_STATEMENT = 'approval-statement';

/** What officers see of the release they approve: on the screen and on the page. */
export function releaseLines(r: ReleaseSubject): string[] {
  return [
    `release: build ${r.build_id}, channel ${r.channel}, version ${r.version}`,
    `artifacts: ${r.artifacts} (${r.kinds.join(', ')}), ${r.bytes} bytes in all, list SHA-256 ${r.artifacts_sha256}`,
    `request: ${r.request_id}, file SHA-256 ${r.request_sha256}`,
    `policy: version ${r.policy.version}, SHA-256 ${r.policy.sha256}`,
    `signing key: ${r.key.label}, SPKI SHA-256 ${r.key.spki_sha256}`,
  ];
}

/** What officers see of the signing plan they approve for a signing window: on the screen and on the page. */
export function planLines(p: PlanSubject): string[] {
  return [
    `signing plan: SHA-256 ${p.sha256}, ${p.commands} command(s) (list SHA-256 ${p.commands_sha256})`,
    `inputs: ${p.target_files.name} ${p.target_files.sha256}; ${p.otatools.name} ${p.otatools.sha256}`,
    ...p.keys.map((k) => `key ${k.label}: ${k.algorithm}, at most ${k.budget.avb} avb and ${k.budget.payload} payload signature(s)`),
    `time limit: ${p.time_limit_minutes} minutes`,
  ];
}

/**
 * The statement officers sign: this step, the approved step's kind and exact parameters (with the backup the
 * ceremony was started with) or, for "record", the journal head and length so far.
 */
export function approvalStatement(
  script: Script,
  entries: readonly JournalEntry[],
  at: { ceremony: CeremonyRef; step: { id: string; number: number }; params: StepOf<'quorum.approve'>['params']; nonce: string },
): ApprovalStatement {
  const { role, threshold, approve } = at.params;
  const head = entries[entries.length - 1];
  const target = script.steps.find((s) => s.id === approve);
  return {
    type: 'officiant-approval/1',
    ceremony: at.ceremony,
    step: at.step,
    role,
    threshold,
    approve: target ? subjectOfStep(target, entries[0].data.backup as unknown as BackupSource | undefined, entries) : { what: 'record', journal_head: head.hash, entries: entries.length },
    nonce: at.nonce,
  };
}

/**
 * Why an approval by the device's owner is refused before anyone types a PIN, or undefined: not present, not
 * of the role on the roster, checked in under another role, or already approved. A device the roster does not
 * know is left to the signature check.
 */
export function earlyRefusal(
  script: Script,
  a: { serial: string; owner: RosterOfficer | undefined; present: Person | undefined; role: string; approvedBy: readonly string[] },
): string | undefined {
  const { serial, owner, present, role } = a;
  const roleTitle = script.roles[role].title;
  return !owner
    ? undefined
    : !present
      ? `${owner.name} (device ${serial}) is not checked in to this ceremony: approvers must be present`
      : !owner.roles.includes(role)
        ? `${owner.name} (device ${serial}) is not a ${roleTitle} on the roster (roles: ${owner.roles.join(', ')})`
        : present.role !== role
        ? `${owner.name} (device ${serial}) checked in as ${script.roles[present.role]?.title ?? present.role}, not as ${roleTitle}: one role per person`
        : a.approvedBy.includes(owner.id)
        ? `${owner.name} has already approved this statement: approvals count distinct people`
        : undefined;
}

export const quorumApprove: StepHandler<'quorum.approve'> = {
  kind: 'quorum.approve',
  needs: STEP_NEEDS['quorum.approve'],
  async run(ctx) {
    const { role, threshold, approve } = ctx.step.params;
    const roleTitle = ctx.script.roles[role].title;
    const roster = ctx.roster();
    const mine = ctx.entries().filter((e) => e.step === ctx.step.id);
    const current = mine.slice(mine.map((e) => e.type).lastIndexOf('deviation') + 1);
    // The statement of this attempt, if it was made before an interruption; a retry gets a fresh one.
    let statement = current.find((e) => e.type === 'step.event' && e.data.what === APPROVAL_STATEMENT)?.data.statement as unknown as ApprovalStatement | undefined;
    if (!statement) {
      statement = approvalStatement(ctx.script, ctx.entries(), { ceremony: ctx.ceremonyRef(), step: { id: ctx.step.id, number: ctx.number }, params: ctx.step.params, nonce: randomBytes(16).toString('hex') });
      ctx.event(APPROVAL_STATEMENT, { statement: statement as never, sha256: statementDigest(statement), words: statementWords(statementDigest(statement)) });
    }
    const digest = statementDigest(statement);
    const words = statementWords(digest);
    ctx.prompter.say(`  Approving ${approvalSubject(approve, ctx.script)}:`);
    const subject = statement.approve;
    if (subject.what === 'step') {
      ctx.prompter.say(`    kind: ${subject.step.kind}`);
      for (const [k, v] of Object.entries(subject.step.params as Record<string, unknown>)) ctx.prompter.say(`    ${k.replace(/_/g, ' ')}: ${paramInWords(k, v)}`);
      // The check value is bound but not shown: at the step, the administrator types it from the paper record.
      if (subject.backup) ctx.prompter.say(`    backup: of ceremony ${subject.backup.ceremony_id}, manifest SHA-256 ${subject.backup.manifest_sha256}`);
      if (subject.release) for (const line of releaseLines(subject.release)) ctx.prompter.say(`    ${line}`);
      if (subject.plan) for (const line of planLines(subject.plan)) ctx.prompter.say(`    ${line}`);
    } else {
      ctx.prompter.say(`    the ceremony record: ${subject.entries} journal entries, head ${subject.journal_head}`);
    }
    ctx.prompter.say(`  Statement SHA-256: ${digest}`);
    ctx.prompter.say(`  Everyone reads these words aloud and compares them with the screen: ${words.map((w, i) => `${i + 1}. ${w}`).join('  ')}`);

    const approvedBy = current.filter((e) => e.type === 'step.event' && e.data.what === 'approval' && e.data.nonce === statement.nonce).map((e) => String(e.data.officer));
    const asked = new Set(current.filter((e) => e.type === 'step.event' && ['approval', 'approval-refused', 'approval-declined'].includes(String(e.data.what))).map((e) => String(e.data.for)));
    const candidates = ctx.people(role).filter((p) => !asked.has(p.name));
    // Everyone already asked for this statement (approved, refused or declined) keeps their number on resume.
    let k = asked.size;
    for (const person of candidates) {
      if (quorumReached(approvedBy, threshold).met) break;
      k += 1;
      const serial = await ctx.prompter.chooseDevice(
        { stepId: ctx.step.id, id: `approver-${k}`, message: `Approval ${k} of ${threshold}: ${person.name} (${roleTitle})`, suggested: person.device },
        deviceChoices(ctx, roster),
      );
      const owner = roster.officers.find((o) => o.device.serial === serial);
      // The token decides who signs: its owner as they checked in (their own role), whoever holds it.
      const present = owner ? ctx.people().find((p) => p.officer === owner.id) : undefined;
      const signer: Person = present ?? person;
      const base = { for: person.name, device: serial, nonce: statement.nonce, statement_sha256: digest };
      // Refusals that need no signature are made before anyone types a PIN.
      const early = earlyRefusal(ctx.script, { serial, owner, present, role, approvedBy });
      if (early) {
        ctx.event('approval-refused', { ...base, reason: early }, signer);
        ctx.prompter.say(`  refused: ${early}`);
        continue;
      }
      const yes = await ctx.prompter.confirm(signer, `Approve ${approvalSubject(approve, ctx.script)}, statement words "${words.join(' ')}"?`, { stepId: ctx.step.id });
      if (!yes) {
        ctx.event('approval-declined', base, signer);
        ctx.prompter.say(`  ${signer.name} declined to approve`);
        continue;
      }
      const [signature] = await signWithPin(ctx, signer, serial, [statementBytes(statement)]);
      const record: ApprovalRecord = { device_serial: serial, nonce: statement.nonce, statement_sha256: digest, signature };
      const check = checkApproval(roster, statement, record, { roleTitle, approvedBy });
      if (!check.ok) {
        ctx.event('approval-refused', { ...base, signature, reason: check.reason }, signer);
        ctx.prompter.say(`  refused: ${check.reason}`);
        continue;
      }
      approvedBy.push(check.officer.id);
      ctx.event('approval', { ...base, signature, officer: check.officer.id, name: check.officer.name, certificate_sha256: check.officer.keys['9a']!.certificate_sha256 }, signer);
      ctx.prompter.say(`  approval ${approvedBy.length} of ${threshold}: ${check.officer.name}, device ${serial}, signature verified`);
    }
    const q = quorumReached(approvedBy, threshold);
    if (!q.met) throw new OfficiantError('ceremony.quorum-not-met', `quorum not met: ${q.count}/${threshold} ${roleTitle} approvals`);
    ctx.result('Approved', approvalSubject(approve, ctx.script));
    // What was approved, in words, on the page as on the screen (the statement binds the exact values).
    if (subject.what === 'step') {
      ctx.result('Approved step kind', subject.step.kind);
      for (const [k, v] of Object.entries(subject.step.params as Record<string, unknown>)) ctx.result(`Approved ${k.replace(/_/g, ' ')}`, paramInWords(k, v));
      if (subject.release) for (const line of releaseLines(subject.release)) ctx.result(`Approved ${line.slice(0, line.indexOf(':'))}`, line.slice(line.indexOf(':') + 2));
      if (subject.plan) for (const line of planLines(subject.plan)) ctx.result(`Approved ${line.slice(0, line.indexOf(':'))}`, line.slice(line.indexOf(':') + 2));
    }
    ctx.result('Statement SHA-256', digest);
    ctx.result('Statement words', words.join(' '));
    const approvals = ctx.entries().filter((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === 'approval' && e.data.nonce === statement.nonce);
    approvals.forEach((e, i) =>
      ctx.result(`Approval ${i + 1} of ${threshold}`, `${String(e.data.name)}, device ${String(e.data.device)}, 9a certificate ${String(e.data.certificate_sha256).slice(0, 16)}…; ECDSA signature over the statement (verified): ${String(e.data.signature)}`),
    );
  },
};
