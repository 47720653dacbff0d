// Signed documents (the officer roster, the manifest keyring): a payload of exact bytes and detached
// signatures by officers' PIV keys over those bytes. Contract: a signature is ECDSA P-256 over SHA-256 of the
// payload bytes, DER-encoded, so `openssl dgst -sha256 -verify <pubkey> -signature <sig.der> <payload>` checks
// it. The payload names its own type (`format`), so a roster signature can never pass as a keyring one.
// Pure: verification gets the document and returns facts; it decides nothing about who may sign.
import { X509Certificate, createHash, verify } from 'node:crypto';
import { canonicalJson } from '../record/canonical-json.js';

export interface DocumentSignature {
  /** Roster id of the signing officer. */
  officer: string;
  device_serial: string;
  slot: '9a';
  /** The signer's 9a certificate, PEM. */
  certificate: string;
  /** base64 DER ECDSA signature over the payload bytes. */
  signature: string;
}

export interface SignedDocument {
  format: 'officiant-signed/1';
  payload_type: string;
  /** base64 of the exact signed bytes (canonical JSON of the body). */
  payload: string;
  payload_sha256: string;
  signatures: DocumentSignature[];
}

export function payloadBytes(body: unknown): Buffer {
  return Buffer.from(canonicalJson(body), 'utf8');
}

export function unsignedDocument(payloadType: string, body: unknown): SignedDocument {
  const bytes = payloadBytes(body);
  return { format: 'officiant-signed/1', payload_type: payloadType, payload: bytes.toString('base64'), payload_sha256: createHash('sha256').update(bytes).digest('hex'), signatures: [] };
}

export function certificateSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** Whether `signature` (base64 DER) is a valid ECDSA-SHA256 signature over `data` by the certificate's key. */
export function signatureValid(certificatePem: string, data: Buffer, signature: string): boolean {
  try {
    return verify('sha256', data, new X509Certificate(certificatePem).publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
