// An Android signing window's record (android.sign-window) against the plan the ceremony started with, believing
// none of the journal's own verdicts. Contract:
// - the plan is the packet's copy (inputs/signing-plan.json, pinned by check-inputs), parsed again: what
//   ceremony.started records of it, and so what the officers approved, is exactly its subject;
// - a window opens once, in the script's android.sign-window step, after the quorum.approve step approving that
//   step completed, under that step's statement naming this plan (the statement the officers group checked);
// - the window's keys are the plan's, each once, of the plan's algorithm (read from the key itself), and the
//   key this ceremony generated under that label when it generated one;
// - each signature is numbered 1, 2, ... by a plan key with the SPKI the window recorded, of a kind whose budget
//   for that key it does not exceed (a key signs for one kind only: custody/signing-plan.ts), within the time
//   limit, and verifies over its recorded digest under that key;
// - the closing entry counts them and names the SHA-256 of their list, recomputed here; a window step that
//   completed closed its window;
// - a ceremony that started with no plan holds no window events.
// Never throws on bad data: values from the journal are shown through shown().
import { createPublicKey } from 'node:crypto';
import type { ApprovalStatement } from '../../custody/quorum.js';
import { parseSigningPlan, planSubject, type PlanKey, type PlanSubject } from '../../custody/signing-plan.js';
import { windowHash, windowSignatureHolds } from '../../custody/window-request.js';
import { canonicalJson } from '../../record/canonical-json.js';
import { sha256Hex } from '../../record/digest.js';
import type { JournalEntry } from '../../record/journal.js';
import { INPUT_COPIES, JOURNAL } from '../packet-files.js';
import { isObject, shown } from '../json-shape.js';
import { lineOf, type Context, type Group } from './check-context.js';

const WINDOW_EVENTS = ['window-opened', 'window-signature', 'window-closed', 'window-refused'];


/** Whether the SPKI is a key of the plan's algorithm. */
function ofAlgorithm(spki: Buffer, algorithm: PlanKey['algorithm']): boolean {
  try {
    const d = createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyDetails;
    if (algorithm.startsWith('RSA-')) return d?.modulusLength === Number(algorithm.slice(4));
    return d?.namedCurve === (algorithm === 'EC-P256' ? 'prime256v1' : 'secp384r1');
  } catch {
    return false;
  }
}

/** The approval in force for the window: the approving step's last statement naming it, before that step completed. */
function approvalOf(ctx: Context, stepId: string, planSha256: string): { at: number; completed: number } | undefined {
  const approve = ctx.script?.steps.find((s) => s.kind === 'quorum.approve' && s.params.approve === stepId);
  if (!approve) return undefined;
  const completed = ctx.entries.map((e) => e.type === 'step.completed' && e.step === approve.id).lastIndexOf(true);
  for (let i = completed - 1; i >= 0; i--) {
    const e = ctx.entries[i];
    if (e.step !== approve.id || e.type !== 'step.event' || e.data.what !== 'approval-statement') continue;
    const s = e.data.statement as unknown as ApprovalStatement | undefined;
    return isObject(s) && isObject(s.approve) && s.approve.what === 'step' && s.approve.step?.id === stepId && s.approve.plan?.sha256 === planSha256 ? { at: i, completed } : undefined;
  }
  return undefined;
}

interface OpenWindow {
  keys: Map<string, { sha256: string; spki: Buffer; plan: PlanKey }>;
  used: Map<string, { avb: number; payload: number }>;
  sigs: string[];
  closesAt: number;
}

