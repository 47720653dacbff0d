// The index of a packet: one row per journal entry, with the action and result in words an auditor reads.
import type { JournalEntry } from '../../record/journal.js';
import { JOURNAL } from '../packet-files.js';
import { actionInWords } from './action-words.js';
import { pageOf, type Ctx } from './export-context.js';
import type { IndexRow } from './packet-index.types.js';
import { names } from './read-packet.js';
import { isObject, str } from '../json-shape.js';

/** One index row per journal entry: who, in which role, did what with what result, and the file that shows it. */
export function indexRows(ctx: Ctx, ceremonyId: string, scriptId: string, verified: boolean): Omit<IndexRow, 'pinned' | 'rehearsal'>[] {
  const { script, entries } = ctx;
  const stepNumbers = new Map<string, number>();
  script?.steps.forEach((s, i) => stepNumbers.set(s.id, i + 1));
  for (const e of entries) {
    if (e.type === 'step.started' && e.step && typeof e.data.number === 'number' && !stepNumbers.has(e.step)) stepNumbers.set(e.step, e.data.number);
  }
  return entries.map((e) => {
    const w = ctx.who(e.actor);
    return {
      ceremonyId,
      scriptId,
      seq: e.seq,
      stepId: e.step ?? '',
      stepNumber: e.step ? (stepNumbers.get(e.step) ?? null) : null,
      time: e.time,
      person: w.person,
      role: w.role,
      roleTitle: w.roleTitle,
      action: actionInWords(e),
      entry: actionOf(e),
      result: resultOf(e),
      evidenceFile: (e.step && pageOf(ctx, e.step)) || JOURNAL,
      entryHash: typeof e.hash === 'string' ? e.hash : '',
      verified,
    };
  });
}

export function actionOf(e: JournalEntry): string {
  const d = e.data;
  if ((e.type === 'intent' || e.type === 'result' || e.type === 'reconciled') && typeof d.op === 'string') return `${e.type} ${d.op}`;
  if (e.type === 'step.event' && typeof d.what === 'string') return `step.event ${d.what}`;
  if (e.type === 'deviation' && typeof d.action === 'string') return `deviation ${d.action}`;
  if (e.type === 'step.started' && typeof d.kind === 'string') return `step.started ${d.kind}`;
  return e.type;
}

function errorMessage(x: unknown): string {
  return isObject(x) && typeof x.message === 'string' ? `: ${x.message}` : '';
}

export function resultOf(e: JournalEntry): string {
  const d = e.data;
  switch (e.type) {
    case 'result':
    case 'reconciled':
      if (d.reconciled === true) return 'reconciled';
      return d.ok === true ? 'ok' : `failed${errorMessage(d.error)}`;
    case 'step.event': {
      if (typeof d.answer === 'boolean') return d.answer ? 'yes' : 'no';
      if (d.what === 'participants' && Array.isArray(d.people)) {
        return d.people.map((p) => (isObject(p) ? `${String(p.name)} as ${String(p.role)}` : '')).join('; ');
      }
      if (d.what === 'pin-holders') return `held by ${names(d.holders).join(' and ')}`;
      if (d.what === 'hsm-login') return `ok: ${names(d.by).join(' and ')}`;
      if (d.what === 'hsm-login-refused') return `refused${typeof d.message === 'string' ? `: ${d.message}` : ''}`;
      if (d.value !== undefined) return `${str(d.label) ?? str(d.field) ?? 'value'}: ${String(d.value)}`;
      return '';
    }
    case 'step.completed':
      return 'ok';
    case 'step.failed':
      return `failed${typeof d.message === 'string' ? `: ${d.message}` : ''}`;
    case 'deviation':
      return `${String(d.action ?? 'deviation')}: ${String(d.reason ?? '')}`;
    case 'ceremony.completed':
      return 'completed';
    case 'ceremony.aborted':
      return `aborted: ${String(d.reason ?? '')}`;
    case 'ceremony.paused':
      return `paused: ${String(d.reason ?? '')}`;
    case 'ceremony.sealed':
      return `sealed (${String(d.outcome ?? '')})`;
    case 'journal.repaired':
      return String(d.reason ?? 'repaired');
    default:
      return '';
  }
}
