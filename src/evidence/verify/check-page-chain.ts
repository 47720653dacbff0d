// The page chain: each step that ended has the page the journal recorded for it (signed, when there is an
// evidence key), pages were made final in the script's step order, no page belongs to no step, and packet.pdf
// is the one ceremony.sealed recorded.
import type { JournalEntry } from '../../record/journal.js';
import { effectState } from '../../record/ledger.js';
import { JOURNAL, PACKET, SCRIPT_COPY as SCRIPT, stepPagePath } from '../packet-files.js';
import { lineOf, type Context, type Group } from './check-context.js';
import { PACKET_BINDING_KEY, PAGE_BINDING_KEY, pagesDigest, readPacketBinding, readPageBinding } from '../page-binding.js';
import { isObject, short, str } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';

/** The page the journal records as a step's final one, as the runner chooses it (completed before aborted, signed first). */
function recordedPage(entries: readonly JournalEntry[], stepId: string, path: string): { sha256?: string; signed: boolean; seq: number; outcome: string } | undefined {
  for (const outcome of ['completed', 'aborted']) {
    for (const signed of [true, false]) {
      const st = effectState(entries, stepId, `evidence:${path}:${outcome}${signed ? ':signed' : ''}`);
      if (st.state === 'done') return { sha256: isObject(st.output) ? str(st.output.sha256) : undefined, signed, seq: st.intent.seq, outcome };
    }
  }
  return undefined;
}

/** The entry that ended a step, as the runner names it on the page: its step.completed, or its abort (else its last failure). */
function endingEntry(ctx: Context, stepId: string, outcome: string): JournalEntry | undefined {
  const mine = ctx.entries.filter((e) => e.step === stepId);
  if (outcome === 'completed') return mine.filter((e) => e.type === 'step.completed').at(-1);
  return mine.filter((e) => e.type === 'ceremony.aborted').at(-1) ?? mine.filter((e) => e.type === 'step.failed').at(-1);
}

/** The page names this ceremony run, this step and the journal entry that ended it. */
function checkBinding(g: Group, ctx: Context, path: string, file: Buffer, i: number, id: string, outcome: string): void {
  const b = readPageBinding(file);
  if (!b) return g.fail(`${path}: carries no binding to ${JOURNAL} (document information /${PAGE_BINDING_KEY})`);
  const ceremonyId = str(ctx.started?.data.ceremonyId);
  if (b.ceremonyId !== ceremonyId) g.fail(`${path}: is a page of ceremony ${b.ceremonyId}, not of this one (${ceremonyId})`);
  if (b.number !== i + 1 || b.stepId !== id) g.fail(`${path}: is the page of step ${b.number} ${b.stepId}, not of step ${i + 1} ${id}`);
  if (b.outcome !== outcome) g.fail(`${path}: says the step ${b.outcome}, ${JOURNAL} records its page as ${outcome}`);
  const ending = endingEntry(ctx, id, outcome);
  if (b.anchor !== ending?.hash) g.fail(`${path}: is bound to journal entry ${short(b.anchor)}, but step ${i + 1} ended with ${ending ? `${short(ending.hash)} (${JOURNAL} line ${lineOf(ending, ctx)})` : 'no entry'}`);
}

/** packet.pdf names this ceremony run, how it ended, its closing entry and the step pages it was made from. */
function checkPacketBinding(g: Group, ctx: Context, packet: Buffer, pages: Array<{ number: number; sha256: string }>): void {
  const b = readPacketBinding(packet);
  if (!b) return g.fail(`${PACKET}: carries no binding to ${JOURNAL} (document information /${PACKET_BINDING_KEY})`);
  const ceremonyId = str(ctx.started?.data.ceremonyId);
  if (b.ceremonyId !== ceremonyId) g.fail(`${PACKET}: is the packet of ceremony ${b.ceremonyId}, not of this one (${ceremonyId})`);
  const outcome = ctx.final?.type === 'ceremony.aborted' ? 'aborted' : 'completed';
  if (b.outcome !== outcome || b.head !== ctx.final?.hash) g.fail(`${PACKET}: says the ceremony ${b.outcome} with journal head ${short(b.head)}, ${JOURNAL} closes it ${outcome} with ${short(ctx.final?.hash)}`);
  if (b.pages !== pagesDigest(pages)) g.fail(`${PACKET}: was made from other step pages than the ones ${JOURNAL} recorded`);
}

export function checkPageChain(g: Group, ctx: Context): void {
  const { files, entries, steps } = ctx;
  if (!steps) return g.fail(`${SCRIPT}: cannot check the pages without the script's steps`);
  const expected = new Set<string>();
  let previous: { seq: number; path: string } | undefined;
  const pages: Array<{ number: number; sha256: string }> = [];
  steps.forEach((id, i) => {
    const path = stepPagePath(i, id);
    expected.add(path);
    const file = files.get(path);
    const rec = recordedPage(entries, id, path);
    const reached = entries.some((e) => e.step === id && (e.type === 'step.completed' || (e.type === 'ceremony.aborted' && ctx.final === e)));
    if (!rec) {
      if (file) g.fail(`${path}: not recorded in ${JOURNAL}`);
      else if (reached) g.fail(`${path}: missing (step ${i + 1} ${id} ended, but ${JOURNAL} records no page for it)`);
      return;
    }
    if (!file) return g.fail(`${path}: recorded in ${JOURNAL} but missing`);
    const actual = sha256Hex(file);
    if (rec.sha256) pages.push({ number: i + 1, sha256: rec.sha256 });
    if (rec.sha256 !== actual) g.fail(`${path}: SHA-256 ${short(actual)} is not the ${short(rec.sha256)} ${JOURNAL} recorded for step ${i + 1}`);
    if (ctx.cert && !rec.signed) g.fail(`${path}: ${JOURNAL} records only an unsigned page for step ${i + 1}`);
    checkBinding(g, ctx, path, file, i, id, rec.outcome);
    // Each page prints the SHA-256 of the page before it when it is written, so pages are final in step order.
    if (previous && rec.seq < previous.seq) g.fail(`${path}: recorded in ${JOURNAL} before ${previous.path}, out of the script's step order`);
    previous = { seq: rec.seq, path };
  });
  for (const path of [...files.keys()].filter((p) => p.startsWith('steps/')).sort()) {
    if (!expected.has(path)) g.fail(`${path}: not the page of any step of ${SCRIPT}`);
  }
  const packet = files.get(PACKET);
  const recorded = isObject(ctx.sealed?.data.packet) ? str((ctx.sealed!.data.packet as Record<string, unknown>).sha256) : undefined;
  if (!ctx.sealed) g.fail(`${PACKET}: no ceremony.sealed entry in ${JOURNAL} records its SHA-256`);
  else if (!packet) g.fail(`${PACKET}: missing`);
  else if (sha256Hex(packet) !== recorded) g.fail(`${PACKET}: SHA-256 ${short(sha256Hex(packet))} is not the ${short(recorded)} of ${JOURNAL}'s ceremony.sealed entry`);
  else checkPacketBinding(g, ctx, packet, pages);
  if (g.problems.length === 0) g.note(`${expected.size} steps: every page is the one ${JOURNAL} recorded, in step order; ${PACKET} is the one sealed`);
}
