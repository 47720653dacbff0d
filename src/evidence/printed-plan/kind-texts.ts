// What the printed plan says a step of each kind does, from the template's texts filled in with the step's
// parameters, and which values people copy onto the plan at a step (write-ins), each with the form to write it in.
import { approvalSubject } from '../../script/plan.js';
import { custodianCount, custodianNames, type Step } from '../../script/schema.js';
import { capitalise, fill } from '../pdf/format.js';
import { roleTitle, type PlanContext } from './plan-elements.js';

export interface WriteIn {
  label: string;
  form: 'line' | 'ends' | 'pairs' | 'fours';
}

export function kindText(ctx: PlanContext, step: Step): string {
  const k = ctx.template.kinds;
  const title = (r: string) => roleTitle(ctx.script, r);
  switch (step.kind) {
    case 'room.preflight':
      return fill(k[step.kind], { tolerance: step.params.clock_tolerance_seconds, override: step.params.allow_override ? ctx.template.labels.overrideAllowed : ctx.template.labels.overrideRefused });
    case 'participants.check-in': {
      const roles = step.params.roles ?? Object.keys(ctx.script.roles);
      return fill(k[step.kind], { people: roles.map((r) => `${ctx.script.roles[r]?.people ?? '?'} × ${title(r)}`).join(', ') });
    }
    case 'manual.confirm':
      return fill(k[step.kind], { role: title(step.params.confirm_by) });
    case 'hsm.init-token':
      return fill(k[step.kind], { people: step.params.pin_holders.people, role: title(step.params.pin_holders.role) });
    case 'hsm.generate-key':
      return fill(k[step.kind], {
        algorithm: step.params.algorithm,
        label: step.params.label,
        authority: step.params.authority,
        purpose: step.params.purpose,
        protection: step.params.backup ? 'sensitive; for backup it can leave the HSM only wrapped under the SO-trusted wrap key of a later backup step' : 'sensitive, never extractable',
      });
    case 'hsm.inspect-key':
      return fill(k[step.kind], { key: step.params.key });
    case 'hsm.self-signed-certificate': {
      const subject = (['CN', 'O', 'OU', 'C'] as const)
        .filter((a) => step.params.subject[a] !== undefined)
        .map((a) => `${a}=${step.params.subject[a]}`)
        .join(', ');
      return fill(k[step.kind], { key: step.params.key, subject, days: step.params.validity_days });
    }
    case 'evidence.init-key':
      return fill(k[step.kind], { label: step.params.label, algorithm: step.params.algorithm });
    case 'evidence.use-key':
      return fill(k[step.kind], { people: step.params.pin_holders.people, role: title(step.params.pin_holders.role) });
    case 'piv.enroll':
      return fill(k[step.kind], { role: title(step.params.officer.role), index: step.params.officer.index, slots: step.params.slots.join(' and '), issuer: step.params.issuer });
    case 'officer.revoke':
      return fill(k[step.kind], { role: title(step.params.record_by) });
    case 'roster.sign':
      return fill(k[step.kind], { threshold: step.params.signing_policy.threshold, role: title(step.params.signing_policy.role) });
    case 'quorum.approve':
      return fill(k[step.kind], { threshold: step.params.threshold, role: title(step.params.role), what: approvalSubject(step.params.approve, ctx.script) });
    case 'backup.split':
      return fill(k[step.kind], { keys: step.params.keys.join(', '), threshold: step.params.threshold, count: custodianCount(step.params.custodians), custodians: custodianNames(step.params.custodians) });
    case 'backup.restore':
      return fill(k[step.kind], { keys: step.params.keys?.join(', ') ?? 'every backed-up key' });
    case 'backup.verify':
      return fill(k[step.kind], { custodians: step.params.custodians?.join(', ') ?? 'every custodian' });
    case 'backup.reshare':
      return fill(k[step.kind], { threshold: step.params.threshold, count: custodianCount(step.params.custodians), custodians: custodianNames(step.params.custodians) });
    case 'hsm.sign-artifacts':
      return fill(k[step.kind], { key: step.params.key });
    case 'manifest.sign':
      return fill(k[step.kind], { role: title(step.params.role), days: step.params.max_validity_days });
    case 'android.sign-window':
    case 'policy.adopt':
    case 'request.load':
    case 'artifacts.stage':
    case 'policy.check':
    case 'signatures.verify':
    case 'release.gates':
    case 'release.publish':
      return fill(k[step.kind], {});
  }
}

/**
 * Values people copy onto the plan at this step, each with the form to write it in: a line (values typed
 * at manual.confirm), the first and last 8 characters of a digest, a whole SHA-256 as 32 pairs, or a check value
 * as 8 groups of four characters (as the screen shows it).
 */
export function writeIns(ctx: PlanContext, step: Step): WriteIn[] {
  const texts = ctx.template.writeIn;
  switch (step.kind) {
    case 'manual.confirm':
      return step.params.record.map((f) => ({ label: capitalise(f.label), form: 'line' }));
    case 'hsm.inspect-key':
      return [{ label: texts[step.kind], form: 'ends' }];
    case 'hsm.self-signed-certificate':
    case 'evidence.init-key':
    case 'evidence.use-key':
      return [{ label: texts[step.kind], form: 'pairs' }];
    case 'quorum.approve':
    case 'room.preflight':
      return [{ label: texts[step.kind], form: 'line' }];
    case 'backup.split':
    case 'backup.reshare':
      return [{ label: texts[step.kind], form: 'fours' }];
    default:
      return [];
  }
}
