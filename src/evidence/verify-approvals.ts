// Who checked in by token and who approved what, recomputed from the journal, the script and the roster the
// ceremony started with. Pure: it is handed the data and believes none of the journal's own verdicts. Contract:
// - every check-in challenge and approval statement is rebuilt from the script and the journal (ceremony ref,
//   step, role, threshold, the approved step or journal head; only the nonce is taken as recorded) and every
//   signature is checked against the roster with custody/quorum.ts, the same functions the runner used;
// - a check-in counts only in the check-in step's last run (after its last step.started: the step starts over
//   on resume and on retry); an approval counts only in the approval step's last attempt (after its last
//   deviation: a resumed step keeps its statement, a retried one makes a new nonce) and only if its officer
//   checked in, in the approving role, before the step completed;
// - every problem is a short lowercase fact naming the step and the person or device; notes are facts that do
//   not invalidate (refusals, approvals of an earlier statement that were not counted).
import { GENESIS, type JournalEntry } from '../record/journal.js';
import {
  checkApproval,
  checkOfficerSignature,
  quorumReached,
  statementBytes,
  statementDigest,
  statementWords,
  subjectOfStep,
  type ApprovalStatement,
  type CeremonyRef,
  type CheckInChallenge,
  type BackupSource,
} from '../custody/quorum.js';
import type { Script, Step, StepOf } from '../script/schema.js';
import { canonicalJson } from '../record/canonical-json.js';
import { officerByDevice } from '../custody/roster.js';
import type { RosterBody, RosterOfficer } from '../custody/roster.types.js';
import { isObject, short, str } from './json-shape.js';

export interface CeremonyIdentityInput {
  /** The whole journal, in file order (positions matter: `record` approvals name the entry before them). */
  entries: JournalEntry[];
  script: Script;
  /** The roster the ceremony started with, undefined when it recorded none. */
  roster: RosterBody | undefined;
}

export interface CeremonyIdentityReport {
  problems: string[];
  notes: string[];
  /** Officers whose token check-in verified: id -> the role they checked in as. */
  checkedIn: Map<string, string>;
}

interface Ctx {
  entries: JournalEntry[];
  script: Script;
  roster: RosterBody;
  ref: CeremonyRef;
  problems: string[];
  notes: string[];
}

/** An entry with its position in the journal. */
interface At {
  e: JournalEntry;
  i: number;
}

export function verifyCeremonyIdentity(input: CeremonyIdentityInput): CeremonyIdentityReport {
  const { entries, script, roster } = input;
  const problems: string[] = [];
  const notes: string[] = [];
  const pivRoles = Object.keys(script.roles).filter((r) => script.roles[r].identity === 'piv');
  const approvals = script.steps.flatMap((s, i) => (s.kind === 'quorum.approve' ? [{ step: s, index: i }] : []));
  const checkedIn = new Map<string, string>();
  if (pivRoles.length === 0 && approvals.length === 0) return { problems, notes, checkedIn };
  if (!roster) {
    const why: string[] = [];
    if (pivRoles.length > 0) why.push(`${pivRoles.length === 1 ? 'role' : 'roles'} ${pivRoles.join(', ')} ${pivRoles.length === 1 ? 'checks' : 'check'} in by PIV token`);
    if (approvals.length > 0) why.push(`${approvals.length === 1 ? 'step' : 'steps'} ${approvals.map((a) => a.step.id).join(', ')} ${approvals.length === 1 ? 'approves' : 'approve'} by PIV token`);
    problems.push(`no officer roster recorded, but ${why.join(' and ')}`);
    return { problems, notes, checkedIn };
  }
  const started = entries.find((e) => e.type === 'ceremony.started');
  if (!started) {
    problems.push('no ceremony.started entry: check-in challenges and approval statements cannot be recomputed');
    return { problems, notes, checkedIn };
  }
  // Officers type their own PINs and approvals: a token ceremony run from an answers file is refused by
  // `run`, so a record that says otherwise was not made by people at the keyboard.
  if (started.data.people === 'answers file') problems.push('the ceremony was run from an answers file: officers\' PINs and approvals were not typed by the officers');
  else if (typeof started.data.people === 'string') notes.push(`people answered ${started.data.people}`);
  const ctx: Ctx = {
    entries,
    script,
    roster,
    ref: { script_id: script.id, ceremony_id: String(started.data.ceremonyId), script_sha256: String(started.data.scriptSha256) },
    problems,
    notes,
  };
  for (const [id, role] of verifyCheckIns(ctx, pivRoles)) checkedIn.set(id, role);
  for (const { step, index } of approvals) verifyApprovalStep(ctx, step as StepOf<'quorum.approve'>, index, checkedIn);
  return { problems, notes, checkedIn };
}

