// An interactive rehearsal shows a simulated officer's token PIN, marked REHEARSAL, right before it is asked for
// (nobody could know it: it lives in the sandbox); every other question and every other secret is asked as the
// keyboard prompter asks it, with nothing shown.
import { describe, expect, it } from 'vitest';
import { showingRehearsalPins } from '../../../../src/adapters/prompts/rehearsal-pins.js';
import { TablePrompter } from '../../steps/fakes/scripted-prompter.js';

const carol = { name: 'Crypto Officer 1 (rehearsal)', role: 'crypto-officer' };
const ada = { name: 'Ada Admin', role: 'admin' };

describe('showingRehearsalPins', () => {
  it("shows the simulated PIN before the PIN prompt, then asks as before; nothing for other secrets", async () => {
    const inner = new TablePrompter({ secrets: { [`${carol.name}.piv-pin`]: '482913', [`${ada.name}.user-pin-half`]: 'half-1' } });
    const shown: string[] = [];
    const p = showingRehearsalPins(inner, { [carol.name]: { 'piv-pin': '482913' }, [ada.name]: { 'user-pin-half': 'half-1' } }, (l) => shown.push(l));
    const pin = await p.secret(carol, { stepId: 'check-in', id: 'piv-pin', label: 'PIV PIN', minLength: 6, repeat: false });
    expect(shown).toEqual([`  REHEARSAL: ${carol.name}'s simulated token PIN is 482913 (made for this rehearsal; it exists only in its sandbox)`]);
    expect(pin).toBeDefined();
    await p.secret(ada, { stepId: 'init', id: 'user-pin-half', label: 'user PIN half', minLength: 4, repeat: false });
    expect(shown).toHaveLength(1);
    p.say('hello');
    expect(inner.said).toEqual(['hello']);
    expect(p.interactive).toBe(false);
    expect(inner.asked.map((a) => a.kind)).toEqual(['secret', 'secret']);
  });

  it("shows the simulated evidence token's halves, in the holders' order, each time one is asked", async () => {
    const inner = new TablePrompter({ secrets: { [`${carol.name}.evidence-pin-half`]: 'rehearsal-1' } });
    const shown: string[] = [];
    const p = showingRehearsalPins(inner, {}, (l) => shown.push(l), ['rehearsal-1', 'rehearsal-2']);
    for (let i = 0; i < 2; i++) await p.secret(carol, { stepId: 'evidence-key', id: 'evidence-pin-half', label: "half of the evidence token's user PIN", minLength: 1, repeat: false });
    expect(shown).toEqual(Array(2).fill(`  REHEARSAL: the simulated evidence token's halves are "rehearsal-1" (PIN holder 1) and "rehearsal-2" (PIN holder 2)`));
  });
});
