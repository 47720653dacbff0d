// Signing with an officer's PIV token, shared by check-in, approvals, roster signing and enrollment's test
// signature. Contract: the person picks their device, types their PIN (masked, by them), the device signs
// with its 9a key; a wrong PIN is journaled with the tries the device reports left and may be re-entered once
// by a person at the keyboard (scripted answers would only spend another try); the PIN is wiped after use.
import type { DeviceChoice, Person, PivToken, Secret } from './ports.js';
import { isOfficiantError } from '../errors.js';
import type { RosterBody } from '../custody/roster.types.js';
import type { StepContext } from './step-kind.types.js';

export const PIV_PIN = { id: 'piv-pin', label: 'PIV PIN', minLength: 6, repeat: false } as const;

/** The inserted devices, each with its owner's name when the roster knows the device. */
export function deviceChoices(ctx: StepContext, roster: RosterBody | undefined): DeviceChoice[] {
  return ctx
    .piv()
    .devices()
    .map((d) => {
      const owner = roster?.officers.find((o) => o.device.serial === d.serial);
      return { serial: d.serial, model: `${d.model}${d.simulated ? ' (simulated)' : ''}`, owner: owner ? `${owner.name}${owner.status === 'revoked' ? ' (revoked)' : ''}` : undefined };
    });
}

/** Opens the device, runs fn with it and closes it again, even when fn throws. */
export function withToken<T>(ctx: StepContext, serial: string, fn: (token: PivToken) => T): T {
  const token = ctx.piv().open(serial);
  try {
    return fn(token);
  } finally {
    token.close();
  }
}

/**
 * `person` enters their PIN and fn runs with their device and that PIN (which fn must not keep); a wrong PIN
 * is journaled and, at the keyboard, may be entered once more. The PIN is wiped afterwards.
 */
export async function withPivPin<T>(ctx: StepContext, person: Person, serial: string, fn: (token: PivToken, pin: Secret) => T): Promise<T> {
  const attempts = ctx.prompter.interactive ? 2 : 1;
  for (let attempt = 1; ; attempt++) {
    const pin = await ctx.prompter.secret(person, { stepId: ctx.step.id, ...PIV_PIN });
    try {
      return withToken(ctx, serial, (token) => fn(token, pin));
    } catch (err) {
      if (!isOfficiantError(err, 'hsm.pin-incorrect')) throw err;
      ctx.event('piv-pin-refused', { device: serial, attempt, message: err.message }, person);
      if (attempt >= attempts) throw err;
      ctx.prompter.say(`  ${err.message}. ${person.name}, enter your PIN again.`);
    } finally {
      pin.wipe();
    }
  }
}

/** `person` enters their PIN and the device signs each of `payloads` with its 9a key; signatures are base64 DER. */
export function signWithPin(ctx: StepContext, person: Person, serial: string, payloads: Buffer[]): Promise<string[]> {
  return withPivPin(ctx, person, serial, (token, pin) => payloads.map((p) => token.sign('9a', pin, p).toString('base64')));
}