// ---- check-in ----------------------------------------------------------------------------------------------

/** Officers whose token check-in verified and who are on the participants list: officer id -> role. */
function verifyCheckIns(ctx: Ctx, pivRoles: string[]): Map<string, string> {
  const { entries, script, roster, problems, notes } = ctx;
  const checkedIn = new Map<string, string>();
  const index = script.steps.findIndex((s) => s.kind === 'participants.check-in');
  if (index < 0) {
    problems.push(`no participants.check-in step, but ${pivRoles.join(', ')} check in by PIV token`);
    return checkedIn;
  }
  const step = script.steps[index] as StepOf<'participants.check-in'>;
  const id = step.id;
  const roles = (step.params.roles ?? Object.keys(script.roles)).filter((r) => script.roles[r]?.identity === 'piv');
  if (roles.length === 0) return checkedIn;
  const mine = stepEntries(entries, id);
  const completed = mine.find((a) => a.e.type === 'step.completed')?.i ?? -1;
  const lastStart = lastIndex(mine, (e) => e.type === 'step.started');
  const inLastRun = (i: number) => i > lastStart && (completed < 0 || i < completed);

  // Every accepted check-in, of any run, must be what the runner says it was; only the last run's count.
  const current: Array<{ device: string; role: string; valid: boolean; label: string }> = [];
  for (const { e, i } of mine) {
    if (e.type !== 'step.event') continue;
    if (e.data.what === 'check-in-refused') {
      if (inLastRun(i)) notes.push(`${id}: check-in by device ${str(e.data.device) ?? '(none)'} as ${title(script, str(e.data.role))} refused: ${str(e.data.reason) ?? 'no reason recorded'}`);
      continue;
    }
    if (e.data.what !== 'check-in') continue;
    const d = e.data;
    const device = str(d.device) ?? '(none)';
    const role = str(d.role) ?? '(none)';
    const label = personLabel(roster, device, str(d.name));
    const valid = checkOneCheckIn(ctx, step, index, e, roles, label);
    if (inLastRun(i)) current.push({ device, role, valid: valid !== undefined, label });
  }
  if (completed < 0) return checkedIn;

  const participants = lastOf(mine, (e) => e.type === 'step.event' && e.data.what === 'participants');
  const listed = participants && inLastRun(participants.i) && Array.isArray(participants.e.data.people) ? participants.e.data.people : undefined;
  if (!listed) {
    problems.push(`${id}: completed without a participants list`);
    return checkedIn;
  }
  const people = listed.map((p) => (isObject(p) ? { name: str(p.name), role: str(p.role), officer: str(p.officer), device: str(p.device) } : {}));
  const seenOfficers = new Map<string, number>();
  for (const r of roles) {
    const role = script.roles[r];
    const of = people.filter((p) => p.role === r);
    if (of.length !== role.people) problems.push(`${id}: ${of.length} ${lower(role.title)} participants listed, the role needs ${role.people}`);
    const verified: string[] = [];
    for (const p of of) {
      const label = p.device ? `${p.name ?? '(no name)'} (device ${p.device})` : (p.name ?? '(no name)');
      if (!p.officer || !p.device) {
        problems.push(`${id}: participant ${label} has no officer and device, but ${lower(role.title)}s check in by PIV token`);
        continue;
      }
      seenOfficers.set(p.officer, (seenOfficers.get(p.officer) ?? 0) + 1);
      const owner = officerByDevice(roster, p.device);
      if (!owner) {
        problems.push(`${id}: participant ${label}: device ${p.device} is not on the roster (version ${roster.version})`);
        continue;
      }
      if (owner.id !== p.officer || owner.name !== p.name) {
        problems.push(`${id}: participant ${label} is listed as officer ${p.officer}, but the roster gives device ${p.device} to ${owner.name} (${owner.id})`);
        continue;
      }
      const theirs = current.filter((c) => c.device === p.device);
      if (theirs.length === 0) {
        problems.push(`${id}: ${label} is listed as ${lower(role.title)} without an accepted check-in`);
        continue;
      }
      if (theirs.length > 1) {
        problems.push(`${id}: ${label} has ${theirs.length} accepted check-ins, expected one`);
        continue;
      }
      const [c] = theirs;
      if (c.role !== r) {
        problems.push(`${id}: ${label} checked in as ${title(script, c.role)} but is listed as ${lower(role.title)}`);
        continue;
      }
      if (!c.valid) continue; // named above, where the check-in failed
      checkedIn.set(owner.id, r);
      verified.push(owner.name);
    }
    if (verified.length === role.people && of.length === role.people) notes.push(`${id}: ${verified.length}/${role.people} ${lower(role.title)} check-ins verified (${verified.join(', ')})`);
  }
  for (const [officer, n] of seenOfficers) if (n > 1) problems.push(`${id}: officer ${officer} is listed ${n} times among the participants`);
  const listedDevices = new Set(people.map((p) => p.device).filter((d) => d !== undefined));
  for (const c of current) if (!listedDevices.has(c.device)) problems.push(`${id}: the check-in of ${c.label} is not in the participants list`);
  return checkedIn;
}

