// The compliance export, as pure data over packets already read and verified (format: evidence/README.md).
// From one packet's files and its verifyPacket() report, buildPacketIndex() makes: one index row per journal
// entry (who, in which role, did what, with what result, and which signed file shows it); one compliance row
// per requirement of CA/B Forum BR 6.1.1.1, 5.2.2, 5.4.1, 5.4.3 and the WebTrust key-generation script contents
// (../shared/DOMAIN.md), each `satisfied`, `missing` or `not applicable` with the packet files and journal seqs
// that decide it; and the ceremony's retention date. buildExportArchive() lays the packets, byte for byte, and
// the index files into one zip. Nothing here reads a file, and nothing here believes a claim it can recompute:
// statuses come from the journal and the files, never from what a page or the manifest says about itself.
import { createHash, X509Certificate } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
import { parseJournal, type JournalEntry } from '../record/journal.js';
import { parseScript } from '../script/rules.js';
import type { Script, Step } from '../script/schema.js';
import type { PacketReport } from './verify-packet.js';

import { JOURNAL, MANIFEST, PACKET, SCRIPT_COPY as SCRIPT } from './packet-files.js';
const RETENTION_YEARS = 2;
export const RETENTION_UNKNOWN = 'unknown (no key expiry recorded)';
export const EXPORT_FORMAT = 'officiant-export/1';

export type ComplianceStatus = 'satisfied' | 'missing' | 'not applicable';

export interface CeremonySummary {
  ceremonyId: string;
  scriptId: string;
  scriptVersion: number | null;
  scriptSha256: string | null;
  outcome: 'completed' | 'aborted' | 'unfinished';
  rehearsal: boolean;
  verified: boolean;
  /** Every problem verifyPacket found (empty when verified). */
  problems: string[];
  evidenceKeySha256: string | null;
  startedAt: string | null;
  endedAt: string | null;
  events: number;
  /** ISO time, or RETENTION_UNKNOWN. */
  retainUntil: string;
  /** What the retention date was computed from. */
  retainBasis: string;
}

export interface IndexRow {
  ceremonyId: string;
  scriptId: string;
  seq: number;
  stepId: string;
  stepNumber: number | null;
  time: string;
  /** The actor's name without the role suffix the journal adds; 'system' for the system. */
  person: string;
  /** Role id from the participants' check-in record (or the actor's role suffix); 'system' for the system. */
  role: string;
  roleTitle: string;
  /** Entry type, plus the operation, event name or deviation action. */
  action: string;
  result: string;
  /** steps/NN-<id>.pdf when the entry's step has a page in the packet, else journal.jsonl. */
  evidenceFile: string;
  entryHash: string;
  verified: boolean;
}

export interface ComplianceRow {
  ceremonyId: string;
  requirement: string;
  source: string;
  text: string;
  status: ComplianceStatus;
  evidenceFiles: string[];
  journalSeqs: number[];
  note: string;
  verified: boolean;
}

export interface PacketIndex {
  summary: CeremonySummary;
  events: IndexRow[];
  compliance: ComplianceRow[];
}

export interface Requirement {
  id: string;
  source: string;
  text: string;
}

/** The requirements every ceremony is mapped against, in the order of compliance.csv. */
export const REQUIREMENTS: readonly Requirement[] = [
  { id: 'BR-6.1.1.1/script', source: 'CA/B Forum BR 6.1.1.1', text: 'key pair generation follows a documented key generation script' },
  { id: 'BR-6.1.1.1/witness', source: 'CA/B Forum BR 6.1.1.1', text: 'a witness observed each authority key generation and signed off (hsm.generate-key steps)' },
  { id: 'BR-6.1.1.1/report', source: 'CA/B Forum BR 6.1.1.1', text: 'a report of the key generation ceremony' },
  { id: 'BR-5.2.2/split-knowledge', source: 'CA/B Forum BR 5.2.2', text: 'split knowledge: token PINs are split between at least two people' },
  { id: 'BR-5.2.2/multi-person-control', source: 'CA/B Forum BR 5.2.2', text: 'multi-person control: every activation of the HSM needs at least two people' },
  { id: 'BR-5.4.1/event-log', source: 'CA/B Forum BR 5.4.1', text: 'key lifecycle events are logged, each with date and time, the identity of the person, and a description' },
  { id: 'BR-5.4.3/retention', source: 'CA/B Forum BR 5.4.3', text: 'records are kept at least 2 years after key destruction or the expiry of its last certificate' },
  { id: 'WebTrust/roles', source: 'WebTrust key generation script', text: 'roles and responsibilities' },
  { id: 'WebTrust/approval', source: 'WebTrust key generation script', text: 'approval to hold the ceremony' },
  { id: 'WebTrust/materials', source: 'WebTrust key generation script', text: 'hardware and activation materials' },
  { id: 'WebTrust/steps', source: 'WebTrust key generation script', text: 'the specific steps performed' },
  { id: 'WebTrust/physical-security', source: 'WebTrust key generation script', text: 'physical security of the hardware (tamper-evident bags and seals checked)' },
  { id: 'WebTrust/storage', source: 'WebTrust key generation script', text: 'where hardware and materials are stored afterwards' },
  { id: 'WebTrust/sign-off', source: 'WebTrust key generation script', text: 'sign-off by participants and witnesses that the script was (or was not) followed' },
  { id: 'WebTrust/deviations', source: 'WebTrust key generation script', text: 'notes on every deviation from the script' },
];

