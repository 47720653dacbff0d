// One detached CMS SignedData checked against the evidence certificate the auditor holds, never against what the
// CMS says about itself. Used for manifest.json.p7s and for every PDF signature's /Contents.
import { createHash, verify as cryptoVerify } from 'node:crypto';
import { CLASS, TAG, DerError, checkTree, content as contentOf, is, oidOf, readDer, type Tlv } from '../../custody/der.js';
import { EVIDENCE_CERT_PATH as EVIDENCE_CERT } from '../packet-files.js';
import { short } from '../json-shape.js';
import { readSignedData } from './cms-structure.js';
import type { EvidenceCert } from './evidence-certificate.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
};
const DIGESTS: Record<string, 'sha256' | 'sha384'> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384' };
const SIGNATURES: Record<string, 'sha256' | 'sha384'> = { [OID.ecdsaSha256]: 'sha256', [OID.ecdsaSha384]: 'sha384' };

/** An OBJECT IDENTIFIER's dotted form, or undefined when its content is malformed. */
function oidOrNone(t: Tlv): string | undefined {
  try {
    return oidOf(t);
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/**
 * Checks a detached CMS SignedData (DER, `der`) over `content` (the concatenated parts) as `openssl cms -verify`
 * and pdfsig would, but with the signer fixed to the evidence certificate: one SignerInfo identified by the
 * certificate's issuer and serial, the certificate itself carried in the CMS, contentType id-data, a
 * messageDigest equal to the content's digest, and an ECDSA signature over the DER SET OF signed attributes
 * that verifies under the evidence certificate's public key. `allowZeroPadding` accepts the zero bytes a PDF
 * /Contents placeholder leaves after the DER. Returns what is wrong, each message prefixed by `file`.
 */
export function verifyDetachedCms(der: Buffer, content: Buffer[], cert: EvidenceCert, file: string, contentName: string, allowZeroPadding = false): string[] {
  const bad = (m: string) => [`${file}: ${m}`];
  let root: Tlv;
  try {
    // Strict DER, every constructed value read: no byte of the signature goes unchecked.
    root = readDer(der, true);
    checkTree(root);
  } catch (err) {
    if (err instanceof DerError) return bad(`signature is not DER (${err.message})`);
    throw err;
  }
  if (root.end !== der.length) {
    const rest = der.subarray(root.end);
    if (!allowZeroPadding || rest.some((b) => b !== 0)) return bad(`signature has ${der.length - root.end} unexpected bytes after its DER`);
  }
  const signedData = readSignedData(root);
  if (typeof signedData === 'string') return bad(`signature is not a CMS SignedData (${signedData})`);
  if (signedData.contentType !== OID.signedData) return bad(`signature is not CMS SignedData (content type ${signedData.contentType})`);
  if (signedData.eContentType !== OID.data) return bad(`signed content type is ${signedData.eContentType}, expected id-data`);
  if (!signedData.detached) return bad('signature is not detached (it carries its own content)');
  if (signedData.signerInfos.length !== 1) return bad(`signature has ${signedData.signerInfos.length} signers, expected 1`);
  const si = signedData.signerInfos[0];

  const problems: string[] = [];
  // Signer identity: issuer and serial of the evidence certificate, and that very certificate in the CMS.
  if (!si.issuerAndSerial) {
    problems.push(`${file}: signer is not identified by issuer and serial number`);
  } else if (!sameBytes(si.issuerAndSerial.issuer, cert.issuerDer) || !sameBytes(si.issuerAndSerial.serial, cert.serialDer)) {
    // Byte for byte: X.500 name matching ignores case, and the signer's name is not covered by the signature.
    problems.push(`${file}: signer is not the evidence key (issuer/serial differ from ${EVIDENCE_CERT})`);
  }
  if (!signedData.certificates.some((c) => sameBytes(c, cert.der))) problems.push(`${file}: the certificate in the signature is not ${EVIDENCE_CERT}`);

  const digestName = DIGESTS[si.digestAlgorithm];
  const sigHash = SIGNATURES[si.signatureAlgorithm];
  if (!digestName) return [...problems, `${file}: unsupported digest algorithm ${si.digestAlgorithm}`];
  if (!sigHash) return [...problems, `${file}: unsupported signature algorithm ${si.signatureAlgorithm}`];
  if (!signedData.digestAlgorithms.includes(si.digestAlgorithm)) {
    problems.push(`${file}: signer's digest algorithm is not among the SignedData digest algorithms`);
  }
  const attrs = si.signedAttrs?.attributes ?? [];
  if (!si.signedAttrs || attrs.length === 0) return [...problems, `${file}: signature has no signed attributes`];
  const attr = (oid: string) => attrs.filter((a) => a.type === oid);
  const ct = attr(OID.contentType);
  if (ct.length !== 1 || ct[0].values.length !== 1 || !is(ct[0].values[0], CLASS.universal, TAG.oid, false) || oidOrNone(ct[0].values[0]) !== OID.data) {
    problems.push(`${file}: signed contentType attribute is missing or not id-data`);
  }
  const md = attr(OID.messageDigest);
  if (md.length !== 1 || md[0].values.length !== 1 || !is(md[0].values[0], CLASS.universal, TAG.octetString, false)) {
    problems.push(`${file}: signed messageDigest attribute is missing or malformed`);
  } else {
    const h = createHash(digestName);
    for (const p of content) h.update(p);
    if (!sameBytes(contentOf(md[0].values[0]), h.digest())) {
      problems.push(contentName === file ? `${file}: signed bytes do not match the digest in its signature (changed after signing)` : `${contentName}: content does not match the digest signed in ${file} (changed after signing)`);
    }
  }
  // The signature covers the signed attributes as a DER SET OF: the received bytes, retagged 0x31.
  const signedBytes = si.signedAttrs.der;
  let valid = false;
  try {
    valid = cryptoVerify(sigHash, signedBytes, { key: cert.publicKey, dsaEncoding: 'der' }, Buffer.from(si.signature));
  } catch {
    valid = false;
  }
  if (!valid) problems.push(`${file}: signature does not verify under the evidence key ${short(cert.sha256)}`);
  return problems;
}
