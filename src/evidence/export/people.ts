// Who a journal actor is: the person and role from the participants' check-in record when the actor checked in,
// else read from the `<name> (<role title>)` form the journal writes; 'system' for the system.
import type { JournalEntry } from '../../record/journal.js';
import type { Script } from '../../script/schema.js';
import { isObject } from '../json-shape.js';

export interface Who {
  person: string;
  role: string;
  roleTitle: string;
}

const SYSTEM: Who = { person: 'system', role: 'system', roleTitle: 'system' };

/**
 * Journal actors are `<name> (<role title>)` (names may hold parentheses of their own: "Officer 1 (rehearsal)").
 * The person and role come from the check-in record when the actor is a checked-in person, else from the suffix.
 */
export function createResolver(entries: readonly JournalEntry[], script: Script | undefined): (actor: string) => Who {
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
