// Detached CMS SignedData (RFC 5652) for evidence: built with pkijs/asn1js, signed by a callback so the
// private key stays in the HSM. Signed attributes carry contentType, signingTime and messageDigest; the
// signature is ECDSA with SHA-256 (or SHA-384 for P-384) over the DER of the attributes, as PDF readers,
// pdfsig and `openssl cms -verify` expect for adbe.pkcs7.detached and detached .p7s files.
import { derEcdsaSignature } from '../custody/release-bundle.js';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash } from 'node:crypto';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
};

export interface CmsKey {
  /** The signer's certificate, DER. */
  certificate: Buffer;
  hash: 'SHA-256' | 'SHA-384';
  /** Signs `data` (hashing it with `hash` first) inside the HSM; returns a DER ECDSA-Sig-Value. */
  sign(data: Buffer): Promise<Buffer>;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export async function detachedCms(content: Buffer, key: CmsKey, signingTime: Date): Promise<Buffer> {
  const cert = pkijs.Certificate.fromBER(toArrayBuffer(key.certificate));
  const sha = key.hash === 'SHA-384' ? 'sha384' : 'sha256';
  const digest = createHash(sha).update(content).digest();
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
      new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
      new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(digest) })] }),
    ],
  });
  // The signature covers the attributes DER-encoded as a SET OF (tag 0x31), not as the [0] IMPLICIT field.
  const encoded = Buffer.from(signedAttrs.toSchema().toBER(false));
  encoded[0] = 0x31;
  const signature = await key.sign(encoded);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID[sha] }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: sha === 'sha384' ? OID.ecdsaSha384 : OID.ecdsaSha256 }),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID[sha] })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [signerInfo],
    certificates: [cert],
  });
  const info = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(info.toSchema().toBER(false));
}

/** PKCS#11 CKM_ECDSA returns r||s (IEEE P1363); CMS and X.509 want DER ECDSA-Sig-Value. */
export function p1363ToDer(sig: Buffer): Buffer {
  return derEcdsaSignature(sig);
}
