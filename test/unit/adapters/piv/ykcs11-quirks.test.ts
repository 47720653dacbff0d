// The ykcs11 side of the PIV adapter (a real YubiKey through libykcs11), which no SoftHSM test reaches: how the
// device is found and described, and what a wrong PIN, a wrong management key or a pulled-out device become
// through PivDeviceSessions. The module, slots and sessions are small stand-ins for graphene's objects that
// answer as ykcs11 does (token flags, CKR codes).
import graphene from 'graphene-pk11';
import { describe, expect, it } from 'vitest';
import { PivDeviceSessions } from '../../../../src/adapters/piv/piv-device-sessions.js';
import { Ykcs11Quirks } from '../../../../src/adapters/piv/ykcs11-quirks.js';
import { caught } from '../../../helpers/caught.js';

const F = graphene.TokenFlag;

function ckrError(code: number, name: string): Error {
  return Object.assign(new Error(`${name}\n    at C_Login`), { code });
}

interface TokenInfo {
  serialNumber: string;
  model: string;
  manufacturerID: string;
  firmwareVersion: { major: number; minor: number };
  flags: number;
}

interface FakeSession {
  calls: string[];
  login(pin: string, user: number): void;
  logout(): void;
  close(): void;
}

function token(serial: string, more: Partial<TokenInfo> = {}): TokenInfo {
  return { serialNumber: `${serial}        `, model: 'YubiKey 5 NFC   ', manufacturerID: 'Yubico (www.yubico.com)', firmwareVersion: { major: 5, minor: 43 }, flags: 0, ...more };
}

function fakeSlot(info: TokenInfo | Error, session?: FakeSession): graphene.Slot {
  return {
    getToken: () => {
      if (info instanceof Error) throw info;
      return info;
    },
    open: () => session,
  } as unknown as graphene.Slot;
}

function fakeModule(slots: graphene.Slot[]): graphene.Module {
  return { getSlots: () => ({ length: slots.length, items: (i: number) => slots[i] }) } as unknown as graphene.Module;
}

function fakeSession(loginError?: Error): FakeSession {
  const calls: string[] = [];
  return {
    calls,
    login: (_pin, user) => {
      calls.push(`login:${user}`);
      if (loginError) throw loginError;
    },
    logout: () => void calls.push('logout'),
    close: () => void calls.push('close'),
  };
}

const quirks = new Ykcs11Quirks();
const sessionsFor = (mod: graphene.Module, serial = '12345678') => new PivDeviceSessions(() => mod, quirks, serial);

describe('Ykcs11Quirks: finding and describing devices', () => {
  const gone = fakeSlot(ckrError(0xe0, 'CKR_TOKEN_NOT_PRESENT'));
  const a = fakeSlot(token('12345678'));
  const b = fakeSlot(token('87654321', { manufacturerID: 'SoftHSM project', firmwareVersion: { major: 2, minor: 6 } }));
  const mod = fakeModule([gone, a, b]);

  it('finds a device by its token serial, passing over a token that went away', () => {
    expect(quirks.findSlot(mod, '87654321')).toBe(b);
    expect(quirks.findSlot(mod, '12345678')).toBe(a);
    expect(quirks.findSlot(mod, '1234567')).toBeUndefined();
  });

  it('says a device that is not there is not inserted', () => {
    const err = caught(() => sessionsFor(mod, '55555555').slot());
    expect([err.code, err.message]).toEqual(['env.piv-absent', 'device 55555555 is not inserted']);
  });

  it('lists devices with ykcs11 firmware decoding, marks a SoftHSM token as simulated and skips one pulled out meanwhile', () => {
    expect(quirks.listDevices(mod)).toEqual([
      { serial: '12345678', model: 'YubiKey 5 NFC', firmware: '5.4.3', simulated: false },
      { serial: '87654321', model: 'YubiKey 5 NFC', firmware: '2.0.6', simulated: true },
    ]);
  });

  it('lets any other token failure through while listing', () => {
    const broken = fakeModule([fakeSlot(ckrError(0x30, 'CKR_DEVICE_ERROR'))]);
    expect(() => quirks.listDevices(broken)).toThrow(/CKR_DEVICE_ERROR/);
  });

  it('describes the device from its token', () => {
    expect(quirks.describeDevice(a, '12345678')).toEqual({ serial: '12345678', model: 'YubiKey 5 NFC', firmware: '5.4.3', simulated: false });
  });
});

