// The PIV secrets' forms, checked before a device sees them (a malformed PIN spends no try), and the one way
// tries are counted in messages. Contract: a malformed PIN, PUK or management key is hsm.pin-invalid with a
// message that names what it is and never its value; the strings returned cross into pkcs11js (its API takes
// strings) and live only for the operation.
import { OfficiantError } from '../../errors.js';
import type { Secret } from '../../engine/ports.js';

export function triesLeft(n: number): string {
  return `${n} ${n === 1 ? 'try' : 'tries'} left`;
}

export function secretText(s: Secret): string {
  return s.use((b) => b.toString('utf8'));
}

/** PIV PINs and PUKs are 6 to 8 characters; checked before the device sees them, so no try is spent. */
export function assertPivPin(s: Secret, what: string): void {
  if (s.length < 6 || s.length > 8) throw new OfficiantError('hsm.pin-invalid', `${what} must be 6 to 8 characters`);
}

/** The PIN or PUK as pkcs11js takes it, once its form is checked. */
export function pivPin(s: Secret, what: string): string {
  assertPivPin(s, what);
  return secretText(s);
}

/** Management keys are 3DES/AES-192 (48 hex digits), AES-128 (32) or AES-256 (64). */
export function managementKey(s: Secret, what: string): string {
  const ok = s.use((b) => [32, 48, 64].includes(b.length) && /^[0-9a-fA-F]+$/.test(b.toString('latin1')));
  if (!ok) throw new OfficiantError('hsm.pin-invalid', `${what} must be 32, 48 or 64 hex digits`);
  // ykcs11 hex-decodes the key; the simulation keeps it as the SO PIN: one spelling for both.
  return secretText(s).toLowerCase();
}
