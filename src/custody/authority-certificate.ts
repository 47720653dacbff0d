// The release authority's certificate as a bundle checker reads it: one PEM CERTIFICATE block, its DER strict
// (der.ts: no BER, no byte left over), its key RSA of at least 2048 bits or EC P-256. The key's type fixes how
// every signature of the bundle is checked: RSA PKCS#1 v1.5 with SHA-256, or ECDSA with SHA-256 as DER, the two
// forms `openssl dgst -sha256 -verify` takes. Its SHA-256 (of the DER) is what people pin with --trust. Pure.
import { X509Certificate, constants, createVerify, type KeyObject } from 'node:crypto';
import { fingerprintOf } from '../record/fingerprint.js';
import { checkTree, readDer } from './der.js';
import { readCertificateDer } from './certificate-der.js';
import { spkiSha256 } from './deny-list.js';
import type { SignatureAlgorithm } from './release-bundle.js';

export interface AuthorityCertificate {
  der: Buffer;
  sha256: string;
  spkiSha256: string;
  publicKey: KeyObject;
  algorithm: SignatureAlgorithm;
  /** `RSA-3072` or `EC P-256`. */
  keyDescription: string;
  /** The subject's common name (the whole subject when it has none). */
  name: string;
}

const BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/g;

/**
 * The DER of the one certificate a PEM text holds. `exact`: the text is that block and nothing else (whitespace
 * around it aside); otherwise other text may surround it (as `openssl x509 -text` writes). Undefined when the text
 * holds no certificate, two, or base64 that is not.
 */
export function pemCertificate(text: string, exact = true): Buffer | undefined {
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length !== 1 || /-----BEGIN /.test(text.replace(BLOCK, ''))) return undefined;
  if (exact && text.replace(BLOCK, '').trim() !== '') return undefined;
  const b64 = blocks[0][1].replace(/\s/g, '');
  if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64');
}

/** The authority's certificate in authority.pem's bytes, or why it is none (a sentence). */
export function readAuthorityCertificate(bytes: Uint8Array): AuthorityCertificate | string {
  const text = Buffer.from(bytes).toString('latin1');
  const der = pemCertificate(text);
  if (!der) return 'not a PEM certificate (one CERTIFICATE block and nothing else)';
  let x509: X509Certificate;
  try {
    checkTree(readDer(der));
    readCertificateDer(der);
    x509 = new X509Certificate(der);
  } catch (err) {
    return `not a readable X.509 certificate (${(err as Error).message.slice(0, 120)})`;
  }
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  let algorithm: SignatureAlgorithm;
  let keyDescription: string;
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) {
    algorithm = 'RSA-PKCS1-SHA256';
    keyDescription = `RSA-${details.modulusLength}`;
  } else if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    algorithm = 'ECDSA-SHA256';
    keyDescription = 'EC P-256';
  } else {
    const what = key.asymmetricKeyType === 'rsa' ? `RSA of ${details.modulusLength} bits` : key.asymmetricKeyType === 'ec' ? `EC ${details.namedCurve}` : String(key.asymmetricKeyType);
    return `its key is ${what}; a release authority's key is RSA of at least 2048 bits or EC P-256`;
  }
  const cn = /^CN=(.*)$/m.exec(x509.subject);
  return { der, sha256: fingerprintOf(der), spkiSha256: spkiSha256(key), publicKey: key, algorithm, keyDescription, name: cn ? cn[1] : x509.subject.replace(/\n/g, ', ') };
}

/** Checks one signature over bytes handed in chunks, with the certificate's key and algorithm. */
export function signatureVerifier(cert: AuthorityCertificate): { update(chunk: Uint8Array): void; verify(signature: Uint8Array): boolean } {
  const v = createVerify('sha256');
  return {
    update: (chunk) => void v.update(chunk),
    verify(signature) {
      try {
        return cert.algorithm === 'ECDSA-SHA256'
          ? v.verify({ key: cert.publicKey, dsaEncoding: 'der' }, signature)
          : v.verify({ key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      } catch {
        return false;
      }
    },
  };
}
