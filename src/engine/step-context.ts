// The StepContext a step kind runs with: the ceremony's inputs and ports, narrowed to one step. Everything a
// step does to the world goes through it (effect, writeOutput, session), so the journal sees it; what people
// read later goes into result rows and the step's token, gathered on the ceremony's step in progress.
import { OfficiantError } from '../errors.js';
import { effectOutputs, startedEntry } from '../record/ledger.js';
import type { Step } from '../script/schema.js';
import type { CeremonyCore } from './ceremony-core.types.js';
import type { GeneratedKey, StepContext } from './step-kind.types.js';

export function createStepContext(c: CeremonyCore, step: Step, index: number): StepContext {
  const { deps } = c;
  return {
    script: deps.script,
    step,
    number: index + 1,
    rehearsal: deps.rehearsal,
    site: deps.site,
    prompter: deps.prompter,
    people: (role) => c.people(role),
    setParticipants: (people) =>
      c.record('step.event', step.id, {
        what: 'participants',
        people: people.map((p) => ({ name: p.name, role: p.role, ...(p.officer ? { officer: p.officer, device: p.device ?? null } : {}) })),
      }),
    hsm: () => c.hsm(),
    session: () => c.session(step.id),
    evidenceSession: () => c.evidenceSession(step.id),
    now: () => deps.clock.now(),
    effect: (op, params, fns, actor) => c.effect(step.id, op, params, fns, actor),
    event: (what, data, actor) => {
      c.record('step.event', step.id, { what, ...data }, actor);
    },
    result: (label, value) => c.current?.results.push({ label, value }),
    setToken: (token) => {
      if (c.current) c.current.token = token;
    },
    writeOutput: (rel, bytes) => c.writeOutput(step.id, rel, bytes),
    generatedKey: (label) => effectOutputs(c.entries, 'hsm.generate-key').find((k) => k.label === label) as GeneratedKey | undefined,
    ceremonyRef: () => {
      const started = startedEntry(c.entries)!;
      return { script_id: deps.script.id, ceremony_id: String(started.data.ceremonyId), script_sha256: String(started.data.scriptSha256) };
    },
    roster: () => {
      const r = deps.roster;
      if (!r) throw new OfficiantError('input.missing-answer', 'this ceremony needs the officer roster: give --roster <roster.json> (rehearsals: --officers <enrollment rehearsal dir>)');
      return r.body;
    },
    rosterIfAny: () => deps.roster,
    piv: () => c.piv(),
    attestationRoots: () => deps.piv?.attestationRoots ?? [],
    entries: () => c.entries,
    securityOfficer: (fn) => c.securityOfficer(step.id, fn),
    backup: () => {
      if (!deps.backup) throw new OfficiantError('input.backup-missing', 'this step needs the backup: give --backup <dir>');
      return deps.backup;
    },
    release: () => {
      if (!deps.release) throw new OfficiantError('input.request-invalid', 'this step signs a release: give --request <request.json> and --policy <policy.json>');
      return deps.release;
    },
    policyDraft: () => {
      if (!deps.policyDraft) throw new OfficiantError('input.request-invalid', 'this step adopts a release policy: give --policy <draft.json>');
      return deps.policyDraft;
    },
    manifest: () => {
      if (!deps.manifest) throw new OfficiantError('input.manifest-draft', 'this step signs an OTA manifest: give --manifest <draft.json> and --release <bundle>');
      return deps.manifest;
    },
    signingWindow: () => {
      if (!deps.signingWindow) throw new OfficiantError('input.signing-plan', 'this step opens a signing window: give --signing-plan <plan.json>');
      return deps.signingWindow;
    },
    room: () => {
      if (!deps.room) throw new OfficiantError('ceremony.step-failed', 'this step checks the ceremony laptop, but no probe of it was given');
      return deps.room;
    },
  };
}
