// One detached CMS SignedData checked against the evidence certificate the auditor holds, never against what the
// CMS says about itself. Used for manifest.json.p7s and for every PDF signature's /Contents.
import { createHash, verify as cryptoVerify } from 'node:crypto';
import * as asn1js from 'asn1js';
import { EVIDENCE_CERT_PATH as EVIDENCE_CERT } from '../packet-files.js';
import { short } from '../json-shape.js';
import { readSignedData } from './cms-structure.js';
import { toArrayBuffer, type EvidenceCert } from './evidence-certificate.js';

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
  let asn: ReturnType<typeof asn1js.fromBER>;
  try {
    // asn1js throws on some malformed values (a time that is not a time) instead of reporting an offset of -1.
    asn = asn1js.fromBER(toArrayBuffer(der));
  } catch {
    return bad('signature is not DER (cannot be parsed)');
  }
  if (asn.offset === -1) return bad('signature is not DER (cannot be parsed)');
  // asn1js reads BER leniently (an inner length that disagrees with its content can still parse): the bytes
  // must be exactly the DER of what was read, so no byte of the file goes unchecked.
  if (!Buffer.from(asn.result.toBER(false)).equals(der.subarray(0, asn.offset))) return bad('signature is not DER (its encoding does not re-encode to the same bytes)');
  if (asn.offset !== der.length) {
    const rest = der.subarray(asn.offset);
    if (!allowZeroPadding || rest.some((b) => b !== 0)) return bad(`signature has ${der.length - asn.offset} unexpected bytes after its DER`);
  }
  const signedData = readSignedData(asn.result);
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
  if (ct.length !== 1 || ct[0].values.length !== 1 || !(ct[0].values[0] instanceof asn1js.ObjectIdentifier) || ct[0].values[0].getValue() !== OID.data) {
    problems.push(`${file}: signed contentType attribute is missing or not id-data`);
  }
  const md = attr(OID.messageDigest);
  if (md.length !== 1 || md[0].values.length !== 1 || !(md[0].values[0] instanceof asn1js.OctetString)) {
    problems.push(`${file}: signed messageDigest attribute is missing or malformed`);
  } else {
    const h = createHash(digestName);
    for (const p of content) h.update(p);
    if (!sameBytes(md[0].values[0].valueBlock.valueHexView, h.digest())) {
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
