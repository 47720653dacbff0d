// officer.revoke: removes an officer from the next roster (lost or stolen device, departure). A person of
// `record_by` types the device serial and the reason; the device must belong to an active officer of the
// roster the ceremony started with. The revocation is journaled here and applied by the roster.sign step,
// which a quorum of the remaining officers signs.
import { OfficiantError } from '../errors.js';
import type { RosterBody, RosterOfficer } from '../custody/roster.types.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export const OFFICER_REVOKED = 'officer-revoked';

/** The active officer of `roster` whose device is `serial`; refused when the device is unknown or already revoked. */
export function revocableOfficer(roster: RosterBody, serial: string): RosterOfficer {
  const officer = roster.officers.find((o) => o.device.serial === serial);
  if (!officer) throw new OfficiantError('ceremony.step-failed', `device ${serial} is not on the roster (version ${roster.version})`);
  if (officer.status !== 'active') throw new OfficiantError('ceremony.step-failed', `device ${serial} of ${officer.name} is already revoked`);
  return officer;
}

export const officerRevoke: StepHandler<'officer.revoke'> = {
  kind: 'officer.revoke',
  needs: STEP_NEEDS['officer.revoke'],
  async run(ctx) {
    const roster = ctx.roster();
    const [person] = ctx.people(ctx.step.params.record_by);
    if (!person) throw new OfficiantError('ceremony.step-failed', `nobody is checked in as ${ctx.script.roles[ctx.step.params.record_by]?.title ?? ctx.step.params.record_by}`);
    const serial = (await ctx.prompter.record(person, { stepId: ctx.step.id, id: 'device-serial', label: 'serial of the device to revoke', pattern: '[0-9]{1,12}' })).trim();
    const officer = revocableOfficer(roster, serial);
    // Whoever holds a token being revoked (perhaps its finder) takes no part in the ceremony that revokes it.
    const present = ctx.people().find((p) => p.device === serial);
    if (present) throw new OfficiantError('ceremony.step-failed', `device ${serial} checked in at this ceremony (as ${ctx.script.roles[present.role]?.title ?? present.role}): a token being revoked takes no part in the ceremony that revokes it; start again without it`);
    const reason = (await ctx.prompter.record(person, { stepId: ctx.step.id, id: 'reason', label: 'reason for the revocation (lost device, departure, ...)' })).trim();
    if (reason.length < 5) throw new OfficiantError('ceremony.step-failed', 'a revocation needs a stated reason (at least 5 characters)');
    const ok = await ctx.prompter.confirm(person, `Revoke ${officer.name} (device ${serial}): "${reason}"?`, { stepId: ctx.step.id });
    if (!ok) throw new OfficiantError('ceremony.step-failed', `${person.name} did not confirm the revocation`);
    const custodian = officer.roles.includes('custodian');
    ctx.event(OFFICER_REVOKED, { officer: officer.id, name: officer.name, device: serial, reason, custodian }, person);
    ctx.result('Revoked officer', `${officer.name} (${officer.id})`);
    ctx.result('Device', serial);
    ctx.result('Reason', reason);
    // A share sealed to the revoked token still opens with it: the backups must move to new shares.
    if (custodian) ctx.result('Backup shares', `${officer.name} is a backup custodian: every backup they hold a share of must be re-shared next (ceremonies/backup-reshare.yaml), or the revoked token still opens their share`);
  },
};
