// hsm.init-token: two PIN holders each type half of the SO PIN and half of the user PIN; the token gets the
// concatenations in holder order; a short half is refused; no half reaches the journal or the results.
import { describe, expect, it } from 'vitest';
import { hsmInitToken } from '../../../src/steps/hsm-init-token.js';
import { FakeHsm } from './fakes/fake-hsm.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const s = scriptWith([step('init', 'hsm.init-token', { pin_holders: { role: 'holder', people: 2 } })], { extraRoles: { holder: { title: 'PIN holder', people: 2 } } });
const people = [ADMIN, WITNESS, { name: 'Hal', role: 'holder' }, { name: 'Hoa', role: 'holder' }];
const halves = { 'Hal.so-pin-half': 'so-left', 'Hoa.so-pin-half': 'so-right', 'Hal.user-pin-half': 'user-left', 'Hoa.user-pin-half': 'user-right' };

describe('hsm.init-token', () => {
  it('initialises the token with the joined halves, in two journaled operations', async () => {
    const hsm = new FakeHsm();
    const run = await runStep(hsmInitToken, { script: s, stepId: 'init', people, hsm, prompter: new TablePrompter({ secrets: halves }) });
    const token = hsm.tokens.get('unit-token')!;
    expect(token.soPin.toString()).toBe('so-leftso-right');
    expect(token.userPin!.toString()).toBe('user-leftuser-right');
    expect(run.journal.entries.filter((e) => e.type === 'intent').map((e) => e.data.op)).toEqual(['hsm.init-token', 'hsm.init-user-pin']);
    expect(run.result('SO PIN')).toBe('split in 2 halves held by Hal and Hoa; never displayed or stored');
    const journal = JSON.stringify(run.journal.entries);
    for (const half of Object.values(halves)) expect(journal).not.toContain(half);
  });

  it('refuses a half shorter than the minimum, naming the holder, and leaves no token', async () => {
    const hsm = new FakeHsm();
    const { error } = await failStep(hsmInitToken, { script: s, stepId: 'init', people, hsm, prompter: new TablePrompter({ secrets: { ...halves, 'Hoa.so-pin-half': 'so' } }) });
    expect([error.code, error.message]).toEqual(['hsm.pin-invalid', "Hoa's half of the SO PIN is shorter than 6 characters"]);
    expect(hsm.tokens.size).toBe(0);
  });

  it('refuses a token label already in use, before anyone types a half', async () => {
    const hsm = new FakeHsm();
    hsm.tokens.set('unit-token', { identity: { label: 'unit-token', manufacturer: '', model: '', serial: '1', hardwareVersion: '', firmwareVersion: '', slotId: 0 }, soPin: Buffer.alloc(0) });
    const prompter = new TablePrompter({ secrets: halves });
    const { error } = await failStep(hsmInitToken, { script: s, stepId: 'init', people, hsm, prompter });
    expect([error.code, error.message]).toEqual(['env.token-label-used', 'a token labelled "unit-token" already exists']);
    expect(prompter.asked.filter((a) => a.kind === 'secret')).toEqual([]);
  });
});
