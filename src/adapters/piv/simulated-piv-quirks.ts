// SimulatedPivQuirks: a SoftHSM token of a SimulatedPivFleet standing in for a YubiKey. The fleet's records say
// whether a device is inserted and what it is, and count the PIN and PUK tries SoftHSM does not count; the PUK
// is the fleet's, not the token's; the management key is checked as on a device (an SO login) but only a user
// session may make private objects, so keys are generated after the PIN, with the attributes a YubiKey gives
// them and its placeholder certificate; slot attestations are made by the token's f9 key. Contract:
// PivDeviceQuirks'; messages and error codes as a device's.
import '../pkcs11/copyable-attribute.js';
import graphene from 'graphene-pk11';
import { createHash, X509Certificate } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { PIV_DEFAULTS, type PivAdmin, type PivDevice, type PivSlot, type Secret } from '../../engine/ports.js';
import { p1363ToDer } from '../../evidence/cms.js';
import { failpoint } from '../../failpoints.js';
import type { PivDeviceAccess, PivDeviceQuirks } from './piv-device-quirks.types.js';
import { objects, spkiOfPublicKey, subjectDer } from './piv-objects.js';
import { pivPin } from './piv-secrets.js';
import { initialisedSlotWithLabel, simulatedTokenLabel } from './simulated-device-tokens.js';
import type { SimulatedDeviceRecord } from './simulated-fleet-file.js';
import { ATTESTATION_CKA_ID, ckaId, SLOT_LABELS } from './ykcs11-layout.js';

/** What the quirks use of the fleet (SimulatedPivFleet implements it). */
export interface SimulatedDevices {
  devices(): Array<PivDevice & { inserted: boolean }>;
  assertInserted(serial: string): SimulatedDeviceRecord;
  spendPinTry(serial: string): number;
  resetPinTries(serial: string): void;
  changePuk(serial: string, current: Secret, next: Secret): void;
  slotAttestation(serial: string, slot: PivSlot, spki: Buffer, f9Certificate: Buffer, sign: (tbs: Buffer) => Buffer): Buffer;
  placeholderCertificate(slot: PivSlot, spki: Buffer): Buffer;
}

export class SimulatedPivQuirks implements PivDeviceQuirks {
  readonly pinBlockedAfter = String(PIV_DEFAULTS.tries);

  constructor(private readonly fleet: SimulatedDevices) {}

  findSlot(mod: graphene.Module, serial: string): graphene.Slot | undefined {
    this.fleet.assertInserted(serial);
    return initialisedSlotWithLabel(mod, simulatedTokenLabel(serial));
  }

  listDevices(mod: graphene.Module): PivDevice[] {
    return this.fleet
      .devices()
      .filter((d) => d.inserted && initialisedSlotWithLabel(mod, simulatedTokenLabel(d.serial)))
      .map(({ serial, model, firmware }) => ({ serial, model, firmware, simulated: true }));
  }

  describeDevice(_slot: graphene.Slot, serial: string): PivDevice {
    const rec = this.fleet.assertInserted(serial);
    return { serial: rec.serial, model: rec.model, firmware: rec.firmware, simulated: true };
  }

  pinBlocked(serial: string): boolean {
    return this.fleet.assertInserted(serial).pinTriesLeft <= 0;
  }

  wrongPin(_slot: graphene.Slot, serial: string): number {
    return this.fleet.spendPinTry(serial);
  }

  rightPin(serial: string): void {
    this.fleet.resetPinTries(serial);
  }

  pinAgainToSign(): boolean {
    // SoftHSM keys carry no CKA_ALWAYS_AUTHENTICATE: the simulation signs after the one login.
    return false;
  }

  changePuk(device: PivDeviceAccess, current: Secret, next: Secret): void {
    device.slot();
    failpoint('piv.changePuk');
    this.fleet.changePuk(device.serial, current, next);
  }

  generateKey(device: PivDeviceAccess, slot: PivSlot, managementKey: string, admin: PivAdmin): Buffer {
    const id = ckaId(slot);
    const labels = SLOT_LABELS[slot];
    const paramsEC = graphene.NamedCurve.getByName('secp256r1').value;
    const pin = pivPin(admin.pin, 'PIN');
    // SoftHSM: the management key is checked as on a device (SO login), but only a user session may make
    // private objects, so the key is generated after the PIN, in a session of its own.
    device.withSession(`checking the management key for slot ${slot}`, (session) => device.loginSo(session, managementKey));
    return device.withSession(`generating a key in slot ${slot}`, (session, tokenSlot) => {
      device.loginUser(session, tokenSlot, pin);
      // Generation replaces whatever the slot held, as on a device.
      for (const cls of [graphene.ObjectClass.PRIVATE_KEY, graphene.ObjectClass.PUBLIC_KEY, graphene.ObjectClass.CERTIFICATE]) {
        for (const obj of objects(session, { class: cls, id })) session.destroy(obj);
      }
      failpoint('piv.generateKey');
      const keys = session.generateKeyPair(
        graphene.KeyGenMechanism.EC,
        { keyType: graphene.KeyType.EC, id, token: true, private: false, verify: true, label: labels.publicKey, paramsEC },
        {
          keyType: graphene.KeyType.EC,
          id,
          token: true,
          private: true,
          sensitive: true,
          extractable: false,
          // Slot 9d is the key-management slot: it agrees keys (ECDH) and never signs, as on a YubiKey.
          sign: slot !== '9d',
          decrypt: false,
          derive: slot === '9d',
          modifiable: false,
          copyable: false,
          label: labels.privateKey,
        },
      );
      const spki = spkiOfPublicKey(keys.publicKey);
      this.storeCertificate(session, slot, this.fleet.placeholderCertificate(slot, spki));
      return spki;
    });
  }

  storeCertificate(session: graphene.Session, slot: PivSlot, certificate: Buffer): void {
    const id = ckaId(slot);
    for (const obj of objects(session, { class: graphene.ObjectClass.CERTIFICATE, id })) session.destroy(obj);
    const c = new X509Certificate(certificate);
    session.create({
      class: graphene.ObjectClass.CERTIFICATE,
      certType: graphene.CertificateType.X_509,
      token: true,
      private: false,
      id,
      label: SLOT_LABELS[slot].certificate,
      subject: subjectDer(c),
      value: certificate,
    });
  }

  slotAttestation(device: PivDeviceAccess, session: graphene.Session, slot: PivSlot, deviceCertificate: Buffer): Buffer {
    const spki = device.publicKeyIn(session, slot);
    if (!spki) throw new OfficiantError('hsm.key-not-found', `device ${device.serial} has no key in slot ${slot}`);
    const f9Key = objects(session, { class: graphene.ObjectClass.PRIVATE_KEY, id: ckaId(ATTESTATION_CKA_ID) })[0];
    if (!f9Key) throw new OfficiantError('hsm.key-not-found', `device ${device.serial} has no attestation key in slot f9`);
    const sign = (tbs: Buffer) => p1363ToDer(session.createSign('ECDSA', f9Key.toType<graphene.PrivateKey>()).once(createHash('sha256').update(tbs).digest()));
    return this.fleet.slotAttestation(device.serial, slot, spki, deviceCertificate, sign);
  }
}
