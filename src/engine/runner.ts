// Runs a ceremony: compiles the script into an xstate machine whose actors are the step kinds, and drives it
// with the journal as the only truth. Contract:
// - every side effect is bracketed: an `intent` entry is on disk before it starts and a `result` entry after;
// - on resume, a recorded result is reused; an intent without a result is reconciled against the HSM through
//   the step's reconcile(), never blindly repeated;
// - failures: a step failure offers retry (journaled as a deviation with a reason) or abort; input and
//   environment problems halt the run (journaled as paused, resumable once fixed); an operator interrupt
//   pauses at the next safe point;
// - every step, finished or aborted, gets its evidence page, built from the journal.
import { createHash, randomUUID } from 'node:crypto';
import { createActor, fromPromise, setup, toPromise } from 'xstate';
import { OfficiantError, isOfficiantError } from '../errors.js';
import { compileScript } from '../script/compile.js';
import type { Script, Step } from '../script/schema.js';
import type { EffectFns, GeneratedKey, HsmSite, OutputRecord, StepContext, StepRegistry } from './step-kind.types.js';
import { firstStepNeeding, scriptNeeds } from './needs.js';
import type { StepPage } from '../evidence/step-page.types.js';
import type { PacketDocument, PacketManifest } from '../evidence/packet.types.js';
import type { PdfSignature } from '../evidence/sign-pdf.js';
import { detachedCms, p1363ToDer } from '../evidence/cms.js';
import { headWords } from '../record/digest-words.js';
import { BACKUP_COPY, EVIDENCE_CERT_OP, EVIDENCE_CERT_PATH, JOURNAL, MANIFEST, MANIFEST_SIG, PACKET, PACKET_FORMAT, REHEARSAL_POINTER, ROSTER_COPY, SCRIPT_COPY, SITE_COPY, stepPagePath } from '../evidence/packet-files.js';
import { pemToDer } from '../custody/pem.js';
import type { CeremonyDeps } from './ceremony-deps.types.js';
export type { CeremonyDeps } from './ceremony-deps.types.js';
export type { LoadedBackup, LoadedRoster, PivSite } from './ceremony-inputs.types.js';
import type { LoadedRoster } from './ceremony-inputs.types.js';
import { Journal, parseJournal, type Json, type JournalEntry, type JsonObject } from '../record/journal.js';
import {
  CEREMONY_STEP,
  decisionsFor,
  effectOutputs,
  knownTokenSerial,
  undecidedFailure,
  effectState,
  finalEntry,
  isStepCompleted,
  participantsOf,
  pinHoldersOf,
  startedEntry,
  stepEntries,
} from '../record/ledger.js';
import type { Clock, EvidenceRenderer, FailureDecision, Hsm, HsmSession, JournalFile, OutputStore, Person, PivReader, Prompter, TokenIdentity } from './ports.js';
import type { RosterBody } from '../custody/roster.types.js';
import { joinSecrets } from '../custody/secret.js';







export type Outcome = 'done' | 'aborted' | 'paused';

export interface RunResult {
  outcome: Outcome;
  ceremonyId: string;
  journalHead: string;
  steps: number;
  reason?: string;
}


export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function pageOp(index: number, stepId: string, outcome: string, signed = false): string {
  return `evidence:${stepPagePath(index, stepId)}:${outcome}${signed ? ':signed' : ''}`;
}


/** Every file of a packet but the manifest and its signature (and never locks or temp files), sorted. */
export function listPacketFiles(store: OutputStore, rel = ''): string[] {
  const out: string[] = [];
  for (const name of store.list(rel)) {
    const path = rel === '' ? name : `${rel}/${name}`;
    if (name.startsWith('.') || (rel === '' && (name === MANIFEST || name === MANIFEST_SIG))) continue;
    if (store.isDirectory(path)) out.push(...listPacketFiles(store, path));
    else out.push(path);
  }
  return out.sort();
}

interface EvidenceKeyRecord {
  label: string;
  id: string;
  algorithm: string;
  pem: string;
  sha256: string;
  subject: string;
}

function isHalting(err: unknown): boolean {
  if (!isOfficiantError(err)) return true;
  return err.code.startsWith('input.') || err.code.startsWith('env.') || err.code === 'ceremony.journal-corrupt';
}

function errorData(err: unknown): JsonObject {
  if (isOfficiantError(err)) return { code: err.code, message: err.message };
  return { code: 'internal', message: (err as Error)?.message ?? String(err) };
}

class Ceremony {
  private hsmInstance?: Hsm;
  private pivInstance?: PivReader;
  private sessionInstance?: HsmSession;
  private pauseRequested = false;
  private lastError: unknown;
  private decision?: FailureDecision;
  private current?: { results: Array<{ label: string; value: string }>; outputs: OutputRecord[]; token?: TokenIdentity };

  constructor(
    private readonly deps: CeremonyDeps,
    readonly journal: Journal,
  ) {}

  get entries(): readonly JournalEntry[] {
    return this.journal.entries;
  }

  get ceremonyId(): string {
    return String(startedEntry(this.entries)?.data.ceremonyId ?? '');
  }

  requestPause(): void {
    this.pauseRequested = true;
  }

  private checkPause(): void {
    if (this.pauseRequested) throw new OfficiantError('interrupt.paused', 'paused by the operator');
  }

  hsm(): Hsm {
    this.hsmInstance ??= this.deps.openHsm();
    return this.hsmInstance;
  }

