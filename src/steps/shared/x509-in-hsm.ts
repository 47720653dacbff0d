// Self-signed X.509 certificates made with @peculiar/x509 whose signature is computed inside the HSM by the
// key they certify. Shared by the authority root certificate and the evidence-signing certificate.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import type { HsmSession } from '../../engine/ports.js';
import type { JsonObject } from '../../record/journal.js';
import type { GeneratedKey } from '../../engine/step-kind.types.js';
import { pemToDer } from '../../custody/pem.js';

export { pemToDer } from '../../custody/pem.js';

/** A WebCrypto facade whose sign() runs in the HSM; everything else is node's WebCrypto (hashing only). */
function hsmCrypto(session: HsmSession, key: { label: string; id: string }): Crypto {
  const subtle = {
    digest: webcrypto.subtle.digest.bind(webcrypto.subtle),
    sign: async (alg: { hash?: string | { name: string } }, _key: unknown, data: BufferSource) => {
      const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as ArrayBufferView).buffer, (data as ArrayBufferView).byteOffset, (data as ArrayBufferView).byteLength);
      const hashName = typeof alg.hash === 'string' ? alg.hash : alg.hash?.name;
      const sig = session.sign(key, Buffer.from(view), hashName === 'SHA-384' ? 'SHA-384' : 'SHA-256');
      return sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength);
    },
  };
  return { subtle, getRandomValues: webcrypto.getRandomValues.bind(webcrypto) } as unknown as Crypto;
}

function signingAlgorithm(algorithm: string): { name: string; hash: string; namedCurve?: string } {
  if (algorithm.startsWith('RSA')) return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return algorithm === 'EC-P384' ? { name: 'ECDSA', hash: 'SHA-384', namedCurve: 'P-384' } : { name: 'ECDSA', hash: 'SHA-256', namedCurve: 'P-256' };
}

export function dnString(dn: { CN: string; O?: string; OU?: string; C?: string }): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [['C', dn.C], ['O', dn.O], ['OU', dn.OU], ['CN', dn.CN]]
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${esc(v!)}`)
    .join(', ');
}

export interface CertificateRecord extends JsonObject {
  pem: string;
  sha256: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  subject: string;
}

/** Colon-separated upper-case hex, in groups people can read aloud and compare. */
export async function selfSignedCertificate(
  session: HsmSession,
  key: GeneratedKey,
  opts: { subject: string; serial: Buffer; validityDays: number; ca: boolean; pathLength?: number },
): Promise<CertificateRecord> {
  return hsmCertificate(session, key, { ...opts, issuer: opts.subject, subjectSpki: pemToDer(key.spkiPem) });
}

/**
 * A certificate for `subjectSpki` signed in the HSM by `signer`: self-signed when the subject key is the
 * signer's own, otherwise issued under `issuer` (the signer's certificate subject). Officer certificates
 * (ca: false) carry digitalSignature, and the extended key usage given.
 */
export async function hsmCertificate(
  session: HsmSession,
  signer: GeneratedKey,
  opts: { subject: string; issuer: string; subjectSpki: Buffer; serial: Buffer; validityDays: number; ca: boolean; pathLength?: number; extendedKeyUsage?: string[]; keyAgreement?: boolean },
): Promise<CertificateRecord> {
  const spki = opts.subjectSpki;
  const publicKey = new x509.PublicKey(new Uint8Array(spki));
  const signerKey = new x509.PublicKey(new Uint8Array(pemToDer(signer.spkiPem)));
  const notBefore = new Date();
  notBefore.setUTCMilliseconds(0);
  const notAfter = new Date(notBefore.getTime() + opts.validityDays * 86_400_000);
  const alg = signingAlgorithm(signer.algorithm);
  const usages = opts.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
    : opts.keyAgreement
      ? x509.KeyUsageFlags.keyAgreement
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation;
  const crypto = webcrypto as unknown as Crypto;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca, opts.ca ? opts.pathLength : undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
  ];
  if (opts.issuer !== opts.subject) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signerKey, false, crypto));
  if (opts.extendedKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsage, false));
  const c = await x509.X509CertificateGenerator.create(
    {
      serialNumber: opts.serial.toString('hex'),
      subject: opts.subject,
      issuer: opts.issuer,
      notBefore,
      notAfter,
      publicKey: new Uint8Array(spki),
      signingKey: { algorithm: alg, type: 'private', extractable: false, usages: ['sign'] } as unknown as CryptoKey,
      signingAlgorithm: alg,
      extensions,
    },
    hsmCrypto(session, signer),
  );
  if (!(await c.verify({ publicKey: signerKey, signatureOnly: true }, crypto))) {
    throw new OfficiantError('ceremony.step-failed', `the HSM's signature by "${signer.label}" on the certificate for ${opts.subject} does not verify`);
  }
  return {
    pem: c.toString('pem'),
    sha256: createHash('sha256').update(Buffer.from(c.rawData)).digest('hex'),
    serial: c.serialNumber,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    subject: c.subject,
  };
}

/** 16 random bytes from the HSM as a positive, non-zero-led certificate serial. */
export function certificateSerial(session: HsmSession): Buffer {
  const serial = session.random(16);
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 0x01;
  return serial;
}
