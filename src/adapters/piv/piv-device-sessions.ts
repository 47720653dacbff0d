// PivDeviceSessions: one PIV device's PKCS#11 sessions and logins, shared by the token and its quirks. Contract:
// the device is looked up afresh for every operation (slot ids change when devices come and go) and one that is
// not inserted or was pulled out is env.piv-absent; a wrong PIN is hsm.pin-incorrect with the tries left as far
// as the device tells them, a blocked one hsm.pin-locked. Nothing is retried: a retry spends a PIN try. Sessions
// live for one operation and are logged out and closed before it returns.
import graphene from 'graphene-pk11';
import { OfficiantError } from '../../errors.js';
import type { PivSlot } from '../../engine/ports.js';
import { ckrOf, pkcs11Error } from '../pkcs11/pkcs11-errors.js';
import { endSession } from '../pkcs11/pkcs11-tokens.js';
import type { PivDeviceAccess, PivDeviceQuirks } from './piv-device-quirks.types.js';
import { CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_REMOVED, objects, spkiOfPublicKey } from './piv-objects.js';
import { triesLeft } from './piv-secrets.js';
import { ckaId } from './ykcs11-layout.js';

export class PivDeviceSessions implements PivDeviceAccess {
  private closed = false;

  constructor(
    private readonly module: () => graphene.Module,
    private readonly quirks: PivDeviceQuirks,
    readonly serial: string,
  ) {}

  private absent(): OfficiantError {
    return new OfficiantError('env.piv-absent', `device ${this.serial} is not inserted`);
  }

  slot(): graphene.Slot {
    if (this.closed) throw new OfficiantError('hsm.device', `device ${this.serial} was already closed`);
    const mod = this.module();
    try {
      const slot = this.quirks.findSlot(mod, this.serial);
      if (!slot) throw this.absent();
      return slot;
    } catch (err) {
      throw this.error(err, 'looking for the device');
    }
  }

  /** A failure as the port names it: a pulled-out device is env.piv-absent, any other CKR an hsm.* error. */
  error(err: unknown, what: string): OfficiantError {
    if (err instanceof OfficiantError) return err;
    const code = ckrOf(err);
    if (code !== undefined && CKR_REMOVED.has(code)) return new OfficiantError('env.piv-absent', `device ${this.serial} was removed (${what})`, { cause: err });
    return pkcs11Error(err, `${what} on device ${this.serial}`);
  }

  withSession<T>(what: string, fn: (session: graphene.Session, slot: graphene.Slot) => T): T {
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
    return new OfficiantError('hsm.pin-locked', `device ${this.serial}: PIN blocked after ${this.quirks.pinBlockedAfter} wrong entries`);
  }

  private wrongPin(slot: graphene.Slot, cause: unknown): OfficiantError {
    const left = this.quirks.wrongPin(slot, this.serial);
    if (left === 0) return this.pinBlocked();
    if (left === undefined) return new OfficiantError('hsm.pin-incorrect', `PIN incorrect for device ${this.serial}`, { cause });
    return new OfficiantError('hsm.pin-incorrect', `PIN incorrect for device ${this.serial}: ${triesLeft(left)}`, { cause });
  }

  /** Runs a PIN check (C_Login, C_SetPIN) with the device's try counting. */
  checkPin<T>(slot: graphene.Slot, fn: () => T): T {
    if (this.quirks.pinBlocked(this.serial)) throw this.pinBlocked();
    let out: T;
    try {
      out = fn();
    } catch (err) {
      if (ckrOf(err) === CKR_PIN_INCORRECT) throw this.wrongPin(slot, err);
      if (ckrOf(err) === CKR_PIN_LOCKED) throw this.pinBlocked();
      throw err;
    }
    this.quirks.rightPin(this.serial);
    return out;
  }

  loginUser(session: graphene.Session, slot: graphene.Slot, pin: string): void {
    this.checkPin(slot, () => session.login(pin, graphene.UserType.USER));
  }

  loginSo(session: graphene.Session, key: string): void {
    try {
      session.login(key, graphene.UserType.SO);
    } catch (err) {
      if (ckrOf(err) === CKR_PIN_INCORRECT) throw new OfficiantError('hsm.pin-incorrect', `management key incorrect for device ${this.serial}`, { cause: err });
      if (ckrOf(err) === CKR_PIN_LOCKED) throw new OfficiantError('hsm.pin-locked', `device ${this.serial}: management key blocked`, { cause: err });
      throw err;
    }
  }

  publicKeyIn(session: graphene.Session, slot: PivSlot): Buffer | undefined {
    const found = objects(session, { class: graphene.ObjectClass.PUBLIC_KEY, id: ckaId(slot) });
    return found.length > 0 ? spkiOfPublicKey(found[0]) : undefined;
  }

  close(): void {
    this.closed = true;
  }
}