  piv(): PivReader {
    if (!this.deps.piv) throw new OfficiantError('input.site-invalid', "this ceremony uses officers' PIV tokens but the site file has no piv section (module, attestation_roots)");
    this.pivInstance ??= this.deps.piv.open();
    return this.pivInstance;
  }

  roster(): LoadedRoster | undefined {
    return this.deps.roster;
  }

  close(): void {
    this.pivInstance?.close();
    this.pivInstance = undefined;
    this.sessionInstance?.close();
    this.sessionInstance = undefined;
    this.hsmInstance?.close();
    this.hsmInstance = undefined;
  }

  people(role?: string): Person[] {
    const all = participantsOf(this.entries);
    return role === undefined ? all : all.filter((p) => p.role === role);
  }

  private personNamed(name: string): Person {
    const p = this.people().find((x) => x.name === name);
    if (!p) throw new OfficiantError('ceremony.step-failed', `${name} is not checked in`);
    return p;
  }

  private actorName(p?: Person): string {
    return p ? `${p.name} (${this.deps.script.roles[p.role]?.title ?? p.role})` : 'system';
  }

  record(type: JournalEntry['type'], stepId: string | undefined, data: JsonObject, actor?: Person): JournalEntry {
    return this.journal.append({ type, step: stepId, actor: this.actorName(actor), data });
  }

  async effect<T extends Json>(stepId: string, op: string, params: JsonObject, fns: EffectFns<T>, actor?: Person): Promise<T> {
    const prior = effectState(this.entries, stepId, op);
    if (prior.state === 'done') return prior.output as T;
    if (prior.state === 'open' || (prior.state === 'failed' && fns.reconcile)) {
      // A crash (open) or a failure reported after the token may already have changed (failed): look at the
      // token before doing anything again. reconcile() only observes; it never changes the token.
      let found: T | undefined;
      try {
        found = fns.reconcile ? await fns.reconcile(prior.intent.data.params as JsonObject) : undefined;
      } catch (err) {
        this.record('result', stepId, { intent: prior.intent.seq, op, ok: false, reconciled: 'unknown', error: errorData(err) });
        throw err;
      }
      if (found !== undefined) {
        const note = prior.state === 'open' ? 'had taken effect before the interruption' : 'had taken effect although it reported a failure';
        this.record('result', stepId, { intent: prior.intent.seq, op, ok: true, reconciled: true, note, output: found });
        this.deps.prompter.say(`  checked the token: ${op} ${note}; not repeated`);
        return found;
      }
      if (prior.state === 'open') {
        this.record('result', stepId, {
          intent: prior.intent.seq,
          op,
          ok: false,
          reconciled: true,
          error: fns.reconcile
            ? { code: 'not-applied', message: 'interrupted before it took effect (checked on the token); performing it now' }
            : { code: 'not-checked', message: 'interrupted; leaves nothing on the token, so it is performed again' },
        });
      }
    }
    this.checkPause();
    const intent = this.record('intent', stepId, { op, params }, actor);
    let output: T;
    try {
      output = await fns.run();
    } catch (err) {
      this.record('result', stepId, { intent: intent.seq, op, ok: false, error: errorData(err) });
      throw err;
    }
    this.record('result', stepId, { intent: intent.seq, op, ok: true, output });
    return output;
  }

