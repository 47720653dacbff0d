// Officers' PIV tokens for unit tests, backed by the real keys of test officers (test/helpers/roster-fixture.ts):
// a device signs with its slot's private key (DER ECDSA, as ykcs11 returns it), agrees on keys with its 9d key
// (ECDH), and reports the attestation the fixture made for it. A factory-fresh device (`fresh`) holds the
// default PIN and management key; generateKey "makes" the slot's fixture key, so what enrollment certifies is
// a key whose private half the test holds. A wrong PIN is refused as the device would, spending a try.
import { createPublicKey, diffieHellman, sign as nodeSign } from 'node:crypto';
import { OfficiantError } from '../../../../src/errors.js';
import { PIV_DEFAULTS, type PivAdmin, type PivAttestation, type PivDevice, type PivReader, type PivSlot, type PivToken, type Secret } from '../../../../src/engine/ports.js';
import { pemToDer } from '../../../../src/custody/pem.js';
import type { TestOfficer } from '../../../helpers/roster-fixture.js';

export const OFFICER_PIN = '271828';

interface DeviceState {
  officer: TestOfficer;
  pin: string;
  puk: string;
  managementKey: string;
  generated: Set<PivSlot>;
  certificates: Map<PivSlot, Buffer>;
  triesLeft: number;
}

const text = (s: Secret) => s.use((b) => b.toString('utf8'));

export class FakePivReader implements PivReader {
  readonly devicesBySerial = new Map<string, DeviceState>();
  readonly log: string[] = [];

  /** Enrolled devices (their officer's PIN set, keys in place) and, with `fresh`, factory-new ones. */
  constructor(officers: TestOfficer[], fresh: TestOfficer[] = []) {
    for (const o of officers) this.add(o, false);
    for (const o of fresh) this.add(o, true);
  }

  private add(officer: TestOfficer, fresh: boolean): void {
    this.devicesBySerial.set(officer.officer.device.serial, {
      officer,
      pin: fresh ? PIV_DEFAULTS.pin : OFFICER_PIN,
      puk: PIV_DEFAULTS.puk,
      managementKey: PIV_DEFAULTS.managementKey,
      generated: new Set(fresh ? [] : (Object.keys(officer.keys) as PivSlot[])),
      certificates: new Map(fresh ? [] : Object.entries(officer.officer.keys).map(([slot, k]) => [slot as PivSlot, pemToDer(k!.certificate)])),
      triesLeft: 3,
    });
  }

  describe() {
    return { library: 'unit', manufacturer: 'Unit tests', version: '1.0' };
  }

  devices(): PivDevice[] {
    return [...this.devicesBySerial.values()].map((d) => ({ serial: d.officer.officer.device.serial, model: d.officer.officer.device.model, firmware: d.officer.officer.device.firmware, simulated: d.officer.officer.device.simulated }));
  }

  open(serial: string): PivToken {
    const d = this.devicesBySerial.get(serial);
    if (!d) throw new OfficiantError('env.piv-absent', `device ${serial} is not inserted`);
    const log = (op: string) => this.log.push(`${serial} ${op}`);
    const checkPin = (pin: Secret) => {
      if (d.triesLeft === 0) throw new OfficiantError('hsm.pin-locked', `the PIN of device ${serial} is blocked`);
      if (text(pin) !== d.pin) {
        d.triesLeft -= 1;
        throw new OfficiantError('hsm.pin-incorrect', `wrong PIN for device ${serial}: ${d.triesLeft} tries left`);
      }
      d.triesLeft = 3;
    };
    const checkAdmin = (admin: PivAdmin) => {
      if (text(admin.managementKey) !== d.managementKey) throw new OfficiantError('hsm.pin-incorrect', `wrong management key for device ${serial}`);
      checkPin(admin.pin);
    };
    const key = (slot: PivSlot) => {
      const k = d.officer.keys[slot];
      if (!k || !d.generated.has(slot)) throw new OfficiantError('hsm.key-not-found', `device ${serial} holds no key in slot ${slot}`);
      return k;
    };
    const spki = (slot: PivSlot) => createPublicKey(key(slot)).export({ type: 'spki', format: 'der' });
    return {
      device: () => this.devices().find((x) => x.serial === serial)!,
      changePin: (current, next) => (log('change-pin'), checkPin(current), (d.pin = text(next))),
      verifyPin: (pin) => {
        try {
          checkPin(pin);
          return true;
        } catch {
          return false;
        }
      },
      verifyManagementKey: (k) => text(k) === d.managementKey,
      changePuk: (current, next) => {
        log('change-puk');
        if (text(current) !== d.puk) throw new OfficiantError('hsm.pin-incorrect', `wrong PUK for device ${serial}`);
        d.puk = text(next);
      },
      changeManagementKey: (current, next) => {
        log('change-management-key');
        if (text(current) !== d.managementKey) throw new OfficiantError('hsm.pin-incorrect', `wrong management key for device ${serial}`);
        d.managementKey = text(next);
      },
      generateKey: (slot, admin) => {
        log(`generate-key ${slot}`);
        checkAdmin(admin);
        if (!d.officer.keys[slot]) throw new Error(`fake PIV: the test officer has no ${slot} key to generate`);
        d.generated.add(slot);
        return spki(slot);
      },
      attestation: (slot): PivAttestation => ({ certificate: pemToDer(d.officer.officer.keys[slot]!.attestation), deviceCertificate: pemToDer(d.officer.officer.device.attestation_certificate) }),
      importCertificate: (slot, certificate, admin) => (log(`import-certificate ${slot}`), checkAdmin(admin), d.certificates.set(slot, Buffer.from(certificate))),
      certificate: (slot) => d.certificates.get(slot),
      publicKey: (slot) => (d.generated.has(slot) ? spki(slot) : undefined),
      sign: (slot, pin, data) => (log(`sign ${slot}`), checkPin(pin), nodeSign('sha256', data, key(slot))),
      deriveSharedSecret: (slot, pin, peerSpki) => (checkPin(pin), diffieHellman({ privateKey: key(slot), publicKey: createPublicKey({ key: peerSpki, format: 'der', type: 'spki' }) })),
      close: () => {},
    };
  }

  close(): void {}
}
