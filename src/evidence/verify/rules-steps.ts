// The ceremony's course recomputed from the journal and the script, believing none of the journal's verdicts:
// every step of the script ran in the script's order, each completed exactly once (or the ceremony aborted in
// the step that was running), its sign-offs were given by every person of the roles the script names, and
// by nobody else, before `step.completed`; confirmations and typed records came from the confirming role and
// match the script's patterns. Pure; every problem starts with the rule it breaks.
import type { JournalEntry } from '../../record/journal.js';
import type { Script, Step } from '../../script/schema.js';
import { actorOf, participantsAt, type RuleReport } from './rules-people.js';

/** The entries of a step's last run: after its last `step.started`, up to and including its `step.completed`. */
export function lastRun(entries: readonly JournalEntry[], stepId: string): { entries: JournalEntry[]; start: number; completed?: JournalEntry } {
  let start = -1;
  entries.forEach((e, i) => {
    if (e.type === 'step.started' && e.step === stepId) start = i;
  });
  if (start < 0) return { entries: [], start };
  const run: JournalEntry[] = [];
  let completed: JournalEntry | undefined;
  for (let i = start; i < entries.length; i++) {
    const e = entries[i];
    if (e.step !== stepId) continue;
    run.push(e);
    if (e.type === 'step.completed') {
      completed = e;
      break;
    }
  }
  return { entries: run, start, completed };
}

function stepName(script: Script, i: number): string {
  return `step ${i + 1} ${script.steps[i].id}`;
}

/** Every step in order, completed exactly once; the closing entry where the record says the ceremony ended. */
export function checkStepCourse(entries: readonly JournalEntry[], script: Script, out: RuleReport): void {
  const index = new Map(script.steps.map((s, i) => [s.id, i]));
  const completedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const failedAt = new Map<string, number>();
  const final = entries.find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
  const finalAt = final ? entries.indexOf(final) : entries.length;
  entries.forEach((e, pos) => {
    if (e.type !== 'step.started' && e.type !== 'step.completed' && e.type !== 'step.failed') return;
    const i = e.step === undefined ? undefined : index.get(e.step);
    if (i === undefined) return out.fail(`steps: line ${pos + 1}: ${e.type} names ${JSON.stringify(e.step)}, no step of the script`);
    const name = stepName(script, i);
    if (pos > finalAt) out.fail(`steps: line ${pos + 1}: ${e.type} of ${name} after the ceremony ended`);
    if (e.type === 'step.failed') failedAt.set(e.step!, pos);
    if (e.type === 'step.started') {
      // A run after a failure is a retry: people decided it, and said why (a deviation), after the failure.
      const failed = failedAt.get(e.step!);
      if (failed !== undefined && failed > (startedAt.get(e.step!) ?? -1)) {
        const decided = entries.slice(failed + 1, pos).some((x) => x.type === 'deviation' && x.step === e.step);
        if (!decided) out.fail(`steps: line ${pos + 1}: ${name} started again after it failed (line ${failed + 1}) without a recorded retry decision (deviation)`);
      }
      startedAt.set(e.step!, pos);
      if (e.data.number !== i + 1 || e.data.kind !== script.steps[i].kind) out.fail(`steps: line ${pos + 1}: ${name} started as number ${JSON.stringify(e.data.number)}, kind ${JSON.stringify(e.data.kind)}; the script says ${i + 1}, ${script.steps[i].kind}`);
      if (completedAt.has(e.step!)) out.fail(`steps: line ${pos + 1}: ${name} started again after it completed`);
      const open = script.steps.slice(0, i).find((s) => !completedAt.has(s.id));
      if (open) out.fail(`steps: line ${pos + 1}: ${name} started before ${stepName(script, index.get(open.id)!)} completed (out of the script's order)`);
    }
    if (e.type === 'step.completed') {
      if (completedAt.has(e.step!)) out.fail(`steps: line ${pos + 1}: ${name} completed a second time`);
      if (!startedAt.has(e.step!)) out.fail(`steps: line ${pos + 1}: ${name} completed without starting`);
      else if (failedAt.has(e.step!) && failedAt.get(e.step!)! > startedAt.get(e.step!)!) out.fail(`steps: line ${pos + 1}: ${name} completed in a run that failed (no retry started it again)`);
      completedAt.set(e.step!, pos);
    }
  });
  if (!final) return;
  if (final.type === 'ceremony.completed') {
    for (const [i, s] of script.steps.entries()) if (!completedAt.has(s.id)) out.fail(`steps: ${stepName(script, i)} never completed, yet the ceremony is recorded completed (line ${finalAt + 1})`);
    if (final.data.steps !== script.steps.length) out.fail(`steps: line ${finalAt + 1}: ceremony.completed counts ${JSON.stringify(final.data.steps)} steps, the script has ${script.steps.length}`);
    return;
  }
  // Aborted: in the step that was running, with every earlier step completed and no later one started.
  const at = final.step === undefined ? undefined : index.get(final.step);
  if (at === undefined) {
    if (entries.some((e) => e.type === 'step.started')) out.fail(`steps: line ${finalAt + 1}: the abort names ${JSON.stringify(final.step)}, not the step that was running`);
    return;
  }
  const name = stepName(script, at);
  if (completedAt.has(final.step!)) out.fail(`steps: line ${finalAt + 1}: aborted in ${name}, which had completed`);
  if (lastRun(entries.slice(0, finalAt), final.step!).start < 0) out.fail(`steps: line ${finalAt + 1}: aborted in ${name}, which never started`);
  const failed = entries.slice(0, finalAt).filter((e) => e.step === final.step && (e.type === 'step.failed' || e.type === 'step.started'));
  if (failed.at(-1)?.type !== 'step.failed') out.fail(`steps: line ${finalAt + 1}: aborted in ${name} without a recorded failure of its last run`);
  for (const [i, s] of script.steps.slice(0, at).entries()) if (!completedAt.has(s.id)) out.fail(`steps: ${stepName(script, i)} never completed, yet the ceremony went on to ${name}`);
}

