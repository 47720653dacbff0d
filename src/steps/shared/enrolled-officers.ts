// What this ceremony's journal says about enrollment, for piv.enroll and roster.sign: the officers enrolled
// by completed steps, the enrollment CA's certificate, a new officer's roster id, and whose token a replacement
// goes to.
import { OfficiantError } from '../../errors.js';
import type { JsonObject } from '../../record/journal.js';
import type { RosterOfficer } from '../../custody/roster.types.js';
import type { StepContext } from '../../engine/step-kind.types.js';
import type { CertificateRecord } from './x509-in-hsm.js';
import { OFFICER_REVOKED } from '../officer-revoke.js';

export const OFFICER_ENROLLED = 'officer-enrolled';

export function officerId(name: string, taken: ReadonlySet<string>): string {
  const base = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'officer';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

/**
 * Officers enrolled by completed steps of this ceremony (from the journal), one per step: the last record of
 * each. A step that is running again after a crash or a retry never counts its own earlier attempt.
 */
export function enrolledOfficers(ctx: StepContext): RosterOfficer[] {
  const entries = ctx.entries();
  const completed = new Set(entries.filter((e) => e.type === 'step.completed').map((e) => e.step));
  const byStep = new Map<string, RosterOfficer>();
  for (const e of entries) {
    if (e.type === 'step.event' && e.data.what === OFFICER_ENROLLED && e.step !== undefined && completed.has(e.step)) byStep.set(e.step, e.data.officer as unknown as RosterOfficer);
  }
  return [...byStep.values()];
}

export function issuerCertificate(ctx: StepContext, label: string): CertificateRecord {
  const entries = ctx.entries();
  const intent = entries.find((e) => e.type === 'intent' && e.data.op === 'hsm.sign-certificate' && (e.data.params as JsonObject).key === label);
  const result = intent && entries.find((e) => e.type === 'result' && e.data.intent === intent.seq && e.data.ok === true);
  if (!result) throw new OfficiantError('ceremony.step-failed', `the enrollment CA "${label}" has no certificate in this ceremony: certify it with hsm.self-signed-certificate first`);
  return result.data.output as unknown as CertificateRecord;
}

/**
 * The roster roles of the officer revoked in step `stepId` of this ceremony, whom `name` must be (a replaced
 * token goes to the same person, with the same roles); journaled and shown on the page.
 */
export function replacedRoles(ctx: StepContext, stepId: string, name: string): string[] {
  const completed = ctx.entries().some((e) => e.type === 'step.completed' && e.step === stepId);
  const revoked = completed ? [...ctx.entries()].reverse().find((e) => e.type === 'step.event' && e.step === stepId && e.data.what === OFFICER_REVOKED) : undefined;
  if (!revoked) throw new OfficiantError('ceremony.step-failed', `step ${stepId} revoked no officer: there is no token to replace`);
  const officer = ctx.roster().officers.find((o) => o.id === revoked.data.officer);
  if (!officer) throw new OfficiantError('ceremony.step-failed', `the officer revoked in step ${stepId} is not on the roster`);
  if (officer.name.trim().toLowerCase() !== name.trim().toLowerCase()) throw new OfficiantError('ceremony.step-failed', `${name} is not ${officer.name}, whose token step ${stepId} revoked: a replacement token goes to the same person`);
  ctx.event('officer-replaces', { officer: officer.id, name: officer.name, revoked_device: String(revoked.data.device), roles: officer.roles });
  ctx.result('Replaces', `device ${String(revoked.data.device)} of ${officer.name} (${officer.id}), revoked in this ceremony (${String(revoked.data.reason)}); roster roles kept: ${officer.roles.join(', ')}`);
  return [...officer.roles];
}

