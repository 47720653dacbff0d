// The SoftHSM tokens behind simulated PIV devices: finding the token of a device (labelled `piv-<serial>`) and
// making a new one laid out as ykcs11 lays out a YubiKey, with PIV's default management key (its SO PIN) and
// PIN (its user PIN) and the f9 attestation key and certificate. Contract: a token whose making was cut short
// keeps its serial (the next serial is taken instead); SoftHSM failures become hsm.* errors naming the serial.
import graphene from 'graphene-pk11';
import { generateP256KeyPair, p256PrivateScalar } from '../../custody/p256-keys.js';
import { OfficiantError } from '../../errors.js';
import { PIV_DEFAULTS } from '../../engine/ports.js';
import { acquireModule } from '../pkcs11/module-registry.js';
import { ckrOf, pkcs11Error } from '../pkcs11/pkcs11-errors.js';
import { slotsOf } from '../pkcs11/pkcs11-tokens.js';
import { deviceAttestationCertificate, type AttestationCa } from './simulated-attestation.js';
import { der } from './simulated-certificates.js';
import { ATTESTATION_CKA_ID, F9_LABELS } from './ykcs11-layout.js';

/** The SoftHSM token label of a simulated device. */
export function simulatedTokenLabel(serial: string): string {
  return `piv-${serial}`;
}

const CKR_GENERAL_ERROR = 0x05;
const SOFTHSM_RETRIES = 3;

/**
 * The initialised token labelled `label`, if present. SoftHSM can answer CKR_GENERAL_ERROR for a slot whose
 * token another process is writing at that moment (rehearsals that share a sandbox); the read-only listing is
 * then asked again, a few times, before the error stands.
 */
export function initialisedSlotWithLabel(mod: graphene.Module, label: string): graphene.Slot | undefined {
  for (let attempt = 1; ; attempt++) {
    try {
      return slotsOf(mod).find((s) => {
        const t = s.getToken();
        return (t.flags & graphene.TokenFlag.TOKEN_INITIALIZED) !== 0 && t.label.trim() === label;
      });
    } catch (err) {
      if (attempt >= SOFTHSM_RETRIES || ckrOf(err) !== CKR_GENERAL_ERROR) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
}

/**
 * Makes the token of a new device in a free SoftHSM slot and returns the serial it carries: `serial`, or when
 * `pinned` is false the first serial from it whose token does not exist yet.
 */
export function createDeviceToken(module: string, serial: string, pinned: boolean, ca: AttestationCa): string {
  const lease = acquireModule(module);
  try {
    const mod = lease.module;
    // A token left by a device whose making was cut short keeps its serial: skip it rather than reuse it.
    while (!pinned && initialisedSlotWithLabel(mod, simulatedTokenLabel(serial))) serial = String(Number(serial) + 1);
    const label = simulatedTokenLabel(serial);
    if (initialisedSlotWithLabel(mod, label)) throw new OfficiantError('env.token-label-used', `a token labelled "${label}" already exists`);
    const slots = mod.getSlots(true);
    let free: graphene.Slot | undefined;
    for (let i = 0; i < slots.length && !free; i++) {
      const s = slots.items(i);
      if ((s.getToken().flags & graphene.TokenFlag.TOKEN_INITIALIZED) === 0) free = s;
    }
    if (!free) throw new OfficiantError('env.no-free-slot', 'SoftHSM has no free slot for a simulated PIV device');
    // graphene's Slot.initToken crashes after a successful C_InitToken: call the binding directly.
    (free as unknown as { lib: { C_InitToken(slot: Buffer, pin: string, label: string): unknown } }).lib.C_InitToken(free.handle as Buffer, PIV_DEFAULTS.managementKey, label);
    const slot = initialisedSlotWithLabel(mod, label);
    if (!slot) throw new OfficiantError('hsm.device', `token "${label}" not found right after initialisation`);
    const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      session.login(PIV_DEFAULTS.managementKey, graphene.UserType.SO);
      session.initPin(PIV_DEFAULTS.pin);
      session.logout();
      session.login(PIV_DEFAULTS.pin, graphene.UserType.USER);
      installAttestationKey(session, serial, ca);
      session.logout();
    } finally {
      try {
        session.close();
      } catch {
        // the token went away with the session
      }
    }
    return serial;
  } catch (err) {
    throw pkcs11Error(err, `creating simulated PIV device ${serial}`);
  } finally {
    lease.release();
  }
}

// The f9 key is imported (made here, never written anywhere) with CKA_PRIVATE=false: SoftHSM forces
// CKA_PRIVATE=true on keys it generates, and a device signs attestations without anyone's PIN.
function installAttestationKey(session: graphene.Session, serial: string, ca: AttestationCa): void {
  const { privateKey, publicKey, point } = generateP256KeyPair();
  const id = Buffer.from([ATTESTATION_CKA_ID]);
  const paramsEC = graphene.NamedCurve.getByName('secp256r1').value;
  session.create({
    class: graphene.ObjectClass.PRIVATE_KEY,
    keyType: graphene.KeyType.EC,
    token: true,
    private: false,
    sensitive: true,
    extractable: false,
    sign: true,
    decrypt: false,
    derive: false,
    id,
    label: F9_LABELS.privateKey,
    paramsEC,
    value: p256PrivateScalar(privateKey),
  });
  session.create({
    class: graphene.ObjectClass.PUBLIC_KEY,
    keyType: graphene.KeyType.EC,
    token: true,
    private: false,
    verify: true,
    id,
    label: F9_LABELS.publicKey,
    paramsEC,
    pointEC: der(0x04, point),
  });
  const { subject, certificate } = deviceAttestationCertificate(serial, publicKey.export({ type: 'spki', format: 'der' }), ca);
  session.create({
    class: graphene.ObjectClass.CERTIFICATE,
    certType: graphene.CertificateType.X_509,
    token: true,
    private: false,
    id,
    label: F9_LABELS.certificate,
    subject,
    value: certificate,
  });
}
