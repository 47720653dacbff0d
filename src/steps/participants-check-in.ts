// participants.check-in: records who is present, in which role. Every role listed (default: all roles of the
// script) must have exactly its declared number of distinct people, and nobody may hold two roles in one
// ceremony (separation of duties: a witness cannot witness themselves).
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import type { StepHandler } from './step.types.js';

export const participantsCheckIn: StepHandler<'participants.check-in'> = {
  kind: 'participants.check-in',
  usesHsm: false,
  async run(ctx) {
    const roles = ctx.step.params.roles ?? Object.keys(ctx.script.roles);
    const people: Person[] = [];
    const seen = new Map<string, string>();
    for (const roleId of roles) {
      const role = ctx.script.roles[roleId];
      const names = (await ctx.prompter.checkIn({ id: roleId, title: role.title }, role.people)).map((n) => n.trim());
      if (new Set(names).size !== names.length || names.length !== role.people) {
        throw new OfficiantError('ceremony.step-failed', `${role.title}: ${role.people} distinct people needed, got ${new Set(names).size}`);
      }
      for (const name of names) {
        const other = seen.get(name.toLowerCase());
        if (other !== undefined) throw new OfficiantError('ceremony.step-failed', `${name} is already checked in as ${other}: one role per person`);
        seen.set(name.toLowerCase(), role.title);
        people.push({ name, role: roleId });
      }
    }
    ctx.setParticipants(people);
    for (const p of people) ctx.result(ctx.script.roles[p.role].title, p.name);
  },
};
