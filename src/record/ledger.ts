// What the journal says happened, as queries over its entries. Pure. The runner asks these questions on
// start, on resume and before every side effect, so that the journal alone decides what is already done.
import type { JournalEntry, JsonObject } from './journal.js';
import type { Person } from './person.types.js';

export const CEREMONY_STEP = 'ceremony';

export function startedEntry(entries: readonly JournalEntry[]): JournalEntry | undefined {
  return entries.find((e) => e.type === 'ceremony.started');
}

export function finalEntry(entries: readonly JournalEntry[]): JournalEntry | undefined {
  return [...entries].reverse().find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
}

function lastEvent(entries: readonly JournalEntry[], what: string): JournalEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.type === 'step.event' && e.data.what === what) return e;
  }
  return undefined;
}

export function participantsOf(entries: readonly JournalEntry[]): Person[] {
  const e = lastEvent(entries, 'participants');
  return e ? ((e.data.people as unknown as Person[]) ?? []) : [];
}

export function pinHoldersOf(entries: readonly JournalEntry[]): string[] | undefined {
  const e = lastEvent(entries, 'pin-holders');
  return e ? (e.data.holders as string[]) : undefined;
}

export function isStepCompleted(entries: readonly JournalEntry[], stepId: string): boolean {
  return entries.some((e) => e.type === 'step.completed' && e.step === stepId);
}

/** The step's last failure, when no retry decision (deviation) or abort has been journaled after it. */
export function undecidedFailure(entries: readonly JournalEntry[], stepId: string): JournalEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.step !== stepId) continue;
    if (e.type === 'step.failed') return e;
    if (e.type === 'deviation' || e.type === 'step.started' || e.type === 'step.completed' || e.type === 'ceremony.aborted') return undefined;
  }
  return undefined;
}

/** Retry decisions already journaled for a step. */
export function decisionsFor(entries: readonly JournalEntry[], stepId: string): number {
  return entries.filter((e) => e.type === 'deviation' && e.step === stepId).length;
}

/** The token serial the ceremony has already seen (at initialisation or an earlier login), if any. */
/** The serial this ceremony saw for the token labelled `label` (its last login, or its initialisation). */
export function knownTokenSerial(entries: readonly JournalEntry[], label: string): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.type === 'step.event' && e.data.what === 'hsm-login' && e.data.token === label && typeof e.data.serial === 'string') return e.data.serial;
    if (e.type === 'result' && e.data.op === 'hsm.init-token' && e.data.ok === true) {
      const out = e.data.output as { serial?: string; label?: string };
      if (out.label === label) return String(out.serial);
    }
  }
  return undefined;
}

export function stepEntries(entries: readonly JournalEntry[], stepId: string): JournalEntry[] {
  return entries.filter((e) => e.step === stepId);
}

export type EffectState =
  | { state: 'none' }
  | { state: 'done'; intent: JournalEntry; output: unknown }
  | { state: 'failed'; intent: JournalEntry }
  | { state: 'open'; intent: JournalEntry };

/** The last attempt of an operation in a step: never tried, done (with its output), failed, or open (crash). */
export function effectState(entries: readonly JournalEntry[], stepId: string, op: string): EffectState {
  let intent: JournalEntry | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.type === 'intent' && e.step === stepId && e.data.op === op) {
      intent = e;
      break;
    }
  }
  if (!intent) return { state: 'none' };
  // The last result counts: a failed attempt found afterwards to have taken effect gets a second, ok result.
  const results = entries.filter((e) => e.type === 'result' && e.data.intent === intent.seq);
  const result = results[results.length - 1];
  if (!result) return { state: 'open', intent };
  return result.data.ok === true ? { state: 'done', intent, output: result.data.output } : { state: 'failed', intent };
}

/** Successful outputs of an operation across the ceremony (e.g. every generated key). */
export function effectOutputs(entries: readonly JournalEntry[], op: string): JsonObject[] {
  const intents = new Map(entries.filter((e) => e.type === 'intent' && e.data.op === op).map((e) => [e.seq, e]));
  return entries
    .filter((e) => e.type === 'result' && e.data.ok === true && intents.has(e.data.intent as number))
    .map((e) => e.data.output as JsonObject);
}
