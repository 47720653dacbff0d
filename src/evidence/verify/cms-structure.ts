// The parts of a CMS SignedData (RFC 5652) that verify needs, read straight from the asn1js tree of DER
// already checked to re-encode byte for byte. A schema-driven parser (pkijs) builds and matches its whole
// schema for every signature, which cost most of verify's time over a packet of twenty signed PDFs; this reads
// only the fields below and says which one is malformed.
//   ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
//   SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET, encapContentInfo SEQUENCE { OID,
//     [0] EXPLICIT OCTET STRING OPTIONAL }, certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL,
//     signerInfos SET }
//   SignerInfo ::= SEQUENCE { version INTEGER, sid (IssuerAndSerialNumber SEQUENCE { Name, INTEGER } |
//     [0] SubjectKeyIdentifier), digestAlgorithm SEQUENCE, signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL,
//     signatureAlgorithm SEQUENCE, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
//   Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }
import * as asn1js from 'asn1js';

type Block = asn1js.AsnType;

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

const UNIVERSAL = 1;
const CONTEXT = 3;

function kids(b: Block | undefined, what: string): Block[] {
  const value = (b?.valueBlock as { value?: unknown } | undefined)?.value;
  if (!Array.isArray(value)) throw new Malformed(`${what} is not constructed`);
  return value as Block[];
}

function is(b: Block | undefined, tagClass: number, tagNumber: number): boolean {
  return b !== undefined && b.idBlock.tagClass === tagClass && b.idBlock.tagNumber === tagNumber;
}

function expect(b: Block | undefined, tagNumber: number, what: string): Block {
  if (!is(b, UNIVERSAL, tagNumber)) throw new Malformed(`${what} is missing or of the wrong type`);
  return b!;
}

function oid(b: Block | undefined, what: string): string {
  if (!(b instanceof asn1js.ObjectIdentifier)) throw new Malformed(`${what} is not an object identifier`);
  return b.getValue();
}

function algorithm(b: Block | undefined, what: string): string {
  return oid(kids(expect(b, 16, what), what)[0], `${what} algorithm`);
}

function bytes(b: Block): Uint8Array {
  return new Uint8Array(b.valueBeforeDecodeView);
}

function attributes(set: Block): CmsAttribute[] {
  return kids(set, 'signed attributes').map((a) => {
    const [type, values, ...rest] = kids(expect(a, 16, 'an attribute'), 'an attribute');
    if (rest.length > 0) throw new Malformed('an attribute has extra fields');
    return { type: oid(type, 'an attribute type'), values: kids(expect(values, 17, 'attribute values'), 'attribute values') };
  });
}

function signerInfo(b: Block): CmsSignerInfo {
  const parts = kids(expect(b, 16, 'a SignerInfo'), 'a SignerInfo');
  let i = 0;
  expect(parts[i++], 2, 'the SignerInfo version');
  const sid = parts[i++];
  let issuerAndSerial: CmsSignerInfo['issuerAndSerial'];
  if (is(sid, UNIVERSAL, 16)) {
    const [issuer, serial, ...rest] = kids(sid, 'the signer id');
    if (rest.length > 0) throw new Malformed('the signer id has extra fields');
    issuerAndSerial = { issuer: bytes(expect(issuer, 16, 'the signer issuer')), serial: bytes(expect(serial, 2, 'the signer serial')) };
  } else if (!is(sid, CONTEXT, 0)) throw new Malformed('the signer id is neither issuer and serial nor a key id');
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
  if (!(signature instanceof asn1js.OctetString)) throw new Malformed('the signature is not an octet string');
  if (is(parts[i], CONTEXT, 1)) i++;
  if (i !== parts.length) throw new Malformed('the SignerInfo has extra fields');
  return { issuerAndSerial, digestAlgorithm, signedAttrs, signatureAlgorithm, signature: signature.valueBlock.valueHexView };
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
    expect(parts[i++], 2, 'the SignedData version');
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
    throw err;
  }
}
