// Token logins, user and SO alike: the PIN holders type their halves in the order the script lists them; at the
// keyboard a refused PIN may be entered once more (both PINs: a wrong SO PIN half no longer fails the step at
// once), scripted answers never spend a second try; every refusal and the login are journaled, by name.
import { describe, expect, it } from 'vitest';
import { OfficiantError } from '../../../src/errors.js';
import { TokenLogin, type TokenLoginHost } from '../../../src/engine/token-login.js';
import type { HsmSession, Person, Secret } from '../../../src/engine/ports.js';
import type { JournalEntry } from '../../../src/record/journal.js';
import { TablePrompter } from '../steps/fakes/scripted-prompter.js';

const ann = { name: 'Ann Holder', role: 'crypto-officer' };
const bob = { name: 'Bob Holder', role: 'crypto-officer' };

/** A token that checks the joined halves and counts the tries it was given. */
class PinToken {
  tries = { user: 0, so: 0 };
  constructor(private readonly pins: { user: string; so: string }) {}
  private open(kind: 'user' | 'so', pin: Secret): HsmSession {
    this.tries[kind]++;
    if (pin.use((b) => b.toString()) !== this.pins[kind]) throw new OfficiantError('hsm.pin-incorrect', 'the token refused the PIN (CKR_PIN_INCORRECT)');
    return { token: () => ({ serial: 'SER-1' }), close: () => undefined } as unknown as HsmSession;
  }
  openSession(_label: string, pin: Secret): HsmSession {
    return this.open('user', pin);
  }
  openSoSession(_label: string, pin: Secret): HsmSession {
    return this.open('so', pin);
  }
}

function login(prompter: TablePrompter, token: PinToken) {
  const entries: JournalEntry[] = [];
  const host = {
    deps: { prompter },
    entries,
    hsm: () => token,
    record: (type: string, step: string, data: Record<string, unknown>, actor?: Person) => entries.push({ type, step, data, actor: actor?.name } as unknown as JournalEntry),
  } as unknown as TokenLoginHost;
  const tokens = new TokenLogin(host, { label: () => 'site-token', holders: () => [ann, bob], pin: { id: 'user-pin-half', label: 'half of the user PIN' } });
  const whats = () => entries.map((e) => `${String(e.data.what)} by ${e.actor}`);
  return { tokens, whats };
}

const pins = { user: 'userAAuserBB', so: 'soAAAAsoBBBB' };

describe('TokenLogin', () => {
  it.each([
    ['user', (t: TokenLogin) => t.session('s'), 'user-pin-half', 'hsm-login'],
    ['SO', (t: TokenLogin) => t.securityOfficer('s', () => 'done'), 'so-pin-half', 'hsm-so-login'],
  ] as const)('at the keyboard, a mistyped %s PIN half is entered once more, by every holder in the same order', async (_kind, use, purpose, ok) => {
    const [first, second] = purpose === 'so-pin-half' ? ['soAAAA', 'soBBBB'] : ['userAA', 'userBB'];
    const prompter = new TablePrompter({ interactive: true, secrets: { [`Ann Holder.${purpose}`]: ['typo!!', first], [`Bob Holder.${purpose}`]: second } });
    const token = new PinToken(pins);
    const { tokens, whats } = login(prompter, token);
    await use(tokens);
    expect(prompter.asked.map((a) => a.person)).toEqual(['Ann Holder', 'Bob Holder', 'Ann Holder', 'Bob Holder']);
    expect(whats()).toEqual([`${ok}-refused by Ann Holder`, `${ok} by Ann Holder`]);
    expect(prompter.said.join('\n')).toContain('again, in the same order: Ann Holder, then Bob Holder');
    // Which token and who types, before the first half is asked.
    expect(prompter.said[0]).toBe(`  Login to token "site-token" (${purpose === 'so-pin-half' ? 'half of the SO PIN' : 'half of the user PIN'}): Ann Holder, then Bob Holder.`);
  });

  it.each([
    ['user', (t: TokenLogin) => t.session('s'), 'user-pin-half'],
    ['SO', (t: TokenLogin) => t.securityOfficer('s', () => 'done'), 'so-pin-half'],
  ] as const)('a refused %s PIN twice fails the login, after two tries of the token and no third', async (_kind, use, purpose) => {
    const prompter = new TablePrompter({ interactive: true, secrets: { [`Ann Holder.${purpose}`]: 'wrong1', [`Bob Holder.${purpose}`]: 'wrong2' } });
    const token = new PinToken(pins);
    const { tokens } = login(prompter, token);
    const error = await use(tokens).catch((e: unknown) => e);
    expect((error as OfficiantError).code).toBe('hsm.pin-incorrect');
    expect(token.tries.user + token.tries.so).toBe(2);
  });

  it('scripted answers spend one try only: the same wrong PIN would only burn another', async () => {
    const prompter = new TablePrompter({ secrets: { 'Ann Holder.so-pin-half': 'wrong1', 'Bob Holder.so-pin-half': 'wrong2' } });
    const token = new PinToken(pins);
    const { tokens, whats } = login(prompter, token);
    await expect(tokens.securityOfficer('s', () => 'x')).rejects.toThrow('CKR_PIN_INCORRECT');
    expect(token.tries.so).toBe(1);
    expect(whats()).toEqual(['hsm-so-login-refused by Ann Holder']);
  });
});