export function checkWindow(g: Group, ctx: Context): void {
  const events = ctx.entries.filter((e) => e.type === 'step.event' && WINDOW_EVENTS.includes(String(e.data.what)));
  const recorded = ctx.started?.data.signing_plan;
  if (!isObject(recorded)) {
    if (events.length > 0) g.fail(`${JOURNAL}: ${events.length} signing window entr${events.length === 1 ? 'y' : 'ies'} in a ceremony that started with no signing plan`);
    return;
  }
  const copy = ctx.files.get(INPUT_COPIES.signingPlan);
  const parsed = copy ? parseSigningPlan(copy, INPUT_COPIES.signingPlan, { policy: false }) : undefined;
  if (!parsed?.plan || !parsed.sha256) return void g.fail(`${INPUT_COPIES.signingPlan}: ${copy ? 'not a signing plan' : 'missing'}: the signing window is not checked`);
  const plan = planSubject(parsed.plan, parsed.sha256);
  if (canonicalJson(plan) !== canonicalJson(recorded)) return void g.fail(`${JOURNAL} line 1: the signing plan it records (what the officers approved) is not the plan in ${INPUT_COPIES.signingPlan}`);
  const step = ctx.script?.steps.find((s) => s.kind === 'android.sign-window');
  if (!step) return void (events.length > 0 && g.fail(`${JOURNAL}: signing window entries, yet the script has no android.sign-window step`));
  const before = g.problems.length;
  const at = (e: JournalEntry) => `${JOURNAL} line ${lineOf(e, ctx)}`;
  const approval = approvalOf(ctx, step.id, plan.sha256);
  let window: OpenWindow | undefined;
  let opened = 0;
  const summaries: string[] = [];
  ctx.entries.forEach((e, i) => {
    if (e.type !== 'step.event' || !WINDOW_EVENTS.includes(String(e.data.what))) return;
    if (e.step !== step.id) return void g.fail(`${at(e)}: a signing window entry outside step ${step.id} (in ${shown(e.step)})`);
    if (e.data.what === 'window-opened') {
      opened += 1;
      if (!approval || i < approval.completed) return void g.fail(`${at(e)}: a signing window opened without the completed approval of step ${step.id} naming the signing plan ${plan.sha256}`);
      if (opened > 1) return void g.fail(`${at(e)}: a second signing window under the approval at ${at(ctx.entries[approval.at])}`);
      window = openedWindow(g, ctx, e, plan);
      return;
    }
    if (!window) return void g.fail(`${at(e)}: a signing window entry (${shown(e.data.what)}) while no window is open`);
    if (e.data.what === 'window-signature') return void signature(g, e, window, at(e));
    if (e.data.what === 'window-closed') {
      const list = sha256Hex(window.sigs.join('\n'));
      if (e.data.signatures !== window.sigs.length) g.fail(`${at(e)}: the window closed naming ${shown(e.data.signatures)} signature(s); the journal holds ${window.sigs.length}`);
      if (e.data.signatures_sha256 !== list) g.fail(`${at(e)}: the window's signature list SHA-256 ${shown(e.data.signatures_sha256)} is not that of the signatures journaled (${list})`);
      summaries.push(`${window.sigs.length} signature(s) (${[...window.used].map(([k, u]) => `${k}: avb ${u.avb}, payload ${u.payload}`).join('; ')}), list SHA-256 ${list}`);
      window = undefined;
    }
  });
  if (window && ctx.entries.some((e) => e.type === 'step.completed' && e.step === step.id)) g.fail(`${JOURNAL}: step ${step.id} completed with its signing window never closed`);
  if (g.problems.length === before && summaries.length > 0) g.note(`${JOURNAL}: signing window of step ${step.id} under plan ${plan.sha256}: ${summaries.join('; ')}, each within the plan's budgets and time limit`);
}

