// Runs a ceremony: compiles the script into an xstate machine whose actors are the step kinds, and drives it
// with the journal as the only truth. Contract:
// - every side effect is bracketed: an `intent` entry is on disk before it starts and a `result` entry after;
// - on resume, a recorded result is reused; an intent without a result is reconciled against the HSM through
//   the step's reconcile(), never blindly repeated;
// - failures: a step failure offers retry (journaled as a deviation with a reason) or abort; input and
//   environment problems halt the run (journaled as paused, resumable once fixed); an operator interrupt
//   pauses at the next safe point;
// - every step, finished or aborted, gets its evidence page, built from the journal;
// - a restored xstate snapshot would restart an invocation, so none is kept: every run starts the machine
//   fresh at the step the journal says is next, and the journal decides whether an effect already happened.
// The parts: machine.ts (states and named actors), effects.ts (intent/result/reconcile), ceremony.ts (the
// running ceremony), step-lifecycle.ts, step-context.ts, token-login.ts, step-pages.ts, seal.ts, preflight.ts.
import { randomUUID } from 'node:crypto';
import { OfficiantError, isOfficiantError } from '../errors.js';
import { BACKUP_COPY, MANIFEST, ROSTER_COPY, SCRIPT_COPY } from '../evidence/packet-files.js';
import { inputCopies, manifestRecord, releaseRecord, signingPlanRecord } from './input-copies.js';
import { sha256Hex } from '../record/digest.js';
import { Journal, parseJournal } from '../record/journal.js';
import { CEREMONY_STEP, finalEntry, startedEntry, undecidedFailure } from '../record/ledger.js';
import type { StepKind } from '../script/schema.js';
import { Ceremony } from './ceremony.js';
import type { CeremonyDeps } from './ceremony-deps.types.js';
import { errorData } from './failure.js';
import { createCeremonyMachine, runCeremonyMachine } from './machine.js';
import { preflight, type Preflight } from './preflight.js';
import { abortCeremony, completeCeremony, decideFailure, finishClosing, firstOpenStep, runStep } from './step-lifecycle.js';
import { sealCeremony } from './seal.js';
export type { CeremonyDeps } from './ceremony-deps.types.js';
export type { InputDocument, LoadedBackup, LoadedRoster, ManifestInputs, PivSite, ReleaseInputs } from './ceremony-inputs.types.js';
export { preflight, type Preflight } from './preflight.js';

export type Outcome = 'done' | 'aborted' | 'paused';

export interface RunResult {
  outcome: Outcome;
  ceremonyId: string;
  journalHead: string;
  steps: number;
  reason?: string;
}

export interface StartOptions {
  scriptFile: string;
  /** Files written next to the journal before it starts (site profile copy, sandbox pointer): rel -> content. */
  extraFiles?: Record<string, string>;
  extra?: Preflight;
  onCeremony?: (c: { requestPause(): void }) => void;
}

