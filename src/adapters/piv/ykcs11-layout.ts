// The ykcs11 object layout (yubico-piv-tool ykcs11/objects.c), which real YubiKeys show through Yubico's
// libykcs11.so and simulated devices copy. Slot keys and certificates carry CKA_ID 1..4 (9a, 9c, 9d, 9e); a
// slot's attestation is a certificate with the slot's CKA_ID and the label "X.509 Certificate for PIV
// Attestation <slot>"; the device attestation certificate of slot f9 has CKA_ID 25. The management key is the
// SO PIN, the PIN the user PIN.
import { X509Certificate } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { PIV_SLOT_CKA_ID, type PivSlot } from '../../engine/ports.js';

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

export function ckaId(slot: PivSlot | number): Buffer {
  return Buffer.from([typeof slot === 'number' ? slot : PIV_SLOT_CKA_ID[slot]]);
}

export function assertSlot(slot: PivSlot): void {
  if (!(slot in PIV_SLOT_CKA_ID)) throw new OfficiantError('hsm.general', `"${String(slot)}" is not a PIV slot (9a, 9c, 9d, 9e)`);
}