/** The window as its opening entry records it, each key checked against the plan and the ceremony's own keys. */
function openedWindow(g: Group, ctx: Context, e: JournalEntry, plan: PlanSubject): OpenWindow {
  const { keys: planKeys, time_limit_minutes: minutes } = plan;
  const where = `${JOURNAL} line ${lineOf(e, ctx)}`;
  const keys: OpenWindow['keys'] = new Map();
  if (e.data.plan_sha256 !== plan.sha256) g.fail(`${where}: the window names plan ${shown(e.data.plan_sha256)}, not the ${plan.sha256} the ceremony started with`);
  for (const k of Array.isArray(e.data.keys) ? e.data.keys : []) {
    if (!isObject(k)) continue;
    const label = String(k.label);
    const planKey = planKeys.find((p) => p.label === label);
    const spki = Buffer.from(typeof k.spki === 'string' ? k.spki : '', 'base64');
    if (!planKey) g.fail(`${where}: the window's key ${shown(k.label)} is none of the plan's`);
    else if (keys.has(label)) g.fail(`${where}: the window lists key ${label} twice`);
    else if (sha256Hex(spki) !== k.spki_sha256) g.fail(`${where}: the window's key ${label}: its SPKI does not hash to the recorded ${shown(k.spki_sha256)}`);
    else if (!ofAlgorithm(spki, planKey.algorithm)) g.fail(`${where}: the window's key ${label} is not ${planKey.algorithm}, as the plan says`);
    else {
      // A key this very ceremony generated under that label is the one the window must have used.
      const made = ctx.entries.find((x) => x.type === 'result' && x.data.op === 'hsm.generate-key' && isObject(x.data.output) && x.data.output.label === label);
      const madeSha = made && isObject(made.data.output) ? made.data.output.spkiSha256 : undefined;
      if (madeSha !== undefined && madeSha !== k.spki_sha256) g.fail(`${where}: the window's key ${label} is not the key this ceremony generated under that label (${shown(madeSha)})`);
      keys.set(label, { sha256: String(k.spki_sha256), spki, plan: planKey });
    }
  }
  for (const p of planKeys) if (!keys.has(p.label)) g.fail(`${where}: the window does not list the plan's key ${p.label}`);
  const openedAt = Date.parse(e.time);
  const closesAt = Date.parse(typeof e.data.closes_at === 'string' ? e.data.closes_at : '');
  if (!(closesAt <= openedAt + minutes * 60_000 + 60_000)) g.fail(`${where}: the window closes at ${shown(e.data.closes_at)}, later than the plan's ${minutes} minutes allow`);
  return { keys, used: new Map(planKeys.map((k) => [k.label, { avb: 0, payload: 0 }])), sigs: [], closesAt: Number.isFinite(closesAt) ? closesAt : openedAt };
}

/** One journaled window signature against the open window. */
function signature(g: Group, e: JournalEntry, window: OpenWindow, where: string): void {
  const found = window.keys.get(String(e.data.key));
  const kind = e.data.kind === 'avb' || e.data.kind === 'payload' ? e.data.kind : undefined;
  if (!found || !kind) return void g.fail(`${where}: a window signature by ${shown(e.data.key)} of kind ${shown(e.data.kind)}, which the plan does not name`);
  const label = found.plan.label;
  if (e.data.spki_sha256 !== found.sha256) g.fail(`${where}: a window signature by key ${label} with SPKI ${shown(e.data.spki_sha256)}, not the one the window found on the token`);
  if (e.data.seq !== window.sigs.length + 1) g.fail(`${where}: window signature number ${shown(e.data.seq)}, where ${window.sigs.length + 1} comes next`);
  // The window checks the limit before it signs and journals after: a minute's slack, as at the opening.
  if (!(Date.parse(e.time) <= window.closesAt + 60_000)) g.fail(`${where}: window signature ${shown(e.data.seq)} made at ${e.time}, after the window's time limit`);
  const used = window.used.get(label)!;
  used[kind] += 1;
  if (used[kind] > found.plan.budget[kind]) g.fail(`${where}: key ${label}'s ${kind} signature ${used[kind]}, over the plan's budget of ${found.plan.budget[kind]}`);
  const sig = Buffer.from(typeof e.data.signature === 'string' ? e.data.signature : '', 'base64');
  const digest = Buffer.from(typeof e.data.digest === 'string' ? e.data.digest : '', 'hex');
  if (sha256Hex(sig) !== e.data.signature_sha256) g.fail(`${where}: the recorded signature does not hash to its signature_sha256`);
  else if (!windowSignatureHolds(found.spki, digest, sig, windowHash(kind, typeof e.data.algorithm === 'string' ? e.data.algorithm : undefined))) g.fail(`${where}: window signature ${shown(e.data.seq)} does not verify over its digest under key ${label}`);
  window.sigs.push(String(e.data.signature_sha256));
}