/** The output directory's lock and, for a release or manifest signing session, the authority's signing log's. */
function lockSession(deps: CeremonyDeps): () => void {
  const unlock = deps.store.lock();
  try {
    const log = deps.release ?? deps.manifest;
    const unlockLog = log ? log.files.lockLog(log.signingLog) : () => undefined;
    return () => {
      unlockLog();
      unlock();
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

export async function startCeremony(deps: CeremonyDeps, opts: StartOptions): Promise<RunResult> {
  const unlock = lockSession(deps);
  try {
    try {
      preflight(deps, opts.extra ?? { answers: [] });
    } catch (err) {
      // Before the first entry nothing is recorded: an incomplete answers file is fixed and the same command run
      // again (resume's hint would send people to a ceremony that never started).
      if (isOfficiantError(err, 'input.missing-answer')) throw new OfficiantError('input.answers-invalid', err.message, { details: err.details });
      throw err;
    }
    deps.store.write(SCRIPT_COPY, deps.scriptText);
    if (deps.roster) deps.store.write(ROSTER_COPY, deps.roster.bytes);
    if (deps.backup) deps.store.write(BACKUP_COPY, deps.backup.bytes);
    for (const [rel, doc] of inputCopies(deps)) deps.store.write(rel, doc.bytes);
    for (const [rel, content] of Object.entries(opts.extraFiles ?? {})) deps.store.write(rel, content);
    const journal = Journal.open(deps.journalFile, deps.clock);
    const ceremony = new Ceremony(deps, journal);
    ceremony.record('ceremony.started', CEREMONY_STEP, {
      ceremonyId: randomUUID(),
      scriptId: deps.script.id,
      scriptVersion: deps.script.version,
      scriptFile: opts.scriptFile,
      scriptSha256: sha256Hex(deps.scriptText),
      authority: deps.script.authority,
      mode: deps.rehearsal ? 'rehearsal' : 'production',
      people: deps.prompter.interactive ? 'at the keyboard' : deps.rehearsal ? 'simulated (rehearsal)' : 'answers file',
      site: deps.site
        ? { profile: deps.site.profile, module: deps.site.module, tokenLabel: deps.site.tokenLabel, slot: deps.site.slot ?? null, ...(deps.site.evidence ? { evidence: { ...deps.site.evidence } } : {}) }
        : null,
      piv: deps.piv ? { module: deps.piv.module, attestationRoots: deps.piv.attestationRoots } : null,
      roster: deps.roster ? { file_sha256: sha256Hex(deps.roster.bytes), sha256: deps.roster.sha256, version: deps.roster.body.version, rehearsal: deps.roster.body.rehearsal } : null,
      ...(deps.backup
        ? { backup: { dir: deps.backup.dir, manifest_sha256: deps.backup.sha256, ceremony_id: deps.backup.manifest.ceremony.ceremony_id, kcv: deps.backup.manifest.wrap_key.kcv } }
        : {}),
      ...(deps.release ? { release: releaseRecord(deps.release) } : {}),
      ...(deps.policyDraft ? { policy_draft: { sha256: deps.policyDraft.sha256 } } : {}),
      ...(deps.manifest ? { manifest: manifestRecord(deps.manifest) } : {}),
      ...(deps.signingWindow ? { signing_plan: signingPlanRecord(deps.signingWindow) ?? null } : {}),
      ...(deps.room?.site ? { room: { ...deps.room.site, usbAllowlist: [...deps.room.site.usbAllowlist], ...(deps.room.site.bootMedium ? { bootMedium: { ...deps.room.site.bootMedium } } : {}) } } : {}),
    });
    return await drive(ceremony, deps, opts.onCeremony);
  } finally {
    unlock();
  }
}

export async function resumeCeremony(deps: CeremonyDeps, opts: { onCeremony?: StartOptions['onCeremony'] } = {}): Promise<RunResult> {
  // A sealed ceremony is never touched again: no login, no write, no new entry. (Re-sealing would sign
  // whatever the directory holds now, and a login would spend a PIN try on a packet already handed on.)
  const peek = parseJournal(deps.journalFile.readAll().toString('utf8'));
  const last = peek.entries[peek.entries.length - 1];
  const closing = finalEntry(peek.entries);
  if (!peek.torn && last?.type === 'ceremony.sealed' && closing && deps.store.exists(MANIFEST)) {
    const what = closing.type === 'ceremony.completed' ? 'completed' : 'aborted';
    throw new OfficiantError('ceremony.already-finished', `ceremony ${startedEntry(peek.entries)?.data.ceremonyId} already ${what} at ${closing.time} and sealed; nothing to resume (check it with officiant verify)`);
  }
  const unlock = lockSession(deps);
  try {
    const journal = Journal.open(deps.journalFile, deps.clock);
    const started = startedEntry(journal.entries);
    if (!started) throw new OfficiantError('input.not-a-ceremony', `${deps.store.root} has no started ceremony in its journal`);
    if (started.data.scriptSha256 !== sha256Hex(deps.scriptText)) {
      throw new OfficiantError('input.script-changed', `the script copy in ${deps.store.root} does not match the SHA-256 recorded when the ceremony started`);
    }
    const ceremony = new Ceremony(deps, journal);
    const swept = deps.store.sweepTemp();
    const final = finalEntry(journal.entries);
    if (final) {
      // A crash after the closing entry may have left the countersignature, the aborted step's page or the
      // seal unfinished: finish them.
      await finishClosing(ceremony);
      await sealCeremony(ceremony);
      ceremony.close();
      const what = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
      return { outcome: what === 'completed' ? 'done' : 'aborted', ceremonyId: ceremony.ceremonyId, journalHead: final.hash, steps: deps.script.steps.length, reason: what === 'aborted' ? String(final.data.reason) : undefined };
    }
    const paused = [...journal.entries].reverse().find((e) => e.type === 'ceremony.paused' || e.type === 'ceremony.resumed');
    ceremony.record('ceremony.resumed', CEREMONY_STEP, {
      after: paused?.type === 'ceremony.paused' ? 'pause' : 'interruption',
      atStep: deps.script.steps[firstOpenStep(ceremony)]?.id ?? 'closing',
      removedTempFiles: swept,
    });
    return await drive(ceremony, deps, opts.onCeremony);
  } finally {
    unlock();
  }
}

async function drive(ceremony: Ceremony, deps: CeremonyDeps, onCeremony: StartOptions['onCeremony']): Promise<RunResult> {
  onCeremony?.({ requestPause: () => ceremony.requestPause() });
  try {
    const outcome = await driveMachine(ceremony, firstOpenStep(ceremony));
    const final = finalEntry(ceremony.entries);
    return {
      outcome,
      ceremonyId: ceremony.ceremonyId,
      // The entry that closed the ceremony: the hash the packet's cover and manifest carry.
      journalHead: final?.hash ?? ceremony.journal.head,
      steps: deps.script.steps.length,
      reason: final?.type === 'ceremony.aborted' ? String(final.data.reason) : undefined,
    };
  } finally {
    ceremony.close();
  }
}

async function driveMachine(ceremony: Ceremony, startAt: number): Promise<Outcome> {
  const { script, steps } = ceremony.deps;
  const machine = createCeremonyMachine(script, Object.keys(steps) as StepKind[], {
    runStep: (index) => runStep(ceremony, index),
    decideFailure: (index) => decideFailure(ceremony, index),
    completeCeremony: () => completeCeremony(ceremony),
    abortCeremony: () => abortCeremony(ceremony),
  });
  // A step whose failure was journaled but not yet decided (crash or Ctrl-C at the decision) resumes at the
  // decision, so an abort-only step is never silently run again.
  const open = script.steps[startAt];
  const undecided = open !== undefined && undecidedFailure(ceremony.entries, open.id) !== undefined;
  const { state, error } = await runCeremonyMachine(machine, { startAt, undecided });
  if (state === 'paused' || state === 'halted') {
    ceremony.record('ceremony.paused', undefined, { reason: isOfficiantError(error) ? error.message : 'internal error', code: String(errorData(error).code) });
    throw error;
  }
  return state === 'done' ? 'done' : 'aborted';
}