// ---- reading the packet ------------------------------------------------------------------------------------

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * The journal's entries. A verified packet's journal parses whole; an unverified one may not, and is then read
 * line by line so that everything readable is still indexed (the packet is marked unverified anyway).
 */
function readEntries(bytes: Buffer | undefined): JournalEntry[] {
  if (!bytes) return [];
  const text = bytes.toString('utf8');
  try {
    return parseJournal(text).entries;
  } catch {
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const e: unknown = JSON.parse(line);
        if (isObject(e) && typeof e.seq === 'number' && typeof e.type === 'string' && typeof e.time === 'string' && typeof e.actor === 'string' && isObject(e.data)) {
          entries.push(e as unknown as JournalEntry);
        }
      } catch {
        // an unreadable line is not an event; verify already reported it
      }
    }
    return entries;
  }
}

function readScript(bytes: Buffer | undefined): Script | undefined {
  if (!bytes) return undefined;
  try {
    return parseScript(SCRIPT, bytes.toString('utf8')).script;
  } catch {
    return undefined;
  }
}

function readManifest(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const m: unknown = JSON.parse(bytes.toString('utf8'));
    return isObject(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

interface Who {
  person: string;
  role: string;
  roleTitle: string;
}

const SYSTEM: Who = { person: 'system', role: 'system', roleTitle: 'system' };

/**
 * Journal actors are `<name> (<role title>)` (names may hold parentheses of their own: "Officer 1 (rehearsal)").
 * The person and role come from the check-in record when the actor is a checked-in person, else from the suffix.
 */
function createResolver(entries: readonly JournalEntry[], script: Script | undefined): (actor: string) => Who {
  const titles = new Map(Object.entries(script?.roles ?? {}).map(([id, r]) => [id, r.title]));
  const people: Who[] = [];
  for (const e of entries) {
    if (e.type !== 'step.event' || e.data.what !== 'participants' || !Array.isArray(e.data.people)) continue;
    for (const p of e.data.people) {
      if (!isObject(p) || typeof p.name !== 'string' || typeof p.role !== 'string') continue;
      if (!people.some((q) => q.person === p.name && q.role === p.role)) people.push({ person: p.name, role: p.role, roleTitle: titles.get(p.role) ?? p.role });
    }
  }
  return (actor) => {
    if (actor === 'system') return SYSTEM;
    const known = people.find((p) => actor === `${p.person} (${p.roleTitle})`) ?? people.find((p) => actor === p.person);
    if (known) return known;
    const m = /^(.*) \(([^()]*)\)$/.exec(actor);
    if (!m) return { person: actor, role: 'unknown', roleTitle: '' };
    const role = [...titles].find(([, t]) => t === m[2])?.[0] ?? m[2];
    return { person: m[1], role, roleTitle: m[2] };
  };
}

function names(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((n): n is string => typeof n === 'string') : [];
}

function actionOf(e: JournalEntry): string {
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

function resultOf(e: JournalEntry): string {
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

// ---- retention ---------------------------------------------------------------------------------------------

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Records are kept RETENTION_YEARS after the key is destroyed or its last certificate expires. No step kind
 * destroys a key yet, so the latest notAfter of the packet's certificates (outputs/*.cert.pem, the evidence
 * key's included: the records must stay checkable as long as any key they speak of lives) decides.
 */
export function retentionOf(files: ReadonlyMap<string, Buffer>): { retainUntil: string; basis: string; file?: string } {
  let latest: { notAfter: Date; file: string } | undefined;
  for (const [path, bytes] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!/^outputs\/[^/]+\.cert\.pem$/.test(path)) continue;
    for (const pem of pemBlocks(bytes.toString('utf8'))) {
      let notAfter: Date;
      try {
        notAfter = new Date(new X509Certificate(pem).validTo);
      } catch {
        continue;
      }
      if (Number.isNaN(notAfter.getTime())) continue;
      if (!latest || notAfter > latest.notAfter) latest = { notAfter, file: path };
    }
  }
  if (!latest) return { retainUntil: RETENTION_UNKNOWN, basis: 'no certificate in outputs/*.cert.pem and no key destruction recorded' };
  const until = new Date(latest.notAfter);
  until.setUTCFullYear(until.getUTCFullYear() + RETENTION_YEARS);
  return {
    retainUntil: until.toISOString(),
    basis: `${latest.file}: notAfter ${latest.notAfter.toISOString()} + ${RETENTION_YEARS} years`,
    file: latest.file,
  };
}

// ---- compliance --------------------------------------------------------------------------------------------

interface Ctx {
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

interface Finding {
  status: ComplianceStatus;
  files?: string[];
  seqs?: number[];
  note: string;
}

function pagePath(index: number, stepId: string): string {
  return `steps/${String(index + 1).padStart(2, '0')}-${stepId}.pdf`;
}

/** The step's page when the packet holds it. */
function pageOf(ctx: Ctx, stepId: string): string | undefined {
  const i = ctx.script?.steps.findIndex((s) => s.id === stepId) ?? -1;
  if (i >= 0) {
    const path = pagePath(i, stepId);
    return ctx.files.has(path) ? path : undefined;
  }
  const n = ctx.entries.find((e) => e.type === 'step.started' && e.step === stepId)?.data.number;
  if (typeof n !== 'number') return undefined;
  const path = pagePath(n - 1, stepId);
  return ctx.files.has(path) ? path : undefined;
}

function pagesOf(ctx: Ctx, stepIds: Iterable<string>): string[] {
  return [...new Set(stepIds)].map((id) => pageOf(ctx, id)).filter((p): p is string => p !== undefined);
}

function inStep(ctx: Ctx, stepId: string, pred: (e: JournalEntry) => boolean): JournalEntry[] {
  return ctx.entries.filter((e) => e.step === stepId && pred(e));
}

const isEvent = (what: string) => (e: JournalEntry) => e.type === 'step.event' && e.data.what === what;
const startedSteps = (ctx: Ctx, steps: readonly Step[]) => steps.filter((s) => ctx.entries.some((e) => e.type === 'step.started' && e.step === s.id));
const completedSteps = (ctx: Ctx) => (ctx.script?.steps ?? []).filter((s) => ctx.entries.some((e) => e.type === 'step.completed' && e.step === s.id));
const personOf = (ctx: Ctx, e: JournalEntry) => {
  const w = ctx.who(e.actor);
  return `${w.person} (${w.role})`;
};
const noScript: Finding = { status: 'missing', files: [SCRIPT], note: `${SCRIPT} is missing or not a valid ceremony script` };

function scriptFollowed(ctx: Ctx): Finding {
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

function keyGenerationWitnessed(ctx: Ctx): Finding {
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

function ceremonyReport(ctx: Ctx): Finding {
  const packet = ctx.files.get(PACKET);
  if (!packet) return { status: 'missing', note: `${PACKET} is not in the packet` };
  if (!ctx.sealed) return { status: 'missing', files: [PACKET], note: `no ceremony.sealed entry in ${JOURNAL} records ${PACKET}` };
  const recorded = isObject(ctx.sealed.data.packet) ? str(ctx.sealed.data.packet.sha256) : undefined;
  if (recorded !== sha256Hex(packet)) return { status: 'missing', files: [PACKET, JOURNAL], seqs: [ctx.sealed.seq], note: `${PACKET} is not the report sealed in ${JOURNAL}` };
  return { status: 'satisfied', files: [PACKET, JOURNAL], seqs: [ctx.sealed.seq], note: `signed ceremony report sealed at #${ctx.sealed.seq} (${ctx.sealed.data.outcome})` };
}

function splitKnowledge(ctx: Ctx): Finding {
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

function multiPersonControl(ctx: Ctx): Finding {
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

function eventLog(ctx: Ctx): Finding {
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

function retention(ctx: Ctx): Finding {
  const r = ctx.retention;
  if (!r.file) return { status: 'missing', note: RETENTION_UNKNOWN };
  return { status: 'satisfied', files: [r.file], note: `retain until ${r.retainUntil} (${r.basis})` };
}

function roles(ctx: Ctx): Finding {
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

function approval(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  // A kind of its own (quorum.approve); scripts cannot declare it yet, so today this is always missing.
  const steps = ctx.script.steps.filter((s) => (s.kind as string) === 'quorum.approve');
  if (steps.length === 0) return { status: 'missing', files: [SCRIPT], note: 'the script has no approval step (quorum.approve)' };
  const done = steps.map((s) => inStep(ctx, s.id, (e) => e.type === 'step.completed').pop());
  if (done.some((e) => !e)) return { status: 'missing', files: [JOURNAL], note: 'the approval step did not complete' };
  return { status: 'satisfied', files: [...pagesOf(ctx, steps.map((s) => s.id)), JOURNAL], seqs: done.map((e) => e!.seq), note: 'approval recorded before the ceremony' };
}

function materials(ctx: Ctx): Finding {
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

function specificSteps(ctx: Ctx): Finding {
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

function physicalSecurity(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  // The bag the hardware arrived in, checked during the ceremony; the closing step's new bag is storage.
  const before = ctx.script.steps.slice(0, -1);
  const found = before.flatMap((s) => recordsIn(ctx, s, BAG_OR_SEAL));
  if (found.length === 0) return { status: 'missing', files: [SCRIPT, JOURNAL], note: 'no tamper-bag or seal recorded at a manual.confirm step before the closing step' };
  return { status: 'satisfied', files: [...pagesOf(ctx, found.map((e) => e.step ?? '')), JOURNAL], seqs: found.map((e) => e.seq), note: found.map(recordNote).join('; ') };
}

function storage(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const close = ctx.script.steps[ctx.script.steps.length - 1];
  const found = recordsIn(ctx, close, STORAGE);
  if (found.length === 0) return { status: 'missing', files: [SCRIPT, JOURNAL], note: `the closing step ${close.id} records no bag, seal or storage place` };
  return { status: 'satisfied', files: [...pagesOf(ctx, [close.id]), JOURNAL], seqs: found.map((e) => e.seq), note: `${close.id}: ${found.map(recordNote).join('; ')}` };
}

function finalSignOff(ctx: Ctx): Finding {
  if (!ctx.script) return noScript;
  const close = ctx.script.steps[ctx.script.steps.length - 1];
  const signs = inStep(ctx, close.id, isEvent('sign-off'));
  if (signs.length === 0) {
    return { status: 'missing', files: [SCRIPT, JOURNAL], note: `no sign-off at the closing step ${close.id}${close.sign_off.length === 0 ? ' (the script asks for none)' : ''}` };
  }
  const said = signs.map((e) => `${personOf(ctx, e)}: ${e.data.answer === true ? 'followed' : 'not followed'}`);
  return { status: 'satisfied', files: [...pagesOf(ctx, [close.id]), JOURNAL], seqs: signs.map((e) => e.seq), note: `${close.id}: ${said.join('; ')}` };
}

function deviations(ctx: Ctx): Finding {
  const noted = ctx.entries.filter((e) => e.type === 'deviation' || e.type === 'ceremony.aborted');
  if (noted.length === 0) return { status: 'satisfied', files: [JOURNAL], note: 'none recorded' };
  const bare = noted.filter((e) => String(e.data.reason ?? '').trim() === '');
  const files = [...pagesOf(ctx, noted.map((e) => e.step ?? '')), JOURNAL];
  const seqs = noted.map((e) => e.seq);
  if (bare.length > 0) return { status: 'missing', files, seqs, note: `deviations without a reason: ${bare.map((e) => `#${e.seq}`).join(', ')}` };
  return { status: 'satisfied', files, seqs, note: noted.map((e) => `#${e.seq} ${e.step ?? ''} ${e.type === 'deviation' ? String(e.data.action) : 'abort'}: ${String(e.data.reason)}`).join('; ') };
}

const CHECKS: Record<string, (ctx: Ctx) => Finding> = {
  'BR-6.1.1.1/script': scriptFollowed,
  'BR-6.1.1.1/witness': keyGenerationWitnessed,
  'BR-6.1.1.1/report': ceremonyReport,
  'BR-5.2.2/split-knowledge': splitKnowledge,
  'BR-5.2.2/multi-person-control': multiPersonControl,
  'BR-5.4.1/event-log': eventLog,
  'BR-5.4.3/retention': retention,
  'WebTrust/roles': roles,
  'WebTrust/approval': approval,
  'WebTrust/materials': materials,
  'WebTrust/steps': specificSteps,
  'WebTrust/physical-security': physicalSecurity,
  'WebTrust/storage': storage,
  'WebTrust/sign-off': finalSignOff,
  'WebTrust/deviations': deviations,
};

// ---- one packet --------------------------------------------------------------------------------------------

/** Index rows, compliance rows and summary of one packet, from its files and its verifyPacket() report. */
export function buildPacketIndex(files: ReadonlyMap<string, Buffer>, report: PacketReport): PacketIndex {
  const entries = readEntries(files.get(JOURNAL));
  const script = readScript(files.get(SCRIPT));
  const manifest = readManifest(files.get(MANIFEST));
  const started = entries.find((e) => e.type === 'ceremony.started');
  const final = [...entries].reverse().find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
  const sealed = [...entries].reverse().find((e) => e.type === 'ceremony.sealed');
  const ceremonyId = str(started?.data.ceremonyId) ?? str(manifest?.ceremonyId) ?? 'unknown';
  const scriptId = str(started?.data.scriptId) ?? script?.id ?? 'unknown';
  const verified = report.ok;
  const ctx: Ctx = { files, report, entries, script, started, final, sealed, who: createResolver(entries, script), retention: retentionOf(files) };

  const stepNumbers = new Map<string, number>();
  script?.steps.forEach((s, i) => stepNumbers.set(s.id, i + 1));
  for (const e of entries) {
    if (e.type === 'step.started' && e.step && typeof e.data.number === 'number' && !stepNumbers.has(e.step)) stepNumbers.set(e.step, e.data.number);
  }
  const events: IndexRow[] = entries.map((e) => {
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
      action: actionOf(e),
      result: resultOf(e),
      evidenceFile: (e.step && pageOf(ctx, e.step)) || JOURNAL,
      entryHash: typeof e.hash === 'string' ? e.hash : '',
      verified,
    };
  });

  const compliance: ComplianceRow[] = REQUIREMENTS.map((r) => {
    let f: Finding;
    try {
      f = CHECKS[r.id](ctx);
    } catch (err) {
      // A bug here must not claim a requirement: it shows as missing, with the reason.
      f = { status: 'missing', note: `(export) internal error: ${(err as Error)?.message ?? String(err)}` };
    }
    return {
      ceremonyId,
      requirement: r.id,
      source: r.source,
      text: r.text,
      status: f.status,
      evidenceFiles: [...new Set(f.files ?? [])],
      journalSeqs: [...new Set(f.seqs ?? [])].sort((a, b) => a - b),
      note: f.note,
      verified,
    };
  });

  return {
    summary: {
      ceremonyId,
      scriptId,
      scriptVersion: typeof started?.data.scriptVersion === 'number' ? started.data.scriptVersion : (script?.version ?? null),
      scriptSha256: str(started?.data.scriptSha256) ?? null,
      outcome: final?.type === 'ceremony.completed' ? 'completed' : final?.type === 'ceremony.aborted' ? 'aborted' : 'unfinished',
      rehearsal: report.rehearsal,
      verified,
      problems: report.groups.flatMap((g) => g.problems),
      evidenceKeySha256: report.evidenceKeySha256 ?? null,
      startedAt: started?.time ?? null,
      endedAt: final?.time ?? null,
      events: events.length,
      retainUntil: ctx.retention.retainUntil,
      retainBasis: ctx.retention.basis,
    },
    events,
    compliance,
  };
}

// ---- CSV and the archive -----------------------------------------------------------------------------------

type Cell = string | number | boolean | null;

/** RFC 4180: a header row, CRLF after every record, fields with a comma, quote, CR or LF quoted ("" inside). */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const field = (v: Cell) => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => `${r.map(field).join(',')}\r\n`).join('');
}

export const INDEX_COLUMNS = ['ceremony id', 'script id', 'seq', 'step id', 'step number', 'time', 'person', 'role', 'role title', 'action', 'result', 'evidence file', 'entry hash', 'verified'] as const;
export const COMPLIANCE_COLUMNS = ['ceremony id', 'requirement', 'source', 'requirement text', 'status', 'evidence files', 'journal seqs', 'note', 'verified'] as const;

export function indexCsv(rows: readonly IndexRow[]): string {
  return toCsv(
    INDEX_COLUMNS,
    rows.map((r) => [r.ceremonyId, r.scriptId, r.seq, r.stepId, r.stepNumber, r.time, r.person, r.role, r.roleTitle, r.action, r.result, r.evidenceFile, r.entryHash, r.verified]),
  );
}

export function complianceCsv(rows: readonly ComplianceRow[]): string {
  return toCsv(
    COMPLIANCE_COLUMNS,
    rows.map((r) => [r.ceremonyId, r.requirement, r.source, r.text, r.status, r.evidenceFiles.join('; '), r.journalSeqs.join('; '), r.note, r.verified]),
  );
}

export interface ExportPacket {
  /** Folder of the packet inside the archive (the ceremony id, unless that is unusable as a name). */
  folder: string;
  /** Where the packet was read from, as the person named it. */
  source: string;
  files: ReadonlyMap<string, Buffer>;
  index: PacketIndex;
}

export interface ExportArchive {
  zip: Uint8Array;
  /** Archive path -> bytes, as zipped. */
  entries: Map<string, Buffer>;
  events: number;
}

function unverifiedText(p: ExportPacket, exportedAt: Date): string {
  const problems = p.index.summary.problems;
  return [
    'THIS PACKET DID NOT VERIFY.',
    '',
    `It was included on request (officiant export --include-unverified) at ${exportedAt.toISOString()}.`,
    `Ceremony: ${p.index.summary.ceremonyId}; read from: ${p.source}`,
    `The other files of this folder are that directory's files, unchanged; this file is not part of the packet.`,
    '',
    `Problems found by verify (${problems.length}):`,
    ...problems.map((x) => `- ${x}`),
    '',
  ].join('\n');
}

/** Every packet's files under `<folder>/` byte for byte, UNVERIFIED.txt where needed, index.csv/json, compliance.csv. */
export function buildExportArchive(packets: readonly ExportPacket[], exportedAt: Date): ExportArchive {
  const entries = new Map<string, Buffer>();
  const add = (path: string, bytes: Buffer) => {
    if (entries.has(path)) throw new Error(`two archive entries named ${path}`);
    entries.set(path, bytes);
  };
  const events = packets.flatMap((p) => p.index.events);
  const compliance = packets.flatMap((p) => p.index.compliance);
  const ceremonies = packets.map((p) => ({ folder: p.folder, source: p.source, ...p.index.summary }));
  add('index.csv', Buffer.from(indexCsv(events), 'utf8'));
  add('index.json', Buffer.from(`${JSON.stringify({ format: EXPORT_FORMAT, exportedAt: exportedAt.toISOString(), ceremonies, events, compliance }, null, 2)}\n`, 'utf8'));
  add('compliance.csv', Buffer.from(complianceCsv(compliance), 'utf8'));
  for (const p of packets) {
    for (const path of [...p.files.keys()].sort()) add(`${p.folder}/${path}`, p.files.get(path)!);
    if (!p.index.summary.verified) {
      // A packet may itself hold a stray UNVERIFIED.txt; the marker then sits beside the folder.
      const marker = p.files.has('UNVERIFIED.txt') ? `${p.folder}.UNVERIFIED.txt` : `${p.folder}/UNVERIFIED.txt`;
      add(marker, Buffer.from(unverifiedText(p, exportedAt), 'utf8'));
    }
  }
  const zippable: Zippable = {};
  for (const [path, bytes] of entries) zippable[path] = [bytes, { level: 6, mtime: exportedAt }];
  return { zip: zipSync(zippable), entries, events: events.length };
}
