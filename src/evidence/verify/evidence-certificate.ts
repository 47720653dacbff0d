// The evidence certificate as verify reads it: a PEM certificate's DER, parsed both by node:crypto (for its EC
// public key) and from its DER (for the issuer and serial a CMS signer names). Its SHA-256 is the fingerprint
// people compare out of band.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { readCertificateDer } from '../../custody/certificate-der.js';

export interface EvidenceCert {
  der: Buffer;
  sha256: string;
  publicKey: KeyObject;
  /** The issuer Name and the serial INTEGER as their DER: what a CMS signer id must repeat byte for byte. */
  issuerDer: Uint8Array;
  serialDer: Uint8Array;
}

export function pemCertificateDer(pem: string): Buffer | undefined {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  return m ? Buffer.from(m[1].replace(/\s/g, ''), 'base64') : undefined;
}

export function parseCertificate(der: Buffer): EvidenceCert | string {
  try {
    const x509 = new X509Certificate(der);
    const cert = readCertificateDer(der);
    if (x509.publicKey.asymmetricKeyType !== 'ec') return `not an EC key (${x509.publicKey.asymmetricKeyType})`;
    return {
      der,
      sha256: createHash('sha256').update(der).digest('hex'),
      publicKey: x509.publicKey,
      issuerDer: cert.issuerDer,
      serialDer: cert.serialDer,
    };
  } catch (err) {
    return `not a readable X.509 certificate (${(err as Error).message})`;
  }
}