describe('Ykcs11Quirks: a wrong PIN, as the device reports the tries left in its token flags', () => {
  it.each([
    { flags: F.USER_PIN_COUNT_LOW, code: 'hsm.pin-incorrect', message: 'PIN incorrect for device 12345678: 2 tries left' },
    { flags: F.USER_PIN_FINAL_TRY, code: 'hsm.pin-incorrect', message: 'PIN incorrect for device 12345678: 1 try left' },
    { flags: F.USER_PIN_LOCKED, code: 'hsm.pin-locked', message: 'device 12345678: PIN blocked after too many wrong entries' },
    { flags: 0, code: 'hsm.pin-incorrect', message: 'PIN incorrect for device 12345678' },
  ])('flags $flags: $message', ({ flags, code, message }) => {
    const slot = fakeSlot(token('12345678', { flags }));
    const err = caught(() => sessionsFor(fakeModule([slot])).checkPin(slot, () => {
      throw ckrError(0xa0, 'CKR_PIN_INCORRECT');
    }));
    expect([err.code, err.message]).toEqual([code, message]);
  });

  it('reports the refusal when the device went away after refusing the PIN', () => {
    const slot = fakeSlot(ckrError(0xe0, 'CKR_TOKEN_NOT_PRESENT'));
    const err = caught(() => sessionsFor(fakeModule([])).checkPin(slot, () => {
      throw ckrError(0xa0, 'CKR_PIN_INCORRECT');
    }));
    expect([err.code, err.message]).toEqual(['hsm.pin-incorrect', 'PIN incorrect for device 12345678']);
  });

  it('calls a PIN the device has locked blocked', () => {
    const slot = fakeSlot(token('12345678'));
    const err = caught(() => sessionsFor(fakeModule([slot])).checkPin(slot, () => {
      throw ckrError(0xa4, 'CKR_PIN_LOCKED');
    }));
    expect([err.code, err.message]).toEqual(['hsm.pin-locked', 'device 12345678: PIN blocked after too many wrong entries']);
  });
});

describe('PivDeviceSessions over ykcs11', () => {
  it.each([
    { code: 0xa0, name: 'CKR_PIN_INCORRECT', expected: ['hsm.pin-incorrect', 'management key incorrect for device 12345678'] },
    { code: 0xa4, name: 'CKR_PIN_LOCKED', expected: ['hsm.pin-locked', 'device 12345678: management key blocked'] },
    { code: 0x32, name: 'CKR_DEVICE_REMOVED', expected: ['env.piv-absent', 'device 12345678 was removed (checking the management key)'] },
    { code: 0x30, name: 'CKR_DEVICE_ERROR', expected: ['hsm.device', 'checking the management key on device 12345678: device error'] },
  ])('names $name at the SO login and still logs out and closes the session', ({ code, name, expected }) => {
    const session = fakeSession(ckrError(code, name));
    const sessions = sessionsFor(fakeModule([fakeSlot(token('12345678'), session)]));
    const err = caught(() => sessions.withSession('checking the management key', (s) => sessions.loginSo(s, '0'.repeat(48))));
    expect([err.code, err.message]).toEqual(expected);
    expect(session.calls).toEqual([`login:${graphene.UserType.SO}`, 'logout', 'close']);
  });

  it('refuses every operation once closed', () => {
    const sessions = sessionsFor(fakeModule([fakeSlot(token('12345678'))]));
    sessions.close();
    const err = caught(() => sessions.slot());
    expect([err.code, err.message]).toEqual(['hsm.device', 'device 12345678 was already closed']);
  });
});
