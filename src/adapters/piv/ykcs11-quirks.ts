// Ykcs11Quirks: a real YubiKey through Yubico's libykcs11.so. The device is found by its serial (the token's
// serial number), describes itself (ykcs11 reports firmware x.y.z as major x, minor y*10+z), counts PIN tries
// itself and says how many are left only through the token flags; the PUK changes through C_SetPIN with a
// "puk:" prefix; keys are generated under the management key alone; the device makes a slot's attestation when
// a session opens, for keys it generated. Contract: PivDeviceQuirks'.
import graphene from 'graphene-pk11';
import { OfficiantError } from '../../errors.js';
import { PIV_SLOT_CKA_ID, type PivAdmin, type PivDevice, type PivSlot, type Secret } from '../../engine/ports.js';
import { ckrOf } from '../pkcs11/pkcs11-errors.js';
import { slotsOf } from '../pkcs11/pkcs11-tokens.js';
import type { PivDeviceAccess, PivDeviceQuirks } from './piv-device-quirks.types.js';
import { certificateObject, CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_REMOVED, spkiOfPublicKey, valueOf } from './piv-objects.js';
import { secretText } from './piv-secrets.js';
import { ckaId, SLOT_LABELS } from './ykcs11-layout.js';

/** A token made in software (SoftHSM) is never a hardware PIV device, whatever a site file says. */
function softwareToken(manufacturer: string): boolean {
  return /softhsm/i.test(manufacturer);
}

function firmwareOf(v: { major: number; minor: number }): string {
  // ykcs11 reports firmware x.y.z as major x, minor y*10+z.
  return `${v.major}.${Math.floor(v.minor / 10)}.${v.minor % 10}`;
}

export class Ykcs11Quirks implements PivDeviceQuirks {
  readonly pinBlockedAfter = 'too many';

  findSlot(mod: graphene.Module, serial: string): graphene.Slot | undefined {
    return slotsOf(mod).find((s) => {
      try {
        return s.getToken().serialNumber.trim() === serial;
      } catch {
        return false;
      }
    });
  }

  listDevices(mod: graphene.Module): PivDevice[] {
    const out: PivDevice[] = [];
    for (const slot of slotsOf(mod)) {
      try {
        const t = slot.getToken();
        out.push({ serial: t.serialNumber.trim(), model: t.model.trim(), firmware: firmwareOf(t.firmwareVersion), simulated: softwareToken(t.manufacturerID) });
      } catch (err) {
        // pulled out between listing and asking: not inserted now
        if (!CKR_REMOVED.has(ckrOf(err) ?? -1)) throw err;
      }
    }
    return out;
  }

  describeDevice(slot: graphene.Slot, serial: string): PivDevice {
    const t = slot.getToken();
    return { serial, model: t.model.trim(), firmware: firmwareOf(t.firmwareVersion), simulated: softwareToken(t.manufacturerID) };
  }

  pinBlocked(): boolean {
    return false;
  }

  wrongPin(slot: graphene.Slot): number | undefined {
    let flags = 0;
    try {
      flags = slot.getToken().flags;
    } catch {
      // the device went away after refusing the PIN: report the refusal
    }
    // ykcs11 sets LOCKED at 0 tries left, FINAL_TRY at 1, COUNT_LOW at 2, nothing above.
    if (flags & graphene.TokenFlag.USER_PIN_LOCKED) return 0;
    if (flags & graphene.TokenFlag.USER_PIN_FINAL_TRY) return 1;
    if (flags & graphene.TokenFlag.USER_PIN_COUNT_LOW) return 2;
    return undefined;
  }

  rightPin(): void {
    // the device resets its own counter
  }

  pinAgainToSign(key: graphene.PrivateKey): boolean {
    return key.alwaysAuthenticate;
  }

  changePuk(device: PivDeviceAccess, current: Secret, next: Secret): void {
    device.withSession('changing the PUK', (session) => {
      try {
        // ykcs11: C_SetPIN with the old value prefixed "puk:" outside an SO login changes the PUK.
        session.setPin(`puk:${secretText(current)}`, secretText(next));
      } catch (err) {
        if (ckrOf(err) === CKR_PIN_INCORRECT) throw new OfficiantError('hsm.pin-incorrect', `PUK incorrect for device ${device.serial}`, { cause: err });
        if (ckrOf(err) === CKR_PIN_LOCKED) throw new OfficiantError('hsm.pin-locked', `device ${device.serial}: PUK blocked`, { cause: err });
        throw err;
      }
    });
  }

  generateKey(device: PivDeviceAccess, slot: PivSlot, managementKey: string, _admin: PivAdmin): Buffer {
    const id = ckaId(slot);
    const labels = SLOT_LABELS[slot];
    const paramsEC = graphene.NamedCurve.getByName('secp256r1').value;
    // A YubiKey generates under the management key (SO login); ykcs11 rejects template attributes it does not
    // know (CKA_EXTRACTABLE, CKA_MODIFIABLE ...): the device makes every PIV key sensitive and non-extractable.
    return device.withSession(`generating a key in slot ${slot}`, (session) => {
      device.loginSo(session, managementKey);
      const keys = session.generateKeyPair(
        graphene.KeyGenMechanism.EC,
        { keyType: graphene.KeyType.EC, id, token: true, verify: true, label: labels.publicKey, paramsEC },
        { keyType: graphene.KeyType.EC, id, token: true, sign: true, sensitive: true, label: labels.privateKey },
      );
      return spkiOfPublicKey(keys.publicKey);
    });
  }

  storeCertificate(session: graphene.Session, slot: PivSlot, certificate: Buffer): void {
    // ykcs11 accepts only CKA_CLASS, CKA_ID, CKA_VALUE, CKA_TOKEN, CKA_LABEL (and a few ignored ones) and
    // overwrites the slot's certificate object.
    session.create({ class: graphene.ObjectClass.CERTIFICATE, id: ckaId(slot), value: certificate, token: true, label: SLOT_LABELS[slot].certificate });
  }

  slotAttestation(device: PivDeviceAccess, session: graphene.Session, slot: PivSlot): Buffer {
    // ykcs11 makes the attestation when the session opens, for keys generated on the device only.
    const att = certificateObject(session, PIV_SLOT_CKA_ID[slot], SLOT_LABELS[slot].attestation);
    if (!att) throw new OfficiantError('hsm.key-not-found', `device ${device.serial} has no attestation for slot ${slot} (no key generated on the device there)`);
    return valueOf(att);
  }
}
