// What the journal rows and the compliance checks of one packet share: its files, entries, script and the
// entries that open, close and seal the ceremony; who each actor is; each step's page; and the finding a
// requirement check returns.
import type { JournalEntry } from '../../record/journal.js';
import type { Script, Step } from '../../script/schema.js';
import { SCRIPT_COPY as SCRIPT, stepPagePath } from '../packet-files.js';
import type { PacketReport } from '../verify-packet.js';
import type { ComplianceStatus } from './packet-index.types.js';
import type { Who } from './people.js';
import type { retentionOf } from './retention.js';

export interface Ctx {
  files: ReadonlyMap<string, Buffer>;
  report: PacketReport;
  entries: JournalEntry[];
  script?: Script;
  started?: JournalEntry;
  final?: JournalEntry;
  sealed?: JournalEntry;
  who: (actor: string) => Who;
  retention: ReturnType<typeof retentionOf>;
}

export interface Finding {
  status: ComplianceStatus;
  files?: string[];
  seqs?: number[];
  note: string;
}

/** The step's page when the packet holds it. */
export function pageOf(ctx: Ctx, stepId: string): string | undefined {
  const i = ctx.script?.steps.findIndex((s) => s.id === stepId) ?? -1;
  if (i >= 0) {
    const path = stepPagePath(i, stepId);
    return ctx.files.has(path) ? path : undefined;
  }
  const n = ctx.entries.find((e) => e.type === 'step.started' && e.step === stepId)?.data.number;
  if (typeof n !== 'number') return undefined;
  const path = stepPagePath(n - 1, stepId);
  return ctx.files.has(path) ? path : undefined;
}

export function pagesOf(ctx: Ctx, stepIds: Iterable<string>): string[] {
  return [...new Set(stepIds)].map((id) => pageOf(ctx, id)).filter((p): p is string => p !== undefined);
}

export function inStep(ctx: Ctx, stepId: string, pred: (e: JournalEntry) => boolean): JournalEntry[] {
  return ctx.entries.filter((e) => e.step === stepId && pred(e));
}

export const isEvent = (what: string) => (e: JournalEntry) => e.type === 'step.event' && e.data.what === what;
export const startedSteps = (ctx: Ctx, steps: readonly Step[]) => steps.filter((s) => ctx.entries.some((e) => e.type === 'step.started' && e.step === s.id));
export const completedSteps = (ctx: Ctx) => (ctx.script?.steps ?? []).filter((s) => ctx.entries.some((e) => e.type === 'step.completed' && e.step === s.id));
export const personOf = (ctx: Ctx, e: JournalEntry) => {
  const w = ctx.who(e.actor);
  return `${w.person} (${w.role})`;
};
export const noScript: Finding = { status: 'missing', files: [SCRIPT], note: `${SCRIPT} is missing or not a valid ceremony script` };
