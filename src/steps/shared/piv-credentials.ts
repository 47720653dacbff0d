// The credentials enrollment sets on an officer's PIV token: the officer's new PIN must pass pinProblem; the
// PUK and management key are random, made in Buffers (never strings) so they can be wiped, and never shown.
import { randomBytes, randomInt } from 'node:crypto';
import { PIV_DEFAULTS, type Secret } from '../../engine/ports.js';
import { secretFromBytes } from '../../custody/secret.js';

/** Why a new PIN is refused, or undefined. Never includes the PIN. */
export function pinProblem(pin: Buffer, minLength: number): string | undefined {
  const s = pin.toString('latin1');
  if (s.length < minLength || s.length > 8) return `the PIN must be ${minLength} to 8 characters`;
  if (/[^\x21-\x7e]/.test(s)) return 'the PIN may hold only printable ASCII characters without spaces';
  if (s === PIV_DEFAULTS.pin || s === PIV_DEFAULTS.puk) return 'the PIN must not be a factory default';
  if (new Set(s).size === 1) return 'the PIN must not be one character repeated';
  const steps = [...s].slice(1).map((c, i) => c.charCodeAt(0) - s.charCodeAt(i));
  if (steps.every((d) => d === 1) || steps.every((d) => d === -1)) return 'the PIN must not be a sequential run';
  return undefined;
}

/** Random decimal digits, made in a Buffer (never a string) so they can be wiped. */
export function randomDigits(n: number): Secret {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x30 + randomInt(10);
  return secretFromBytes(b);
}

/** `bytes` random bytes as lowercase hex, made in a Buffer (never a string) so they can be wiped. */
export function randomHex(bytes: number): Secret {
  const raw = randomBytes(bytes);
  const b = Buffer.alloc(bytes * 2);
  const digits = '0123456789abcdef';
  for (let i = 0; i < bytes; i++) {
    b[2 * i] = digits.charCodeAt(raw[i] >> 4);
    b[2 * i + 1] = digits.charCodeAt(raw[i] & 15);
  }
  raw.fill(0);
  return secretFromBytes(b);
}
