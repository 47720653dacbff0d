// An authority's signing log: one JSON line per signing session, appended and never rewritten, each line
// naming the hash of the one before (the first names 64 zeros) and hashed over its canonical JSON without its
// own hash. It is what answers replay (was this request id signed before?), rollback (what is the last version
// signed for this channel?) and "how often was this key used". Pure: text in, entries or the first problem out;
// a new line out. The file itself, and who appends, belong to the adapters and the signing ceremony.
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './digest.js';
import { foreignShape } from './journal.js';

export const SIGNING_LOG_FORMAT = 'officiant-signing-log/1';
export const GENESIS = '0'.repeat(64);

export interface SigningLogEntry {
  format: typeof SIGNING_LOG_FORMAT;
  seq: number;
  prev: string;
  at: string;
  authority: 'release' | 'manifest';
  request_id: string;
  channel: string;
  version: number;
  ceremony_id: string;
  artifacts: number;
  /** SHA-256 of the canonical JSON list of [name, sha256] of everything signed, in order. */
  artifacts_sha256: string;
  /** Signatures made, per key label. */
  signatures: Record<string, number>;
  hash: string;
}

export type SigningLogFields = Omit<SigningLogEntry, 'format' | 'seq' | 'prev' | 'hash'>;

const HEX64 = /^[0-9a-f]{64}$/;
const KEYS = ['format', 'seq', 'prev', 'at', 'authority', 'request_id', 'channel', 'version', 'ceremony_id', 'artifacts', 'artifacts_sha256', 'signatures', 'hash'];

/** The hash a line carries: over its canonical JSON without the hash itself. */
export function signingLogHash(entry: Omit<SigningLogEntry, 'hash'>): string {
  return sha256Hex(canonicalJson(entry));
}

/** The digest of what a session signed: [name, sha256] pairs in order. */
export function artifactsDigest(list: ReadonlyArray<{ name: string; sha256: string }>): string {
  return sha256Hex(canonicalJson(list.map((a) => [a.name, a.sha256])));
}

function shapeProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'is not an object';
  const foreign = foreignShape(v, 4);
  if (foreign) return foreign;
  const e = v as Record<string, unknown>;
  const extra = Object.keys(e).filter((k) => !KEYS.includes(k));
  if (extra.length > 0) return `has unknown field(s) ${extra.join(', ')}`;
  if (e.format !== SIGNING_LOG_FORMAT) return `format is not ${SIGNING_LOG_FORMAT}`;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq is not a whole number from 1';
  for (const k of ['prev', 'artifacts_sha256', 'hash']) if (typeof e[k] !== 'string' || !HEX64.test(e[k] as string)) return `${k} is not 64 lowercase hex digits`;
  if (typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return 'at is not a time';
  if (e.authority !== 'release' && e.authority !== 'manifest') return 'authority is neither release nor manifest';
  for (const k of ['request_id', 'channel', 'ceremony_id']) if (typeof e[k] !== 'string' || (e[k] as string).length === 0 || (e[k] as string).length > 256) return `${k} is not a short text`;
  for (const k of ['version', 'artifacts']) if (!Number.isSafeInteger(e[k]) || (e[k] as number) < 0) return `${k} is not a whole number`;
  const sigs = e.signatures;
  if (sigs === null || typeof sigs !== 'object' || Array.isArray(sigs) || Object.values(sigs).some((n) => !Number.isSafeInteger(n) || (n as number) < 0)) return 'signatures is not a count per key label';
  return undefined;
}

/** The entries of a log's text, checked line by line and link by link; stops at the first problem. */
export function parseSigningLog(text: string): { entries: SigningLogEntry[]; problem?: string } {
  const entries: SigningLogEntry[] = [];
  if (text.length > 0 && !text.endsWith('\n')) return { entries, problem: 'the last line is cut short (no newline): the log was not fully written' };
  const lines = text.split('\n').slice(0, -1);
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { entries, problem: `${at}: not JSON` };
    }
    const shape = shapeProblem(value);
    if (shape) return { entries, problem: `${at}: ${shape}` };
    const e = value as SigningLogEntry;
    if (e.seq !== i + 1) return { entries, problem: `${at}: seq is ${e.seq}, expected ${i + 1}` };
    const prev = i === 0 ? GENESIS : entries[i - 1].hash;
    if (e.prev !== prev) return { entries, problem: `${at}: prev ${e.prev.slice(0, 16)}… is not the hash of the line before (${prev.slice(0, 16)}…)` };
    const { hash, ...rest } = e;
    const want = signingLogHash(rest);
    if (hash !== want) return { entries, problem: `${at}: hash ${hash.slice(0, 16)}… is not the hash of the line (${want.slice(0, 16)}…): it was changed` };
    entries.push(e);
  }
  return { entries };
}

/** The line that appends `fields` to a log whose entries are `entries` (newline included). */
export function signingLogLine(entries: readonly SigningLogEntry[], fields: SigningLogFields): string {
  const last = entries[entries.length - 1];
  const body = { format: SIGNING_LOG_FORMAT, seq: entries.length + 1, prev: last ? last.hash : GENESIS, ...fields } as const;
  return `${JSON.stringify({ ...body, hash: signingLogHash(body) })}\n`;
}

/** The entry that signed this request id, if any (a replay). */
export function signedRequest(entries: readonly SigningLogEntry[], requestId: string): SigningLogEntry | undefined {
  return entries.find((e) => e.request_id === requestId);
}

/** The highest version signed for a channel of an authority, if any. */
export function lastVersion(entries: readonly SigningLogEntry[], authority: SigningLogEntry['authority'], channel: string): number | undefined {
  const versions = entries.filter((e) => e.authority === authority && e.channel === channel).map((e) => e.version);
  return versions.length > 0 ? Math.max(...versions) : undefined;
}

/** Signatures made per key label over the whole log. */
export function keyUsage(entries: readonly SigningLogEntry[]): Record<string, number> {
  const usage: Record<string, number> = {};
  for (const e of entries) for (const [label, n] of Object.entries(e.signatures)) usage[label] = (usage[label] ?? 0) + n;
  return usage;
}
