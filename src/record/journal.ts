// The ceremony journal: append-only JSON lines, each entry hash-chained to the one before (SHA-256 over the
// canonical JSON of the entry without its hash). append() returns only after the line is on disk, so the
// runner may perform the next side effect. On open, a torn final line (a crash mid-write) is detected, saved
// into a journal.repaired entry and cut off; a bad line anywhere else is tampering or disk damage and is an
// error, never repaired. Entries never carry secrets: callers put labels, names, counts and hashes in `data`.
import { createHash } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { Clock, JournalFile } from './journal-file.types.js';

export type EntryType =
  | 'ceremony.started'
  | 'ceremony.resumed'
  | 'ceremony.paused'
  | 'ceremony.aborted'
  | 'ceremony.completed'
  | 'ceremony.sealed'
  | 'journal.repaired'
  | 'step.started'
  | 'step.completed'
  | 'step.failed'
  | 'step.event'
  | 'deviation'
  | 'intent'
  | 'result'
  | 'reconciled';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface JournalEntry {
  seq: number;
  time: string;
  type: EntryType;
  actor: string;
  step?: string;
  data: JsonObject;
  prev: string;
  hash: string;
}

export type NewEntry = Pick<JournalEntry, 'type' | 'actor' | 'data'> & { step?: string };

export const GENESIS = '0'.repeat(64);

export function entryHash(e: Omit<JournalEntry, 'hash'>): string {
  const body = { seq: e.seq, time: e.time, type: e.type, actor: e.actor, step: e.step, data: e.data, prev: e.prev };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export interface ChainProblem {
  line: number;
  message: string;
}

/** Pure check of a list of entries: sequence without gaps, each prev = hash of the one before, each hash right. */
export function verifyChain(entries: readonly JournalEntry[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let prev = GENESIS;
  entries.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push({ line: i + 1, message: `sequence number ${e.seq}, expected ${i + 1}` });
    if (e.prev !== prev) problems.push({ line: i + 1, message: 'does not link to the previous entry' });
    if (entryHash(e) !== e.hash) problems.push({ line: i + 1, message: 'hash does not match its content' });
    prev = e.hash;
  });
  return problems;
}

/** The runner never nests an entry's data deeper than this; hashing a deeper line would exhaust the stack. */
export const MAX_ENTRY_DEPTH = 64;

/** Keys no entry the runner writes has, which turn a plain object into something String() cannot print. */
const FOREIGN_KEYS = new Set(['toString', 'valueOf', 'constructor', '__proto__', 'toJSON']);

/**
 * Why a parsed journal line is not data the runner could have written, checked without recursion: nested deeper
 * than `limit`, or an object with a key such as toString. Undefined when it is plain.
 */
export function foreignShape(value: unknown, limit = MAX_ENTRY_DEPTH): string | undefined {
  // Two stacks, and only objects and arrays pushed: a parsed file may hold millions of values, and a pair or a
  // key-value array made per value took seconds per million and gigabytes.
  const values: object[] = [];
  const depths: number[] = [];
  const visit = (v: unknown, depth: number): string | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    if (depth >= limit) return `nested deeper than ${limit} levels`;
    values.push(v);
    depths.push(depth);
    return undefined;
  };
  let found = visit(value, 0);
  while (found === undefined && values.length > 0) {
    const v = values.pop()!;
    const depth = depths.pop()! + 1;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && found === undefined; i++) found = visit(v[i], depth);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (FOREIGN_KEYS.has(k)) return `holds a key named ${k}`;
      found = visit((v as Record<string, unknown>)[k], depth);
      if (found !== undefined) break;
    }
  }
  return found;
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const e = JSON.parse(line) as JournalEntry;
    if (typeof e.seq !== 'number' || typeof e.hash !== 'string' || typeof e.prev !== 'string' || typeof e.type !== 'string') return undefined;
    if (foreignShape(e) !== undefined) return undefined;
    return e;
  } catch {
    return undefined;
  }
}

export interface ParsedJournal {
  entries: JournalEntry[];
  /** A final line cut short by a crash mid-write (no newline, or not a complete entry). */
  torn?: { text: string; offset: number };
}

/**
 * Pure parse of journal text. Only the final line may be torn: every earlier line was fsync'd before the next
 * was written, so damage anywhere else is tampering or disk failure and throws ceremony.journal-corrupt.
 */
export function parseJournal(text: string): ParsedJournal {
  const entries: JournalEntry[] = [];
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isLast = i === lines.length - 1;
    if (isLast && line === '') break;
    const entry = parseEntry(line);
    const restBlank = lines.slice(i + 1).every((l) => l.trim() === '');
    if (isLast || !entry || entry.hash !== entryHash(entry)) {
      if (restBlank) return finish(entries, { text: line, offset });
      throw new OfficiantError('ceremony.journal-corrupt', `journal line ${i + 1}: ${entry ? 'hash does not match its content' : 'unreadable'} and it is not the last line`);
    }
    entries.push(entry);
    offset += Buffer.byteLength(line, 'utf8') + 1;
  }
  return finish(entries, undefined);
}

function finish(entries: JournalEntry[], torn: ParsedJournal['torn']): ParsedJournal {
  const problems = verifyChain(entries);
  if (problems.length > 0) {
    throw new OfficiantError('ceremony.journal-corrupt', `journal line ${problems[0].line}: ${problems[0].message}`, {
      details: problems.map((p) => `line ${p.line}: ${p.message}`),
    });
  }
  return { entries, torn };
}

export class Journal {
  private readonly list: JournalEntry[];

  private constructor(
    private readonly file: JournalFile,
    private readonly clock: Clock,
    entries: JournalEntry[],
  ) {
    this.list = entries;
  }

  /** Reads, repairs a torn tail, and verifies the chain. Throws ceremony.journal-corrupt on any other damage. */
  static open(file: JournalFile, clock: Clock): Journal {
    const { entries, torn } = parseJournal(file.readAll().toString('utf8'));
    const journal = new Journal(file, clock, entries);
    if (torn) {
      file.truncate(torn.offset);
      const tornBytes = Buffer.from(torn.text, 'utf8');
      journal.append({
        type: 'journal.repaired',
        actor: 'system',
        data: {
          reason: 'torn final line from an interrupted write was cut off',
          line: entries.length + 1,
          bytes: tornBytes.length,
          sha256: createHash('sha256').update(tornBytes).digest('hex'),
          text: torn.text,
        },
      });
    }
    return journal;
  }

  get entries(): readonly JournalEntry[] {
    return this.list;
  }

  get head(): string {
    return this.list.length === 0 ? GENESIS : this.list[this.list.length - 1].hash;
  }

  append(e: NewEntry): JournalEntry {
    const base = {
      seq: this.list.length + 1,
      time: this.clock.now().toISOString(),
      type: e.type,
      actor: e.actor,
      step: e.step,
      data: e.data,
      prev: this.head,
    };
    const entry: JournalEntry = { ...base, hash: entryHash(base) };
    if (entry.step === undefined) delete entry.step;
    this.file.append(`${JSON.stringify(entry)}\n`);
    this.list.push(entry);
    return entry;
  }
}
