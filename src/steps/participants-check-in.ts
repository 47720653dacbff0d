// participants.check-in: records who is present, in which role. Every role listed (default: all roles of the
// script) must have exactly its declared number of distinct people, and nobody may hold two roles in one
// ceremony (separation of duties: a witness cannot witness themselves).
// Roles of identity `piv` check in by token: each person picks their device, types their PIN and the device
// signs a fresh challenge with its 9a key; the signature must verify with the certificate the roster holds
// for that device, the officer must be active and hold the role. The evidence names them as the roster does
// (and by device and certificate), never by a typed name.
import { randomBytes } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import { checkOfficerSignature, statementBytes, statementDigest, type CheckInChallenge } from '../custody/quorum.js';
import { deviceChoices, signWithPin } from '../engine/piv-officer.js';
import type { Role, Script } from '../script/schema.js';
import type { StepContext, StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

type Roll = ReturnType<typeof createRoll>;

/**
 * One officer of a role checks in by token. Slips are caught before anyone types a PIN: a device not on the
 * roster, one already checked in, or one whose owner already holds a role is refused by name and, at the
 * keyboard, only that pick is asked again (devices already checked in are not offered); scripted answers
 * cannot change, so there the slip fails the step.
 */
async function checkInByToken(ctx: StepContext<import('../script/schema.js').StepOf<'participants.check-in'>>, roll: Roll, roleId: string, index: number, count: number): Promise<Person> {
  const role = ctx.script.roles[roleId];
  const roster = ctx.roster();
  for (let slips = 0; ; slips++) {
    const used = new Set(roll.people.map((p) => p.device).filter((d) => d !== undefined));
    const serial = await ctx.prompter.chooseDevice(
      { stepId: ctx.step.id, id: `${roleId}-${index}`, message: `${role.title}${count > 1 ? ` ${index} of ${count}` : ''}: prove your presence with your token` },
      deviceChoices(ctx, roster).filter((d) => !used.has(d.serial)),
    );
    const owner = roster.officers.find((o) => o.device.serial === serial);
    const slip = !owner
      ? `device ${serial} is not on the roster (version ${roster.version}): only enrolled officers check in as ${role.title}`
      : used.has(serial)
        ? `device ${serial} (${owner.name}) is already checked in`
        : owner.status !== 'active'
          ? `device ${serial} of ${owner.name} is revoked${owner.revoked ? ` (${owner.revoked.reason})` : ''}`
          : !owner.roles.includes(roleId)
            ? `${owner.name} (device ${serial}) is not a ${role.title} on the roster (roles: ${owner.roles.join(', ')})`
            : roll.holds([`officer:${owner.id}`, owner.name.toLowerCase()], owner.name);
    if (slip === undefined) return proveByToken(ctx, roleId, serial, owner!);
    ctx.event('check-in-refused', { role: roleId, device: serial, reason: slip }, owner ? { name: owner.name, role: roleId, officer: owner.id, device: serial } : undefined);
    // Scripted answers cannot change; at the keyboard a slip is asked again, three times at most (then the step
    // fails, and its performer decides to retry or abort: a missing officer never leaves the room stuck).
    if (!ctx.prompter.interactive || slips >= 2) throw new OfficiantError('ceremony.step-failed', slip);
    ctx.prompter.say(`  ${slip}. Pick the token of the ${role.title} checking in now.`);
  }
}

async function proveByToken(ctx: StepContext<import('../script/schema.js').StepOf<'participants.check-in'>>, roleId: string, serial: string, owner: import('../custody/roster.types.js').RosterOfficer): Promise<Person> {
  const role = ctx.script.roles[roleId];
  const roster = ctx.roster();
  const challenge: CheckInChallenge = { type: 'officiant-check-in/1', ceremony: ctx.ceremonyRef(), step: { id: ctx.step.id, number: ctx.number }, role: roleId, nonce: randomBytes(16).toString('hex') };
  const person: Person = { name: owner.name, role: roleId, officer: owner.id, device: serial };
  const [signature] = await signWithPin(ctx, person, serial, [statementBytes(challenge)]);
  const check = checkOfficerSignature(roster, { device_serial: serial, role: roleId, roleTitle: role.title, bytes: statementBytes(challenge), signature });
  const record = { role: roleId, device: serial, challenge: challenge as never, challenge_sha256: statementDigest(challenge), signature };
  if (!check.ok) {
    ctx.event('check-in-refused', { ...record, reason: check.reason }, person);
    throw new OfficiantError('ceremony.step-failed', check.reason);
  }
  ctx.event('check-in', { ...record, officer: owner.id, name: owner.name, certificate_sha256: owner.keys['9a']!.certificate_sha256 }, person);
  return person;
}

/**
 * The people checked in so far. admit() refuses anyone who already holds a role, whether they are named by a
 * typed name or by their roster entry (keys: lower-cased names, officer:<id>): one role per person.
 */
export function createRoll(script: Script): { people: Person[]; holds(keys: string[], name: string): string | undefined; admit(p: Person, keys: string[]): void } {
  const people: Person[] = [];
  const seen = new Map<string, string>();
  const holds = (keys: string[], name: string) => {
    const other = keys.map((k) => seen.get(k)).find((r) => r !== undefined);
    return other === undefined ? undefined : `${name} is already checked in as ${other}: one role per person`;
  };
  return {
    people,
    holds,
    admit(p, keys) {
      const problem = holds(keys, p.name);
      if (problem !== undefined) throw new OfficiantError('ceremony.step-failed', problem);
      for (const key of keys) seen.set(key, script.roles[p.role].title);
      people.push(p);
    },
  };
}

/** Why the names typed for a role are refused (not exactly `role.people` distinct names), or undefined. */
export function typedNamesProblem(role: Role, names: readonly string[]): string | undefined {
  if (new Set(names).size === names.length && names.length === role.people) return undefined;
  return `${role.title}: ${role.people} distinct people needed, got ${new Set(names).size}`;
}

export const participantsCheckIn: StepHandler<'participants.check-in'> = {
  kind: 'participants.check-in',
  needs: STEP_NEEDS['participants.check-in'],
  async run(ctx) {
    const roles = ctx.step.params.roles ?? Object.keys(ctx.script.roles);
    const roll = createRoll(ctx.script);
    const { people, admit } = roll;
    for (const roleId of roles) {
      const role = ctx.script.roles[roleId];
      if (role.identity === 'piv') {
        for (let i = 1; i <= role.people; i++) {
          const p = await checkInByToken(ctx, roll, roleId, i, role.people);
          admit(p, [`officer:${p.officer}`, p.name.toLowerCase()]);
        }
        continue;
      }
      const names = (await ctx.prompter.checkIn({ id: roleId, title: role.title }, role.people, (name) => roll.holds([name.toLowerCase()], name))).map((n) => n.trim());
      const problem = typedNamesProblem(role, names);
      if (problem) throw new OfficiantError('ceremony.step-failed', problem);
      for (const name of names) admit({ name, role: roleId }, [name.toLowerCase()]);
    }
    ctx.setParticipants(people);
    const simulated = (serial: string) => ctx.rosterIfAny()?.body.officers.find((o) => o.device.serial === serial)?.device.simulated === true;
    for (const p of people) {
      ctx.result(ctx.script.roles[p.role].title, p.device ? `${p.name} (device ${p.device}${simulated(p.device) ? ', SIMULATED: rehearsal only' : ''}, token-verified)` : p.name);
    }
  },
};
