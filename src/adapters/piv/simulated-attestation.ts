// The simulated attestation chain of a rehearsal sandbox: a CA made for the sandbox (its name says SIMULATED so
// production verification can refuse it), one f9 device certificate per simulated device issued by it, and the
// slot attestations and placeholder certificates a YubiKey would make. Contract: nothing here is acceptable as
// production evidence; the CA key stays in the sandbox (mode 0600); a sandbox that lost its CA is
// env.sandbox-missing, one where it cannot be made env.fs.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { YUBICO_OID } from '../../custody/piv-attestation.js';
import type { PivSlot } from '../../engine/ports.js';
import { buildCertificate, certificateSerial, derUnsigned, ext, firmwareBytes, keyId, nameDer, pem, signWithKey, spkiOfCertificate } from './simulated-certificates.js';
import { writePrivateFile, type SimulatedDeviceRecord } from './simulated-fleet-file.js';

export const SIMULATED_ATTESTATION_CA_SUBJECT = 'CN=Officiant SIMULATED PIV Attestation CA (rehearsal only)';

const CA_CERTIFICATE = 'piv-attestation-ca.pem';
const CA_KEY = 'piv-attestation-ca.key';

// PIN policy (01 never, 02 once, 03 always) and touch policy (01 never) a YubiKey applies by default per slot.
const DEFAULT_POLICY: Record<PivSlot, [number, number]> = { '9a': [0x02, 0x01], '9c': [0x03, 0x01], '9d': [0x02, 0x01], '9e': [0x01, 0x01] };

export interface AttestationCa {
  certificate: Buffer;
  key: KeyObject;
}

/** Makes the sandbox's attestation CA unless it has one. */
export function ensureAttestationCa(dir: string): void {
  if (existsSync(join(dir, CA_CERTIFICATE)) && existsSync(join(dir, CA_KEY))) return;
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const notBefore = new Date(Date.now() - 60_000);
    notBefore.setUTCMilliseconds(0);
    const notAfter = new Date(notBefore.getTime() + 20 * 365 * 86_400_000);
    const subject = nameDer(SIMULATED_ATTESTATION_CA_SUBJECT);
    const certificate = buildCertificate(
      {
        serial: certificateSerial(),
        issuer: subject,
        subject,
        notBefore,
        notAfter,
        spki,
        extensions: [
          ext(new x509.BasicConstraintsExtension(true, 1, true)),
          ext(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)),
          ext(new x509.SubjectKeyIdentifierExtension(keyId(spki))),
        ],
      },
      signWithKey(privateKey),
    );
    writePrivateFile(join(dir, CA_KEY), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    writePrivateFile(join(dir, CA_CERTIFICATE), pem(certificate, 'CERTIFICATE'));
  } catch (err) {
    throw new OfficiantError('env.fs', `cannot create the simulated PIV attestation CA in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export function readAttestationCa(dir: string): AttestationCa {
  try {
    const text = readFileSync(join(dir, CA_CERTIFICATE), 'utf8');
    return {
      certificate: Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
      key: createPrivateKey(readFileSync(join(dir, CA_KEY), 'utf8')),
    };
  } catch (err) {
    throw new OfficiantError('env.sandbox-missing', `rehearsal sandbox ${dir} has lost its simulated PIV attestation CA`, { cause: err });
  }
}

/** The simulated attestation root: trust it only to verify rehearsal enrolments. */
export function attestationRootOf(ca: AttestationCa): { pem: string; sha256: string; subject: string } {
  return {
    pem: pem(ca.certificate, 'CERTIFICATE'),
    sha256: createHash('sha256').update(ca.certificate).digest('hex'),
    subject: new X509Certificate(ca.certificate).subject,
  };
}

/** The f9 device attestation certificate of device `serial` for its attestation key `spki`, issued by the CA. */
export function deviceAttestationCertificate(serial: string, spki: Buffer, ca: AttestationCa): { subject: Buffer; certificate: Buffer } {
  const caCert = new x509.X509Certificate(new Uint8Array(ca.certificate));
  const caSpki = spkiOfCertificate(ca.certificate);
  const subject = nameDer(`CN=Officiant SIMULATED PIV Attestation ${serial}`);
  const certificate = buildCertificate(
    {
      serial: certificateSerial(),
      issuer: Buffer.from(caCert.subjectName.toArrayBuffer()),
      subject,
      notBefore: new Date(Math.max(Date.now() - 60_000, caCert.notBefore.getTime())),
      notAfter: caCert.notAfter,
      spki,
      extensions: [
        ext(new x509.BasicConstraintsExtension(true, 0, true)),
        ext(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)),
        ext(new x509.SubjectKeyIdentifierExtension(keyId(spki))),
        ext(new x509.AuthorityKeyIdentifierExtension(keyId(caSpki))),
      ],
    },
    signWithKey(ca.key),
  );
  return { subject, certificate };
}

/**
 * The slot attestation a YubiKey makes on request: the slot's public key, subject "YubiKey PIV Attestation
 * <slot>", issued by the f9 certificate's subject for its validity, Yubico's extensions, signed by `sign`
 * (the f9 key inside the token; DER signature over SHA-256).
 */
export function slotAttestation(rec: SimulatedDeviceRecord, slot: PivSlot, spki: Buffer, f9Certificate: Buffer, sign: (tbs: Buffer) => Buffer): Buffer {
  const f9 = new x509.X509Certificate(new Uint8Array(f9Certificate));
  return buildCertificate(
    {
      serial: certificateSerial(),
      issuer: Buffer.from(f9.subjectName.toArrayBuffer()),
      subject: nameDer(`CN=YubiKey PIV Attestation ${slot}`),
      notBefore: f9.notBefore,
      notAfter: f9.notAfter,
      spki,
      extensions: [
        ext(new x509.Extension(YUBICO_OID.firmware, false, new Uint8Array(firmwareBytes(rec.firmware)))),
        ext(new x509.Extension(YUBICO_OID.serial, false, new Uint8Array(derUnsigned(BigInt(rec.serial))))),
        ext(new x509.Extension(YUBICO_OID.policy, false, new Uint8Array(DEFAULT_POLICY[slot]))),
        ext(new x509.Extension(YUBICO_OID.formFactor, false, new Uint8Array([rec.formFactor]))),
      ],
    },
    sign,
  );
}

/** The stand-in certificate ykcs11 stores in a slot when it generates a key there (see isYkcs11Placeholder). */
export function placeholderCertificate(slot: PivSlot, spki: Buffer): Buffer {
  const name = nameDer(`CN=YubiKey PIV Slot ${slot}`);
  const now = new Date();
  now.setUTCMilliseconds(0);
  const throwaway = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return buildCertificate({ serial: Buffer.from([0]), issuer: name, subject: name, notBefore: now, notAfter: now, spki, extensions: [] }, signWithKey(throwaway));
}
