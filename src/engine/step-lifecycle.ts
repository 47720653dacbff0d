// One step's life in the journal: announced, `step.started`, run by its kind, results shown, signed off,
// `step.completed` (or `step.failed`, then a journaled decision: retry as a deviation with a reason, or abort),
// then its evidence page. Input and environment errors and an operator pause are not step failures: they
// propagate without a `step.failed` entry and halt or pause the run. A step the journal already completed
// is not run again; only its page is (re)written.
import { OfficiantError, isOfficiantError } from '../errors.js';
import { CEREMONY_STEP, decisionsFor, finalEntry, isStepCompleted } from '../record/ledger.js';
import type { Step } from '../script/schema.js';
import type { CeremonyCore } from './ceremony-core.types.js';
import { evidenceKey } from './evidence-signature.js';
import { errorData, isHalting } from './failure.js';
import type { FailureDecision } from './ports.js';
import { sealCeremony } from './seal.js';
import { countersignRecord } from './countersign.js';
import { createStepContext } from './step-context.js';
import type { StepContext } from './step-kind.types.js';
import { pageDone, signEarlierPages, writeStepPage } from './step-pages.js';

export async function runStep(c: CeremonyCore, index: number): Promise<void> {
  const { script, prompter } = c.deps;
  const step = script.steps[index];
  if (!isStepCompleted(c.entries, step.id)) {
    c.checkPause();
    const total = script.steps.length;
    const rolePeople = (roles: readonly string[]) => c.people().filter((p) => roles.includes(p.role));
    prompter.announce({
      index: index + 1,
      total,
      stepId: step.id,
      title: step.title,
      instructions: step.instructions.trim(),
      perform: rolePeople([step.perform]),
      witness: rolePeople(step.witness),
    });
    c.record('step.started', step.id, { number: index + 1, kind: step.kind, title: step.title });
    const current: NonNullable<CeremonyCore['current']> = { results: [], outputs: [] };
    c.current = current;
    const handler = c.deps.steps[step.kind] as { run(ctx: StepContext): Promise<void> };
    try {
      await handler.run(createStepContext(c, step, index));
      for (const r of current.results) prompter.say(`  ${r.label}: ${r.value}`);
      await signOff(c, step);
    } catch (err) {
      if (isOfficiantError(err, 'interrupt.paused') || isHalting(err)) throw err;
      c.record('step.failed', step.id, errorData(err));
      throw err;
    }
    c.record('step.completed', step.id, {
      results: current.results.map((r) => ({ label: r.label, value: r.value })),
      outputs: current.outputs,
      token: current.token ? { ...current.token } : null,
    });
    prompter.say(`  step ${index + 1} of ${total} done: ${step.title}`);
  } else if (!pageDone(c, index)) {
    // Resumed after the step finished but before its page was written: say which step, before the evidence
    // key's holders are asked for their halves to sign that page.
    prompter.say(`  Step ${index + 1} of ${script.steps.length}, "${step.title}", finished before the stop: its evidence page is written now.`);
  }
  if (step.kind === 'evidence.init-key' || step.kind === 'evidence.use-key') await signEarlierPages(c, index);
  releaseSessionAfter(c, index);
  await writeStepPage(c, index, 'completed');
}

/** Logs out once no later step needs the token: the HSM is unplugged and sealed at the end of a ceremony. */
function releaseSessionAfter(c: CeremonyCore, index: number): void {
  // With an evidence key on the site token the session stays open: every later page and the packet are signed
  // with it. One on the evidence token keeps only that token's session open.
  const key = evidenceKey(c.entries);
  const later = (key !== undefined && key.token === undefined) || c.deps.script.steps.slice(index + 1).some((s) => c.deps.steps[s.kind].needs.hsm);
  if (!later) c.logout();
}

async function signOff(c: CeremonyCore, step: Step): Promise<void> {
  for (const role of step.sign_off) {
    for (const person of c.people(role)) {
      const ok = await c.deps.prompter.confirm(person, `Sign off: "${step.title}" was performed as written?`, { stepId: step.id });
      c.record('step.event', step.id, { what: 'sign-off', answer: ok }, person);
      if (!ok) throw new OfficiantError('ceremony.step-failed', `${person.name} refused to sign off "${step.title}"`);
    }
  }
}

