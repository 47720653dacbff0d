// What the engine's parts (step context, token login, step lifecycle, pages, sealing) see of a running
// ceremony: its inputs, the journal (read it through `entries`, append through record()), the token and the
// step in progress. The Ceremony class (ceremony.ts) is the one implementation; the parts take this type so
// that none of them imports another's state.
import type { Json, JournalEntry, JsonObject } from '../record/journal.js';
import type { Journal } from '../record/journal.js';
import type { CeremonyDeps } from './ceremony-deps.types.js';
import type { EffectFns, OutputRecord } from './step-kind.types.js';
import type { FailureDecision, Hsm, HsmSession, Person, PivReader, TokenIdentity } from './ports.js';

/** What the step being run has reported so far: its result rows, output files and token. */
export interface StepInProgress {
  results: Array<{ label: string; value: string }>;
  outputs: OutputRecord[];
  token?: TokenIdentity;
}

export interface CeremonyCore {
  readonly deps: CeremonyDeps;
  readonly journal: Journal;
  readonly entries: readonly JournalEntry[];
  readonly ceremonyId: string;
  /** Set by runStep() for the step being run. */
  current?: StepInProgress;
  /** The last failure decision taken (read by abort). */
  decision?: FailureDecision;
  record(type: JournalEntry['type'], stepId: string | undefined, data: JsonObject, actor?: Person): JournalEntry;
  effect<T extends Json>(stepId: string, op: string, params: JsonObject, fns: EffectFns<T>, actor?: Person): Promise<T>;
  writeOutput(stepId: string, rel: string, bytes: Buffer | string): Promise<OutputRecord>;
  checkPause(): void;
  /** People checked in, optionally of one role, in check-in order. */
  people(role?: string): Person[];
  personNamed(name: string): Person;
  /** How a person is named as a journal entry's actor. */
  actorName(p?: Person): string;
  hsm(): Hsm;
  piv(): PivReader;
  session(stepId: string): Promise<HsmSession>;
  /** A logged-in session on the site's evidence token (evidence.use-key); its PIN holders type their halves once. */
  evidenceSession(stepId: string): Promise<HsmSession>;
  securityOfficer<T>(stepId: string, fn: (so: HsmSession) => Promise<T> | T): Promise<T>;
  /** Closes the site token's user session, if open. */
  logout(): void;
}
