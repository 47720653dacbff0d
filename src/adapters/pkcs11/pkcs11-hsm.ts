// Pkcs11Hsm: the Hsm port over any PKCS#11 module through graphene-pk11 (SoftHSM2 by default, a real HSM by
// module path). Tokens are found by label (two tokens with one label are refused, never guessed between);
// keys are generated sensitive and non-extractable (pkcs11-session.ts); CKR_* codes become OfficiantErrors with
// hsm.* codes whose messages name the token, never a PIN. PINs cross into pkcs11js as short-lived strings
// (its API takes strings); our Buffers are wiped by their owners.
import graphene from 'graphene-pk11';
import { OfficiantError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import type { Hsm, HsmSession, Secret, TokenIdentity } from '../../engine/ports.js';
import { acquireModule, type Pkcs11Module } from './module-registry.js';
import { pkcs11Error } from './pkcs11-errors.js';
import { Pkcs11Session } from './pkcs11-session.js';
import { endSession, identity, pinCounter, pinString, slotId, slotsOf, version } from './pkcs11-tokens.js';

export class Pkcs11Hsm implements Hsm {
  private constructor(
    private readonly mod: graphene.Module,
    private readonly library: string,
    private readonly lease: Pkcs11Module,
  ) {}

  /**
   * Loads and initialises the module, or shares it when another adapter in this process (the PIV reader in a
   * rehearsal) already has; a missing or broken module is an environment error (exit 3).
   */
  static load(library: string): Pkcs11Hsm {
    const lease = acquireModule(library);
    return new Pkcs11Hsm(lease.module, library, lease);
  }

  describe(): { library: string; manufacturer: string; version: string } {
    return { library: this.library, manufacturer: this.mod.manufacturerID.trim(), version: version(this.mod.libraryVersion) };
  }

  private slots(): graphene.Slot[] {
    try {
      return slotsOf(this.mod);
    } catch (err) {
      throw pkcs11Error(err, 'listing slots');
    }
  }

  private slotFor(label: string): graphene.Slot | undefined {
    try {
      const matches = this.slots().filter((s) => {
        const t = s.getToken();
        return (t.flags & graphene.TokenFlag.TOKEN_INITIALIZED) !== 0 && t.label.trim() === label;
      });
      // Two tokens with one label would make every later lookup ambiguous: refuse rather than guess.
      if (matches.length > 1) throw new OfficiantError('env.token-label-used', `${matches.length} tokens are labelled "${label}"; remove all but one`);
      return matches[0];
    } catch (err) {
      throw pkcs11Error(err, `looking for token "${label}"`);
    }
  }

  findToken(label: string): TokenIdentity | undefined {
    try {
      failpoint('hsm.findToken');
      const slot = this.slotFor(label);
      return slot ? identity(slot) : undefined;
    } catch (err) {
      throw pkcs11Error(err, `looking for token "${label}"`);
    }
  }

  freeSlots(): number[] {
    try {
      failpoint('hsm.freeSlots');
      return this.slots()
        .filter((s) => (s.getToken().flags & graphene.TokenFlag.TOKEN_INITIALIZED) === 0)
        .map(slotId);
    } catch (err) {
      throw pkcs11Error(err, 'listing free slots');
    }
  }

  initToken(slot: number, label: string, soPin: Secret): TokenIdentity {
    const target = this.slots().find((s) => slotId(s) === slot);
    if (!target) throw new OfficiantError('env.no-free-slot', `slot ${slot} is not present`);
    try {
      failpoint('hsm.initToken');
      // graphene's Slot.initToken crashes on the undefined that pkcs11js returns after a successful
      // C_InitToken; call the binding directly.
      (target as unknown as { lib: { C_InitToken(slot: Buffer, pin: string, label: string): unknown } }).lib.C_InitToken(target.handle as Buffer, pinString(soPin), label);
    } catch (err) {
      throw pkcs11Error(err, `initialising token "${label}"`);
    }
    const found = this.findToken(label);
    if (!found) throw new OfficiantError('hsm.device', `token "${label}" not found right after initialisation`);
    return found;
  }

  userPinInitialised(label: string): boolean {
    const slot = this.requireSlot(label);
    try {
      failpoint('hsm.tokenInfo');
      return (slot.getToken().flags & graphene.TokenFlag.USER_PIN_INITIALIZED) !== 0;
    } catch (err) {
      throw pkcs11Error(err, `reading the state of token "${label}"`);
    }
  }

  initUserPin(label: string, soPin: Secret, userPin: Secret): void {
    const slot = this.requireSlot(label);
    let session: graphene.Session | undefined;
    try {
      session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      session.login(pinString(soPin), graphene.UserType.SO);
      failpoint('hsm.initPin');
      session.initPin(pinString(userPin));
    } catch (err) {
      throw pkcs11Error(err, `setting the user pin of token "${label}"`);
    } finally {
      endSession(session);
    }
  }

  private requireSlot(label: string): graphene.Slot {
    const slot = this.slotFor(label);
    if (!slot) throw new OfficiantError('env.token-missing', `token "${label}" is not present`);
    return slot;
  }

  openSession(label: string, userPin: Secret): HsmSession {
    return this.login(label, userPin, 'user');
  }

  openSoSession(label: string, soPin: Secret): HsmSession {
    return this.login(label, soPin, 'so');
  }

  private login(label: string, pin: Secret, who: 'user' | 'so'): HsmSession {
    const slot = this.requireSlot(label);
    let session: graphene.Session | undefined;
    try {
      session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      failpoint(who === 'so' ? 'hsm.soLogin' : 'hsm.login');
      session.login(pinString(pin), who === 'so' ? graphene.UserType.SO : graphene.UserType.USER);
      return new Pkcs11Session(slot, session);
    } catch (err) {
      // Close without C_Logout: the login state is the token's, and another session of this process may hold it.
      try {
        session?.close();
      } catch {
        // the token is gone: the login error matters
      }
      const e = pkcs11Error(err, `logging in to token "${label}"${who === 'so' ? ' as security officer' : ''}`);
      if (e.code !== 'hsm.pin-incorrect' && e.code !== 'hsm.pin-locked') throw e;
      throw new OfficiantError(e.code, `${e.message}${pinCounter(slot, who)}`, { cause: err });
    }
  }

  labelsInUse(tokenLabel: string, labels: readonly string[]): string[] {
    const slot = this.requireSlot(tokenLabel);
    try {
      const session = slot.open(graphene.SessionFlag.SERIAL_SESSION);
      try {
        return labels.filter((l) => session.find({ label: l }).length > 0);
      } finally {
        session.close();
      }
    } catch (err) {
      throw pkcs11Error(err, `listing objects on token "${tokenLabel}"`);
    }
  }

  /** Gives the module back; it is finalised only when no other adapter in this process still uses it. */
  close(): void {
    this.lease.release();
  }
}
