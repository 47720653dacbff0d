// The PIN counting a simulated device does outside its SoftHSM token, through PivDeviceSessions: each wrong PIN
// spends a try in the fleet's record and says how many are left, the last one blocks, a blocked PIN is refused
// before the token is asked, and a right PIN starts the count again. The fleet is an in-memory stand-in for
// piv-devices.json.
import graphene from 'graphene-pk11';
import { describe, expect, it } from 'vitest';
import { PivDeviceSessions } from '../../../../src/adapters/piv/piv-device-sessions.js';
import type { SimulatedDeviceRecord } from '../../../../src/adapters/piv/simulated-fleet-file.js';
import { SimulatedPivQuirks, type SimulatedDevices } from '../../../../src/adapters/piv/simulated-piv-quirks.js';
import { OfficiantError } from '../../../../src/errors.js';
import { caught } from '../../../helpers/caught.js';

function memoryFleet(serial: string): SimulatedDevices & { rec: SimulatedDeviceRecord } {
  const rec: SimulatedDeviceRecord = { serial, model: 'YubiKey 5 NFC', firmware: '5.4.3', formFactor: 1, inserted: true, pinTriesLeft: 3, pukTriesLeft: 3, puk: { salt: '', hash: '' }, createdAt: '' };
  const unused = () => {
    throw new Error('not used here');
  };
  return {
    rec,
    devices: () => [{ serial, model: rec.model, firmware: rec.firmware, simulated: true, inserted: rec.inserted }],
    assertInserted: (s) => {
      if (s !== serial || !rec.inserted) throw new OfficiantError('env.piv-absent', `device ${s} is not inserted`);
      return rec;
    },
    spendPinTry: () => (rec.pinTriesLeft = Math.max(0, rec.pinTriesLeft - 1)),
    resetPinTries: () => void (rec.pinTriesLeft = 3),
    changePuk: unused,
    slotAttestation: unused,
    placeholderCertificate: unused,
  };
}

const slot = {} as graphene.Slot;
const wrongPin = () => {
  throw Object.assign(new Error('C_Login:CKR_PIN_INCORRECT'), { code: 0xa0 });
};

describe('SimulatedPivQuirks: PIN tries', () => {
  it('counts wrong PINs down to blocked, then refuses before asking the token', () => {
    const fleet = memoryFleet('10000001');
    const sessions = new PivDeviceSessions(() => ({}) as graphene.Module, new SimulatedPivQuirks(fleet), '10000001');
    const outcomes = [1, 2, 3].map(() => caught(() => sessions.checkPin(slot, wrongPin))).map((e) => [e.code, e.message]);
    expect(outcomes).toEqual([
      ['hsm.pin-incorrect', 'PIN incorrect for device 10000001: 2 tries left'],
      ['hsm.pin-incorrect', 'PIN incorrect for device 10000001: 1 try left'],
      ['hsm.pin-locked', 'device 10000001: PIN blocked after 3 wrong entries'],
    ]);
    let asked = false;
    const err = caught(() => sessions.checkPin(slot, () => (asked = true)));
    expect([err.code, err.message, asked]).toEqual(['hsm.pin-locked', 'device 10000001: PIN blocked after 3 wrong entries', false]);
  });

  it('starts the count again after a right PIN', () => {
    const fleet = memoryFleet('10000002');
    const sessions = new PivDeviceSessions(() => ({}) as graphene.Module, new SimulatedPivQuirks(fleet), '10000002');
    caught(() => sessions.checkPin(slot, wrongPin));
    expect(fleet.rec.pinTriesLeft).toBe(2);
    expect(sessions.checkPin(slot, () => 'signed')).toBe('signed');
    expect(fleet.rec.pinTriesLeft).toBe(3);
  });

  it('describes a pulled-out device as not inserted', () => {
    const fleet = memoryFleet('10000003');
    fleet.rec.inserted = false;
    const err = caught(() => new SimulatedPivQuirks(fleet).describeDevice(slot, '10000003'));
    expect([err.code, err.message]).toEqual(['env.piv-absent', 'device 10000003 is not inserted']);
  });
});