/** Checks one accepted check-in event; returns its officer when everything about it holds. */
function checkOneCheckIn(ctx: Ctx, step: Step, index: number, e: JournalEntry, roles: string[], label: string): RosterOfficer | undefined {
  const { script, roster, problems } = ctx;
  const id = step.id;
  const d = e.data;
  const device = str(d.device);
  const role = str(d.role);
  const signature = str(d.signature);
  const nonce = isObject(d.challenge) ? str(d.challenge.nonce) : undefined;
  if (!device || !role || !signature || !nonce) {
    problems.push(`${id}: check-in of ${label}: ${[!device && 'device', !role && 'role', !nonce && 'challenge nonce', !signature && 'signature'].filter(Boolean).join(', ')} not recorded`);
    return undefined;
  }
  if (!roles.includes(role)) {
    problems.push(`${id}: check-in of ${label} as ${title(script, role)}: this step checks in no such role by PIV token`);
    return undefined;
  }
  const challenge: CheckInChallenge = { type: 'officiant-check-in/1', ceremony: ctx.ref, step: { id, number: index + 1 }, role, nonce };
  const diff = differences(d.challenge, challenge);
  if (diff.length > 0) {
    problems.push(`${id}: check-in of ${label}: the challenge is not the one recomputed from the script and journal (differs at ${diff.join(', ')})`);
    return undefined;
  }
  if (d.challenge_sha256 !== statementDigest(challenge)) problems.push(`${id}: check-in of ${label}: challenge_sha256 is not the challenge's SHA-256`);
  const check = checkOfficerSignature(roster, { device_serial: device, role, roleTitle: script.roles[role].title, bytes: statementBytes(challenge), signature });
  if (!check.ok) {
    problems.push(`${id}: check-in of ${label}: ${check.reason}`);
    return undefined;
  }
  const wrong = recordedFieldsUnlike(d, check.officer);
  if (wrong.length > 0) {
    problems.push(`${id}: check-in of ${label} records ${wrong.join(', ')} unlike the roster's ${check.officer.id}`);
    return undefined;
  }
  return check.officer;
}

