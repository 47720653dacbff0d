// room.preflight: the ceremony laptop, checked and recorded before anyone checks in (steps/shared/room-findings
// judges what the probe reads). A failed check stops the ceremony there, unless the script allows the
// administrator to go on with a reason recorded as a deviation; a rehearsal records what it finds and never stops.
// Nobody is checked in yet: the administrator is asked by their role, and the journal's entries are the
// system's (only people who checked in act in the journal); an override says who decided in its data.
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { bootMediumFinding, clockFinding, networkFinding, officiantFinding, parseReferenceTime, REFERENCE_TIME, usbFinding, type Finding } from './shared/room-findings.js';

const LABELS: Record<Finding['check'], string> = { network: 'Network', clock: 'Clock', 'boot medium': 'Boot medium', usb: 'USB devices', officiant: 'Officiant' };

export const roomPreflight: StepHandler<'room.preflight'> = {
  kind: 'room.preflight',
  needs: STEP_NEEDS['room.preflight'],
  async run(ctx) {
    const { probe, site } = ctx.room();
    const role = ctx.script.roles[ctx.step.perform];
    const admin: Person = ctx.people(ctx.step.perform)[0] ?? { name: `The ${role?.title ?? ctx.step.perform}`, role: ctx.step.perform };
    const findings: Finding[] = [networkFinding(probe.networkInterfaces())];

    // An automated rehearsal has nobody to read a reference clock: the laptop's clock stands in, and says so.
    const automated = ctx.rehearsal && !ctx.prompter.interactive;
    const typed = automated ? undefined : await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'reference-time', label: 'the reference time (UTC) read off the reference clock now', ...REFERENCE_TIME });
    const laptop = ctx.now();
    const reference = typed === undefined ? laptop : parseReferenceTime(typed, laptop);
    findings.push(clockFinding(laptop, reference, ctx.step.params.clock_tolerance_seconds, automated ? "rehearsal: the laptop's own clock stood in for the reference" : undefined));

    if (site?.bootMedium) ctx.prompter.say(`  Hashing the boot medium ${site.bootMedium.path} ...`);
    findings.push(bootMediumFinding(site?.bootMedium, site?.bootMedium ? await probe.sha256File(site.bootMedium.path) : undefined));
    findings.push(usbFinding(probe.usbDevices(), site?.usbAllowlist ?? []));
    findings.push(officiantFinding(await probe.installation(), site?.officiantSha256));

    ctx.event('room-checked', { source: probe.source, ...(typed !== undefined ? { typed_reference: typed.trim() } : {}), findings: findings.map((f) => ({ ...f })) });
    const line = (f: Finding) => `${f.ok ? 'OK' : 'FAILED'}: ${f.problem ?? f.seen}${f.problem ? ` (seen: ${f.seen})` : ''}`;
    for (const f of findings) ctx.result(LABELS[f.check], line(f));
    const failed = findings.filter((f) => !f.ok);
    if (failed.length === 0) return;
    // A step's results are shown once it completes; a stop must show everything that was seen first.
    if (!ctx.rehearsal) for (const f of findings) ctx.prompter.say(`  ${LABELS[f.check]}: ${line(f)}`);
    const problems = failed.map((f) => f.problem).join('; ');
    if (ctx.rehearsal) {
      ctx.event('room-not-stopped', { checks: failed.map((f) => f.check), deviation: `rehearsal: ${failed.length} check(s) failed and were recorded (a production run stops here): ${problems}` });
      return;
    }
    if (!ctx.step.params.allow_override) throw new OfficiantError('ceremony.step-failed', `the laptop failed ${failed.length} check(s): ${problems}`);
    const go = await ctx.prompter.confirm(admin, `The laptop failed ${failed.length} check(s): ${problems}. Go on anyway (recorded as a deviation)?`, { stepId: ctx.step.id });
    if (!go) throw new OfficiantError('ceremony.step-failed', `the laptop failed ${failed.length} check(s): ${problems}`);
    const reason = (await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'override-reason', label: 'the reason to go on despite the failed checks (recorded)' })).trim();
    ctx.event('room-override', { checks: failed.map((f) => f.check), deviation: `went on despite ${failed.map((f) => f.check).join(', ')}: ${reason}`, decided_by: `${admin.name} (not yet checked in)` });
  },
};
