// The CA/B Forum Baseline Requirements a ceremony is mapped against (6.1.1.1 script, witness and report; 5.2.2
// split knowledge and multi-person control; 5.4.1 event log; 5.4.3 retention), each decided from the journal and
// the files, never from what a page or the manifest says about itself.
import { JOURNAL, PACKET, SCRIPT_COPY as SCRIPT } from '../packet-files.js';
import { completedSteps, inStep, isEvent, noScript, pageOf, pagesOf, personOf, startedSteps, type Ctx, type Finding } from './export-context.js';
import { names } from './read-packet.js';
import { isObject, str } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';
import { RETENTION_UNKNOWN } from './retention.js';

export function scriptFollowed(ctx: Ctx): Finding {
  const bytes = ctx.files.get(SCRIPT);
  if (!bytes) return { status: 'missing', note: `${SCRIPT} is not in the packet` };
  if (!ctx.started) return { status: 'missing', files: [SCRIPT], note: `no ceremony.started entry in ${JOURNAL} records the script's SHA-256` };
  const actual = sha256Hex(bytes);
  const recorded = str(ctx.started.data.scriptSha256);
  if (actual !== recorded) {
    return { status: 'missing', files: [SCRIPT, JOURNAL], seqs: [ctx.started.seq], note: `${SCRIPT} SHA-256 ${actual} is not the ${recorded ?? '(none)'} recorded at start` };
  }
  if (!ctx.script) return noScript;
  const order = ctx.script.steps.map((s) => s.id);
  let last = -1;
  for (const e of ctx.entries) {
    if (e.type !== 'step.started') continue;
    const i = order.indexOf(e.step ?? '');
    if (i < last || i === -1) return { status: 'missing', files: [SCRIPT, JOURNAL], seqs: [ctx.started.seq, e.seq], note: `step ${e.step} started out of the script's order (#${e.seq})` };
    last = i;
  }
  const done = completedSteps(ctx).length;
  const outcome = ctx.final ? ctx.final.type.replace('ceremony.', '') : 'unfinished';
  return {
    status: 'satisfied',
    files: [SCRIPT, JOURNAL],
    seqs: [ctx.started.seq],
    note: `SHA-256 ${actual} recorded at start; steps ran in the script's order; ${done} of ${order.length} steps completed; ${outcome}`,
  };
}

export function keyGenerationWitnessed(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const generating = ctx.script.steps.filter((s) => s.kind === 'hsm.generate-key');
  if (generating.length === 0) return { status: 'not applicable', files: [SCRIPT], note: 'the script generates no authority key' };
  const reached = startedSteps(ctx, generating);
  if (reached.length === 0) return { status: 'not applicable', files: [JOURNAL], note: 'no key generation step was reached' };
  const seqs: number[] = [];
  const said: string[] = [];
  const lacking: string[] = [];
  for (const step of reached) {
    // Only someone other than the performing role counts as a witness of the generation.
    const signs = inStep(ctx, step.id, (e) => isEvent('sign-off')(e) && e.data.answer === true && ctx.who(e.actor).role !== step.perform);
    if (signs.length === 0) {
      lacking.push(`${step.id}: no witness sign-off in ${JOURNAL}${step.sign_off.length === 0 ? ' (the script asks for none: sign_off is empty)' : ''}`);
      continue;
    }
    seqs.push(...signs.map((e) => e.seq));
    said.push(`${step.id}: signed off by ${signs.map((e) => personOf(ctx, e)).join(', ')}`);
  }
  const files = [...pagesOf(ctx, reached.map((s) => s.id)), JOURNAL];
  if (lacking.length > 0) return { status: 'missing', files, seqs, note: lacking.join('; ') };
  return { status: 'satisfied', files, seqs, note: said.join('; ') };
}

export function ceremonyReport(ctx: Ctx): Finding {
  const packet = ctx.files.get(PACKET);
  if (!packet) return { status: 'missing', note: `${PACKET} is not in the packet` };
  if (!ctx.sealed) return { status: 'missing', files: [PACKET], note: `no ceremony.sealed entry in ${JOURNAL} records ${PACKET}` };
  const recorded = isObject(ctx.sealed.data.packet) ? str(ctx.sealed.data.packet.sha256) : undefined;
  if (recorded !== sha256Hex(packet)) return { status: 'missing', files: [PACKET, JOURNAL], seqs: [ctx.sealed.seq], note: `${PACKET} is not the report sealed in ${JOURNAL}` };
  return { status: 'satisfied', files: [PACKET, JOURNAL], seqs: [ctx.sealed.seq], note: `signed ceremony report sealed at #${ctx.sealed.seq} (${ctx.sealed.data.outcome})` };
}

