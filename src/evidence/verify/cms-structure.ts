// The parts of a CMS SignedData (RFC 5652) that verify needs, read with the strict DER reader (custody/der.ts):
// every constructed value is walked, so a malformed length anywhere is refused; only the fields below are
// interpreted, and the message says which one is malformed.
//   ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
//   SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET, encapContentInfo SEQUENCE { OID,
//     [0] EXPLICIT OCTET STRING OPTIONAL }, certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL,
//     signerInfos SET }
//   SignerInfo ::= SEQUENCE { version INTEGER, sid (IssuerAndSerialNumber SEQUENCE { Name, INTEGER } |
//     [0] SubjectKeyIdentifier), digestAlgorithm SEQUENCE, signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL,
//     signatureAlgorithm SEQUENCE, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
//   Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }
import { CLASS, TAG, DerError, children, content, encoding, is as isTag, oidOf, type Tlv } from '../../custody/der.js';

type Block = Tlv;

export interface CmsAttribute {
  type: string;
  values: Block[];
}

export interface CmsSignerInfo {
  /** The issuer Name and serial INTEGER, each as its DER; undefined when the signer is named by key id. */
  issuerAndSerial?: { issuer: Uint8Array; serial: Uint8Array };
  digestAlgorithm: string;
  /** The signed attributes, and their DER as the signature covers it (re-tagged as a SET OF). */
  signedAttrs?: { attributes: CmsAttribute[]; der: Buffer };
  signatureAlgorithm: string;
  signature: Uint8Array;
}

export interface CmsSignedData {
  contentType: string;
  digestAlgorithms: string[];
  eContentType: string;
  detached: boolean;
  /** Each certificate the SignedData carries, as its DER. */
  certificates: Uint8Array[];
  signerInfos: CmsSignerInfo[];
}

class Malformed extends Error {}

const UNIVERSAL = CLASS.universal;
const CONTEXT = CLASS.context;

function kids(b: Block | undefined, what: string): Block[] {
  if (!b?.constructed) throw new Malformed(`${what} is not constructed`);
  return children(b);
}

function is(b: Block | undefined, tagClass: number, tagNumber: number): boolean {
  return isTag(b, tagClass, tagNumber);
}

function expect(b: Block | undefined, tagNumber: number, what: string): Block {
  if (!is(b, UNIVERSAL, tagNumber)) throw new Malformed(`${what} is missing or of the wrong type`);
  return b!;
}

function oid(b: Block | undefined, what: string): string {
  if (!isTag(b, UNIVERSAL, TAG.oid, false)) throw new Malformed(`${what} is not an object identifier`);
  return oidOf(b);
}

function algorithm(b: Block | undefined, what: string): string {
  return oid(kids(expect(b, 16, what), what)[0], `${what} algorithm`);
}

function bytes(b: Block): Uint8Array {
  return encoding(b);
}

function attributes(set: Block): CmsAttribute[] {
  return kids(set, 'signed attributes').map((a) => {
    const [type, values, ...rest] = kids(expect(a, 16, 'an attribute'), 'an attribute');
    if (rest.length > 0) throw new Malformed('an attribute has extra fields');
    return { type: oid(type, 'an attribute type'), values: kids(expect(values, 17, 'attribute values'), 'attribute values') };
  });
}

/** A version INTEGER that must be exactly `v` (not covered by the signature, so nothing else may pass). */
function version(b: Block | undefined, v: number, what: string): void {
  const c = content(expect(b, 2, what));
  if (c.length !== 1 || c[0] !== v) throw new Malformed(`${what} is not ${v}`);
}

function signerInfo(b: Block): CmsSignerInfo {
  const parts = kids(expect(b, 16, 'a SignerInfo'), 'a SignerInfo');
  let i = 0;
  // Version 1 with an issuer-and-serial signer id, 3 with a key id (RFC 5652 5.3).
  const versionAt = parts[i++];
  const sid = parts[i++];
  let issuerAndSerial: CmsSignerInfo['issuerAndSerial'];
  if (is(sid, UNIVERSAL, 16)) {
    const [issuer, serial, ...rest] = kids(sid, 'the signer id');
    if (rest.length > 0) throw new Malformed('the signer id has extra fields');
    issuerAndSerial = { issuer: bytes(expect(issuer, 16, 'the signer issuer')), serial: bytes(expect(serial, 2, 'the signer serial')) };
  } else if (!is(sid, CONTEXT, 0)) throw new Malformed('the signer id is neither issuer and serial nor a key id');
  version(versionAt, issuerAndSerial ? 1 : 3, 'the SignerInfo version');
  const digestAlgorithm = algorithm(parts[i++], 'the digest algorithm');
  let signedAttrs: CmsSignerInfo['signedAttrs'];
  if (is(parts[i], CONTEXT, 0)) {
    const block = parts[i++];
    const der = Buffer.from(bytes(block));
    der[0] = 0x31; // [0] IMPLICIT is signed as the SET OF it replaces
    signedAttrs = { attributes: attributes(block), der };
  }
  const signatureAlgorithm = algorithm(parts[i++], 'the signature algorithm');
  const signature = parts[i++];
  if (!isTag(signature, UNIVERSAL, TAG.octetString, false)) throw new Malformed('the signature is not an octet string');
  if (is(parts[i], CONTEXT, 1)) i++;
  if (i !== parts.length) throw new Malformed('the SignerInfo has extra fields');
  return { issuerAndSerial, digestAlgorithm, signedAttrs, signatureAlgorithm, signature: content(signature) };
}

/** The SignedData of a ContentInfo, or what is malformed in it. */
export function readSignedData(root: Block): CmsSignedData | string {
  try {
    const [type, wrapped, ...extra] = kids(expect(root, 16, 'the ContentInfo'), 'the ContentInfo');
    if (extra.length > 0) throw new Malformed('the ContentInfo has extra fields');
    const contentType = oid(type, 'the content type');
    if (!is(wrapped, CONTEXT, 0)) throw new Malformed('the content is missing');
    const [sd, ...more] = kids(wrapped, 'the content');
    if (more.length > 0) throw new Malformed('the content has extra fields');
    const parts = kids(expect(sd, 16, 'the SignedData'), 'the SignedData');
    let i = 0;
    // Version 1: X.509 certificates only, id-data content, version 1 signers (RFC 5652 5.1).
    version(parts[i++], 1, 'the SignedData version');
    const digestAlgorithms = kids(expect(parts[i++], 17, 'the digest algorithms'), 'the digest algorithms').map((a) => algorithm(a, 'a digest algorithm'));
    const [eType, eContent, ...eRest] = kids(expect(parts[i++], 16, 'the encapsulated content info'), 'the encapsulated content info');
    if (eRest.length > 0) throw new Malformed('the encapsulated content info has extra fields');
    if (eContent !== undefined && !is(eContent, CONTEXT, 0)) throw new Malformed('the encapsulated content is malformed');
    let certificates: Uint8Array[] = [];
    if (is(parts[i], CONTEXT, 0)) certificates = kids(parts[i++], 'the certificates').map(bytes);
    if (is(parts[i], CONTEXT, 1)) i++;
    const signerInfos = kids(expect(parts[i++], 17, 'the signer infos'), 'the signer infos').map(signerInfo);
    if (i !== parts.length) throw new Malformed('the SignedData has extra fields');
    return { contentType, digestAlgorithms, eContentType: oid(eType, 'the encapsulated content type'), detached: eContent === undefined, certificates, signerInfos };
  } catch (err) {
    if (err instanceof Malformed) return err.message;
    if (err instanceof DerError) return `malformed DER: ${err.message}`;
    throw err;
  }
}