export async function decideFailure(c: CeremonyCore, index: number): Promise<FailureDecision> {
  const step = c.deps.script.steps[index];
  const failure = [...c.entries].reverse().find((e) => e.type === 'step.failed' && e.step === step.id);
  const message = String(failure?.data.message ?? 'step failed');
  c.deps.prompter.say(`  Step ${index + 1} of ${c.deps.script.steps.length}, "${step.title}":`);
  c.deps.prompter.say(`  step failed: ${message}`);
  const decider = c.people(step.perform)[0] ?? c.people()[0] ?? (await unnamedDecider(c, step));
  // A refused PIN changed nothing on the token: re-entering it is always allowed, even on abort-only steps.
  const allowRetry = step.on_failure === 'retry' || failure?.data.code === 'hsm.pin-incorrect';
  const decision = await c.deps.prompter.onFailure(step.id, message, decider, allowRetry, decisionsFor(c.entries, step.id));
  c.decision = decision;
  if (decision.action === 'retry') {
    c.record('deviation', step.id, { action: 'retry', reason: decision.reason, failure: message }, decision.by);
  }
  return decision;
}

/**
 * Nobody is checked in yet (the check-in itself failed): at the keyboard the person deciding names themselves,
 * so the deviation is recorded under a name; scripted answers decide as "operator".
 */
async function unnamedDecider(c: CeremonyCore, step: Step): Promise<{ name: string; role: string }> {
  if (!c.deps.prompter.interactive) return { name: 'operator', role: step.perform };
  const name = await c.deps.prompter.record({ name: 'Nobody is checked in yet', role: step.perform }, { stepId: step.id, id: 'decider', label: 'the full name of the person deciding (recorded)' });
  return { name: name.trim(), role: step.perform };
}

export async function abortCeremony(c: CeremonyCore): Promise<void> {
  const d = c.decision;
  const failed = [...c.entries].reverse().find((e) => e.type === 'step.failed');
  const index = c.deps.script.steps.findIndex((s) => s.id === failed?.step);
  const step = index >= 0 ? c.deps.script.steps[index] : undefined;
  const handler = step ? c.deps.steps[step.kind] : undefined;
  if (step && handler?.onAbort) {
    try {
      await handler.onAbort(createStepContext(c, step, index) as never);
    } catch (err) {
      c.record('step.event', step.id, { what: 'abort-cleanup-failed', message: isOfficiantError(err) ? err.message : 'unexpected error' });
    }
  }
  c.record('ceremony.aborted', failed?.step, { reason: d?.reason ?? 'aborted', failure: failed?.data.message ?? null }, d?.by);
  await finishClosing(c);
  await sealCeremony(c);
}

/**
 * After the closing entry (and after a crash or a pause that followed it): the aborted step's page, if it was
 * not written, then the officers' countersignature, if it was not finished.
 */
export async function finishClosing(c: CeremonyCore): Promise<void> {
  // The aborted step's page first: the officers' countersignature then covers it.
  const aborted = finalEntry(c.entries);
  const index = aborted?.type === 'ceremony.aborted' ? c.deps.script.steps.findIndex((s) => s.id === aborted.step) : -1;
  if (index >= 0) await writeStepPage(c, index, 'aborted');
  await countersignRecord(c);
}

export async function completeCeremony(c: CeremonyCore): Promise<void> {
  c.checkPause();
  c.record('ceremony.completed', CEREMONY_STEP, { steps: c.deps.script.steps.length });
  await countersignRecord(c);
  await sealCeremony(c);
}

/** The first step that is not completed, or completed without its evidence page on disk. */
export function firstOpenStep(c: CeremonyCore): number {
  const i = c.deps.script.steps.findIndex((s, index) => !isStepCompleted(c.entries, s.id) || !pageDone(c, index));
  return i === -1 ? c.deps.script.steps.length : i;
}
