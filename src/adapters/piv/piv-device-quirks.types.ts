// PivDeviceQuirks: where one kind of PIV device behind PKCS#11 and the ykcs11 object layout differs from
// another. The token (ykcs-piv-token.ts) does what every kind does alike and asks its quirks for the rest:
// finding, listing and describing devices, counting PIN tries, changing the PUK, generating a key, storing a
// certificate, making a slot attestation, and whether a signature wants the PIN again. Implementations:
// Ykcs11Quirks (a YubiKey through Yubico's libykcs11) and SimulatedPivQuirks (a SoftHSM token of a
// SimulatedPivFleet standing in for one). Contract: a quirk completes on the device or throws; its
// OfficiantErrors carry the messages the PivToken port promises, and a CKR error it lets through is named by the
// token. PINs, PUKs and management keys reach a quirk as Secrets or as the short-lived strings pkcs11js takes,
// and never appear in a message.
import type graphene from 'graphene-pk11';
import type { PivAdmin, PivDevice, PivSlot, Secret } from '../../engine/ports.js';

/** What a quirk may use of the device it serves, for one operation. */
export interface PivDeviceAccess {
  readonly serial: string;
  /** The device's slot now (slot ids change when devices come and go); env.piv-absent if it is not inserted. */
  slot(): graphene.Slot;
  /** Runs `fn` in a fresh R/W session that is logged out and closed afterwards; failures are named by `what`. */
  withSession<T>(what: string, fn: (session: graphene.Session, slot: graphene.Slot) => T): T;
  /** Logs in with the management key (the SO PIN). */
  loginSo(session: graphene.Session, managementKey: string): void;
  /** Logs in with the PIN, counting tries as the device does. */
  loginUser(session: graphene.Session, slot: graphene.Slot, pin: string): void;
  /** The slot's public key as DER SPKI, if it holds one. */
  publicKeyIn(session: graphene.Session, slot: PivSlot): Buffer | undefined;
}

export interface PivDeviceQuirks {
  /** The PKCS#11 slot of device `serial`, undefined when it is not there. */
  findSlot(mod: graphene.Module, serial: string): graphene.Slot | undefined;
  /** The devices inserted now. */
  listDevices(mod: graphene.Module): PivDevice[];
  /** What the device in `slot` is. */
  describeDevice(slot: graphene.Slot, serial: string): PivDevice;

  /** The wrong entries that block the PIN, as the blocked-PIN message says them. */
  readonly pinBlockedAfter: string;
  /** True when the PIN is blocked already, known before the device is asked. */
  pinBlocked(serial: string): boolean;
  /**
   * After a wrong PIN: the tries left (0 when blocked now), or undefined when the device does not say. Where the
   * count is kept outside the token, this spends the try.
   */
  wrongPin(slot: graphene.Slot, serial: string): number | undefined;
  /** After a right PIN: the count starts again, as on a card. */
  rightPin(serial: string): void;
  /** True when `key` wants the PIN again between C_SignInit and C_Sign. */
  pinAgainToSign(key: graphene.PrivateKey): boolean;

  /** Changes the PUK; both have been checked to be 6 to 8 characters. */
  changePuk(device: PivDeviceAccess, current: Secret, next: Secret): void;
  /** Generates a P-256 key in `slot` under `managementKey` (its form checked) and returns the key's SPKI. */
  generateKey(device: PivDeviceAccess, slot: PivSlot, managementKey: string, admin: PivAdmin): Buffer;
  /** Writes `certificate` as the slot's certificate object, replacing the one there. */
  storeCertificate(session: graphene.Session, slot: PivSlot, certificate: Buffer): void;
  /** The slot's attestation certificate (DER), read or made in `session`; `deviceCertificate` is slot f9's. */
  slotAttestation(device: PivDeviceAccess, session: graphene.Session, slot: PivSlot, deviceCertificate: Buffer): Buffer;
}
