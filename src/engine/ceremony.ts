// A running ceremony: holds what lives only as long as the process (the open HSM and PIV reader, the user
// session, the step in progress, a pause request, the last failure decision) and hands everything else to
// the engine's parts. It keeps no copy of what happened: that is read from the journal every time.
import { OfficiantError } from '../errors.js';
import type { Json, JournalEntry, JsonObject } from '../record/journal.js';
import type { Journal } from '../record/journal.js';
import { participantsOf, startedEntry } from '../record/ledger.js';
import type { CeremonyCore, StepInProgress } from './ceremony-core.types.js';
import type { CeremonyDeps } from './ceremony-deps.types.js';
import { runEffect, writeOutputEffect } from './effects.js';
import type { FailureDecision, Hsm, HsmSession, Person, PivReader } from './ports.js';
import type { EffectFns, OutputRecord } from './step-kind.types.js';
import { evidenceToken } from './evidence-token.js';
import { TokenLogin, siteToken } from './token-login.js';

export class Ceremony implements CeremonyCore {
  private pivInstance?: PivReader;
  private pauseRequested = false;
  private hsmInstance?: Hsm;
  private readonly tokens = new TokenLogin(this, siteToken(this));
  private readonly evidenceTokens = new TokenLogin(this, evidenceToken(this));
  current?: StepInProgress;
  decision?: FailureDecision;

  constructor(
    readonly deps: CeremonyDeps,
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

  say(line: string): void {
    this.deps.prompter.say(line);
  }

  checkPause(): void {
    if (this.pauseRequested) throw new OfficiantError('interrupt.paused', 'paused by the operator');
  }

  hsm(): Hsm {
    this.hsmInstance ??= this.deps.openHsm();
    return this.hsmInstance;
  }

  session(stepId: string): Promise<HsmSession> {
    return this.tokens.session(stepId);
  }

  evidenceSession(stepId: string): Promise<HsmSession> {
    return this.evidenceTokens.session(stepId);
  }

  securityOfficer<T>(stepId: string, fn: (so: HsmSession) => Promise<T> | T): Promise<T> {
    return this.tokens.securityOfficer(stepId, fn);
  }

  logout(): void {
    this.tokens.logout();
  }

  piv(): PivReader {
    if (!this.deps.piv) throw new OfficiantError('input.site-invalid', "this ceremony uses officers' PIV tokens but the site file has no piv section (module, attestation_roots)");
    this.pivInstance ??= this.deps.piv.open();
    return this.pivInstance;
  }

  close(): void {
    this.pivInstance?.close();
    this.pivInstance = undefined;
    this.tokens.logout();
    this.evidenceTokens.logout();
    this.hsmInstance?.close();
    this.hsmInstance = undefined;
  }

  people(role?: string): Person[] {
    const all = participantsOf(this.entries);
    return role === undefined ? all : all.filter((p) => p.role === role);
  }

  personNamed(name: string): Person {
    const p = this.people().find((x) => x.name === name);
    if (!p) throw new OfficiantError('ceremony.step-failed', `${name} is not checked in`);
    return p;
  }

  actorName(p?: Person): string {
    return p ? `${p.name} (${this.deps.script.roles[p.role]?.title ?? p.role})` : 'system';
  }

  record(type: JournalEntry['type'], stepId: string | undefined, data: JsonObject, actor?: Person): JournalEntry {
    return this.journal.append({ type, step: stepId, actor: this.actorName(actor), data });
  }

  effect<T extends Json>(stepId: string, op: string, params: JsonObject, fns: EffectFns<T>, actor?: Person): Promise<T> {
    return runEffect(this, stepId, op, params, fns, actor);
  }

  async writeOutput(stepId: string, rel: string, bytes: Buffer | string): Promise<OutputRecord> {
    const rec = await writeOutputEffect(this, this.deps.store, stepId, rel, bytes);
    this.current?.outputs.push(rec);
    return rec;
  }
}
