// An interactive rehearsal's people at the keyboard, on simulated hardware: the officers' simulated tokens have
// PINs made for the rehearsal, which live only in its sandbox, so nobody could know them. When one is asked
// for, the screen shows it first, marked REHEARSAL: people practise typing it instead of burning PIN tries on
// guesses. Everything else is the keyboard prompter's own. Rehearsals only; never a production prompter.
import type { Person, Prompter } from '../../engine/ports.js';

export function showingRehearsalPins(inner: Prompter, secrets: Readonly<Record<string, Readonly<Record<string, string>>>>, out: (line: string) => void, evidenceHalves: readonly string[] = []): Prompter {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'secret') {
        return (person: Person, purpose: Parameters<Prompter['secret']>[1]) => {
          const pin = purpose.id === 'piv-pin' ? secrets[person.name]?.['piv-pin'] : undefined;
          if (pin !== undefined) out(`  REHEARSAL: ${person.name}'s simulated token PIN is ${pin} (made for this rehearsal; it exists only in its sandbox)`);
          // The simulated evidence token's halves, in the PIN holders' order, each time they are asked (the banner scrolls away).
          if (purpose.id === 'evidence-pin-half' && evidenceHalves.length > 0) out(`  REHEARSAL: the simulated evidence token's halves are ${evidenceHalves.map((h, i) => `"${h}" (PIN holder ${i + 1})`).join(' and ')}`);
          return target.secret(person, purpose);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
