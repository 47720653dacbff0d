// room.preflight: the ceremony laptop, checked and recorded before anyone checks in. The probe reads, the
// administrator types the reference time, custody/room-findings judges; what was seen (the whole observation)
// is journaled so verify judges it again. A failed check stops the ceremony there, unless the script allows the
// administrator to go on with a reason recorded as a deviation; a rehearsal records what it finds and never
// stops. Nobody is checked in yet: the administrator is asked by their role, and the journal's entries are the
// system's (only people who checked in act in the journal); an override says who decided in its data.
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { judgeRoom, parseReferenceTime, REFERENCE_TIME, type Finding, type RoomObservation } from '../custody/room-findings.js';

const LABELS: Record<Finding['check'], string> = { network: 'Network', clock: 'Clock', 'boot medium': 'Boot medium', usb: 'USB devices', officiant: 'Officiant' };
const line = (f: Finding) => `${f.ok ? 'OK' : 'FAILED'}: ${f.problem ?? f.seen}${f.problem ? ` (seen: ${f.seen})` : ''}`;

export const roomPreflight: StepHandler<'room.preflight'> = {
  kind: 'room.preflight',
  needs: STEP_NEEDS['room.preflight'],
  async run(ctx) {
    const { probe, site } = ctx.room();
    const role = ctx.script.roles[ctx.step.perform];
    const admin: Person = ctx.people(ctx.step.perform)[0] ?? { name: `The ${role?.title ?? ctx.step.perform}`, role: ctx.step.perform };
    if (probe.source !== '/sys') ctx.prompter.say(`  The laptop is read from ${probe.source}, not /sys: verify refuses such a packet outside a rehearsal.`);
    const interfaces = probe.networkInterfaces();
    const bluetooth = probe.bluetooth();

    // An automated rehearsal has nobody to read a reference clock: the laptop's clock stands in, and says so.
    const automated = ctx.rehearsal && !ctx.prompter.interactive;
    const typed = automated ? undefined : await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'reference-time', label: 'the reference time (UTC) read off the reference clock now', ...REFERENCE_TIME });
    const laptop = ctx.now();
    const reference = typed === undefined ? laptop : parseReferenceTime(typed, laptop);

    if (site?.bootMedium) ctx.prompter.say(`  Hashing the boot medium ${site.bootMedium.path} ...`);
    const observation: RoomObservation = {
      source: probe.source,
      interfaces,
      bluetooth,
      usb: probe.usbDevices(),
      allowlist: [...(site?.usbAllowlist ?? [])],
      laptop_time: laptop.toISOString(),
      reference_time: reference ? reference.toISOString() : null,
      ...(automated ? { reference_note: "rehearsal: the laptop's own clock stood in for the reference" } : {}),
      tolerance_seconds: ctx.step.params.clock_tolerance_seconds,
      boot: { named: site?.bootMedium ? { ...site.bootMedium } : null, read: site?.bootMedium ? await probe.sha256File(site.bootMedium.path, site.bootMedium.bytes) : null },
      installation: await probe.installation(),
      pinned_installation: site?.officiantSha256 ?? null,
    };
    const findings = judgeRoom(observation);
    ctx.event('room-checked', { ...(typed !== undefined ? { typed_reference: typed.trim() } : {}), observation: observation as never, findings: findings.map((f) => ({ ...f })) });
    for (const f of findings) ctx.result(LABELS[f.check], line(f));
    const failed = findings.filter((f) => !f.ok);
    if (failed.length === 0) return;
    // A step's results are shown once it completes; a stop must show everything that was seen first.
    if (!ctx.rehearsal) for (const f of findings) ctx.prompter.say(`  ${LABELS[f.check]}: ${line(f)}`);
    const problems = failed.map((f) => f.problem).join('; ');
    if (ctx.rehearsal) {
      ctx.prompter.say(`  REHEARSAL: ${failed.length} check(s) failed (below); a production run stops here. The rehearsal goes on, and the page records it as a deviation.`);
      ctx.event('room-not-stopped', { checks: failed.map((f) => f.check), deviation: `rehearsal: ${failed.length} check(s) failed and were recorded (a production run stops here): ${problems}` });
      return;
    }
    if (!ctx.step.params.allow_override) throw new OfficiantError('ceremony.step-failed', `the laptop failed ${failed.length} check(s): ${problems}`);
    const go = await ctx.prompter.confirm(admin, `The laptop failed ${failed.length} check(s): ${problems}. Go on anyway (recorded as a deviation)?`, { stepId: ctx.step.id });
    if (!go) throw new OfficiantError('ceremony.step-failed', `the laptop failed ${failed.length} check(s): ${problems}`);
    const decider = (await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'override-by', label: 'your full name (who decides to go on, recorded)' })).trim();
    const reason = (await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'override-reason', label: 'the reason to go on despite the failed checks (recorded)' })).trim();
    ctx.event('room-override', { checks: failed.map((f) => f.check), deviation: `${decider} went on despite ${failed.map((f) => f.check).join(', ')}: ${reason}`, decided_by: `${decider} (not yet checked in)` });
  },
};
