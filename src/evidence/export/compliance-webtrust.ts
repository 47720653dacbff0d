// The contents of a key generation script as WebTrust asks for them (roles, approval, materials, steps,
// physical security, storage, sign-off, deviations), each decided from the script and the journal.
import type { JournalEntry } from '../../record/journal.js';
import type { Step } from '../../script/schema.js';
import { JOURNAL, SCRIPT_COPY as SCRIPT } from '../packet-files.js';
import { completedSteps, inStep, isEvent, noScript, pageOf, pagesOf, personOf, type Ctx, type Finding } from './export-context.js';

export function roles(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const declared = Object.entries(ctx.script.roles);
  if (declared.length === 0) return { status: 'missing', files: [SCRIPT], note: 'the script declares no roles' };
  const checkIns = ctx.entries.filter(isEvent('participants'));
  if (checkIns.length === 0) return { status: 'missing', files: [SCRIPT, JOURNAL], note: `no participants check-in in ${JOURNAL}` };
  const described = declared.filter(([, r]) => r.description).length;
  return {
    status: 'satisfied',
    files: [SCRIPT, ...pagesOf(ctx, checkIns.map((e) => e.step ?? '')), JOURNAL],
    seqs: checkIns.map((e) => e.seq),
    note: `${declared.length} roles (${declared.map(([, r]) => r.title).join(', ')}), ${described} with a written description; every step names the role that performs, witnesses and signs off; people checked in by role`,
  };
}

export function approval(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  // A kind of its own (quorum.approve); scripts cannot declare it yet, so today this is always missing.
  const steps = ctx.script.steps.filter((s) => (s.kind as string) === 'quorum.approve');
  if (steps.length === 0) return { status: 'missing', files: [SCRIPT], note: 'the script has no approval step (quorum.approve)' };
  const done = steps.map((s) => inStep(ctx, s.id, (e) => e.type === 'step.completed').pop());
  if (done.some((e) => !e)) return { status: 'missing', files: [JOURNAL], note: 'the approval step did not complete' };
  // Approvals are made in the ceremony, each before the step it approves (verify checks the order).
  const names = steps.map((s) => `${s.id}${s.kind === 'quorum.approve' && s.params.approve !== 'record' ? ` (before ${s.params.approve})` : ' (the record so far)'}`);
  return { status: 'satisfied', files: [...pagesOf(ctx, steps.map((s) => s.id)), JOURNAL], seqs: done.map((e) => e!.seq), note: `approved during the ceremony by quorum, each by officers' tokens: ${names.join(', ')}` };
}

export function materials(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const listed = ctx.script.materials;
  if (listed.length === 0) return { status: 'missing', files: [SCRIPT], note: `${SCRIPT} lists no hardware or materials` };
  const identity = ctx.entries.filter((e) => (e.type === 'result' && e.data.op === 'hsm.init-token' && e.data.ok === true) || isEvent('hsm-login')(e)).slice(0, 1);
  return {
    status: 'satisfied',
    files: [SCRIPT, ...pagesOf(ctx, identity.map((e) => e.step ?? '')), ...(identity.length > 0 ? [JOURNAL] : [])],
    seqs: identity.map((e) => e.seq),
    note: `${listed.length} item(s) listed in ${SCRIPT}${identity.length > 0 ? `; token identity recorded at #${identity[0].seq}` : ''}; PIN halves as activation material held by the PIN holders`,
  };
}

export function specificSteps(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const completed = completedSteps(ctx);
  const unpaged = completed.filter((s) => !pageOf(ctx, s.id));
  const files = [SCRIPT, ...pagesOf(ctx, completed.map((s) => s.id))];
  const seqs = completed.map((s) => inStep(ctx, s.id, (e) => e.type === 'step.completed').pop()!.seq);
  if (unpaged.length > 0) return { status: 'missing', files, seqs, note: `completed steps without their page: ${unpaged.map((s) => s.id).join(', ')}` };
  return { status: 'satisfied', files, seqs, note: `${ctx.script.steps.length} numbered steps with instructions in ${SCRIPT}; ${completed.length} completed, each with its signed page` };
}

const BAG_OR_SEAL = /bag|seal|tamper/i;
const STORAGE = /bag|seal|tamper|safe|vault|storage|stored|locker/i;

/** Values typed at a manual.confirm step whose field or label matches. */
function recordsIn(ctx: Ctx, step: Step, pattern: RegExp): JournalEntry[] {
  if (step.kind !== 'manual.confirm') return [];
  return inStep(ctx, step.id, (e) => isEvent('recorded')(e) && (pattern.test(String(e.data.field ?? '')) || pattern.test(String(e.data.label ?? ''))));
}

function recordNote(e: JournalEntry): string {
  return `${String(e.data.label ?? e.data.field)}: ${String(e.data.value)} (#${e.seq})`;
}

export function physicalSecurity(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  // The bag the hardware arrived in, checked during the ceremony; the closing step's new bag is storage.
  const before = ctx.script.steps.slice(0, -1);
  const found = before.flatMap((s) => recordsIn(ctx, s, BAG_OR_SEAL));
  if (found.length === 0) return { status: 'missing', files: [SCRIPT, JOURNAL], note: 'no tamper-bag or seal recorded at a manual.confirm step before the closing step' };
  return { status: 'satisfied', files: [...pagesOf(ctx, found.map((e) => e.step ?? '')), JOURNAL], seqs: found.map((e) => e.seq), note: found.map(recordNote).join('; ') };
}

export function storage(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const close = ctx.script.steps[ctx.script.steps.length - 1];
  const found = recordsIn(ctx, close, STORAGE);
  if (found.length === 0) return { status: 'missing', files: [SCRIPT, JOURNAL], note: `the closing step ${close.id} records no bag, seal or storage place` };
  return { status: 'satisfied', files: [...pagesOf(ctx, [close.id]), JOURNAL], seqs: found.map((e) => e.seq), note: `${close.id}: ${found.map(recordNote).join('; ')}` };
}

export function finalSignOff(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const close = ctx.script.steps[ctx.script.steps.length - 1];
  const signs = inStep(ctx, close.id, isEvent('sign-off'));
  if (signs.length === 0) {
    return { status: 'missing', files: [SCRIPT, JOURNAL], note: `no sign-off at the closing step ${close.id}${close.sign_off.length === 0 ? ' (the script asks for none)' : ''}` };
  }
  const said = signs.map((e) => `${personOf(ctx, e)}: ${e.data.answer === true ? 'followed' : 'not followed'}`);
  return { status: 'satisfied', files: [...pagesOf(ctx, [close.id]), JOURNAL], seqs: signs.map((e) => e.seq), note: `${close.id}: ${said.join('; ')}` };
}

export function deviations(ctx: Ctx): Finding {
  const noted = ctx.entries.filter((e) => e.type === 'deviation' || e.type === 'ceremony.aborted');
  if (noted.length === 0) return { status: 'satisfied', files: [JOURNAL], note: 'none recorded' };
  const bare = noted.filter((e) => String(e.data.reason ?? '').trim() === '');
  const files = [...pagesOf(ctx, noted.map((e) => e.step ?? '')), JOURNAL];
  const seqs = noted.map((e) => e.seq);
  if (bare.length > 0) return { status: 'missing', files, seqs, note: `deviations without a reason: ${bare.map((e) => `#${e.seq}`).join(', ')}` };
  return { status: 'satisfied', files, seqs, note: noted.map((e) => `#${e.seq} ${e.step ?? ''} ${e.type === 'deviation' ? String(e.data.action) : 'abort'}: ${String(e.data.reason)}`).join('; ') };
}
