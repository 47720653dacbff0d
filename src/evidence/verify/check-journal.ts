// journal.jsonl: every line an entry, the hash chain unbroken, no torn final line; one ceremony.started first,
// one closing entry, sealed last (a repeated seal says the same), the seal and manifest naming the closing
// entry's hash; every intent answered by one result and every result answering an earlier intent.
import { isOfficiantError } from '../../errors.js';
import { foreignShape, parseJournal, verifyChain, type JournalEntry } from '../../record/journal.js';
import { JOURNAL, MANIFEST } from '../packet-files.js';
import { lineOf, type Context, type Group } from './check-context.js';
import { isObject, short, str } from '../json-shape.js';

export interface JournalRead {
  /** Entries to cross-check against (every well-formed line, in file order), even when the chain is broken. */
  entries: JournalEntry[];
  problems: string[];
}

export function readJournal(bytes: Buffer): JournalRead {
  const text = bytes.toString('utf8');
  const problems: string[] = [];
  const entries: JournalEntry[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      problems.push(`${JOURNAL}: line ${i + 1}: unreadable (not JSON)`);
      return;
    }
    const foreign = foreignShape(e);
    if (foreign) {
      problems.push(`${JOURNAL}: line ${i + 1}: ${foreign} (no entry the runner writes does): not read`);
      return;
    }
    if (!isObject(e) || typeof e.seq !== 'number' || typeof e.hash !== 'string' || typeof e.prev !== 'string' || typeof e.type !== 'string' || typeof e.time !== 'string' || typeof e.actor !== 'string' || !isObject(e.data) || (e.step !== undefined && typeof e.step !== 'string')) {
      problems.push(`${JOURNAL}: line ${i + 1}: not a journal entry`);
      return;
    }
    entries.push(e as unknown as JournalEntry);
  });
  if (problems.length === 0) {
    // The journal's own rules: only a torn final line is tolerated by parseJournal, and a sealed packet has none.
    try {
      const parsed = parseJournal(text);
      if (parsed.torn) problems.push(`${JOURNAL}: line ${parsed.entries.length + 1}: incomplete final line (${Buffer.byteLength(parsed.torn.text)} bytes)`);
    } catch (err) {
      if (!isOfficiantError(err)) throw err;
      const details = err.details.length > 0 ? err.details : [err.message.replace(/^journal /, '')];
      for (const d of details) problems.push(`${JOURNAL}: ${d}`);
    }
  } else {
    for (const p of verifyChain(entries)) problems.push(`${JOURNAL}: entry ${p.line}: ${p.message}`);
  }
  return { entries, problems };
}

export function checkJournal(g: Group, ctx: Context, read: JournalRead | undefined): void {
  if (!read) return g.fail(`${JOURNAL}: missing`);
  for (const p of read.problems) g.fail(p);
  const { entries } = ctx;
  if (entries.length === 0) return g.fail(`${JOURNAL}: no entries`);
  if (entries[0].type !== 'ceremony.started') g.fail(`${JOURNAL}: line 1: ${entries[0].type}, expected ceremony.started`);
  entries.forEach((e, i) => {
    if (i > 0 && e.type === 'ceremony.started') g.fail(`${JOURNAL}: line ${i + 1}: a second ceremony.started`);
  });
  const closing = entries.filter((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
  const sealed = entries.filter((e) => e.type === 'ceremony.sealed');
  const last = entries[entries.length - 1];
  if (closing.length === 0) g.fail(`${JOURNAL}: no ceremony.completed or ceremony.aborted entry (the ceremony did not end)`);
  if (closing.length > 1) g.fail(`${JOURNAL}: line ${lineOf(closing[1], ctx)}: the ceremony ends more than once`);
  if (sealed.length === 0) g.fail(`${JOURNAL}: no ceremony.sealed entry`);
  // A seal interrupted by a crash is recorded again on resume; every seal entry must then say the same.
  for (const again of sealed.slice(1)) {
    const a = sealed[0].data;
    const b = again.data;
    if (a.journalHead !== b.journalHead || (a.packet as { sha256?: string })?.sha256 !== (b.packet as { sha256?: string })?.sha256) {
      g.fail(`${JOURNAL}: line ${lineOf(again, ctx)}: sealed again with a different packet or journal head`);
    }
  }
  if (last.type !== 'ceremony.sealed') g.fail(`${JOURNAL}: line ${entries.length}: last entry is ${last.type}, expected ceremony.sealed`);
  const final = closing[0];
  const seal = sealed[sealed.length - 1];
  if (final && seal) {
    if (lineOf(seal, ctx) < lineOf(final, ctx)) g.fail(`${JOURNAL}: line ${lineOf(seal, ctx)}: sealed before the ceremony ended (line ${lineOf(final, ctx)})`);
    if (seal.data.journalHead !== final.hash) g.fail(`${JOURNAL}: line ${lineOf(seal, ctx)}: ceremony.sealed names journal head ${short(str(seal.data.journalHead))}, not the closing entry's ${short(final.hash)}`);
  }
  if (final && ctx.manifest && ctx.manifest.journalHead !== final.hash) {
    g.fail(`${MANIFEST}: journalHead ${short(str(ctx.manifest.journalHead))} is not the hash of ${JOURNAL}'s closing entry (line ${lineOf(final, ctx)}, ${short(final.hash)})`);
  }
  // Every side effect is bracketed: each intent has a result, each result answers an earlier intent.
  const intents = new Map<number, JournalEntry>();
  const answered = new Set<number>();
  entries.forEach((e, i) => {
    if (e.type === 'intent') intents.set(e.seq, e);
    if (e.type === 'result') {
      const intent = intents.get(e.data.intent as number);
      if (!intent) g.fail(`${JOURNAL}: line ${i + 1}: result for no earlier intent (${JSON.stringify(e.data.intent)})`);
      else if (intent.data.op !== e.data.op) g.fail(`${JOURNAL}: line ${i + 1}: result for ${String(e.data.op)} answers intent #${intent.seq} (${String(intent.data.op)})`);
      else answered.add(intent.seq);
    }
  });
  for (const [seq, intent] of intents) {
    if (!answered.has(seq)) g.fail(`${JOURNAL}: line ${lineOf(intent, ctx)}: intent ${String(intent.data.op)} has no result`);
  }
  if (final) g.note(`${JOURNAL}: ${entries.length} entries, ${final.type.replace('ceremony.', '')}; journal head (packet cover, manifest) ${final.hash} at line ${lineOf(final, ctx)}`);
}
