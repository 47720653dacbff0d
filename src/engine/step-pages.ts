// Step pages: each step, completed or aborted, gets a PDF page built from the journal alone (who performed,
// witnessed and signed off, results, outputs, deviations, the step's journal lines), chained to the previous
// page's SHA-256 and signed by the evidence key once it exists. Writing a page is a journaled effect whose op
// names the page, its outcome and whether it is signed, so a page signed later is a new effect, not a repeat.
import type { StepPage } from '../evidence/step-page.types.js';
import { stepPagePath } from '../evidence/packet-files.js';
import { sha256Hex } from '../record/digest.js';
import { summarizeEntry } from '../record/entry-summary.js';
import type { JournalEntry } from '../record/journal.js';
import { effectState, isStepCompleted, startedEntry, stepEntries } from '../record/ledger.js';
import type { CeremonyCore } from './ceremony-core.types.js';
import { evidenceKey, evidenceSignature } from './evidence-signature.js';
import type { Person } from './ports.js';

function pageOp(index: number, stepId: string, outcome: string, signed = false): string {
  return `evidence:${stepPagePath(index, stepId)}:${outcome}${signed ? ':signed' : ''}`;
}

export function buildStepPage(c: CeremonyCore, index: number, outcome: StepPage['outcome']): StepPage {
  const { script } = c.deps;
  const step = script.steps[index];
  const entries = stepEntries(c.entries, step.id);
  const started = startedEntry(c.entries)!;
  const interruptions = pausesDuring(c, index, entries);
  const completed = [...entries].reverse().find((e) => e.type === 'step.completed');
  const person = (p: Person) => ({ name: p.name, role: p.role, roleTitle: script.roles[p.role]?.title ?? p.role });
  const rolePeople = (roles: readonly string[]) => c.people().filter((p) => roles.includes(p.role)).map(person);
  const signed = entries.filter((e) => e.type === 'step.event' && e.data.what === 'sign-off' && e.data.answer === true).map((e) => e.actor);
  const token = (completed?.data.token ?? undefined) as StepPage['token'] | null | undefined;
  const failures = entries.filter((e) => e.type === 'step.failed');
  const results = ((completed?.data.results as Array<{ label: string; value: string }>) ?? []).slice();
  if (outcome !== 'completed' && failures.length > 0) results.push({ label: 'Failure', value: String(failures[failures.length - 1].data.message) });
  return {
    rehearsal: c.deps.rehearsal,
    ceremony: {
      id: script.id,
      title: script.title,
      version: script.version,
      authority: script.authority,
      scriptSha256: String(started.data.scriptSha256),
      ceremonyId: String(started.data.ceremonyId),
    },
    step: { number: index + 1, total: script.steps.length, id: step.id, kind: step.kind, title: step.title, instructions: step.instructions.trim() },
    performedBy: rolePeople([step.perform]),
    witnessedBy: rolePeople(step.witness),
    signedOffBy: c
      .people()
      .filter((p) => signed.includes(c.actorName(p)))
      .map(person),
    startedAt: entries.find((e) => e.type === 'step.started')?.time ?? '',
    endedAt: (completed ?? entries[entries.length - 1])?.time ?? '',
    outcome,
    anchor: outcome === 'completed' ? completed?.hash : ([...c.entries].reverse().find((e) => e.type === 'ceremony.aborted' && e.step === step.id) ?? failures.at(-1))?.hash,
    token: token ?? undefined,
    results,
    outputs: (completed ? ((completed.data.outputs as unknown as StepPage['outputs']) ?? []) : writtenBeforeAbort(entries)).map((o) => ({ path: o.path, sha256: o.sha256, bytes: o.bytes })),
    // Retries, and facts a step records as deviations from the script (e.g. a custodian absent at a backup).
    deviations: entries
      .filter((e) => e.type === 'deviation' || (e.type === 'step.event' && typeof e.data.deviation === 'string'))
      .map((e) => ({ time: e.time, by: e.actor, reason: String(e.type === 'deviation' ? e.data.reason : e.data.deviation) })),
    journal: [...entries, ...interruptions].sort((a, b) => a.seq - b.seq).map((e) => ({ seq: e.seq, time: e.time, type: e.type, actor: e.actor, summary: summarizeEntry(e), hash: e.hash })),
    footer: c.deps.footer,
  };
}

