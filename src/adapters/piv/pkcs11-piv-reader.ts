// Pkcs11PivReader and YkcsPivToken: the PIV port over PKCS#11 with ykcs11's object layout (Yubico's
// libykcs11.so for real YubiKeys; SoftHSM2 tokens from a SimulatedPivFleet in rehearsals and tests). Slot keys
// and certificates carry CKA_ID 1..4 (9a, 9c, 9d, 9e); a slot's attestation is a certificate with the slot's
// CKA_ID and the label "X.509 Certificate for PIV Attestation <slot>"; the device attestation certificate of
// slot f9 has CKA_ID 25. The management key is the SO PIN, the PIN the user PIN.
//
// Contract (the PivToken port's): every method completes on the device or throws an OfficiantError; a device
// that is not inserted or was pulled out is env.piv-absent; a wrong PIN is hsm.pin-incorrect with the tries
// left as far as the device tells them, a blocked one hsm.pin-locked. Nothing is retried: a retry spends a
// PIN try. Sessions live for one operation and are logged out and closed before the method returns. PINs,
// PUKs and management keys cross into pkcs11js as short-lived strings (its API takes strings) and never
// appear in a message. Where a real device and the simulation differ (who may generate keys, the PIN tries
// a SoftHSM token does not count, the PUK a token does not have) the difference stays inside this file and
// the fleet.
import graphene from 'graphene-pk11';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { PIV_DEFAULTS, PIV_SLOT_CKA_ID, type PivAdmin, type PivAttestation, type PivDevice, type PivReader, type PivSlot, type PivToken, type Secret } from '../../engine/ports.js';
import { p1363ToDer } from '../../evidence/cms.js';
import { acquireModule, type Pkcs11Module } from '../pkcs11/module-registry.js';
import { failpoint } from '../../failpoints.js';
import { endSession, pkcs11Error, unwrapEcPoint } from '../pkcs11/pkcs11-hsm.js';
import type { SimulatedPivFleet } from './simulated-piv-fleet.js';

// ---------------------------------------------------------------------------------------------------------
// The ykcs11 layout (yubico-piv-tool ykcs11/objects.c).
export const PIV_SLOTS: readonly PivSlot[] = ['9a', '9c', '9d', '9e'];

export const SLOT_LABELS: Readonly<Record<PivSlot, { certificate: string; privateKey: string; publicKey: string; attestation: string }>> = {
  '9a': {
    certificate: 'X.509 Certificate for PIV Authentication',
    privateKey: 'Private key for PIV Authentication',
    publicKey: 'Public key for PIV Authentication',
    attestation: 'X.509 Certificate for PIV Attestation 9a',
  },
  '9c': {
    certificate: 'X.509 Certificate for Digital Signature',
    privateKey: 'Private key for Digital Signature',
    publicKey: 'Public key for Digital Signature',
    attestation: 'X.509 Certificate for PIV Attestation 9c',
  },
  '9d': {
    certificate: 'X.509 Certificate for Key Management',
    privateKey: 'Private key for Key Management',
    publicKey: 'Public key for Key Management',
    attestation: 'X.509 Certificate for PIV Attestation 9d',
  },
  '9e': {
    certificate: 'X.509 Certificate for Card Authentication',
    privateKey: 'Private key for Card Authentication',
    publicKey: 'Public key for Card Authentication',
    attestation: 'X.509 Certificate for PIV Attestation 9e',
  },
};

/** Slot f9 (the device attestation key and its certificate from the vendor's attestation CA). */
export const ATTESTATION_CKA_ID = 25;
export const F9_LABELS = {
  certificate: 'X.509 Certificate for PIV Attestation',
  privateKey: 'Private key for PIV Attestation',
  publicKey: 'Public key for PIV Attestation',
} as const;

/** The SoftHSM token label of a simulated device. */
export function simulatedTokenLabel(serial: string): string {
  return `piv-${serial}`;
}