// ---- quorum.approve ----------------------------------------------------------------------------------------

function verifyApprovalStep(ctx: Ctx, step: StepOf<'quorum.approve'>, index: number, checkedIn: Map<string, string>): void {
  const { entries, script, roster, problems, notes } = ctx;
  const { role, threshold, approve } = step.params;
  const id = step.id;
  const roleTitle = script.roles[role]?.title ?? role;
  const mine = stepEntries(entries, id);
  const completed = mine.find((a) => a.e.type === 'step.completed')?.i ?? -1;

  // What is approved must not begin before the approval is complete.
  const target = approve === 'record' ? undefined : script.steps.find((s) => s.id === approve);
  if (approve !== 'record') {
    const targetStart = entries.findIndex((e) => e.type === 'step.started' && e.step === approve);
    if (targetStart >= 0 && (completed < 0 || targetStart < completed)) problems.push(`${approve}: started before its approval ${id} completed`);
  }
  if (completed < 0) return;

  const lastDeviation = lastIndex(mine, (e, i) => e.type === 'deviation' && i < completed);
  const attempt = mine.filter((a) => a.i > lastDeviation && a.i < completed);
  const earlier = mine.filter((a) => a.i <= lastDeviation);
  const event = (what: string) => (a: At) => a.e.type === 'step.event' && a.e.data.what === what;

  const statements = attempt.filter(event('approval-statement'));
  if (statements.length === 0) {
    problems.push(`${id}: completed without an approval statement in its last attempt`);
    return;
  }
  if (statements.length > 1) problems.push(`${id}: ${statements.length} approval statements in its last attempt, expected one`);
  const made = statements[0];
  const recorded = made.e.data.statement;
  const nonce = isObject(recorded) ? str(recorded.nonce) : undefined;
  if (!nonce) {
    problems.push(`${id}: the approval statement records no nonce`);
    return;
  }
  const earlierNonces = earlier.filter(event('approval-statement')).map((a) => (isObject(a.e.data.statement) ? str(a.e.data.statement.nonce) : undefined));
  if (earlierNonces.includes(nonce)) problems.push(`${id}: the statement of its last attempt reuses the nonce of an earlier attempt`);

  const statement: ApprovalStatement = {
    type: 'officiant-approval/1',
    ceremony: ctx.ref,
    step: { id, number: index + 1 },
    role,
    threshold,
    approve: target ? subjectOfStep(target, entries[0]?.data.backup as unknown as BackupSource | undefined, entries.slice(0, made.i)) : { what: 'record', journal_head: made.i > 0 ? entries[made.i - 1].hash : GENESIS, entries: made.i },
    nonce,
  };
  const digest = statementDigest(statement);
  const diff = differences(recorded, statement);
  if (diff.length > 0) problems.push(`${id}: the approval statement is not the one recomputed from the script and journal (differs at ${diff.join(', ')})`);
  else {
    if (made.e.data.sha256 !== digest) problems.push(`${id}: the recorded statement SHA-256 ${short(str(made.e.data.sha256))} is not the statement's ${short(digest)}`);
    if (canonicalJson(made.e.data.words) !== canonicalJson(statementWords(digest))) problems.push(`${id}: the recorded statement words are not those of its SHA-256`);
  }

  const approvedBy: string[] = [];
  const names: string[] = [];
  for (const { e } of attempt.filter(event('approval'))) {
    const d = e.data;
    const device = str(d.device) ?? '(none)';
    const label = `approval by ${personLabel(roster, device, str(d.name))}`;
    const check = checkApproval(roster, statement, { device_serial: device, nonce: str(d.nonce) ?? '', statement_sha256: str(d.statement_sha256) ?? '', signature: str(d.signature) ?? '' }, { roleTitle, approvedBy });
    if (!check.ok) {
      problems.push(`${id}: ${label}: ${check.reason}`);
      continue;
    }
    const officer = check.officer;
    const wrong = recordedFieldsUnlike(d, officer);
    if (wrong.length > 0) {
      problems.push(`${id}: ${label} records ${wrong.join(', ')} unlike the roster's ${officer.id}`);
      continue;
    }
    const as = checkedIn.get(officer.id);
    if (as === undefined) {
      problems.push(`${id}: ${label}: not checked in to this ceremony`);
      continue;
    }
    if (as !== role) {
      problems.push(`${id}: ${label}: checked in as ${title(script, as)}, not as ${lower(roleTitle)}`);
      continue;
    }
    approvedBy.push(officer.id);
    names.push(officer.name);
  }
  const q = quorumReached(approvedBy, threshold);
  if (!q.met) problems.push(`${id}: quorum not met: ${q.count}/${threshold} ${lower(roleTitle)} approvals verified before the step completed`);
  else notes.push(`${id}: ${q.count}/${threshold} ${lower(roleTitle)} approvals verified (${names.join(', ')})`);

  const stale = earlier.filter(event('approval'));
  if (stale.length > 0) {
    const who = stale.map((a) => personLabel(roster, str(a.e.data.device) ?? '(none)', str(a.e.data.name)));
    notes.push(`${id}: ${stale.length} ${stale.length === 1 ? 'approval' : 'approvals'} of an earlier statement not counted (retried with a new nonce): ${who.join(', ')}`);
  }
  for (const { e } of attempt.filter(event('approval-refused'))) {
    notes.push(`${id}: approval by ${personLabel(roster, str(e.data.device) ?? '(none)', str(e.data.for))} refused: ${str(e.data.reason) ?? 'no reason recorded'}`);
  }
  for (const { e } of attempt.filter(event('approval-declined'))) {
    notes.push(`${id}: ${personLabel(roster, str(e.data.device) ?? '(none)', str(e.data.for))} declined to approve`);
  }
}