/** What a step that did not complete wrote in its last run: an aborted page lists it rather than "none". */
function writtenBeforeAbort(entries: readonly JournalEntry[]): StepPage['outputs'] {
  const start = entries.map((e) => e.type).lastIndexOf('step.started');
  return entries
    .slice(start + 1)
    .filter((e) => e.type === 'result' && e.data.ok === true && String(e.data.op).startsWith('write:'))
    .map((e) => e.data.output as unknown as StepPage['outputs'][number]);
}

/**
 * Pauses and resumes from the end of the previous step to the end of this one: they carry no step of their
 * own, and the page's journal would otherwise jump over their seqs without a word.
 */
function pausesDuring(c: CeremonyCore, index: number, entries: readonly JournalEntry[]): JournalEntry[] {
  const previous = index > 0 ? [...c.entries].reverse().find((e) => e.type === 'step.completed' && e.step === c.deps.script.steps[index - 1].id) : undefined;
  const from = previous ? c.entries.indexOf(previous) : 0;
  // Up to the entry that ended the step: a pause after it belongs to the next step's page.
  const last = [...entries].reverse().find((e) => e.type === 'step.completed' || e.type === 'ceremony.aborted') ?? entries.at(-1);
  const to = last ? c.entries.indexOf(last) : -1;
  return c.entries.filter((e, i) => i > from && i < to && (e.type === 'ceremony.paused' || e.type === 'ceremony.resumed'));
}

/** The recorded SHA-256 of a step's final page, if written. */
export function pageSha(c: CeremonyCore, index: number): string | undefined {
  const step = c.deps.script.steps[index];
  for (const outcome of ['completed', 'aborted'] as const) {
    for (const signed of [true, false]) {
      const st = effectState(c.entries, step.id, pageOp(index, step.id, outcome, signed));
      if (st.state === 'done') return String((st.output as { sha256: string }).sha256);
    }
  }
  return undefined;
}

/** Whether the step's page is written as it should be now (signed if the evidence key exists). */
export function pageDone(c: CeremonyCore, index: number, outcome: StepPage['outcome'] = 'completed'): boolean {
  const step = c.deps.script.steps[index];
  return effectState(c.entries, step.id, pageOp(index, step.id, outcome, evidenceKey(c.entries) !== undefined)).state === 'done';
}

export async function writeStepPage(c: CeremonyCore, index: number, outcome: StepPage['outcome']): Promise<void> {
  const step = c.deps.script.steps[index];
  const rel = stepPagePath(index, step.id);
  const key = evidenceKey(c.entries);
  const keyStep = c.deps.script.steps.findIndex((s) => s.kind === 'evidence.init-key' || s.kind === 'evidence.use-key');
  await c.effect(step.id, pageOp(index, step.id, outcome, key !== undefined), { path: rel, signed: key !== undefined }, {
    run: async () => {
      const page = buildStepPage(c, index, outcome);
      page.chain = {
        previousPageSha256: index === 0 ? null : (pageSha(c, index - 1) ?? null),
        signer: key ? key.sha256 : null,
        note: !key
          ? 'not signed: no evidence key exists yet in this ceremony'
          : index < keyStep
            ? `recorded before the evidence key ${key.token === undefined ? 'existed; signed once it was created' : 'was activated; signed once its token was'} at step ${keyStep + 1}`
            : `signed in the HSM by the evidence key${key.token === undefined ? '' : ` on evidence token ${key.token}`} when the step was recorded`,
      };
      const signature = await evidenceSignature(c, step.id, `Evidence of step ${index + 1} (${step.id}) of ceremony ${c.ceremonyId}`);
      const pdf = await c.deps.renderer.renderStepPage(page, signature);
      c.deps.store.write(rel, pdf);
      return { path: rel, sha256: sha256Hex(pdf), bytes: pdf.length, signed: signature !== undefined };
    },
  });
}

/** Right after the evidence key exists: sign the pages of the steps recorded before it, in order. */
export async function signEarlierPages(c: CeremonyCore, upTo: number): Promise<void> {
  for (let j = 0; j < upTo; j++) {
    const step = c.deps.script.steps[j];
    if (isStepCompleted(c.entries, step.id)) await writeStepPage(c, j, 'completed');
  }
}
