// CKR codes as the HSM adapters report them: the codes a ceremony meets map to hsm.* codes with a short text
// after what was being done; anything else is named by its CKR_ name from the binding's first line only, so a
// template value further down the binding's message never reaches an error.
import { describe, expect, it } from 'vitest';
import { ckrOf, pkcs11Error } from '../../../../src/adapters/pkcs11/pkcs11-errors.js';
import { OfficiantError } from '../../../../src/errors.js';

const ckr = (code: number, message: string) => Object.assign(new Error(message), { code });

describe('pkcs11Error', () => {
  it.each([
    { code: 0x30, expected: ['hsm.device', 'signing: device error'] },
    { code: 0x32, expected: ['hsm.device', 'signing: device removed'] },
    { code: 0xe0, expected: ['hsm.device', 'signing: token not present'] },
    { code: 0xb0, expected: ['hsm.device', 'signing: session closed'] },
    { code: 0xb3, expected: ['hsm.device', 'signing: session no longer valid (token removed?)'] },
    { code: 0x70, expected: ['hsm.mechanism', 'signing: mechanism not supported by the token'] },
    { code: 0xa0, expected: ['hsm.pin-incorrect', 'signing: pin incorrect'] },
    { code: 0xa1, expected: ['hsm.pin-invalid', 'signing: pin contains characters the token refuses'] },
    { code: 0xa2, expected: ['hsm.pin-invalid', 'signing: pin length out of the range the token accepts'] },
    { code: 0xa4, expected: ['hsm.pin-locked', 'signing: pin locked after too many wrong entries'] },
    { code: 0x101, expected: ['hsm.not-logged-in', 'signing: not logged in'] },
  ])('maps CKR $code', ({ code, expected }) => {
    const err = pkcs11Error(ckr(code, 'C_Sign:whatever'), 'signing');
    expect([err.code, err.message]).toEqual(expected);
  });

  it('names an unmapped code by its CKR_ name from the first line only', () => {
    const err = pkcs11Error(ckr(0x13, 'C_CreateObject:CKR_ATTRIBUTE_VALUE_INVALID\nvalue: 0011223344'), 'importing wrap key "w"');
    expect([err.code, err.message]).toEqual(['hsm.general', 'importing wrap key "w": CKR_ATTRIBUTE_VALUE_INVALID']);
  });

  it('names a failure without a CKR_ name as unexpected, first line only', () => {
    const err = pkcs11Error(new Error('binding exploded\nsecret detail'), 'listing slots');
    expect([err.code, err.message]).toEqual(['hsm.general', 'listing slots: unexpected error (binding exploded)']);
  });

  it('keeps an OfficiantError as it is', () => {
    const original = new OfficiantError('env.piv-absent', 'device 1 is not inserted');
    expect(pkcs11Error(original, 'anything')).toBe(original);
  });
});

describe('ckrOf', () => {
  it.each([
    { err: ckr(0xa0, 'x'), code: 0xa0 },
    { err: new Error('no code'), code: undefined },
    { err: Object.assign(new Error('string code'), { code: 'EPERM' }), code: undefined },
    { err: undefined, code: undefined },
  ])('$err -> $code', ({ err, code }) => expect(ckrOf(err)).toBe(code));
});