// ---- helpers -----------------------------------------------------------------------------------------------

function stepEntries(entries: JournalEntry[], stepId: string): At[] {
  const out: At[] = [];
  entries.forEach((e, i) => {
    if (e.step === stepId) out.push({ e, i });
  });
  return out;
}

/** Journal position of the last of `list` that matches, -1 if none. */
function lastIndex(list: At[], match: (e: JournalEntry, i: number) => boolean): number {
  return lastOf(list, match)?.i ?? -1;
}

function lastOf(list: At[], match: (e: JournalEntry, i: number) => boolean): At | undefined {
  for (let k = list.length - 1; k >= 0; k--) if (match(list[k].e, list[k].i)) return list[k];
  return undefined;
}

/** The officer, name and certificate a check-in or approval records, where they are not the roster's. */
function recordedFieldsUnlike(d: Record<string, unknown>, officer: RosterOfficer): string[] {
  const wrong: string[] = [];
  if (d.officer !== officer.id) wrong.push(`officer ${JSON.stringify(d.officer ?? null)}`);
  if (d.name !== officer.name) wrong.push(`name ${JSON.stringify(d.name ?? null)}`);
  if (d.certificate_sha256 !== officer.keys['9a']?.certificate_sha256) wrong.push('certificate_sha256');
  return wrong;
}

/** Paths (dotted) at which two JSON values differ; arrays compare whole. */
function differences(actual: unknown, expected: unknown, path = ''): string[] {
  if (canonicalJson(actual) === canonicalJson(expected)) return [];
  if (isObject(actual) && isObject(expected)) {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
    return keys.flatMap((k) => differences(actual[k], expected[k], path === '' ? k : `${path}.${k}`));
  }
  return [path === '' ? '(the whole value)' : path];
}

/** How a person is named: the roster's name for the device when it has one, else what the journal says. */
function personLabel(roster: RosterBody, device: string, recordedName: string | undefined): string {
  const name = officerByDevice(roster, device)?.name ?? recordedName ?? 'someone';
  return `${name} (device ${device})`;
}

function title(script: Script, role: string | undefined): string {
  return role === undefined ? '(no role)' : lower(script.roles[role]?.title ?? role);
}

function lower(s: string): string {
  return s.toLowerCase();
}