export function splitKnowledge(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const inits = ctx.script.steps.filter((s) => s.kind === 'hsm.init-token');
  if (inits.length === 0) {
    return { status: 'not applicable', files: [SCRIPT], note: 'the token was initialised outside this ceremony (no hsm.init-token step)' };
  }
  const reached = startedSteps(ctx, inits);
  if (reached.length === 0) return { status: 'not applicable', files: [JOURNAL], note: 'no token initialisation step was reached' };
  const seqs: number[] = [];
  const said: string[] = [];
  const lacking: string[] = [];
  for (const step of reached) {
    const holders = inStep(ctx, step.id, isEvent('pin-holders')).pop();
    const initialised = inStep(ctx, step.id, (e) => e.type === 'result' && e.data.op === 'hsm.init-token').pop();
    const distinct = new Set(names(holders?.data.holders));
    if (!holders || distinct.size < 2) {
      lacking.push(`${step.id}: ${holders ? `PIN halves held by ${distinct.size} person(s)` : `no PIN holders recorded in ${JOURNAL}`}`);
      continue;
    }
    if (!initialised || initialised.data.ok !== true) {
      lacking.push(`${step.id}: the token initialisation has no ok result in ${JOURNAL}`);
      continue;
    }
    seqs.push(holders.seq, initialised.seq);
    said.push(`${step.id}: SO and user PIN halves held by ${[...distinct].join(' and ')}`);
  }
  const files = [...pagesOf(ctx, reached.map((s) => s.id)), JOURNAL];
  if (lacking.length > 0) return { status: 'missing', files, seqs, note: lacking.join('; ') };
  return { status: 'satisfied', files, seqs, note: said.join('; ') };
}

export function multiPersonControl(ctx: Ctx): Finding {
  // Each activation of the HSM: a login (both halves of the user PIN) or a token initialisation (both halves of
  // the SO PIN, by the step's PIN holders).
  const activations: Array<{ seq: number; step: string; by: string[] }> = [];
  for (const e of ctx.entries) {
    if (e.type === 'step.event' && e.data.what === 'hsm-login') activations.push({ seq: e.seq, step: e.step ?? '', by: names(e.data.by) });
    if (e.type === 'intent' && e.data.op === 'hsm.init-token') {
      const holders = isObject(e.data.params) ? names(e.data.params.holders) : [];
      activations.push({ seq: e.seq, step: e.step ?? '', by: holders });
    }
  }
  const usedHsm = ctx.entries.some((e) => e.type === 'intent' && typeof e.data.op === 'string' && e.data.op.startsWith('hsm.'));
  if (activations.length === 0) {
    return usedHsm
      ? { status: 'missing', files: [JOURNAL], note: `the HSM was used but ${JOURNAL} records no activation by two people` }
      : { status: 'not applicable', files: [JOURNAL], note: 'the HSM was not used' };
  }
  const single = activations.filter((a) => new Set(a.by).size < 2);
  const files = [...pagesOf(ctx, activations.map((a) => a.step)), JOURNAL];
  const seqs = activations.map((a) => a.seq);
  if (single.length > 0) return { status: 'missing', files, seqs, note: `activation by fewer than two people at ${single.map((a) => `#${a.seq}`).join(', ')}` };
  const people = [...new Set(activations.flatMap((a) => a.by))];
  return { status: 'satisfied', files, seqs, note: `${activations.length} activation(s), each by two people (${people.join(', ')})` };
}

export function eventLog(ctx: Ctx): Finding {
  const journal = ctx.report.groups.find((g) => g.name === 'journal');
  if (!ctx.files.has(JOURNAL)) return { status: 'missing', note: `${JOURNAL} is not in the packet` };
  if (!journal?.ok) return { status: 'missing', files: [JOURNAL], note: `the journal does not verify: ${journal?.problems[0] ?? 'not checked'}` };
  const incomplete = ctx.entries.filter((e) => Number.isNaN(Date.parse(e.time)) || e.actor.trim() === '' || e.type.trim() === '');
  if (incomplete.length > 0) return { status: 'missing', files: [JOURNAL], seqs: incomplete.map((e) => e.seq), note: 'entries without date/time, identity or description' };
  const completed = completedSteps(ctx);
  const unpaged = completed.filter((s) => !pageOf(ctx, s.id));
  const files = [JOURNAL, ...pagesOf(ctx, completed.map((s) => s.id))];
  if (unpaged.length > 0) return { status: 'missing', files, note: `completed steps without their page: ${unpaged.map((s) => s.id).join(', ')}` };
  // The key lifecycle events proper: what was done to the token and its keys.
  const keyEvents = ctx.entries.filter((e) => e.type === 'result' && typeof e.data.op === 'string' && (e.data.op.startsWith('hsm.') || e.data.op === 'evidence.certificate'));
  const n = ctx.entries.length;
  return {
    status: 'satisfied',
    files,
    seqs: keyEvents.map((e) => e.seq),
    note: `${n} entries #1-#${n}, hash-chained, each with time, actor and type; ${keyEvents.length} key and token operations; ${files.length - 1} signed step pages`,
  };
}

export function retention(ctx: Ctx): Finding {
  const r = ctx.retention;
  if (!r.file) return { status: 'missing', note: RETENTION_UNKNOWN };
  return { status: 'satisfied', files: [r.file], note: `retain until ${r.retainUntil} (${r.basis})` };
}
