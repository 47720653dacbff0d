// Simulated people for rehearsals: names drawn from the script's roles (or, for roles that check in by PIV
// token, the roster's officers), PIN halves and PIV PINs from the system RNG, recorded values from each
// field's `example`, and which simulated device each person picks. The result is an Answers object that the
// sandbox keeps in its own directory (never under the output directory), so a resumed rehearsal gets the
// same people and PINs.
import { randomBytes, randomInt } from 'node:crypto';
import type { RosterBody } from '../../custody/roster.types.js';
import type { Script } from '../../script/schema.js';
import type { Answers } from '../../inputs/answers.js';

export interface RehearsalOfficers {
  roster: RosterBody;
  /**
   * The secrets the roster's simulated officers hold, by name (from the enrollment rehearsal's sandbox): their
   * PIV PIN, and their halves of the enrollment token's user PIN.
   */
  secrets: Answers['secrets'];
}

/** A PIN a rehearsal officer "chooses": 8 random digits, never a run or a repeat. */
function simulatedPin(): string {
  for (;;) {
    const pin = String(randomInt(10_000_000, 100_000_000));
    if (new Set(pin).size > 2) return pin;
  }
}

export function simulatePeople(script: Script, opts: { officers?: RehearsalOfficers; newDevices?: string[] } = {}): Answers {
  const people: Answers['people'] = {};
  const secrets: Answers['secrets'] = {};
  const devices: Answers['devices'] = {};
  const records: Answers['records'] = {};
  const checkIn = script.steps.find((s) => s.kind === 'participants.check-in');
  for (const [roleId, role] of Object.entries(script.roles)) {
    if (role.identity === 'piv' && opts.officers) {
      const officers = opts.officers.roster.officers.filter((o) => o.status === 'active' && o.roles.includes(roleId)).slice(0, role.people);
      people[roleId] = officers.map((o) => o.name);
      officers.forEach((o, i) => {
        if (checkIn) (devices[checkIn.id] ??= {})[`${roleId}-${i + 1}`] = o.device.serial;
      });
    } else {
      people[roleId] = Array.from({ length: role.people }, (_, i) => `${role.title} ${i + 1} (rehearsal)`);
    }
  }
  // Rehearse losing the roster's last active officer that is not checked in today; a replacement token
  // (piv.enroll with replaces) goes to that same officer, who checks in by document under their own name.
  const revoked = new Map<string, RosterBody['officers'][number]>();
  for (const step of script.steps) {
    if (step.kind === 'officer.revoke' && opts.officers) {
      const present = new Set(Object.values(people).flat());
      const gone = [...opts.officers.roster.officers].reverse().find((o) => o.status === 'active' && !present.has(o.name));
      if (gone) revoked.set(step.id, gone);
    }
    if (step.kind === 'piv.enroll' && step.params.replaces !== undefined) {
      const gone = revoked.get(step.params.replaces);
      const names = people[step.params.officer.role];
      if (gone && names) names[step.params.officer.index - 1] = gone.name;
    }
  }
  for (const names of Object.values(people)) {
    for (const name of names) {
      Object.assign((secrets[name] ??= {}), {
        'so-pin-half': randomBytes(6).toString('hex'),
        'user-pin-half': randomBytes(6).toString('hex'),
        'evidence-pin-half': randomBytes(6).toString('hex'),
      });
    }
  }
  // What officers carried over from earlier rehearsals know replaces what was just drawn for them.
  for (const [name, held] of Object.entries(opts.officers?.secrets ?? {})) {
    Object.assign((secrets[name] ??= {}), held);
  }
  let next = 0;
  for (const step of script.steps) {
    if (step.kind === 'manual.confirm') {
      records[step.id] = Object.fromEntries(step.params.record.map((f) => [f.id, f.example ?? `REHEARSAL-${f.id.toUpperCase()}`]));
    }
    if (step.kind === 'piv.enroll') {
      const name = people[step.params.officer.role]?.[step.params.officer.index - 1];
      const serial = opts.newDevices?.[next++];
      if (serial) devices[step.id] = { device: serial };
      records[step.id] = { 'document-type': step.params.documents[0], 'document-number': `R${randomInt(1_000_000, 10_000_000)}` };
      if (name) {
        const pin = simulatedPin();
        Object.assign((secrets[name] ??= {}), { 'piv-new-pin': pin, 'piv-pin': pin });
      }
    }
    if (step.kind === 'officer.revoke' && opts.officers) {
      records[step.id] = { 'device-serial': revoked.get(step.id)?.device.serial ?? '0', reason: 'rehearsal: device reported lost' };
    }
  }
  return { people, secrets, records, devices, confirm: true, failures: {} };
}

/** What the simulated officers of an earlier rehearsal hold: their PIV PIN and token PIN halves, by name. */
export function officerSecrets(answers: Answers): Answers['secrets'] {
  return Object.fromEntries(
    Object.entries(answers.secrets)
      .filter(([, s]) => s['piv-pin'] !== undefined)
      .map(([name, s]) => [name, Object.fromEntries(Object.entries(s).filter(([k]) => k === 'piv-pin' || k === 'user-pin-half' || k === 'evidence-pin-half'))]),
  );
}
