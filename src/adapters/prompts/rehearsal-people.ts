// Simulated people for rehearsals: names drawn from the script's roles, PIN halves from the system RNG,
// recorded values from each field's `example`. The result is an Answers object that the sandbox keeps in its
// own directory (never under the output directory), so a resumed rehearsal gets the same people and PINs.
import { randomBytes } from 'node:crypto';
import type { Script } from '../../script/schema.js';
import type { Answers } from './answers.js';

export function simulatePeople(script: Script): Answers {
  const people: Answers['people'] = {};
  const secrets: Answers['secrets'] = {};
  for (const [roleId, role] of Object.entries(script.roles)) {
    people[roleId] = Array.from({ length: role.people }, (_, i) => `${role.title} ${i + 1} (rehearsal)`);
  }
  for (const names of Object.values(people)) {
    for (const name of names) {
      secrets[name] = {
        'so-pin-half': randomBytes(6).toString('hex'),
        'user-pin-half': randomBytes(6).toString('hex'),
      };
    }
  }
  const records: Answers['records'] = {};
  for (const step of script.steps) {
    if (step.kind !== 'manual.confirm') continue;
    records[step.id] = Object.fromEntries(step.params.record.map((f) => [f.id, f.example ?? `REHEARSAL-${f.id.toUpperCase()}`]));
  }
  return { people, secrets, records, confirm: true, failures: {} };
}
