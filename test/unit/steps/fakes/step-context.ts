// A StepContext for unit tests: a real hash-chained journal in memory (so steps that read earlier entries see
// what the runner would have written), effects journaled as intent then result (a recorded result is returned
// instead of running again, as on resume; reconciliation is the runner's and is tested there), outputs kept in
// memory, result rows collected. Accessors of the site (hsm, session, evidenceSession, securityOfficer, roster, piv,
// attestationRoots, backup) are allowed only as the kind's `needs` declare: an undeclared one throws, and every
// use is recorded, so a kind that lies about what it needs fails its own unit test.
import { createHash } from 'node:crypto';
import { Journal, type JsonObject, type JournalEntry, type NewEntry } from '../../../../src/record/journal.js';
import { effectOutputs, effectState } from '../../../../src/record/ledger.js';
import type { CeremonyRef } from '../../../../src/custody/quorum.js';
import type { Hsm, HsmSession, Person, PivReader, TokenIdentity } from '../../../../src/engine/ports.js';
import type { InputDocument, LoadedBackup, ReleaseInputs, LoadedRoster, ManifestInputs, RoomInputs, SigningWindowInputs } from '../../../../src/engine/ceremony-inputs.types.js';
import type { GeneratedKey, HsmSite, OutputRecord, StepContext, StepHandler, StepNeeds } from '../../../../src/engine/step-kind.types.js';
import { Script, type Step } from '../../../../src/script/schema.js';
import { TablePrompter } from './scripted-prompter.js';

export const CEREMONY: CeremonyRef = { script_id: 'unit-ceremony', ceremony_id: 'c0ffee00-0000-4000-8000-00000000beef', script_sha256: 'ab'.repeat(32) };
export const SITE: HsmSite = { profile: 'unit', module: '/nowhere/libunit.so', tokenLabel: 'unit-token' };

export type Need = keyof StepNeeds;

export interface ContextOptions {
  script: Script;
  stepId: string;
  /** What the kind declares; defaults to the handler's needs. Accessors outside it throw. */
  needs: StepNeeds;
  /** Needs granted besides the kind's own (e.g. roles of identity piv grant roster and piv to check-in). */
  grant?: Partial<StepNeeds>;
  prompter?: TablePrompter;
  people?: Person[];
  rehearsal?: boolean;
  session?: HsmSession;
  /** The session on the site's evidence token (evidence.use-key). */
  evidenceSession?: HsmSession;
  /** The site; defaults to SITE. */
  site?: HsmSite;
  /** The ceremony clock's time; defaults to now. */
  now?: Date;
  hsm?: Hsm;
  piv?: PivReader;
  roster?: LoadedRoster;
  attestationRoots?: string[];
  backup?: LoadedBackup;
  release?: ReleaseInputs;
  policyDraft?: InputDocument;
  manifest?: ManifestInputs;
  signingWindow?: SigningWindowInputs;
  /** The laptop room.preflight looks at. */
  room?: RoomInputs;
  /** Journal entries of earlier steps (after ceremony.started). */
  earlier?: NewEntry[];
  /** The journal of an earlier step's run, continued (the next step of the same ceremony). */
  journal?: Journal;
  /** data of the ceremony.started entry besides ceremonyId and scriptSha256 (e.g. backup). */
  started?: JsonObject;
}

export interface FakeStep<S extends Step = Step> {
  ctx: StepContext<S>;
  journal: Journal;
  prompter: TablePrompter;
  results: Array<{ label: string; value: string }>;
  outputs: Map<string, Buffer>;
  token: TokenIdentity | undefined;
  /** Needs whose accessors the kind used (allowed or not). */
  used: Set<Need>;
  /** Undeclared accessors the kind called. */
  violations: string[];
  /** The events this step journaled (what plus data). */
  events(what?: string): JsonObject[];
  result(label: string): string | undefined;
}

/** A script from plain data, with the schema's defaults applied (as the parser would). */
export function script(raw: unknown): Script {
  return Script.parse(raw);
}

