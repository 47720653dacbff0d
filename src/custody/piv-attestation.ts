// PIV attestation, checked as an auditor would: the slot's attestation certificate carries the slot's public
// key and is signed by the device's attestation certificate (slot f9), which is issued by a trusted
// attestation root (the vendor's, or the sandbox's simulated CA in rehearsals). Yubico's extensions
// (arc 1.3.6.1.4.1.41482.3) name the firmware (.3), the device serial (.7) and the PIN/touch policy (.8).
// Pure: certificates in, problems out (empty when it holds).
import { readCertificateDer } from './certificate-der.js';
import { X509Certificate } from 'node:crypto';

/** Yubico's attestation extensions (arc 1.3.6.1.4.1.41482.3). */
export const YUBICO_OID = {
  firmware: '1.3.6.1.4.1.41482.3.3',
  serial: '1.3.6.1.4.1.41482.3.7',
  policy: '1.3.6.1.4.1.41482.3.8',
  formFactor: '1.3.6.1.4.1.41482.3.9',
} as const;

function cert(pemOrDer: string | Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(pemOrDer);
  } catch {
    return undefined;
  }
}

export function der(pemOrDer: string | Buffer): Buffer {
  return typeof pemOrDer === 'string' ? Buffer.from(pemOrDer.replace(/-----[^-]+-----|\s/g, ''), 'base64') : pemOrDer;
}

export function toPem(d: Buffer): string {
  return new X509Certificate(d).toString();
}

export { sha256Hex as sha256 } from '../record/digest.js';

/** The device serial a Yubico attestation certificate carries, if any. */
export function attestedSerial(pemOrDer: string | Buffer): string | undefined {
  try {
    const ext = readCertificateDer(der(pemOrDer)).extension(YUBICO_OID.serial);
    if (!ext) return undefined;
    // The extension value is a DER INTEGER.
    const v = Buffer.from(ext);
    if (v[0] !== 0x02) return undefined;
    return BigInt(`0x${v.subarray(2, 2 + v[1]).toString('hex') || '0'}`).toString();
  } catch {
    return undefined;
  }
}

/** The PIN policy a Yubico attestation states for the slot (1 never, 2 once per session, 3 always), if any. */
export function attestedPinPolicy(pemOrDer: string | Buffer): number | undefined {
  try {
    const ext = readCertificateDer(der(pemOrDer)).extension(YUBICO_OID.policy);
    return ext ? ext[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The sandbox's attestation CA names itself so; production refuses any root or device certificate saying so. */
export const SIMULATED_MARK = /SIMULATED/;

export interface AttestationInput {
  slot: string;
  /** Slot attestation certificate. */
  attestation: string | Buffer;
  /** Device (f9) attestation certificate. */
  device: string | Buffer;
  /** Trusted roots, PEM. */
  roots: readonly string[];
  serial: string;
  /** The slot's public key (SPKI, DER). */
  spki: Buffer;
}

/** Whether `issuer` issued and signed `c`; a key that does not decode signs nothing. */
function issued(c: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return c.checkIssued(issuer) && c.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function attestationProblems(a: AttestationInput): string[] {
  const where = `slot ${a.slot} of device ${a.serial}`;
  const slotCert = cert(a.attestation);
  const deviceCert = cert(a.device);
  if (!slotCert) return [`${where}: the attestation is not an X.509 certificate`];
  if (!deviceCert) return [`${where}: the device attestation certificate (f9) is not an X.509 certificate`];
  const problems: string[] = [];
  let attestedKey: Buffer | undefined;
  try {
    attestedKey = slotCert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return [`${where}: the attestation's public key cannot be read`];
  }
  if (!attestedKey.equals(a.spki)) problems.push(`${where}: the attestation is for another key than the one in the slot`);
  if (!issued(slotCert, deviceCert)) problems.push(`${where}: the attestation is not signed by the device's attestation certificate`);
  const root = a.roots.map(cert).find((r) => r !== undefined && issued(deviceCert, r));
  if (!root) problems.push(`${where}: the device attestation certificate does not chain to a trusted attestation root`);
  const serial = attestedSerial(a.attestation);
  if (serial !== undefined && serial !== a.serial) problems.push(`${where}: the attestation names device serial ${serial}`);
  // A key usable without the PIN would let whoever holds the token approve: refuse PIN policy "never".
  if (attestedPinPolicy(a.attestation) === 1) problems.push(`${where}: the key's PIN policy is "never": it signs without the officer's PIN`);
  return problems;
}
