// Who took part, recomputed from the journal and the script: each check-in lists exactly the number of people
// each role needs, nobody holds two roles, every person the journal names as acting was checked in, and every
// token activation was made by two distinct PIN-half holders of the role the script (or hsm.init-token) names.
// Pure; every problem starts with the rule it breaks.
import type { JournalEntry } from '../../record/journal.js';
import type { Person } from '../../record/person.types.js';
import type { Script } from '../../script/schema.js';
import { isObject } from '../json-shape.js';

export interface RuleReport {
  fail(message: string): void;
}

const SYSTEM = 'system';

/** The participants as the last `participants` event before position `pos` lists them. */
export function participantsAt(entries: readonly JournalEntry[], pos: number): Person[] {
  for (let i = Math.min(pos, entries.length - 1); i >= 0; i--) {
    const e = entries[i];
    if (e.type === 'step.event' && e.data.what === 'participants') return peopleOf(e);
  }
  return [];
}

function peopleOf(e: JournalEntry): Person[] {
  const list = Array.isArray(e.data.people) ? e.data.people : [];
  return list.filter((p): p is Person & Record<string, never> => isObject(p) && typeof p.name === 'string' && typeof p.role === 'string') as Person[];
}

/** The person an actor string names (`<name> (<role title>)`), among `people`. */
export function actorOf(actor: string, people: readonly Person[], script: Script): Person | undefined {
  return people.find((p) => actor === `${p.name} (${script.roles[p.role]?.title ?? p.role})`);
}

/** Every participants list: the role counts of its check-in step, one role per person (by name and by officer). */
export function checkParticipants(entries: readonly JournalEntry[], script: Script, out: RuleReport): void {
  entries.forEach((e, pos) => {
    if (e.type !== 'step.event' || e.data.what !== 'participants') return;
    const step = script.steps.find((s) => s.id === e.step);
    if (!step || step.kind !== 'participants.check-in') return out.fail(`check-in: line ${pos + 1}: a participants list outside a check-in step (${JSON.stringify(e.step)})`);
    const list = Array.isArray(e.data.people) ? e.data.people : [];
    const people = peopleOf(e);
    if (people.length !== list.length) out.fail(`check-in: line ${pos + 1}: ${step.id}: a participant without a name and role`);
    const roles = step.params.roles ?? Object.keys(script.roles);
    for (const role of roles) {
      const n = people.filter((p) => p.role === role).length;
      const need = script.roles[role]?.people;
      if (n !== need) out.fail(`check-in: ${step.id}: ${n} ${script.roles[role]?.title ?? role} checked in, the script needs ${need}`);
    }
    for (const p of people) {
      if (!roles.includes(p.role)) out.fail(`check-in: ${step.id}: ${p.name} listed as ${script.roles[p.role]?.title ?? p.role}, a role this step does not check in`);
    }
    const byName = new Map<string, string[]>();
    for (const p of people) {
      const key = p.name.trim().toLowerCase();
      byName.set(key, [...(byName.get(key) ?? []), script.roles[p.role]?.title ?? p.role]);
    }
    for (const [name, held] of byName) if (held.length > 1) out.fail(`check-in: ${step.id}: ${name} is listed ${held.length} times (${held.join(', ')}): one role per person`);
    const officers = people.map((p) => p.officer).filter((o): o is string => typeof o === 'string');
    for (const o of new Set(officers)) if (officers.filter((x) => x === o).length > 1) out.fail(`check-in: ${step.id}: officer ${o} is listed more than once: one role per person`);
  });
}

/** Step kinds in which custodians who are not in the room's roles open their share with their own token. */
const CUSTODIAN_STEPS = new Set(['backup.split', 'backup.restore', 'backup.verify', 'backup.reshare']);

