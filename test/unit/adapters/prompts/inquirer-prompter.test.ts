// The interactive prompts as a person sees them (through @inquirer/testing's virtual screen): PIN entry is
// masked and never echoed, a mismatched repeat is asked again, Ctrl-C at a prompt becomes a clean pause.
import { screen } from '@inquirer/testing/vitest';
import { describe, expect, it } from 'vitest';
import { InquirerPrompter } from '../../../../src/adapters/prompts/inquirer-prompter.js';
import { isOfficiantError } from '../../../../src/errors.js';

const carol = { name: 'Carol Officer', role: 'crypto-officer' };
const bagField = { stepId: 'seal', id: 'bag', label: 'the tamper bag serial', pattern: 'TB-[0-9]{6}', example: 'TB-004211' };
const purpose = { stepId: 'init-token', id: 'so-pin-half', label: 'half of the SO PIN', minLength: 6, repeat: true };

function prompter(lines: string[]): InquirerPrompter {
  return new InquirerPrompter((l) => lines.push(l), () => 'Crypto Officer');
}

describe('InquirerPrompter', () => {
  it('masks a PIN half, asks for it twice and asks again when the two differ', async () => {
    const said: string[] = [];
    const pending = prompter(said).secret(carol, purpose);
    expect(screen.getScreen()).toContain('Carol Officer, enter your half of the SO PIN');
    expect(screen.getScreen()).not.toContain('toggle visibility');
    screen.type('s3cretA');
    expect(screen.getScreen()).not.toContain('s3cretA');
    expect(screen.getScreen()).toContain('*******');
    screen.keypress('enter');
    await screen.next();
    expect(screen.getScreen()).toContain('enter it again');
    screen.type('s3cretB');
    screen.keypress('enter');
    await screen.next();
    expect(said.join('\n')).toContain('The two entries differ');
    screen.type('s3cretA');
    screen.keypress('enter');
    await screen.next();
    screen.type('s3cretA');
    screen.keypress('enter');
    const secret = await pending;
    expect(secret.use((b) => b.toString())).toBe('s3cretA');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[secret]"}');
    expect(`${secret}`).toBe('[secret]');
    expect(said.join('\n')).not.toContain('s3cretA');
    secret.wipe();
    expect(() => secret.use((b) => b)).toThrow('wiped');
  });

  it('refuses a half shorter than the minimum before accepting it', async () => {
    const pending = prompter([]).secret(carol, { ...purpose, repeat: false });
    screen.type('abc');
    screen.keypress('enter');
    await screen.next();
    expect(screen.getScreen()).toContain('at least 6 characters');
    screen.type('defghi');
    screen.keypress('enter');
    const s = await pending;
    expect(s.length).toBe(9);
  });

  it('turns Ctrl-C at a prompt into a pause, not a crash', async () => {
    const pending = prompter([]).confirm(carol, 'done as instructed?');
    screen.keypress({ name: 'c', ctrl: true });
    const err = await pending.catch((e: unknown) => e);
    expect(isOfficiantError(err, 'interrupt.paused')).toBe(true);
  });

  it('asks for a reason when a step fails and records who decided', async () => {
    const pending = prompter([]).onFailure('generate', 'pin incorrect', carol, true);
    expect(screen.getScreen()).toContain('retry the step or abort');
    screen.keypress('enter');
    await screen.next();
    screen.type('USB cable re-seated');
    screen.keypress('enter');
    await expect(pending).resolves.toEqual({ action: 'retry', reason: 'USB cable re-seated', by: carol });
  });

  it('after a PIN prompt, a free-text prompt comes under a heading saying it is recorded in clear, and refuses the PIN just typed', async () => {
    const said: string[] = [];
    const p = prompter(said);
    const pinEntry = p.secret(carol, { ...purpose, repeat: false });
    screen.type('half7391');
    screen.keypress('enter');
    (await pinEntry).wipe();
    const pending = p.record(carol, bagField);
    expect(said.join('\n')).toContain('Not a PIN prompt: what you type next is recorded in clear');
    screen.type('half7391');
    screen.keypress('enter');
    await screen.next();
    expect(screen.getScreen()).toContain('never type a PIN here');
    for (let i = 0; i < 8; i++) screen.keypress('backspace');
    screen.type('TB-004212');
    screen.keypress('enter');
    await expect(pending).resolves.toBe('TB-004212');
  });

  it('a failed step gets its own heading, and a retry reason that holds a PIN half typed earlier is refused', async () => {
    const said: string[] = [];
    const p = prompter(said);
    const pinEntry = p.secret(carol, { ...purpose, repeat: false });
    screen.type('Zq81mm');
    screen.keypress('enter');
    (await pinEntry).wipe();
    const pending = p.onFailure('backup', 'the token refused the PIN', carol, true);
    expect(said.join('\n')).toContain('── The step failed: a decision ──');
    expect(said.join('\n')).toContain('Carol Officer decides. Not a PIN prompt');
    screen.keypress('enter');
    await screen.next();
    expect(screen.getScreen()).toContain('recorded in clear');
    screen.type('typo: Zq81mm');
    screen.keypress('enter');
    await screen.next();
    expect(screen.getScreen()).toContain('never type a PIN here');
    for (let i = 0; i < 12; i++) screen.keypress('backspace');
    screen.type('one half was mistyped');
    screen.keypress('enter');
    await expect(pending).resolves.toEqual({ action: 'retry', reason: 'one half was mistyped', by: carol });
  });

  it('a third answer holding a PIN pauses the ceremony: refusals are no oracle for someone probing', async () => {
    const p = prompter([]);
    const pinEntry = p.secret(carol, { ...purpose, repeat: false });
    screen.type('Qx7731');
    screen.keypress('enter');
    (await pinEntry).wipe();
    const pending = p.record(carol, bagField).catch((e: unknown) => e);
    for (let i = 0; i < 2; i++) {
      screen.type('Qx7731');
      screen.keypress('enter');
      await screen.next();
      expect(screen.getScreen()).toContain('never type a PIN here');
      for (let k = 0; k < 6; k++) screen.keypress('backspace');
    }
    screen.type('Qx7731');
    screen.keypress('enter');
    const err = await pending;
    expect(isOfficiantError(err, 'interrupt.paused')).toBe(true);
  });
});