  async writeOutput(stepId: string, rel: string, bytes: Buffer | string): Promise<OutputRecord> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    const rec = await this.effect<OutputRecord>(stepId, `write:${rel}`, { path: rel, sha256: sha256Hex(buf) }, {
      run: () => {
        this.deps.store.write(rel, buf);
        return { path: rel, sha256: sha256Hex(buf), bytes: buf.length };
      },
      // A write is atomic; if it is on disk with the announced hash it happened, otherwise it did not.
      reconcile: (p) => (this.deps.store.exists(rel) && sha256Hex(this.deps.store.read(rel)) === p.sha256 ? { path: rel, sha256: String(p.sha256), bytes: buf.length } : undefined),
    });
    this.current?.outputs.push(rec);
    return rec;
  }

  /** The people who hold the user PIN halves: from hsm.init-token in the journal, else the script's site.pin_holders. */
  private pinHolders(): Person[] {
    const fromInit = pinHoldersOf(this.entries);
    if (fromInit) return fromInit.map((n) => this.personNamed(n));
    const declared = this.deps.script.site.pin_holders;
    if (!declared) throw new OfficiantError('input.script-invalid', 'the script declares no PIN holders for the token (site.pin_holders)');
    const holders = this.people(declared.role).slice(0, declared.people);
    if (holders.length < declared.people) throw new OfficiantError('ceremony.step-failed', `token activation needs ${declared.people} checked-in ${declared.role} people, ${holders.length} present`);
    return holders;
  }

  async session(stepId: string): Promise<HsmSession> {
    if (this.sessionInstance) return this.sessionInstance;
    const site = this.deps.site!;
    const holders = this.pinHolders();
    // A person at the keyboard may re-enter a mistyped half once; scripted answers would only repeat the same
    // wrong PIN and spend a try of the token's retry counter.
    const attempts = this.deps.prompter.interactive ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const halves = [];
      try {
        for (const h of holders) {
          halves.push(await this.deps.prompter.secret(h, { stepId, id: 'user-pin-half', label: 'half of the user PIN', minLength: 1, repeat: false }));
        }
        const pin = joinSecrets(halves);
        let session: HsmSession;
        try {
          session = this.hsm().openSession(site.tokenLabel, pin);
        } finally {
          pin.wipe();
        }
        const serial = session.token().serial;
        const known = knownTokenSerial(this.entries);
        if (known !== undefined && known !== serial) {
          session.close();
          throw new OfficiantError('env.token-mismatch', `token "${site.tokenLabel}" has serial ${serial}, but this ceremony used serial ${known}`);
        }
        this.sessionInstance = session;
        this.record('step.event', stepId, { what: 'hsm-login', token: site.tokenLabel, serial, by: holders.map((h) => h.name) }, holders[0]);
        return session;
      } catch (err) {
        if (!isOfficiantError(err, 'hsm.pin-incorrect')) throw err;
        this.record('step.event', stepId, { what: 'hsm-login-refused', token: site.tokenLabel, by: holders.map((h) => h.name), attempt, message: err.message }, holders[0]);
        if (attempt >= attempts) throw err;
        this.deps.prompter.say(`  ${err.message}. Each PIN holder enters their half again.`);
      } finally {
        for (const h of halves) h.wipe();
      }
    }
  }

  /** Logs out once no later step needs the token: the HSM is unplugged and sealed at the end of a ceremony. */
  private releaseSessionAfter(index: number): void {
    // With an evidence key the session stays open: every later page and the packet are signed in the HSM.
    const later = this.evidenceKey() !== undefined || this.deps.script.steps.slice(index + 1).some((s) => this.deps.steps[s.kind].needs.hsm);
    if (!later && this.sessionInstance) {
      this.sessionInstance.close();
      this.sessionInstance = undefined;
    }
  }

  private context(step: Step, index: number): StepContext {
    const self = this;
    return {
      script: this.deps.script,
      step,
      number: index + 1,
      rehearsal: this.deps.rehearsal,
      site: this.deps.site,
      prompter: this.deps.prompter,
      people: (role) => this.people(role),
      setParticipants: (people) =>
        this.record('step.event', step.id, {
          what: 'participants',
          people: people.map((p) => ({ name: p.name, role: p.role, ...(p.officer ? { officer: p.officer, device: p.device ?? null } : {}) })),
        }),
      hsm: () => this.hsm(),
      session: () => this.session(step.id),
      effect: (op, params, fns, actor) => this.effect(step.id, op, params, fns, actor),
      event: (what, data, actor) => {
        this.record('step.event', step.id, { what, ...data }, actor);
      },
      result: (label, value) => self.current?.results.push({ label, value }),
      setToken: (token) => {
        if (self.current) self.current.token = token;
      },
      writeOutput: (rel, bytes) => this.writeOutput(step.id, rel, bytes),
      generatedKey: (label) => effectOutputs(this.entries, 'hsm.generate-key').find((k) => k.label === label) as GeneratedKey | undefined,
      ceremonyRef: () => {
        const started = startedEntry(this.entries)!;
        return { script_id: this.deps.script.id, ceremony_id: String(started.data.ceremonyId), script_sha256: String(started.data.scriptSha256) };
      },
      roster: () => {
        const r = this.deps.roster;
        if (!r) throw new OfficiantError('input.missing-answer', 'this ceremony needs the officer roster: give --roster <roster.json> (rehearsals: --officers <enrollment rehearsal dir>)');
        return r.body;
      },
      rosterIfAny: () => this.deps.roster,
      piv: () => this.piv(),
      attestationRoots: () => this.deps.piv?.attestationRoots ?? [],
      entries: () => this.entries,
      securityOfficer: (fn) => this.securityOfficer(step.id, fn),
      backup: () => {
        if (!this.deps.backup) throw new OfficiantError('input.backup-missing', 'this step needs the backup: give --backup <dir>');
        return this.deps.backup;
      },
    };
  }

  /**
   * Runs fn in a security-officer session: the user session (if open) is closed first, because a token has
   * one login state per application; the PIN holders type their halves of the SO PIN; the SO session is
   * closed afterwards and the next session() asks for the user PIN halves again.
   */
  async securityOfficer<T>(stepId: string, fn: (so: HsmSession) => Promise<T> | T): Promise<T> {
    this.sessionInstance?.close();
    this.sessionInstance = undefined;
    const site = this.deps.site!;
    const holders = this.pinHolders();
    const halves = [];
    let so: HsmSession;
    try {
      for (const h of holders) halves.push(await this.deps.prompter.secret(h, { stepId, id: 'so-pin-half', label: 'half of the SO PIN', minLength: 1, repeat: false }));
      const pin = joinSecrets(halves);
      try {
        so = this.hsm().openSoSession(site.tokenLabel, pin);
      } catch (err) {
        if (isOfficiantError(err, 'hsm.pin-incorrect')) this.record('step.event', stepId, { what: 'hsm-so-login-refused', token: site.tokenLabel, by: holders.map((h) => h.name), message: err.message }, holders[0]);
        throw err;
      } finally {
        pin.wipe();
      }
    } finally {
      for (const h of halves) h.wipe();
    }
    const known = knownTokenSerial(this.entries);
    if (known !== undefined && known !== so.token().serial) {
      so.close();
      throw new OfficiantError('env.token-mismatch', `token "${site.tokenLabel}" has serial ${so.token().serial}, but this ceremony used serial ${known}`);
    }
    this.record('step.event', stepId, { what: 'hsm-so-login', token: site.tokenLabel, serial: so.token().serial, by: holders.map((h) => h.name) }, holders[0]);
    try {
      return await fn(so);
    } finally {
      so.close();
    }
  }

  async runStep(index: number): Promise<void> {
    const { script } = this.deps;
    const step = script.steps[index];
    if (!isStepCompleted(this.entries, step.id)) {
      this.checkPause();
      const total = script.steps.length;
      const rolePeople = (roles: readonly string[]) => this.people().filter((p) => roles.includes(p.role));
      this.deps.prompter.announce({
        index: index + 1,
        total,
        stepId: step.id,
        title: step.title,
        instructions: step.instructions.trim(),
        perform: rolePeople([step.perform]),
        witness: rolePeople(step.witness),
      });
      this.record('step.started', step.id, { number: index + 1, kind: step.kind, title: step.title });
      this.current = { results: [], outputs: [] };
      const handler = this.deps.steps[step.kind] as { run(ctx: StepContext): Promise<void> };
      try {
        await handler.run(this.context(step, index));
        for (const r of this.current.results) this.deps.prompter.say(`  ${r.label}: ${r.value}`);
        await this.signOff(step);
      } catch (err) {
        if (isOfficiantError(err, 'interrupt.paused') || isHalting(err)) throw err;
        this.record('step.failed', step.id, errorData(err));
        throw err;
      }
      const c = this.current;
      this.record('step.completed', step.id, {
        results: c.results.map((r) => ({ label: r.label, value: r.value })),
        outputs: c.outputs,
        token: c.token ? { ...c.token } : null,
      });
      this.deps.prompter.say(`  step ${index + 1} of ${total} done: ${step.title}`);
    }
    if (step.kind === 'evidence.init-key') await this.signEarlierPages(index);
    this.releaseSessionAfter(index);
    await this.writePage(index, 'completed');
  }

  private async signOff(step: Step): Promise<void> {
    for (const role of step.sign_off) {
      for (const person of this.people(role)) {
        const ok = await this.deps.prompter.confirm(person, `Sign off: "${step.title}" was performed as written?`, { stepId: step.id });
        this.record('step.event', step.id, { what: 'sign-off', answer: ok }, person);
        if (!ok) throw new OfficiantError('ceremony.step-failed', `${person.name} refused to sign off "${step.title}"`);
      }
    }
  }

  async decideFailure(index: number): Promise<FailureDecision> {
    const step = this.deps.script.steps[index];
    const failure = [...this.entries].reverse().find((e) => e.type === 'step.failed' && e.step === step.id);
    const message = String(failure?.data.message ?? 'step failed');
    const decider = this.people(step.perform)[0] ?? this.people()[0] ?? { name: 'operator', role: step.perform };
    this.deps.prompter.say(`  step failed: ${message}`);
    // A refused PIN changed nothing on the token: re-entering it is always allowed, even on abort-only steps.
    const allowRetry = step.on_failure === 'retry' || failure?.data.code === 'hsm.pin-incorrect';
    const decision = await this.deps.prompter.onFailure(step.id, message, decider, allowRetry, decisionsFor(this.entries, step.id));
    this.decision = decision;
    if (decision.action === 'retry') {
      this.record('deviation', step.id, { action: 'retry', reason: decision.reason, failure: message }, decision.by);
    }
    return decision;
  }

  async abort(): Promise<void> {
    const d = this.decision;
    const failed = [...this.entries].reverse().find((e) => e.type === 'step.failed');
    const index = this.deps.script.steps.findIndex((s) => s.id === failed?.step);
    const step = index >= 0 ? this.deps.script.steps[index] : undefined;
    const handler = step ? this.deps.steps[step.kind] : undefined;
    if (step && handler?.onAbort) {
      try {
        await handler.onAbort(this.context(step, index) as never);
      } catch (err) {
        this.record('step.event', step.id, { what: 'abort-cleanup-failed', message: isOfficiantError(err) ? err.message : 'unexpected error' });
      }
    }
    this.record('ceremony.aborted', failed?.step, { reason: d?.reason ?? 'aborted', failure: failed?.data.message ?? null }, d?.by);
    if (index >= 0) await this.writePage(index, 'aborted');
    await this.seal();
  }

  async finishAbortedPage(): Promise<void> {
    const aborted = finalEntry(this.entries);
    const index = this.deps.script.steps.findIndex((s) => s.id === aborted?.step);
    if (index >= 0) await this.writePage(index, 'aborted');
  }

  async complete(): Promise<void> {
    this.checkPause();
    this.record('ceremony.completed', CEREMONY_STEP, { steps: this.deps.script.steps.length });
    await this.seal();
  }

  private buildPage(index: number, outcome: StepPage['outcome']): StepPage {
    const { script } = this.deps;
    const step = script.steps[index];
    const entries = stepEntries(this.entries, step.id);
    const started = startedEntry(this.entries)!;
    const completed = [...entries].reverse().find((e) => e.type === 'step.completed');
    const person = (p: Person) => ({ name: p.name, role: p.role, roleTitle: script.roles[p.role]?.title ?? p.role });
    const rolePeople = (roles: readonly string[]) => this.people().filter((p) => roles.includes(p.role)).map(person);
    const signed = entries.filter((e) => e.type === 'step.event' && e.data.what === 'sign-off' && e.data.answer === true).map((e) => e.actor);
    const token = (completed?.data.token ?? undefined) as StepPage['token'] | null | undefined;
    const failures = entries.filter((e) => e.type === 'step.failed');
    const results = ((completed?.data.results as Array<{ label: string; value: string }>) ?? []).slice();
    if (outcome !== 'completed' && failures.length > 0) results.push({ label: 'Failure', value: String(failures[failures.length - 1].data.message) });
    return {
      rehearsal: this.deps.rehearsal,
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
      signedOffBy: this.people()
        .filter((p) => signed.includes(this.actorName(p)))
        .map(person),
      startedAt: entries.find((e) => e.type === 'step.started')?.time ?? '',
      endedAt: (completed ?? entries[entries.length - 1])?.time ?? '',
      outcome,
      token: token ?? undefined,
      results,
      outputs: ((completed?.data.outputs as unknown as StepPage['outputs']) ?? []).map((o) => ({ path: o.path, sha256: o.sha256, bytes: o.bytes })),
      // Retries, and facts a step records as deviations from the script (e.g. a custodian absent at a backup).
      deviations: entries
        .filter((e) => e.type === 'deviation' || (e.type === 'step.event' && typeof e.data.deviation === 'string'))
        .map((e) => ({ time: e.time, by: e.actor, reason: String(e.type === 'deviation' ? e.data.reason : e.data.deviation) })),
      journal: entries.map((e) => ({ seq: e.seq, time: e.time, type: e.type, actor: e.actor, summary: summarize(e), hash: e.hash })),
      footer: this.deps.footer,
    };
  }

  /** The evidence key's certificate, once evidence.init-key has made it (from the journal). */
  evidenceKey(): EvidenceKeyRecord | undefined {
    return effectOutputs(this.entries, EVIDENCE_CERT_OP)[0] as unknown as EvidenceKeyRecord | undefined;
  }

  private async signature(stepId: string, reason: string): Promise<PdfSignature | undefined> {
    const key = this.evidenceKey();
    if (!key) return undefined;
    const session = await this.session(stepId);
    const hash = key.algorithm === 'EC-P384' ? 'SHA-384' : 'SHA-256';
    return {
      key: { certificate: pemToDer(key.pem), hash, sign: async (data) => p1363ToDer(session.sign({ label: key.label, id: key.id }, data, hash)) },
      name: `Officiant evidence key ${key.sha256.slice(0, 16)}`,
      reason,
      location: `${this.deps.site?.tokenLabel ?? 'no HSM'}${this.deps.rehearsal ? ' (rehearsal)' : ''}`,
      signingTime: this.deps.clock.now(),
    };
  }

  /** The recorded SHA-256 of a step's final page, if written. */
  private pageSha(index: number): string | undefined {
    const step = this.deps.script.steps[index];
    for (const outcome of ['completed', 'aborted'] as const) {
      for (const signed of [true, false]) {
        const st = effectState(this.entries, step.id, pageOp(index, step.id, outcome, signed));
        if (st.state === 'done') return String((st.output as { sha256: string }).sha256);
      }
    }
    return undefined;
  }

  pageDone(index: number, outcome: StepPage['outcome'] = 'completed'): boolean {
    const step = this.deps.script.steps[index];
    return effectState(this.entries, step.id, pageOp(index, step.id, outcome, this.evidenceKey() !== undefined)).state === 'done';
  }

  async writePage(index: number, outcome: StepPage['outcome']): Promise<void> {
    const step = this.deps.script.steps[index];
    const rel = stepPagePath(index, step.id);
    const key = this.evidenceKey();
    const keyStep = this.deps.script.steps.findIndex((s) => s.kind === 'evidence.init-key');
    await this.effect(step.id, pageOp(index, step.id, outcome, key !== undefined), { path: rel, signed: key !== undefined }, {
      run: async () => {
        const page = this.buildPage(index, outcome);
        page.chain = {
          previousPageSha256: index === 0 ? null : (this.pageSha(index - 1) ?? null),
          signer: key ? key.sha256 : null,
          note: !key
            ? 'not signed: no evidence key exists yet in this ceremony'
            : index < keyStep
              ? `recorded before the evidence key existed; signed once it was created at step ${keyStep + 1}`
              : 'signed in the HSM by the evidence key when the step was recorded',
        };
        const signature = await this.signature(step.id, `Evidence of step ${index + 1} (${step.id}) of ceremony ${this.ceremonyId}`);
        const pdf = await this.deps.renderer.renderStepPage(page, signature);
        this.deps.store.write(rel, pdf);
        return { path: rel, sha256: sha256Hex(pdf), bytes: pdf.length, signed: signature !== undefined };
      },
    });
  }

  /** Right after the evidence key exists: sign the pages of the steps recorded before it, in order. */
  private async signEarlierPages(upTo: number): Promise<void> {
    for (let j = 0; j < upTo; j++) {
      const step = this.deps.script.steps[j];
      if (isStepCompleted(this.entries, step.id)) await this.writePage(j, 'completed');
    }
  }

  // ---- sealing ---------------------------------------------------------------------------------------

  private packetDocument(outcome: 'completed' | 'aborted'): PacketDocument {
    const { script, store } = this.deps;
    const started = startedEntry(this.entries)!;
    const final = finalEntry(this.entries)!;
    const key = this.evidenceKey();
    const abortedAt = outcome === 'aborted' ? script.steps.findIndex((s) => s.id === final.step) : -1;
    const steps = script.steps.map((s, i) => {
      const sha = this.pageSha(i);
      const rel = stepPagePath(i, s.id);
      const done = isStepCompleted(this.entries, s.id);
      return {
        number: i + 1,
        id: s.id,
        title: s.title,
        kind: s.kind,
        outcome: done ? ('completed' as const) : i === abortedAt ? ('aborted' as const) : ('not reached' as const),
        page: sha !== undefined && store.exists(rel) ? { path: rel, sha256: sha, pdf: store.read(rel) } : undefined,
      };
    });
    const appendix = store
      .list('outputs')
      .filter((n) => n.endsWith('.pem'))
      .map((n) => {
        const bytes = store.read(`outputs/${n}`);
        return { title: n.endsWith('.cert.pem') ? `Certificate ${n.replace(/\.cert\.pem$/, '')}` : `Public key ${n.replace(/\.pub\.pem$/, '')}`, path: `outputs/${n}`, sha256: sha256Hex(bytes), pem: bytes.toString('utf8') };
      });
    return {
      rehearsal: this.deps.rehearsal,
      ceremony: { id: script.id, title: script.title, version: script.version, authority: script.authority, scriptSha256: String(started.data.scriptSha256), ceremonyId: this.ceremonyId },
      outcome,
      abortReason: outcome === 'aborted' ? `${final.actor}: ${String(final.data.reason)}` : undefined,
      startedAt: started.time,
      endedAt: final.time,
      participants: this.people().map((p) => ({ name: p.name, role: p.role, roleTitle: script.roles[p.role]?.title ?? p.role })),
      journalHead: final.hash,
      journalHeadWords: headWords(final.hash),
      evidenceKey: key ? { subject: key.subject, certificateSha256: key.sha256, pem: key.pem } : null,
      steps,
      appendix,
      footer: this.deps.footer,
    };
  }

  /**
   * Seals a finished ceremony: packet.pdf (signed, journaled), then a `ceremony.sealed` entry, then
   * manifest.json and its detached signature. The manifest lists the final journal, so it is written after
   * the last entry and carries no result entry of its own: it is rebuilt from the files whenever it is
   * missing or stale, which makes a crash at any point of sealing harmless.
   */
  async seal(): Promise<void> {
    const final = finalEntry(this.entries);
    if (!final) return;
    const outcome = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
    const packet = await this.effect(CEREMONY_STEP, `seal:${PACKET}`, { path: PACKET }, {
      run: async () => {
        const signature = await this.signature(CEREMONY_STEP, `Sealed evidence packet of ceremony ${this.ceremonyId} (${outcome})`);
        const pdf = await this.deps.renderer.renderPacket(this.packetDocument(outcome), signature);
        this.deps.store.write(PACKET, pdf);
        return { path: PACKET, sha256: sha256Hex(pdf), bytes: pdf.length, signed: signature !== undefined };
      },
    });
    // Signing the manifest needs the token; activating it is journaled, so it happens before the seal entry,
    // which must stay the journal's last (after a crash here, a resumed seal records the seal entry again).
    if (this.evidenceKey()) await this.session(CEREMONY_STEP);
    if (this.entries[this.entries.length - 1].type !== 'ceremony.sealed') {
      this.record('ceremony.sealed', CEREMONY_STEP, { outcome, packet: packet as JsonObject, journalHead: final.hash });
    }
    await this.writeManifest(outcome, final.hash);
  }

  /** Every file a ceremony writes: the fixed ones and each path a journaled write or page operation names. */
  private expectedFiles(): Set<string> {
    const files = new Set([JOURNAL, SCRIPT_COPY, SITE_COPY, PACKET]);
    if (this.deps.rehearsal) files.add(REHEARSAL_POINTER);
    if (this.deps.roster) files.add(ROSTER_COPY);
    if (this.deps.backup) files.add(BACKUP_COPY);
    for (const e of this.entries) {
      if (e.type === 'result' && e.data.ok === true) {
        const out = e.data.output as { path?: unknown } | null;
        if (out && typeof out.path === 'string') files.add(out.path);
      }
    }
    return files;
  }

  private async writeManifest(outcome: 'completed' | 'aborted', journalHead: string): Promise<void> {
    const { store } = this.deps;
    const started = startedEntry(this.entries)!;
    const key = this.evidenceKey();
    const present = listPacketFiles(store);
    const expected = this.expectedFiles();
    const strangers = present.filter((p) => !expected.has(p));
    if (strangers.length > 0) {
      // The manifest signs what the ceremony wrote, never whatever else lies in the directory.
      throw new OfficiantError('env.fs', `the output directory holds file(s) the ceremony did not write: ${strangers.join(', ')}; move them elsewhere, then resume to seal`);
    }
    const files = present.map((path) => {
      const bytes = store.read(path);
      return { path, bytes: bytes.length, sha256: sha256Hex(bytes) };
    });
    const manifest: PacketManifest = {
      format: PACKET_FORMAT,
      ceremonyId: this.ceremonyId,
      scriptId: String(started.data.scriptId),
      scriptSha256: String(started.data.scriptSha256),
      outcome,
      rehearsal: this.deps.rehearsal,
      journalHead,
      evidenceCertificate: key && store.exists(EVIDENCE_CERT_PATH) ? { path: EVIDENCE_CERT_PATH, sha256: sha256Hex(store.read(EVIDENCE_CERT_PATH)) } : null,
      files,
    };
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    if (store.exists(MANIFEST) && store.read(MANIFEST).toString('utf8') === text && (!key || store.exists(MANIFEST_SIG))) return;
    if (key) {
      const signature = await this.signature(CEREMONY_STEP, 'manifest');
      store.write(MANIFEST_SIG, await detachedCms(Buffer.from(text, 'utf8'), signature!.key, signature!.signingTime));
    }
    store.write(MANIFEST, text);
    this.deps.prompter.say(`  sealed: ${PACKET}, ${MANIFEST}${key ? ` and ${MANIFEST_SIG}` : ''} (${files.length} files)`);
  }

  async drive(startAt: number): Promise<Outcome> {
    const handlerActors = Object.fromEntries(
      Object.keys(this.deps.steps).map((kind) => [kind, fromPromise<void, { index: number }>(({ input }) => this.guarded(() => this.runStep(input.index)))]),
    );
    const machine = setup({
      types: { input: {} as { startAt: number; undecided: boolean }, context: {} as { startAt: number; undecided: boolean } },
      actors: {
        ...handlerActors,
        decideFailure: fromPromise<FailureDecision, { index: number }>(({ input }) => this.guarded(() => this.decideFailure(input.index))),
        completeCeremony: fromPromise<void, object>(() => this.guarded(() => this.complete())),
        abortCeremony: fromPromise<void, object>(() => this.guarded(() => this.abort())),
      },
      guards: {
        startsAt: ({ context }, params: { index: number }) => context.startAt === params.index && !context.undecided,
        startsAtFailure: ({ context }, params: { index: number }) => context.startAt === params.index && context.undecided,
        interrupted: () => isOfficiantError(this.lastError, 'interrupt.paused'),
        halted: () => isHalting(this.lastError),
        retryChosen: ({ event }) => (event as unknown as { output: FailureDecision }).output.action === 'retry',
      },
    }).createMachine({ ...(compileScript(this.deps.script) as object), context: ({ input }: { input: { startAt: number; undecided: boolean } }) => ({ ...input }) } as never);
    // A step whose failure was journaled but not yet decided (crash or Ctrl-C at the decision) resumes at the
    // decision, so an abort-only step is never silently run again.
    const open = this.deps.script.steps[startAt];
    const undecided = open !== undefined && undecidedFailure(this.entries, open.id) !== undefined;
    const actor = createActor(machine, { input: { startAt, undecided } });
    const finished = toPromise(actor);
    actor.start();
    await finished;
    const state = String(actor.getSnapshot().value);
    if (state === 'paused' || state === 'halted') {
      const err = this.lastError;
      this.record('ceremony.paused', undefined, { reason: isOfficiantError(err) ? err.message : 'internal error', code: String(errorData(err).code) });
      throw err;
    }
    return state === 'done' ? 'done' : 'aborted';
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.lastError = err;
      throw err;
    }
  }

  /** The first step that is not completed, or completed without its evidence page on disk. */
  firstOpenStep(): number {
    const i = this.deps.script.steps.findIndex(
      (s, index) => !isStepCompleted(this.entries, s.id) || !this.pageDone(index),
    );
    return i === -1 ? this.deps.script.steps.length : i;
  }
}

