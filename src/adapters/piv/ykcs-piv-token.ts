// YkcsPivToken: the PivToken port over one PIV device in the ykcs11 object layout (ykcs11-layout.ts). It does
// what every device does alike, in sessions from PivDeviceSessions, and asks its PivDeviceQuirks where a real
// YubiKey and a simulated one differ. Contract (the port's): every method completes on the device or throws an
// OfficiantError; a device that is not inserted or was pulled out is env.piv-absent; a wrong PIN is
// hsm.pin-incorrect with the tries left as far as the device tells them, a blocked one hsm.pin-locked. Nothing
// is retried. PINs, PUKs and management keys are checked for form before the device sees them, cross into
// pkcs11js as short-lived strings and never appear in a message.
import graphene from 'graphene-pk11';
import { createHash, X509Certificate } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { PIV_SLOT_CKA_ID, type PivAdmin, type PivAttestation, type PivDevice, type PivSlot, type PivToken, type Secret } from '../../engine/ports.js';
import { p1363ToDer } from '../../evidence/cms.js';
import { failpoint } from '../../failpoints.js';
import type { PivDeviceQuirks } from './piv-device-quirks.types.js';
import { PivDeviceSessions } from './piv-device-sessions.js';
import { deriveEcdhSecret, uncompressedP256Point } from './piv-key-agreement.js';
import { certificateObject, objects, valueOf } from './piv-objects.js';
import { assertPivPin, managementKey, pivPin } from './piv-secrets.js';
import { assertSlot, ATTESTATION_CKA_ID, ckaId, F9_LABELS, isYkcs11Placeholder, SLOT_LABELS } from './ykcs11-layout.js';

export class YkcsPivToken implements PivToken {
  private readonly sessions: PivDeviceSessions;

  constructor(
    module: () => graphene.Module,
    private readonly quirks: PivDeviceQuirks,
    private readonly serial: string,
  ) {
    this.sessions = new PivDeviceSessions(module, quirks, serial);
  }

  device(): PivDevice {
    const slot = this.sessions.slot();
    try {
      return this.quirks.describeDevice(slot, this.serial);
    } catch (err) {
      throw this.sessions.error(err, 'reading the device description');
    }
  }

  changePin(current: Secret, next: Secret): void {
    const cur = pivPin(current, 'PIN');
    const nxt = pivPin(next, 'new PIN');
    // C_SetPIN in a session nobody is logged in to changes the user PIN (ykcs11: ykpiv_change_pin).
    this.sessions.withSession('changing the PIN', (session, slot) => {
      failpoint('piv.changePin');
      this.sessions.checkPin(slot, () => session.setPin(cur, nxt));
    });
  }

  verifyPin(pin: Secret): boolean {
    const p = pivPin(pin, 'PIN');
    try {
      this.sessions.withSession('checking the PIN', (session, slot) => this.sessions.loginUser(session, slot, p));
      return true;
    } catch (err) {
      if (err instanceof OfficiantError && err.code === 'hsm.pin-incorrect') return false;
      throw err;
    }
  }

  verifyManagementKey(key: Secret): boolean {
    const k = managementKey(key, 'management key');
    try {
      this.sessions.withSession('checking the management key', (session) => this.sessions.loginSo(session, k));
      return true;
    } catch (err) {
      if (err instanceof OfficiantError && err.code === 'hsm.pin-incorrect') return false;
      throw err;
    }
  }

  changePuk(current: Secret, next: Secret): void {
    assertPivPin(current, 'PUK');
    assertPivPin(next, 'new PUK');
    this.quirks.changePuk(this.sessions, current, next);
  }

  changeManagementKey(current: Secret, next: Secret): void {
    const cur = managementKey(current, 'management key');
    const nxt = managementKey(next, 'new management key');
    this.sessions.withSession('changing the management key', (session) => {
      this.sessions.loginSo(session, cur);
      failpoint('piv.changeManagementKey');
      // ykcs11 sets the new key with the old one's algorithm; SoftHSM checks the old SO PIN and sets the new.
      session.setPin(cur, nxt);
    });
  }

  generateKey(slot: PivSlot, admin: PivAdmin): Buffer {
    assertSlot(slot);
    const key = managementKey(admin.managementKey, 'management key');
    return this.quirks.generateKey(this.sessions, slot, key, admin);
  }