/** PIN and PUK tries a PIV device allows by default. */

export function triesLeft(n: number): string {
  return `${n} ${n === 1 ? 'try' : 'tries'} left`;
}

/** The stand-in certificate ykcs11 writes into a slot when it generates a key there: no certificate at all. */
export function isYkcs11Placeholder(certDer: Buffer, slot: PivSlot): boolean {
  try {
    const c = new X509Certificate(certDer);
    const cn = `CN=YubiKey PIV Slot ${slot}`;
    return c.subject === cn && c.issuer === cn && /^0+$/.test(c.serialNumber);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// PKCS#11 plumbing.
const CKR_PIN_INCORRECT = 0xa0;
const CKR_PIN_LOCKED = 0xa4;
/** CKR_* a pulled-out token causes: slot id invalid, device removed, session closed/invalid, token gone. */
const CKR_REMOVED = new Set([0x03, 0x32, 0xb0, 0xb3, 0xe0, 0xe1]);

/** A token made in software (SoftHSM) is never a hardware PIV device, whatever a site file says. */
function softwareToken(manufacturer: string): boolean {
  return /softhsm/i.test(manufacturer);
}

function ckr(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function slotsOf(mod: graphene.Module): graphene.Slot[] {
  const list = mod.getSlots(true);
  const out: graphene.Slot[] = [];
  for (let i = 0; i < list.length; i++) out.push(list.items(i));
  return out;
}

const CKR_GENERAL_ERROR = 0x05;
const SOFTHSM_RETRIES = 3;

/**
 * The initialised token labelled `label`, if present. Used for SoftHSM tokens (simulated devices): SoftHSM can
 * answer CKR_GENERAL_ERROR for a slot whose token another process is writing at that moment (rehearsals that
 * share a sandbox); the read-only listing is then asked again, a few times, before the error stands.
 */
export function initialisedSlotWithLabel(mod: graphene.Module, label: string): graphene.Slot | undefined {
  for (let attempt = 1; ; attempt++) {
    try {
      return slotsOf(mod).find((s) => {
        const t = s.getToken();
        return (t.flags & graphene.TokenFlag.TOKEN_INITIALIZED) !== 0 && t.label.trim() === label;
      });
    } catch (err) {
      if (attempt >= SOFTHSM_RETRIES || ckr(err) !== CKR_GENERAL_ERROR) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
}

function secretText(s: Secret): string {
  return s.use((b) => b.toString('utf8'));
}

/** PIV PINs and PUKs are 6 to 8 characters; checked before the device sees them, so no try is spent. */
function pivPin(s: Secret, what: string): string {
  if (s.length < 6 || s.length > 8) throw new OfficiantError('hsm.pin-invalid', `${what} must be 6 to 8 characters`);
  return secretText(s);
}

/** Management keys are 3DES/AES-192 (48 hex digits), AES-128 (32) or AES-256 (64). */
function managementKey(s: Secret, what: string): string {
  const ok = s.use((b) => [32, 48, 64].includes(b.length) && /^[0-9a-fA-F]+$/.test(b.toString('latin1')));
  if (!ok) throw new OfficiantError('hsm.pin-invalid', `${what} must be 32, 48 or 64 hex digits`);
  // ykcs11 hex-decodes the key; the simulation keeps it as the SO PIN: one spelling for both.
  return secretText(s).toLowerCase();
}

function ckaId(slot: PivSlot | number): Buffer {
  return Buffer.from([typeof slot === 'number' ? slot : PIV_SLOT_CKA_ID[slot]]);
}

function assertSlot(slot: PivSlot): void {
  if (!(slot in PIV_SLOT_CKA_ID)) throw new OfficiantError('hsm.general', `"${String(slot)}" is not a PIV slot (9a, 9c, 9d, 9e)`);
}

const CURVES = [
  { name: 'secp256r1', jwk: 'P-256' },
  { name: 'secp384r1', jwk: 'P-384' },
] as const;

function spkiOfPublicKey(obj: graphene.SessionObject): Buffer {
  const pub = obj.toType<graphene.PublicKey>();
  const b64u = (b: Buffer) => b.toString('base64url');
  if (pub.type === graphene.KeyType.RSA) {
    const a = pub.getAttribute({ modulus: null, publicExponent: null });
    return createPublicKey({ key: { kty: 'RSA', n: b64u(a.modulus as Buffer), e: b64u(a.publicExponent as Buffer) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  const a = pub.getAttribute({ paramsEC: null, pointEC: null });
  // graphene names CKA_EC_PARAMS paramsECDSA on the way back
  const params = (a.paramsEC ?? (a as { paramsECDSA?: Buffer }).paramsECDSA) as Buffer | undefined;
  const curve = CURVES.find((c) => params?.equals(graphene.NamedCurve.getByName(c.name).value));
  if (!curve) throw new OfficiantError('hsm.general', 'the slot holds a key on a curve Officiant does not use');
  const pt = unwrapEcPoint(a.pointEC as Buffer);
  const n = (pt.length - 1) / 2;
  return createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x: b64u(pt.subarray(1, 1 + n)), y: b64u(pt.subarray(1 + n)) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

function objects(session: graphene.Session, template: graphene.ITemplate): graphene.SessionObject[] {
  const found = session.find(template);
  const out: graphene.SessionObject[] = [];
  for (let i = 0; i < found.length; i++) out.push(found.items(i));
  return out;
}

function labelOf(obj: graphene.SessionObject): string {
  return String(obj.getAttribute({ label: null }).label ?? '').trim();
}

/** The certificate object with this CKA_ID and label (ykcs11 gives a slot's certificate and attestation one id). */
function certificateObject(session: graphene.Session, id: number, label: string): graphene.SessionObject | undefined {
  return objects(session, { class: graphene.ObjectClass.CERTIFICATE, id: ckaId(id) }).find((o) => labelOf(o) === label);
}

function valueOf(obj: graphene.SessionObject): Buffer {
  return Buffer.from(obj.getAttribute({ value: null }).value as Buffer);
}

function firmwareOf(v: { major: number; minor: number }): string {
  // ykcs11 reports firmware x.y.z as major x, minor y*10+z.
  return `${v.major}.${Math.floor(v.minor / 10)}.${v.minor % 10}`;
}

// ---------------------------------------------------------------------------------------------------------
interface DeviceAccess {
  module(): graphene.Module;
  readonly fleet?: SimulatedPivFleet;
}

export class YkcsPivToken implements PivToken {
  private closed = false;

  constructor(
    private readonly access: DeviceAccess,
    private readonly serial: string,
  ) {}

  private get fleet(): SimulatedPivFleet | undefined {
    return this.access.fleet;
  }

  private absent(): OfficiantError {
    return new OfficiantError('env.piv-absent', `device ${this.serial} is not inserted`);
  }

  /** The device's slot now (slot ids change when devices come and go); env.piv-absent if it is not inserted. */
  private slot(): graphene.Slot {
    if (this.closed) throw new OfficiantError('hsm.device', `device ${this.serial} was already closed`);
    const mod = this.access.module();
    try {
      if (this.fleet) {
        this.fleet.assertInserted(this.serial);
        const slot = initialisedSlotWithLabel(mod, simulatedTokenLabel(this.serial));
        if (!slot) throw this.absent();
        return slot;
      }
      const slot = slotsOf(mod).find((s) => {
        try {
          return s.getToken().serialNumber.trim() === this.serial;
        } catch {
          return false;
        }
      });
      if (!slot) throw this.absent();
      return slot;
    } catch (err) {
      throw this.error(err, 'looking for the device');
    }
  }

  private error(err: unknown, what: string): OfficiantError {
    if (err instanceof OfficiantError) return err;
    const code = ckr(err);
    if (code !== undefined && CKR_REMOVED.has(code)) return new OfficiantError('env.piv-absent', `device ${this.serial} was removed (${what})`, { cause: err });
    return pkcs11Error(err, `${what} on device ${this.serial}`);
  }

  /** Runs `fn` in a fresh R/W session that is logged out and closed afterwards. */
  private withSession<T>(what: string, fn: (session: graphene.Session, slot: graphene.Slot) => T): T {
    const slot = this.slot();
    let session: graphene.Session | undefined;
    try {
      // R/W always: ykcs11 refuses an SO login while a read-only session to the device is open.
      session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      return fn(session, slot);
    } catch (err) {
      throw this.error(err, what);
    } finally {
      endSession(session);
    }
  }

  private pinBlocked(): OfficiantError {
    return this.fleet
      ? new OfficiantError('hsm.pin-locked', `device ${this.serial}: PIN blocked after ${PIV_DEFAULTS.tries} wrong entries`)
      : new OfficiantError('hsm.pin-locked', `device ${this.serial}: PIN blocked after too many wrong entries`);
  }

  /** A wrong PIN: counts the try (simulation) or reads what the device says about the tries left (ykcs11). */
  private wrongPin(slot: graphene.Slot, cause: unknown): OfficiantError {
    if (this.fleet) {
      const left = this.fleet.spendPinTry(this.serial);
      if (left === 0) return this.pinBlocked();
      return new OfficiantError('hsm.pin-incorrect', `PIN incorrect for device ${this.serial}: ${triesLeft(left)}`, { cause });
    }
    let flags = 0;
    try {
      flags = slot.getToken().flags;
    } catch {
      // the device went away after refusing the PIN: report the refusal
    }
    // ykcs11 sets LOCKED at 0 tries left, FINAL_TRY at 1, COUNT_LOW at 2, nothing above.
    if (flags & graphene.TokenFlag.USER_PIN_LOCKED) return this.pinBlocked();
    if (flags & graphene.TokenFlag.USER_PIN_FINAL_TRY) return new OfficiantError('hsm.pin-incorrect', `PIN incorrect for device ${this.serial}: ${triesLeft(1)}`, { cause });
    if (flags & graphene.TokenFlag.USER_PIN_COUNT_LOW) return new OfficiantError('hsm.pin-incorrect', `PIN incorrect for device ${this.serial}: ${triesLeft(2)}`, { cause });
    return new OfficiantError('hsm.pin-incorrect', `PIN incorrect for device ${this.serial}`, { cause });
  }

  /** Runs a PIN check (C_Login, C_SetPIN) with the device's try counting. */
  private checkPin<T>(slot: graphene.Slot, fn: () => T): T {
    if (this.fleet && this.fleet.assertInserted(this.serial).pinTriesLeft <= 0) throw this.pinBlocked();
    let out: T;
    try {
      out = fn();
    } catch (err) {
      if (ckr(err) === CKR_PIN_INCORRECT) throw this.wrongPin(slot, err);
      if (ckr(err) === CKR_PIN_LOCKED) throw this.pinBlocked();
      throw err;
    }
    this.fleet?.resetPinTries(this.serial);
    return out;
  }

  private loginUser(session: graphene.Session, slot: graphene.Slot, pin: string): void {
    this.checkPin(slot, () => session.login(pin, graphene.UserType.USER));
  }

  private loginSo(session: graphene.Session, key: string): void {
    try {
      session.login(key, graphene.UserType.SO);
    } catch (err) {
      if (ckr(err) === CKR_PIN_INCORRECT) throw new OfficiantError('hsm.pin-incorrect', `management key incorrect for device ${this.serial}`, { cause: err });
      if (ckr(err) === CKR_PIN_LOCKED) throw new OfficiantError('hsm.pin-locked', `device ${this.serial}: management key blocked`, { cause: err });
      throw err;
    }
  }

  private publicKeyIn(session: graphene.Session, slot: PivSlot): Buffer | undefined {
    const found = objects(session, { class: graphene.ObjectClass.PUBLIC_KEY, id: ckaId(slot) });
    return found.length > 0 ? spkiOfPublicKey(found[0]) : undefined;
  }

  // -------------------------------------------------------------------------------------------------------
  device(): PivDevice {
    const slot = this.slot();
    if (this.fleet) {
      const rec = this.fleet.assertInserted(this.serial);
      return { serial: rec.serial, model: rec.model, firmware: rec.firmware, simulated: true };
    }
    try {
      const t = slot.getToken();
      return { serial: this.serial, model: t.model.trim(), firmware: firmwareOf(t.firmwareVersion), simulated: softwareToken(t.manufacturerID) };
    } catch (err) {
      throw this.error(err, 'reading the device description');
    }
  }

  changePin(current: Secret, next: Secret): void {
    const cur = pivPin(current, 'PIN');
    const nxt = pivPin(next, 'new PIN');
    // C_SetPIN in a session nobody is logged in to changes the user PIN (ykcs11: ykpiv_change_pin).
    this.withSession('changing the PIN', (session, slot) => {
      failpoint('piv.changePin');
      this.checkPin(slot, () => session.setPin(cur, nxt));
    });
  }

  verifyPin(pin: Secret): boolean {
    const p = pivPin(pin, 'PIN');
    try {
      this.withSession('checking the PIN', (session, slot) => this.loginUser(session, slot, p));
      return true;
    } catch (err) {
      if (err instanceof OfficiantError && err.code === 'hsm.pin-incorrect') return false;
      throw err;
    }
  }

  verifyManagementKey(key: Secret): boolean {
    const k = managementKey(key, 'management key');
    try {
      this.withSession('checking the management key', (session) => this.loginSo(session, k));
      return true;
    } catch (err) {
      if (err instanceof OfficiantError && err.code === 'hsm.pin-incorrect') return false;
      throw err;
    }
  }

  changePuk(current: Secret, next: Secret): void {
    const cur = pivPin(current, 'PUK');
    const nxt = pivPin(next, 'new PUK');
    const fleet = this.fleet;
    if (fleet) {
      this.slot();
      failpoint('piv.changePuk');
      fleet.changePuk(this.serial, current, next);
      return;
    }
    this.withSession('changing the PUK', (session) => {
      try {
        // ykcs11: C_SetPIN with the old value prefixed "puk:" outside an SO login changes the PUK.
        session.setPin(`puk:${cur}`, nxt);
      } catch (err) {
        if (ckr(err) === CKR_PIN_INCORRECT) throw new OfficiantError('hsm.pin-incorrect', `PUK incorrect for device ${this.serial}`, { cause: err });
        if (ckr(err) === CKR_PIN_LOCKED) throw new OfficiantError('hsm.pin-locked', `device ${this.serial}: PUK blocked`, { cause: err });
        throw err;
      }
    });
  }

  changeManagementKey(current: Secret, next: Secret): void {
    const cur = managementKey(current, 'management key');
    const nxt = managementKey(next, 'new management key');
    this.withSession('changing the management key', (session) => {
      this.loginSo(session, cur);
      failpoint('piv.changeManagementKey');
      // ykcs11 sets the new key with the old one's algorithm; SoftHSM checks the old SO PIN and sets the new.
      session.setPin(cur, nxt);
    });
  }

  generateKey(slot: PivSlot, admin: PivAdmin): Buffer {
    assertSlot(slot);
    const key = managementKey(admin.managementKey, 'management key');
    const id = ckaId(slot);
    const labels = SLOT_LABELS[slot];
    const paramsEC = graphene.NamedCurve.getByName('secp256r1').value;
    const fleet = this.fleet;
    if (!fleet) {
      // A YubiKey generates under the management key (SO login); ykcs11 rejects template attributes it does not
      // know (CKA_EXTRACTABLE, CKA_MODIFIABLE ...): the device makes every PIV key sensitive and non-extractable.
      return this.withSession(`generating a key in slot ${slot}`, (session) => {
        this.loginSo(session, key);
        const keys = session.generateKeyPair(
          graphene.KeyGenMechanism.EC,
          { keyType: graphene.KeyType.EC, id, token: true, verify: true, label: labels.publicKey, paramsEC },
          { keyType: graphene.KeyType.EC, id, token: true, sign: true, sensitive: true, label: labels.privateKey },
        );
        return spkiOfPublicKey(keys.publicKey);
      });
    }
    const pin = pivPin(admin.pin, 'PIN');
    // SoftHSM: the management key is checked as on a device (SO login), but only a user session may make
    // private objects, so the key is generated after the PIN, in a session of its own.
    this.withSession(`checking the management key for slot ${slot}`, (session) => this.loginSo(session, key));
    return this.withSession(`generating a key in slot ${slot}`, (session, tokenSlot) => {
      this.loginUser(session, tokenSlot, pin);
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
      this.storeCertificate(session, slot, fleet.placeholderCertificate(slot, spki));
      return spki;
    });
  }

  private storeCertificate(session: graphene.Session, slot: PivSlot, certificate: Buffer): void {
    const id = ckaId(slot);
    const label = SLOT_LABELS[slot].certificate;
    if (!this.fleet) {
      // ykcs11 accepts only CKA_CLASS, CKA_ID, CKA_VALUE, CKA_TOKEN, CKA_LABEL (and a few ignored ones) and
      // overwrites the slot's certificate object.
      session.create({ class: graphene.ObjectClass.CERTIFICATE, id, value: certificate, token: true, label });
      return;
    }
    for (const obj of objects(session, { class: graphene.ObjectClass.CERTIFICATE, id })) session.destroy(obj);
    const c = new X509Certificate(certificate);
    session.create({
      class: graphene.ObjectClass.CERTIFICATE,
      certType: graphene.CertificateType.X_509,
      token: true,
      private: false,
      id,
      label,
      subject: subjectDer(c),
      value: certificate,
    });
  }

  attestation(slot: PivSlot): PivAttestation {
    assertSlot(slot);
    const fleet = this.fleet;
    return this.withSession(`reading the attestation of slot ${slot}`, (session) => {
      const f9 = certificateObject(session, ATTESTATION_CKA_ID, F9_LABELS.certificate);
      if (!f9) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no attestation certificate in slot f9`);
      const deviceCertificate = valueOf(f9);
      if (!fleet) {
        // ykcs11 makes the attestation when the session opens, for keys generated on the device only.
        const att = certificateObject(session, PIV_SLOT_CKA_ID[slot], SLOT_LABELS[slot].attestation);
        if (!att) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no attestation for slot ${slot} (no key generated on the device there)`);
        return { certificate: valueOf(att), deviceCertificate };
      }
      const spki = this.publicKeyIn(session, slot);
      if (!spki) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no key in slot ${slot}`);
      const f9Key = objects(session, { class: graphene.ObjectClass.PRIVATE_KEY, id: ckaId(ATTESTATION_CKA_ID) })[0];
      if (!f9Key) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no attestation key in slot f9`);
      const sign = (tbs: Buffer) =>
        p1363ToDer(session.createSign('ECDSA', f9Key.toType<graphene.PrivateKey>()).once(createHash('sha256').update(tbs).digest()));
      return { certificate: fleet.slotAttestation(this.serial, slot, spki, deviceCertificate, sign), deviceCertificate };
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
    this.withSession(`storing the certificate of slot ${slot}`, (session) => {
      this.loginSo(session, key);
      const spki = this.publicKeyIn(session, slot);
      // A certificate for another key would make the slot claim an identity its key cannot prove.
      if (spki && !spki.equals(certSpki)) throw new OfficiantError('hsm.general', `the certificate is not for the key in slot ${slot} of device ${this.serial}`);
      failpoint('piv.importCertificate');
      this.storeCertificate(session, slot, certificate);
    });
  }

  certificate(slot: PivSlot): Buffer | undefined {
    assertSlot(slot);
    return this.withSession(`reading the certificate of slot ${slot}`, (session) => {
      const obj = certificateObject(session, PIV_SLOT_CKA_ID[slot], SLOT_LABELS[slot].certificate);
      if (!obj) return undefined;
      const der = valueOf(obj);
      return isYkcs11Placeholder(der, slot) ? undefined : der;
    });
  }

  publicKey(slot: PivSlot): Buffer | undefined {
    assertSlot(slot);
    return this.withSession(`reading the public key of slot ${slot}`, (session) => this.publicKeyIn(session, slot));
  }

  sign(slot: PivSlot, pin: Secret, data: Buffer): Buffer {
    assertSlot(slot);
    const p = pivPin(pin, 'PIN');
    return this.withSession(`signing with slot ${slot}`, (session, tokenSlot) => {
      this.loginUser(session, tokenSlot, p);
      const found = objects(session, { class: graphene.ObjectClass.PRIVATE_KEY, id: ckaId(slot) });
      if (found.length === 0) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no key in slot ${slot}`);
      const key = found[0].toType<graphene.PrivateKey>();
      if (key.type !== graphene.KeyType.EC) throw new OfficiantError('hsm.mechanism', `slot ${slot} of device ${this.serial} does not hold an EC key`);
      failpoint('piv.sign');
      const signer = session.createSign('ECDSA', key);
      // Slot 9c's PIN policy is "always": ykcs11 marks such keys CKA_ALWAYS_AUTHENTICATE and wants the PIN again
      // between C_SignInit and C_Sign.
      if (!this.fleet && key.alwaysAuthenticate) this.checkPin(tokenSlot, () => session.login(p, graphene.UserType.CONTEXT_SPECIFIC));
      // CKM_ECDSA signs a digest (SoftHSM has no CKM_ECDSA_SHA256) and returns r||s.
      return p1363ToDer(signer.once(createHash('sha256').update(data).digest()));
    });
  }

  deriveSharedSecret(slot: '9d', pin: Secret, peerSpki: Buffer): Buffer {
    if (slot !== '9d') throw new OfficiantError('hsm.mechanism', `key agreement uses slot 9d, not "${String(slot)}"`);
    const point = uncompressedP256Point(peerSpki);
    const p = pivPin(pin, 'PIN');
    return this.withSession(`deriving a shared secret with slot ${slot}`, (session, tokenSlot) => {
      this.loginUser(session, tokenSlot, p);
      const found = objects(session, { class: graphene.ObjectClass.PRIVATE_KEY, id: ckaId(slot) });
      if (found.length === 0) throw new OfficiantError('hsm.key-not-found', `device ${this.serial} has no key in slot ${slot}`);
      const key = found[0].toType<graphene.PrivateKey>();
      if (key.type !== graphene.KeyType.EC) throw new OfficiantError('hsm.mechanism', `slot ${slot} of device ${this.serial} does not hold an EC key`);
      failpoint('piv.deriveSharedSecret');
      // CKM_ECDH1_DERIVE without a KDF (CKD_NULL) gives the raw x-coordinate. The result has to leave the device
      // (it keys the HKDF that opens a sealed share), so it is a session object, extractable and not sensitive,
      // destroyed as soon as its value is read.
      const derived = session.deriveKey(
        { name: 'ECDH1_DERIVE', params: new graphene.EcdhParams(graphene.EcKdf.NULL, null, point) },
        key,
        {
          class: graphene.ObjectClass.SECRET_KEY,
          keyType: graphene.KeyType.GENERIC_SECRET,
          token: false,
          sensitive: false,
          extractable: true,
          valueLen: 32,
        },
      );
      try {
        const value = derived.getAttribute({ value: null }).value as Buffer;
        const out = Buffer.from(value);
        value.fill(0);
        if (out.length !== 32) {
          out.fill(0);
          throw new OfficiantError('hsm.mechanism', `device ${this.serial} returned a ${out.length}-byte shared secret, expected 32`);
        }
        return out;
      } finally {
        try {
          session.destroy(derived);
        } catch {
          // a session object dies with the session, which withSession closes next
        }
      }
    });
  }

  close(): void {
    this.closed = true;
  }
}

/** The uncompressed point (04 || x || y) of a P-256 SPKI, as CKM_ECDH1_DERIVE takes the peer's key. */
function uncompressedP256Point(spki: Buffer): Buffer {
  let jwk: { crv?: string; x?: string; y?: string };
  try {
    jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (err) {
    throw new OfficiantError('hsm.general', 'the peer key for key agreement is not a DER public key', { cause: err });
  }
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new OfficiantError('hsm.general', 'the peer key for key agreement is not an EC P-256 public key');
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

interface Tlv {
  tag: number;
  start: number;
  content: number;
  end: number;
}

function tlv(buf: Buffer, at: number): Tlv {
  let len = buf[at + 1];
  let content = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i];
    content += n;
  }
  return { tag: buf[at], start: at, content, end: content + len };
}

/** The subject Name's DER (CKA_SUBJECT): TBSCertificate's sixth field, counting the optional [0] version. */
function subjectDer(c: X509Certificate): Buffer {
  const der = c.raw;
  const tbs = tlv(der, tlv(der, 0).content);
  const fields: Tlv[] = [];
  for (let at = tbs.content; at < tbs.end; at = fields[fields.length - 1].end) fields.push(tlv(der, at));
  const subject = fields[fields[0].tag === 0xa0 ? 5 : 4];
  return Buffer.from(der.subarray(subject.start, subject.end));
}

// ---------------------------------------------------------------------------------------------------------
export class Pkcs11PivReader implements PivReader {
  private released = false;

  private constructor(
    private readonly lease: Pkcs11Module,
    private readonly fleet?: SimulatedPivFleet,
  ) {}

  /**
   * Loads the module (shared with any other adapter of this process through the module registry).
   * `simulated`: the module is SoftHSM and the devices are this fleet's tokens.
   */
  static load(modulePath: string, opts: { simulated?: SimulatedPivFleet } = {}): Pkcs11PivReader {
    return new Pkcs11PivReader(acquireModule(modulePath), opts.simulated);
  }

  private module(): graphene.Module {
    if (this.released) throw new OfficiantError('hsm.device', 'the PIV reader is closed');
    return this.lease.module;
  }

  describe(): { library: string; manufacturer: string; version: string } {
    const mod = this.module();
    return { library: this.lease.library, manufacturer: mod.manufacturerID.trim(), version: `${mod.libraryVersion.major}.${mod.libraryVersion.minor}` };
  }

  devices(): PivDevice[] {
    const mod = this.module();
    try {
      if (this.fleet) {
        return this.fleet
          .devices()
          .filter((d) => d.inserted && initialisedSlotWithLabel(mod, simulatedTokenLabel(d.serial)))
          .map(({ serial, model, firmware }) => ({ serial, model, firmware, simulated: true }));
      }
      const out: PivDevice[] = [];
      for (const slot of slotsOf(mod)) {
        try {
          const t = slot.getToken();
          out.push({ serial: t.serialNumber.trim(), model: t.model.trim(), firmware: firmwareOf(t.firmwareVersion), simulated: softwareToken(t.manufacturerID) });
        } catch (err) {
          // pulled out between listing and asking: not inserted now
          if (!CKR_REMOVED.has(ckr(err) ?? -1)) throw err;
        }
      }
      return out;
    } catch (err) {
      throw pkcs11Error(err, 'listing PIV devices');
    }
  }

  open(serial: string): PivToken {
    const access: DeviceAccess = { module: () => this.module(), fleet: this.fleet };
    const token = new YkcsPivToken(access, serial);
    token.device();
    return token;
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    this.lease.release();
  }
}