function summarize(e: JournalEntry): string {
  const d = e.data;
  switch (e.type) {
    case 'intent':
      return `${d.op}`;
    case 'result':
      return `${d.op}: ${d.ok ? 'ok' : `failed (${(d.error as JsonObject)?.message ?? ''})`}${d.reconciled ? ' [reconciled]' : ''}`;
    case 'step.event':
      return `${d.what}${d.answer !== undefined ? `: ${d.answer ? 'yes' : 'no'}` : ''}${d.value !== undefined ? `: ${d.value}` : ''}`;
    case 'step.failed':
      return String(d.message);
    case 'deviation':
      return `retry: ${d.reason}`;
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------------------------------------

export interface Preflight {
  /** Problems found by the prompter (e.g. answers missing for a role); empty when people will be asked. */
  answers: string[];
}

/** Every sanity check that can run before the HSM is modified. Throws the first failing check's error. */
export function preflight(deps: CeremonyDeps, extra: Preflight): void {
  const existing = deps.store.list('').filter((n) => !n.startsWith('.officiant'));
  if (existing.includes(JOURNAL)) {
    throw new OfficiantError('input.out-dir-used', `${deps.store.root} already holds a ceremony journal; resume it with \`officiant resume ${deps.store.root}\` or choose another --out`);
  }
  if (existing.length > 0) throw new OfficiantError('input.out-dir-used', `${deps.store.root} is not empty (${existing.length} entries); choose an empty or new --out`);
  if (extra.answers.length > 0) throw new OfficiantError('input.missing-answer', `answers incomplete: ${extra.answers.length} problem(s)`, { details: extra.answers });
  const { script } = deps;
  const needs = scriptNeeds(script, deps.steps);
  const { pivRoles } = needs;
  if (needs.roster && !deps.roster) {
    throw new OfficiantError('input.roster-missing', `this ceremony needs the officer roster (${pivRoles.length > 0 ? `role ${pivRoles.join(', ')} checks in by PIV token` : 'it approves, revokes or backs up by token'}): give --roster <roster.json>, or --officers <enrollment rehearsal dir> to rehearse`);
  }
  const restore = firstStepNeeding(script, deps.steps, 'backup');
  if (restore && !deps.backup) {
    throw new OfficiantError('input.backup-missing', `step ${restore.id} works from an existing backup: give --backup <dir> (the directory holding backup/manifest.json and shares/), or rehearse with --from <rehearsed ceremony dir>`);
  }
  if (needs.piv && !deps.piv) throw new OfficiantError('input.site-invalid', "this ceremony uses officers' PIV tokens: the site file needs a piv section (module, attestation_roots)");
  if (deps.roster && deps.roster.body.rehearsal && !deps.rehearsal) throw new OfficiantError('env.roster', 'the roster lists simulated devices: it is valid for rehearsals only');
  if (!needs.hsm) return;
  const site = deps.site;
  if (!site) throw new OfficiantError('input.site-invalid', `the script uses HSM profile "${deps.script.site.hsm}" but no site profile was given`);
  const hsm = deps.openHsm();
  try {
    checkToken(deps, site, hsm);
  } catch (err) {
    // Before the ceremony starts, any HSM trouble is the environment's (exit 3), not a ceremony failure.
    if (isOfficiantError(err) && err.code.startsWith('hsm.')) throw new OfficiantError('env.hsm', err.message, { cause: err });
    throw err;
  } finally {
    hsm.close();
  }
}

function checkToken(deps: CeremonyDeps, site: HsmSite, hsm: Hsm): void {
  {
    const initialises = deps.script.steps.some((s) => s.kind === 'hsm.init-token');
    const token = hsm.findToken(site.tokenLabel);
    const labels = deps.script.steps.flatMap((s) => (s.kind === 'hsm.generate-key' || s.kind === 'evidence.init-key' ? [s.params.label] : []));
    if (initialises) {
      if (token) throw new OfficiantError('env.token-label-used', `a token labelled "${site.tokenLabel}" already exists; this ceremony initialises a new one`);
      const free = hsm.freeSlots();
      if (site.slot !== undefined ? !free.includes(site.slot) : free.length === 0) {
        throw new OfficiantError('env.no-free-slot', `no uninitialised slot${site.slot === undefined ? '' : ` ${site.slot}`} to initialise token "${site.tokenLabel}"`);
      }
    } else {
      if (!token) throw new OfficiantError('env.token-missing', `token "${site.tokenLabel}" is not present (module ${site.module})`);
      const used = hsm.labelsInUse(site.tokenLabel, labels);
      if (used.length > 0) throw new OfficiantError('env.key-label-used', `key label(s) already on token "${site.tokenLabel}": ${used.join(', ')}`);
    }
  }
}

export interface StartOptions {
  scriptFile: string;
  /** Files written next to the journal before it starts (site profile copy, sandbox pointer): rel -> content. */
  extraFiles?: Record<string, string>;
  extra?: Preflight;
  onCeremony?: (c: { requestPause(): void }) => void;
}

export async function startCeremony(deps: CeremonyDeps, opts: StartOptions): Promise<RunResult> {
  const unlock = deps.store.lock();
  try {
    preflight(deps, opts.extra ?? { answers: [] });
    deps.store.write(SCRIPT_COPY, deps.scriptText);
    if (deps.roster) deps.store.write(ROSTER_COPY, deps.roster.bytes);
    if (deps.backup) deps.store.write(BACKUP_COPY, deps.backup.bytes);
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
      site: deps.site ? { profile: deps.site.profile, module: deps.site.module, tokenLabel: deps.site.tokenLabel, slot: deps.site.slot ?? null } : null,
      piv: deps.piv ? { module: deps.piv.module, attestationRoots: deps.piv.attestationRoots } : null,
      roster: deps.roster ? { file_sha256: sha256Hex(deps.roster.bytes), sha256: deps.roster.sha256, version: deps.roster.body.version, rehearsal: deps.roster.body.rehearsal } : null,
      ...(deps.backup
        ? { backup: { dir: deps.backup.dir, manifest_sha256: deps.backup.sha256, ceremony_id: deps.backup.manifest.ceremony.ceremony_id, kcv: deps.backup.manifest.wrap_key.kcv } }
        : {}),
    });
    return await drive(ceremony, deps, opts.onCeremony);
  } finally {
    unlock();
  }
}