/** Sign-offs in each completed step's last run: every person of every sign_off role, once, and nobody else. */
export function checkSignOffs(entries: readonly JournalEntry[], script: Script, out: RuleReport): void {
  script.steps.forEach((step, i) => {
    const run = lastRun(entries, step.id);
    if (!run.completed) return;
    const people = participantsAt(entries, entries.indexOf(run.completed));
    const given = new Map<string, number>();
    for (const e of run.entries) {
      if (e.type !== 'step.event' || e.data.what !== 'sign-off') continue;
      const who = actorOf(e.actor, people, script);
      if (!who) {
        out.fail(`sign-offs: ${stepName(script, i)}: a sign-off by ${e.actor}, who is not checked in`);
        continue;
      }
      if (!step.sign_off.includes(who.role)) out.fail(`sign-offs: ${stepName(script, i)}: a sign-off by ${who.name}, whose role (${script.roles[who.role]?.title ?? who.role}) the script does not ask to sign off`);
      if (e.data.answer !== true) out.fail(`sign-offs: ${stepName(script, i)}: ${who.name} refused to sign off, yet the step completed`);
      given.set(who.name, (given.get(who.name) ?? 0) + 1);
    }
    for (const role of step.sign_off) {
      const of = people.filter((p) => p.role === role);
      if (of.length === 0) out.fail(`sign-offs: ${stepName(script, i)}: nobody checked in as ${script.roles[role]?.title ?? role} to sign off`);
      for (const p of of) {
        const n = given.get(p.name) ?? 0;
        if (n === 0) out.fail(`sign-offs: ${stepName(script, i)}: no sign-off by ${p.name} (${script.roles[role]?.title ?? role}) before the step completed`);
        if (n > 1) out.fail(`sign-offs: ${stepName(script, i)}: ${p.name} signed off ${n} times`);
      }
    }
    checkConfirmations(run.entries, step, i, people, script, out);
  });
}

/** manual.confirm: confirmed by its confirming role; every typed record once, matching the script's pattern. */
function checkConfirmations(run: JournalEntry[], step: Step, i: number, people: ReturnType<typeof participantsAt>, script: Script, out: RuleReport): void {
  if (step.kind !== 'manual.confirm') return;
  const by = step.params.confirm_by;
  const byRole = (e: JournalEntry) => actorOf(e.actor, people, script)?.role === by;
  const confirmed = run.filter((e) => e.type === 'step.event' && e.data.what === 'confirmed');
  if (confirmed.length !== 1 || !byRole(confirmed[0]) || confirmed[0].data.answer !== true) out.fail(`records: ${stepName(script, i)}: not confirmed exactly once by its ${script.roles[by]?.title ?? by}`);
  const recorded = run.filter((e) => e.type === 'step.event' && e.data.what === 'recorded');
  for (const field of step.params.record) {
    const of = recorded.filter((e) => e.data.field === field.id);
    if (of.length !== 1) {
      out.fail(`records: ${stepName(script, i)}: ${field.id} recorded ${of.length} times, expected once`);
      continue;
    }
    const value = of[0].data.value;
    // The pattern comes from the packet's script: a value too long to be typed is refused before any regex runs.
    if (typeof value !== 'string' || value.length > 200 || (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`).test(value))) out.fail(`records: ${stepName(script, i)}: ${field.id} ${JSON.stringify(value)} does not match the script's pattern`);
    if (!byRole(of[0])) out.fail(`records: ${stepName(script, i)}: ${field.id} recorded by ${of[0].actor}, not by its ${script.roles[by]?.title ?? by}`);
  }
  for (const e of recorded) if (!step.params.record.some((f) => f.id === e.data.field)) out.fail(`records: ${stepName(script, i)}: ${JSON.stringify(e.data.field)} recorded, the script asks for no such value`);
}
