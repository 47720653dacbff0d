// room.preflight recomputed from its journal entries: a completed preflight recorded what the laptop showed
// once; every verdict is judged again from that observation (custody/room-findings, the step's own judge), so
// a recorded "ok" the recorded facts do not support fails; the expectations it was judged against are the site
// file's the ceremony started with; a production laptop was read from /sys; the ceremony went past a failed
// check only by an override the script allows, naming exactly those checks, or in a rehearsal that says so.
// What an auditor compares with the paper log (boot medium, installation, reference time) is noted. Pure; never throws.
import type { JournalEntry } from '../../record/journal.js';
import type { Script } from '../../script/schema.js';
import { CHECKS, judgeRoom, type Finding, type RoomObservation } from '../../custody/room-findings.js';
import { isObject } from '../json-shape.js';
import type { RuleReport } from './rules-people.js';
import { lastRun } from './rules-steps.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The observation's findings judged again; undefined when the record is not an observation as the step writes it. */
function rejudge(observation: unknown): Finding[] | undefined {
  const o = observation as RoomObservation;
  const nullOrObject = (x: unknown) => x === null || isObject(x);
  if (!isObject(observation) || !Array.isArray(o.interfaces) || !Array.isArray(o.bluetooth) || !Array.isArray(o.usb) || !Array.isArray(o.allowlist) || !isObject(o.boot) || !isObject(o.installation)) return undefined;
  if (!nullOrObject(o.boot.named) || !nullOrObject(o.boot.read) || typeof o.tolerance_seconds !== 'number') return undefined;
  try {
    return judgeRoom(o);
  } catch {
    return undefined;
  }
}

export function checkRoom(entries: readonly JournalEntry[], script: Script, out: RuleReport & { note?(m: string): void }): void {
  const started = entries[0]?.data ?? {};
  const rehearsal = started.mode === 'rehearsal';
  const site = isObject(started.room) ? started.room : {};
  if (!rehearsal && !script.steps.some((s) => s.kind === 'room.preflight')) out.note?.('room: the script has no room.preflight step: the laptop was not checked');
  script.steps.forEach((step, i) => {
    if (step.kind !== 'room.preflight') return;
    const run = lastRun(entries, step.id);
    if (!run.completed) return;
    const name = `step ${i + 1} ${step.id}`;
    const events = (what: string) => run.entries.filter((e) => e.type === 'step.event' && e.data.what === what);
    const checked = events('room-checked');
    if (checked.length !== 1) return out.fail(`room: ${name}: completed with ${checked.length} records of what the laptop showed, expected one`);
    const observation = checked[0].data.observation as unknown as RoomObservation;
    const findings = rejudge(observation);
    if (!findings) return out.fail(`room: ${name}: the record of what the laptop showed is not as Officiant writes it`);
    const recorded: Array<Record<string, unknown>> = Array.isArray(checked[0].data.findings) ? (checked[0].data.findings as unknown[]).filter(isObject) : [];
    for (const f of findings) {
      const r = recorded.filter((x) => x.check === f.check);
      if (r.length !== 1) out.fail(`room: ${name}: the ${f.check} check is recorded ${r.length} times, expected once`);
      else if ((r[0].ok === true) !== f.ok) out.fail(`room: ${name}: the ${f.check} check is recorded ${r[0].ok === true ? 'passed' : 'failed'}, but what was recorded ${f.ok ? 'passes it' : `fails it: ${f.problem}`}`);
    }
    if (recorded.length !== CHECKS.length) out.fail(`room: ${name}: ${recorded.length} checks recorded, expected ${CHECKS.length} (${CHECKS.join(', ')})`);
    // Judged against what the site file said when the ceremony started (recorded in its first entry).
    if (!same(observation.allowlist, site.usbAllowlist ?? []) || !same(observation.boot.named, site.bootMedium) || !same(observation.pinned_installation, site.officiantSha256)) {
      out.fail(`room: ${name}: the laptop was judged against other expectations than the site file's the ceremony started with`);
    }
    if (observation.tolerance_seconds !== step.params.clock_tolerance_seconds) out.fail(`room: ${name}: the clock was judged with a tolerance of ${observation.tolerance_seconds} s; the script says ${step.params.clock_tolerance_seconds} s`);
    if (!rehearsal && observation.source !== '/sys') out.fail(`room: ${name}: the laptop was read from ${JSON.stringify(observation.source)}, not /sys`);
    // Only an automated rehearsal lets the laptop's clock stand in for the reference.
    if (!rehearsal && observation.reference_note !== undefined) out.fail(`room: ${name}: a production ceremony recorded no reference time typed (${JSON.stringify(observation.reference_note)})`);
    const read: unknown = observation.boot.read;
    const boot = isObject(read) && typeof read.sha256 === 'string' ? read.sha256 : 'not read';
    out.note?.(`room: ${name}: boot medium SHA-256 ${boot}; Officiant installation SHA-256 ${observation.installation.sha256}; reference time ${observation.reference_time ?? 'not a time'}, laptop ${observation.laptop_time} (compare with the paper log)`);
    // The expectations come from the record itself: shown, so they can be compared with the site file held.
    out.note?.(`room: ${name}: judged against the site file's boot medium ${observation.boot.named?.sha256 ?? 'none named'}, USB allowlist [${observation.allowlist.join(', ')}], installation pin ${observation.pinned_installation ?? 'none'} (compare with the site file)`);
    const failed = findings.filter((f) => !f.ok).map((f) => f.check);
    if (failed.length === 0) return;
    if (rehearsal) {
      if (events('room-not-stopped').length !== 1) out.fail(`room: ${name}: a rehearsal went on past failed checks (${failed.join(', ')}) without saying so`);
      return;
    }
    const override = events('room-override');
    const named = override.length === 1 && Array.isArray(override[0].data.checks) ? override[0].data.checks.map(String) : undefined;
    if (!step.params.allow_override || named === undefined || named.length !== failed.length || failed.some((c) => !named.includes(c))) {
      out.fail(`room: ${name}: completed although the laptop failed ${failed.join(', ')}${step.params.allow_override ? ', without an override naming exactly those checks' : ' and the script allows no override'}`);
    }
  });
}