/** Every entry made by a person names someone checked in (or checking in, in a check-in step) at that point. */
export function checkActors(entries: readonly JournalEntry[], script: Script, out: RuleReport): void {
  const everyone: Person[] = entries.filter((e) => e.type === 'step.event' && e.data.what === 'participants').flatMap(peopleOf);
  // The participants as of each entry, tracked in one pass (a long journal must not cost its square).
  let now: Person[] = [];
  entries.forEach((e, pos) => {
    if (e.type === 'step.event' && e.data.what === 'participants') now = peopleOf(e);
    if (e.actor === SYSTEM) return;
    if (actorOf(e.actor, now, script)) return;
    const step = script.steps.find((s) => s.id === e.step);
    // Inside a check-in step, people sign their challenge before the list that names them is recorded (the
    // officers check verifies each check-in against the roster).
    if (step?.kind === 'participants.check-in' && (actorOf(e.actor, everyone, script) || e.data.what === 'check-in' || e.data.what === 'check-in-refused')) return;
    // A custodian who is not in the room's roles opens (or fails to open) their share with their own token in
    // a backup step: the backup check verifies what they signed against the roster.
    if (step && CUSTODIAN_STEPS.has(step.kind) && / \(custodian\)$/.test(e.actor) && e.type === 'step.event') return;
    // Nobody checked in yet (a failed room check or check-in): the person deciding to retry or abort names
    // themselves at the keyboard, or scripted answers decide as the operator. Only decisions, nothing else.
    if (now.length === 0 && (/^operator \(/.test(e.actor) || e.type === 'deviation' || e.type === 'ceremony.aborted')) return;
    out.fail(`people: line ${pos + 1}: ${e.type}${typeof e.data.what === 'string' ? ` ${e.data.what}` : ''} by ${e.actor}, who is not checked in`);
  });
}

/** Dual control: each activation of the token typed by two distinct holders of its PIN halves. */
/**
 * The evidence token's label: the token logged in to during the evidence.use-key step (that step opens no
 * other session). Logins to it are checked against that step's PIN holders, never the site token's.
 */
function evidenceTokenLabel(entries: readonly JournalEntry[], script: Script): { label: string; role: string } | undefined {
  const step = script.steps.find((s) => s.kind === 'evidence.use-key');
  if (step?.kind !== 'evidence.use-key') return undefined;
  const login = entries.find((e) => e.type === 'step.event' && e.step === step.id && e.data.what === 'hsm-login' && typeof e.data.token === 'string');
  return login ? { label: String(login.data.token), role: step.params.pin_holders.role } : undefined;
}

export function checkPinHalves(entries: readonly JournalEntry[], script: Script, out: RuleReport): void {
  let holders: string[] | undefined;
  let evidenceHolders: string[] | undefined;
  const evidence = evidenceTokenLabel(entries, script);
  const siteLabel = isObject(entries[0]?.data.site) ? entries[0].data.site.tokenLabel : undefined;
  if (evidence && evidence.label === siteLabel) out.fail(`pin halves: the evidence token "${evidence.label}" is the ceremony's own token, not a token of its own`);
  entries.forEach((e, pos) => {
    const where = `pin halves: line ${pos + 1}`;
    if (evidence && e.type === 'step.event' && e.data.token === evidence.label && typeof e.data.what === 'string' && e.data.what.startsWith('hsm-')) {
      if (e.data.what === 'hsm-so-login') return out.fail(`${where}: a security-officer login to the evidence token "${evidence.label}"`);
      if (e.data.what !== 'hsm-login') return;
      const list = Array.isArray(e.data.by) ? e.data.by : [];
      checkHolders(list, evidence.role, where, 'typed', entries, pos, script, out);
      const names = list.map(String);
      evidenceHolders ??= names;
      if (names.length !== evidenceHolders.length || names.some((n, i) => n !== evidenceHolders![i])) out.fail(`${where}: typed by ${names.join(' and ')}, not by the evidence token's PIN holders ${evidenceHolders.join(' and ')}`);
      return;
    }
    if (e.type === 'step.event' && e.data.what === 'pin-holders') {
      const h = Array.isArray(e.data.holders) ? e.data.holders : [];
      const step = script.steps.find((s) => s.id === e.step);
      const declared = step?.kind === 'hsm.init-token' ? step.params.pin_holders : undefined;
      if (!declared) return out.fail(`${where}: PIN holders chosen outside an hsm.init-token step`);
      checkHolders(h, declared.role, where, 'holds', entries, pos, script, out);
      holders = h.map(String);
      return;
    }
    const login = e.type === 'step.event' && (e.data.what === 'hsm-login' || e.data.what === 'hsm-so-login');
    const init = e.type === 'intent' && e.data.op === 'hsm.init-token';
    if (!login && !init) return;
    const by = login ? e.data.by : isObject(e.data.params) ? e.data.params.holders : undefined;
    const list = Array.isArray(by) ? by : [];
    const role = holders ? undefined : script.site.pin_holders?.role;
    if (!holders && !role) return out.fail(`${where}: a token activation, but no PIN holders were chosen and the script names none`);
    checkHolders(list, role, where, 'typed', entries, pos, script, out);
    if (holders && (list.length !== holders.length || list.some((n, i) => n !== holders![i]))) out.fail(`${where}: typed by ${list.join(' and ')}, not by the PIN holders ${holders.join(' and ')}`);
  });
}

function checkHolders(list: unknown[], role: string | undefined, where: string, verb: string, entries: readonly JournalEntry[], pos: number, script: Script, out: RuleReport): void {
  const names = list.map((n) => (typeof n === 'string' ? n : JSON.stringify(n)));
  if (names.length !== 2 || new Set(names).size !== 2) return out.fail(`${where}: ${names.length === 0 ? 'nobody' : names.join(' and ')} ${verb} the PIN halves: dual control needs two distinct people`);
  const people = participantsAt(entries, pos);
  for (const n of names) {
    const p = people.find((x) => x.name === n);
    if (!p) out.fail(`${where}: ${n} ${verb} a PIN half but is not checked in`);
    else if (role !== undefined && p.role !== role) out.fail(`${where}: ${n} ${verb} a PIN half as ${script.roles[p.role]?.title ?? p.role}, the script gives the halves to ${script.roles[role]?.title ?? role}`);
  }
}

/**
 * A token revoked in a ceremony took no part in it: none of the devices checked in is one an officer-revoked
 * entry names (otherwise whoever found a lost token could help approve and sign the roster that revokes it).
 */
export function checkRevokedAbsent(entries: readonly JournalEntry[], out: RuleReport): void {
  const devices = new Set(entries.filter((e) => e.type === 'step.event' && e.data.what === 'check-in').map((e) => String(e.data.device)));
  entries.forEach((e, pos) => {
    if (e.type === 'step.event' && e.data.what === 'officer-revoked' && devices.has(String(e.data.device))) {
      out.fail(`people: line ${pos + 1}: device ${String(e.data.device)} is revoked in the ceremony it checked in to: a token being revoked takes no part in it`);
    }
  });
}