export function createStepContext<S extends Step = Step>(o: ContextOptions): FakeStep<S> {
  const step = o.script.steps.find((s) => s.id === o.stepId) as S | undefined;
  if (!step) throw new Error(`no step ${o.stepId}`);
  const journal = o.journal ?? Journal.open({ readAll: () => Buffer.alloc(0), append: () => {}, truncate: () => {} }, { now: () => new Date() });
  if (!o.journal) journal.append({ type: 'ceremony.started', actor: 'system', data: { ceremonyId: CEREMONY.ceremony_id, scriptSha256: CEREMONY.script_sha256, ...(o.started ?? {}) } });
  for (const e of o.earlier ?? []) journal.append(e);
  journal.append({ type: 'step.started', step: step.id, actor: 'system', data: {} });
  const prompter = o.prompter ?? new TablePrompter();
  let people = o.people ?? [];
  const used = new Set<Need>();
  const violations: string[] = [];
  const fake: FakeStep<S> = {
    ctx: undefined as unknown as StepContext<S>,
    journal,
    prompter,
    results: [],
    outputs: new Map(),
    token: undefined,
    used,
    violations,
    events: (what) => journal.entries.filter((e) => e.type === 'step.event' && e.step === step.id && (what === undefined || e.data.what === what)).map((e) => e.data),
    result: (label) => fake.results.find((r) => r.label === label)?.value,
  };
  const guard = <T>(need: Need, name: string, get: () => T | undefined): T => {
    used.add(need);
    if (!o.needs[need] && !o.grant?.[need]) {
      const message = `${step.kind} called ctx.${name}() but does not declare needs.${need}`;
      violations.push(message);
      throw new Error(message);
    }
    const v = get();
    if (v === undefined) throw new Error(`test context: ctx.${name}() has nothing to give (the test did not provide it)`);
    return v;
  };
  const actor = (p?: Person) => (p ? `${p.name} (${o.script.roles[p.role]?.title ?? p.role})` : 'system');
  const effect: StepContext['effect'] = async (op, params, fns, who) => {
    const prior = effectState(journal.entries, step.id, op);
    if (prior.state === 'done') return prior.output as never;
    // An intent without a result (a crash in between): asked first whether it took effect, as the engine does.
    if (prior.state === 'open' && fns.reconcile) {
      const found = await fns.reconcile(prior.intent.data.params as JsonObject);
      if (found !== undefined) {
        journal.append({ type: 'result', step: step.id, actor: 'system', data: { intent: prior.intent.seq, op, ok: true, reconciled: true, output: found } });
        return found as never;
      }
    }
    const intent = journal.append({ type: 'intent', step: step.id, actor: actor(who), data: { op, params } });
    try {
      const output = await fns.run();
      journal.append({ type: 'result', step: step.id, actor: 'system', data: { intent: intent.seq, op, ok: true, output } });
      return output;
    } catch (err) {
      journal.append({ type: 'result', step: step.id, actor: 'system', data: { intent: intent.seq, op, ok: false, error: { message: (err as Error).message } } });
      throw err;
    }
  };
  const ctx: StepContext<S> = {
    script: o.script,
    step,
    number: o.script.steps.indexOf(step) + 1,
    rehearsal: o.rehearsal ?? true,
    site: o.site ?? SITE,
    prompter,
    people: (role) => (role === undefined ? people : people.filter((p) => p.role === role)),
    setParticipants: (list) => {
      people = list;
      journal.append({ type: 'step.event', step: step.id, actor: 'system', data: { what: 'participants', people: list.map((p) => ({ ...p })) } });
    },
    hsm: () => guard('hsm', 'hsm', () => o.hsm),
    session: async () => guard('hsm', 'session', () => o.session),
    evidenceSession: async () => guard('evidenceToken', 'evidenceSession', () => o.evidenceSession),
    now: () => o.now ?? new Date(),
    securityOfficer: async (fn) => fn(guard('hsm', 'securityOfficer', () => o.session)),
    effect,
    event: (what, data, who) => void journal.append({ type: 'step.event', step: step.id, actor: actor(who), data: { what, ...data } }),
    result: (label, value) => void fake.results.push({ label, value }),
    setToken: (t) => void (fake.token = t),
    writeOutput: async (rel, bytes) => {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
      const sha256 = createHash('sha256').update(buf).digest('hex');
      const rec: OutputRecord = await effect(`write:${rel}`, { path: rel, sha256 }, { run: () => ({ path: rel, sha256, bytes: buf.length }) });
      fake.outputs.set(rel, buf);
      return rec;
    },
    generatedKey: (label) => effectOutputs(journal.entries, 'hsm.generate-key').find((k) => k.label === label) as GeneratedKey | undefined,
    ceremonyRef: () => ({ ...CEREMONY }),
    roster: () => guard('roster', 'roster', () => o.roster?.body),
    rosterIfAny: () => o.roster,
    piv: () => guard('piv', 'piv', () => o.piv),
    attestationRoots: () => guard('piv', 'attestationRoots', () => o.attestationRoots ?? []),
    entries: (): readonly JournalEntry[] => journal.entries,
    backup: () => {
      const b = guard('backup', 'backup', () => o.backup);
      const blobs = new Set(b.manifest.keys.map((k) => k.blob_file));
      // Reading a wrapped key is what needs.wrappedKeys promises the CLI will have loaded.
      return { ...b, read: (rel: string) => (blobs.has(rel) ? guard('wrappedKeys', `backup().read("${rel}")`, () => b.read(rel)) : b.read(rel)) };
    },
    release: () => guard('release', 'release', () => o.release),
    policyDraft: () => guard('policyDraft', 'policyDraft', () => o.policyDraft),
    manifest: () => guard('manifest', 'manifest', () => o.manifest),
    signingWindow: () => guard('signingPlan', 'signingWindow', () => o.signingWindow),
    room: () => {
      if (!o.room) throw new Error('fake step context: no room given');
      return o.room;
    },
  };
  fake.ctx = ctx;
  return fake;
}

/** Runs the handler in a fresh context built from its own `needs`. */
export async function runStep<K extends Step['kind']>(handler: StepHandler<K>, o: Omit<ContextOptions, 'needs'>): Promise<FakeStep<Extract<Step, { kind: K }>>> {
  const fake = createStepContext<Extract<Step, { kind: K }>>({ ...o, needs: handler.needs });
  await handler.run(fake.ctx);
  return fake;
}

/** Like runStep, but returns the error the run threw (and the context, to look at what it journaled). */
export async function failStep<K extends Step['kind']>(handler: StepHandler<K>, o: Omit<ContextOptions, 'needs'>): Promise<{ error: Error & { code?: string }; fake: FakeStep<Extract<Step, { kind: K }>> }> {
  const fake = createStepContext<Extract<Step, { kind: K }>>({ ...o, needs: handler.needs });
  try {
    await handler.run(fake.ctx);
  } catch (error) {
    return { error: error as Error & { code?: string }, fake };
  }
  throw new Error(`${handler.kind} was expected to fail and did not`);
}
