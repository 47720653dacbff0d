// room.preflight recomputed from its journal entries: a completed preflight recorded what it found once, read
// from /sys in a production ceremony, and went on past a failed check only as the script allows (an override
// with a reason, naming exactly the checks that failed) or in a rehearsal (which never stops, saying so). The
// verdict is recomputed from the recorded findings, not taken from the step's completion. Pure; never throws.
import type { JournalEntry } from '../../record/journal.js';
import type { Script } from '../../script/schema.js';
import type { RuleReport } from './rules-people.js';
import { lastRun } from './rules-steps.js';

const CHECKS = ['network', 'clock', 'boot medium', 'usb', 'officiant'];

export function checkRoom(entries: readonly JournalEntry[], script: Script, out: RuleReport): void {
  const rehearsal = entries[0]?.data.mode === 'rehearsal';
  script.steps.forEach((step, i) => {
    if (step.kind !== 'room.preflight') return;
    const run = lastRun(entries, step.id);
    if (!run.completed) return;
    const name = `step ${i + 1} ${step.id}`;
    const events = (what: string) => run.entries.filter((e) => e.type === 'step.event' && e.data.what === what);
    const checked = events('room-checked');
    if (checked.length !== 1) return out.fail(`room: ${name}: completed with ${checked.length} records of what the laptop showed, expected one`);
    const findings = checked[0].data.findings;
    const list = Array.isArray(findings) ? findings.filter((f): f is { check: string; ok: boolean } => typeof f === 'object' && f !== null && !Array.isArray(f)) : [];
    const seen = new Set(list.map((f) => String(f.check)));
    if (list.length !== CHECKS.length || CHECKS.some((c) => !seen.has(c))) return out.fail(`room: ${name}: the record of the laptop does not hold each check once (${CHECKS.join(', ')})`);
    if (!rehearsal && checked[0].data.source !== '/sys') out.fail(`room: ${name}: the laptop was read from ${JSON.stringify(checked[0].data.source)}, not /sys`);
    const failed = list.filter((f) => f.ok !== true).map((f) => String(f.check));
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