/** What the journal says about a ceremony directory, read without changing anything. */
export function ceremonyMode(entries: readonly JournalEntry[]): 'rehearsal' | 'production' | undefined {
  const mode = startedEntry(entries)?.data.mode;
  return mode === 'rehearsal' || mode === 'production' ? mode : undefined;
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
  const unlock = deps.store.lock();
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
      // A crash after the last entry may have left the aborted step's page or the seal unwritten: finish them.
      if (final.type === 'ceremony.aborted') await ceremony.finishAbortedPage();
      await ceremony.seal();
      ceremony.close();
      const what = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
      return { outcome: what === 'completed' ? 'done' : 'aborted', ceremonyId: ceremony.ceremonyId, journalHead: final.hash, steps: deps.script.steps.length, reason: what === 'aborted' ? String(final.data.reason) : undefined };
    }
    const paused = [...journal.entries].reverse().find((e) => e.type === 'ceremony.paused' || e.type === 'ceremony.resumed');
    ceremony.record('ceremony.resumed', CEREMONY_STEP, {
      after: paused?.type === 'ceremony.paused' ? 'pause' : 'interruption',
      atStep: deps.script.steps[ceremony.firstOpenStep()]?.id ?? 'closing',
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
    const outcome = await ceremony.drive(ceremony.firstOpenStep());
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
