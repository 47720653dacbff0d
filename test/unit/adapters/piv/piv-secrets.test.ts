// The forms of PIV secrets, checked before a device sees them so that a malformed one spends no try: the
// error names what was malformed and never the value.
import { describe, expect, it } from 'vitest';
import { managementKey, pivPin, triesLeft } from '../../../../src/adapters/piv/piv-secrets.js';
import { secretFromString } from '../../../../src/custody/secret.js';
import { caught } from '../../../helpers/caught.js';

describe('PIV PINs and PUKs', () => {
  it.each(['123456', '1234567', 'abcdefgh'])('takes %s', (value) => {
    expect(pivPin(secretFromString(value), 'PIN')).toBe(value);
  });

  it.each([
    { value: '12345', what: 'PIN', message: 'PIN must be 6 to 8 characters' },
    { value: '123456789', what: 'new PUK', message: 'new PUK must be 6 to 8 characters' },
    { value: '', what: 'PUK', message: 'PUK must be 6 to 8 characters' },
  ])('refuses "$value" as $what', ({ value, what, message }) => {
    const err = caught(() => pivPin(secretFromString(value), what));
    expect([err.code, err.message]).toEqual(['hsm.pin-invalid', message]);
  });
});

describe('management keys', () => {
  it.each([32, 48, 64])('takes %i hex digits, lower-cased as both ykcs11 and the simulation spell it', (n) => {
    expect(managementKey(secretFromString('A1'.repeat(n / 2)), 'management key')).toBe('a1'.repeat(n / 2));
  });

  it.each([
    { value: '0'.repeat(47), what: 'management key' },
    { value: 'g'.repeat(48), what: 'new management key' },
    { value: '0'.repeat(40), what: 'management key' },
  ])('refuses $value.length characters that are not a key, without showing them', ({ value, what }) => {
    const err = caught(() => managementKey(secretFromString(value), what));
    expect([err.code, err.message]).toEqual(['hsm.pin-invalid', `${what} must be 32, 48 or 64 hex digits`]);
    expect(err.message).not.toContain(value.slice(0, 8));
  });
});

describe('tries left', () => {
  it.each([
    [1, '1 try left'],
    [2, '2 tries left'],
    [0, '0 tries left'],
  ])('%i: %s', (n, text) => expect(triesLeft(n as number)).toBe(text));
});