  attestation(slot: PivSlot): PivAttestation {
    assertSlot(slot);
    return this.sessions.withSession(`reading the attestation of slot ${slot}`, (session) => {
      const f9 = certificateObject(session, ATTESTATION_CKA_ID, F9_LABELS.certificate);
      if (!f9) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no attestation certificate in slot f9`);
      const deviceCertificate = valueOf(f9);
      return { certificate: this.quirks.slotAttestation(this.sessions, session, slot, deviceCertificate), deviceCertificate };
    });
  }

  importCertificate(slot: PivSlot, certificate: Buffer, admin: PivAdmin): void {
    assertSlot(slot);
    let certSpki: Buffer;
    try {
      certSpki = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
    } catch (err) {
      throw new OfficiantError('hsm.general', `the certificate for slot ${slot} of device ${this.serial} is not a DER X.509 certificate`, { cause: err });
    }
    const key = managementKey(admin.managementKey, 'management key');
    this.sessions.withSession(`storing the certificate of slot ${slot}`, (session) => {
      this.sessions.loginSo(session, key);
      const spki = this.sessions.publicKeyIn(session, slot);
      // A certificate for another key would make the slot claim an identity its key cannot prove.
      if (spki && !spki.equals(certSpki)) throw new OfficiantError('hsm.general', `the certificate is not for the key in slot ${slot} of device ${this.serial}`);
      failpoint('piv.importCertificate');
      this.quirks.storeCertificate(session, slot, certificate);
    });
  }

  certificate(slot: PivSlot): Buffer | undefined {
    assertSlot(slot);
    return this.sessions.withSession(`reading the certificate of slot ${slot}`, (session) => {
      const obj = certificateObject(session, PIV_SLOT_CKA_ID[slot], SLOT_LABELS[slot].certificate);
      if (!obj) return undefined;
      const der = valueOf(obj);
      return isYkcs11Placeholder(der, slot) ? undefined : der;
    });
  }

  publicKey(slot: PivSlot): Buffer | undefined {
    assertSlot(slot);
    return this.sessions.withSession(`reading the public key of slot ${slot}`, (session) => this.sessions.publicKeyIn(session, slot));
  }

  /** The EC private key in `slot`, after the PIN; hsm.key-not-found or hsm.mechanism when there is none. */
  private ecKey(session: graphene.Session, slot: PivSlot): graphene.PrivateKey {
    const found = objects(session, { class: graphene.ObjectClass.PRIVATE_KEY, id: ckaId(slot) });
    if (found.length === 0) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no key in slot ${slot}`);
    const key = found[0].toType<graphene.PrivateKey>();
    if (key.type !== graphene.KeyType.EC) throw new OfficiantError('hsm.mechanism', `slot ${slot} of device ${this.serial} does not hold an EC key`);
    return key;
  }

  sign(slot: PivSlot, pin: Secret, data: Buffer): Buffer {
    assertSlot(slot);
    const p = pivPin(pin, 'PIN');
    return this.sessions.withSession(`signing with slot ${slot}`, (session, tokenSlot) => {
      this.sessions.loginUser(session, tokenSlot, p);
      const key = this.ecKey(session, slot);
      failpoint('piv.sign');
      const signer = session.createSign('ECDSA', key);
      // Slot 9c's PIN policy is "always": ykcs11 marks such keys CKA_ALWAYS_AUTHENTICATE and wants the PIN again
      // between C_SignInit and C_Sign.
      if (this.quirks.pinAgainToSign(key)) this.sessions.checkPin(tokenSlot, () => session.login(p, graphene.UserType.CONTEXT_SPECIFIC));
      // CKM_ECDSA signs a digest (SoftHSM has no CKM_ECDSA_SHA256) and returns r||s.
      return p1363ToDer(signer.once(createHash('sha256').update(data).digest()));
    });
  }

  deriveSharedSecret(slot: '9d', pin: Secret, peerSpki: Buffer): Buffer {
    if (slot !== '9d') throw new OfficiantError('hsm.mechanism', `key agreement uses slot 9d, not "${String(slot)}"`);
    const point = uncompressedP256Point(peerSpki);
    const p = pivPin(pin, 'PIN');
    return this.sessions.withSession(`deriving a shared secret with slot ${slot}`, (session, tokenSlot) => {
      this.sessions.loginUser(session, tokenSlot, p);
      const key = this.ecKey(session, slot);
      failpoint('piv.deriveSharedSecret');
      return deriveEcdhSecret(session, key, point, this.serial);
    });
  }

  close(): void {
    this.sessions.close();
  }
}
