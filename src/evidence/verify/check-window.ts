// An Android signing window's record (android.sign-window) against the plan the ceremony started with, believing
// none of the journal's own verdicts. Contract:
// - window events stand only in the script's android.sign-window step, and a window opens only after an approval
//   statement of that step naming the plan the ceremony started with (the officers group checks the approval's
//   signatures), once per approval;
// - each signature the window returned is numbered 1, 2, ... in its window, by a key of the plan with the SPKI
//   the window found on the token, of a kind whose budget for that key it does not exceed, and verifies over its
//   recorded digest under that key;
// - the window's closing entry counts them and names the SHA-256 of their list, recomputed here;
// - a ceremony that started with no plan holds no window events.
// Never throws on bad data: values from the journal are shown through safe().
import type { PlanSubject } from '../../custody/signing-plan.js';
import type { ApprovalStatement } from '../../custody/quorum.js';
import { sha256Hex } from '../../record/digest.js';
import { windowHash, windowSignatureHolds } from '../../custody/window-request.js';
import { JOURNAL } from '../packet-files.js';
import { isObject } from '../json-shape.js';
import { lineOf, type Context, type Group } from './check-context.js';

const WINDOW_EVENTS = ['window-opened', 'window-signature', 'window-closed', 'window-refused'];

function safe(x: unknown): string {
  return typeof x === 'string' ? x.slice(0, 80) : (JSON.stringify(x) ?? 'undefined').slice(0, 80);
}

export function checkWindow(g: Group, ctx: Context): void {
  const events = ctx.entries.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'step.event' && WINDOW_EVENTS.includes(String(e.data.what)));
  const plan = isObject(ctx.started?.data.signing_plan) ? (ctx.started.data.signing_plan as unknown as PlanSubject) : undefined;
  if (!plan) {
    if (events.length > 0) g.fail(`${JOURNAL}: ${events.length} signing window entr${events.length === 1 ? 'y' : 'ies'} in a ceremony that started with no signing plan`);
    return;
  }
  const step = ctx.script?.steps.find((s) => s.kind === 'android.sign-window');
  if (!step) return void (events.length > 0 && g.fail(`${JOURNAL}: signing window entries, yet the script has no android.sign-window step`));
  const before = g.problems.length;
  const at = (i: number) => `${JOURNAL} line ${lineOf(ctx.entries[i], ctx)}`;
  let window: { keys: Map<string, { sha256: string; spki: Buffer }>; used: Map<string, { avb: number; payload: number }>; sigs: string[] } | undefined;
  const approvals = new Set<number>();
  let approvalAt = -1;
  const summaries: string[] = [];
  ctx.entries.forEach((e, i) => {
    if (e.type === 'step.event' && e.data.what === 'approval-statement') {
      const s = e.data.statement as unknown as ApprovalStatement | undefined;
      if (isObject(s) && isObject(s.approve) && s.approve.what === 'step' && s.approve.step?.id === step.id && s.approve.plan?.sha256 === plan.sha256) approvalAt = i;
      return;
    }
    if (e.type !== 'step.event' || !WINDOW_EVENTS.includes(String(e.data.what))) return;
    if (e.step !== step.id) return void g.fail(`${at(i)}: a signing window entry outside step ${step.id} (in ${safe(e.step)})`);
    if (e.data.what === 'window-opened') {
      if (approvalAt < 0) return void g.fail(`${at(i)}: a signing window opened with no approval of step ${step.id} naming the signing plan ${plan.sha256}`);
      if (approvals.has(approvalAt)) return void g.fail(`${at(i)}: a second signing window under the approval at ${at(approvalAt)}`);
      approvals.add(approvalAt);
      if (e.data.plan_sha256 !== plan.sha256) g.fail(`${at(i)}: the window names plan ${safe(e.data.plan_sha256)}, not the ${plan.sha256} the ceremony started with`);
      const keys = new Map<string, { sha256: string; spki: Buffer }>();
      for (const k of Array.isArray(e.data.keys) ? e.data.keys : []) {
        if (!isObject(k)) continue;
        const spki = Buffer.from(typeof k.spki === 'string' ? k.spki : '', 'base64');
        if (sha256Hex(spki) !== k.spki_sha256) g.fail(`${at(i)}: the window's key ${safe(k.label)}: its SPKI does not hash to the recorded ${safe(k.spki_sha256)}`);
        keys.set(String(k.label), { sha256: String(k.spki_sha256), spki });
      }
      window = { keys, used: new Map(plan.keys.map((k) => [k.label, { avb: 0, payload: 0 }])), sigs: [] };
      return;
    }
    if (!window) return void g.fail(`${at(i)}: a signing window entry (${safe(e.data.what)}) while no window is open`);
    if (e.data.what === 'window-signature') {
      const key = plan.keys.find((k) => k.label === e.data.key);
      const kind = e.data.kind === 'avb' || e.data.kind === 'payload' ? e.data.kind : undefined;
      if (!key || !kind) return void g.fail(`${at(i)}: a window signature by ${safe(e.data.key)} of kind ${safe(e.data.kind)}, which the plan does not name`);
      const found = window.keys.get(key.label);
      if (!found || e.data.spki_sha256 !== found.sha256) g.fail(`${at(i)}: a window signature by key ${key.label} with SPKI ${safe(e.data.spki_sha256)}, not the one the window found on the token`);
      else {
        // The signature itself, over the recorded digest, under the key the window found.
        const sig = Buffer.from(typeof e.data.signature === 'string' ? e.data.signature : '', 'base64');
        const digest = Buffer.from(typeof e.data.digest === 'string' ? e.data.digest : '', 'hex');
        if (sha256Hex(sig) !== e.data.signature_sha256) g.fail(`${at(i)}: the recorded signature does not hash to its signature_sha256`);
        else if (!windowSignatureHolds(found.spki, digest, sig, windowHash(kind, typeof e.data.algorithm === 'string' ? e.data.algorithm : undefined))) g.fail(`${at(i)}: window signature ${safe(e.data.seq)} does not verify over its digest under key ${key.label}`);
      }
      if (e.data.seq !== window.sigs.length + 1) g.fail(`${at(i)}: window signature number ${safe(e.data.seq)}, where ${window.sigs.length + 1} comes next`);
      const used = window.used.get(key.label)!;
      used[kind] += 1;
      if (used[kind] > key.budget[kind]) g.fail(`${at(i)}: key ${key.label}'s ${kind} signature ${used[kind]}, over the plan's budget of ${key.budget[kind]}`);
      window.sigs.push(String(e.data.signature_sha256));
      return;
    }
    if (e.data.what === 'window-closed') {
      const list = sha256Hex(window.sigs.join('\n'));
      if (e.data.signatures !== window.sigs.length) g.fail(`${at(i)}: the window closed naming ${safe(e.data.signatures)} signature(s); the journal holds ${window.sigs.length}`);
      if (e.data.signatures_sha256 !== list) g.fail(`${at(i)}: the window's signature list SHA-256 ${safe(e.data.signatures_sha256)} is not that of the signatures journaled (${list})`);
      summaries.push(`${window.sigs.length} signature(s) (${[...window.used].map(([k, u]) => `${k}: avb ${u.avb}, payload ${u.payload}`).join('; ')}), list SHA-256 ${list}`);
      window = undefined;
    }
  });
  if (g.problems.length === before && summaries.length > 0) g.note(`${JOURNAL}: signing window of step ${step.id} under plan ${plan.sha256}: ${summaries.join('; ')}, each within the plan's budgets`);
}
