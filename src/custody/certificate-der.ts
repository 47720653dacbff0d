// The few fields of an X.509 certificate that node:crypto's X509Certificate does not give, read straight from
// its DER with the strict reader (der.ts): the issuer Name and serial INTEGER as their DER (what a CMS signer
// id repeats byte for byte), and the value of an extension by OID (the Yubico attestation extensions). A
// schema-driven library (@peculiar/x509, pkijs) builds its ASN.1 schemas when loaded, which cost verify more
// than all its checks of a packet; nothing else of theirs is needed to read these.
//   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
//   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber INTEGER, signature, issuer Name,
//     validity, subject, subjectPublicKeyInfo, issuerUniqueID [1] OPTIONAL, subjectUniqueID [2] OPTIONAL,
//     extensions [3] EXPLICIT SEQUENCE OF Extension OPTIONAL }
//   Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
import { CLASS, TAG, DerError, children, content, encoding, is, oidOf, readDer } from './der.js';

export interface CertificateDer {
  issuerDer: Uint8Array;
  serialDer: Uint8Array;
  /** The extnValue contents of the extension with this OID, undefined when the certificate has none. */
  extension(oid: string): Uint8Array | undefined;
}

/** Reads a certificate's DER; throws a DerError saying which part is malformed. */
export function readCertificateDer(bytes: Uint8Array): CertificateDer {
  const cert = readDer(bytes);
  const [tbs] = is(cert, CLASS.universal, TAG.sequence, true) ? children(cert) : [];
  if (!is(tbs, CLASS.universal, TAG.sequence, true)) throw new DerError('not a certificate');
  const fields = children(tbs);
  const hasVersion = is(fields[0], CLASS.context, 0, true);
  const serial = fields[hasVersion ? 1 : 0];
  const issuer = fields[hasVersion ? 3 : 2];
  if (!is(serial, CLASS.universal, TAG.integer, false) || !is(issuer, CLASS.universal, TAG.sequence, true)) throw new DerError('the serial or issuer is malformed');
  const wrapper = fields.find((f) => is(f, CLASS.context, 3, true));
  const [list] = wrapper ? children(wrapper) : [];
  const extensions = list && is(list, CLASS.universal, TAG.sequence, true) ? children(list) : [];
  return {
    issuerDer: encoding(issuer),
    serialDer: encoding(serial),
    extension(oid) {
      for (const ext of extensions) {
        if (!is(ext, CLASS.universal, TAG.sequence, true)) continue;
        const parts = children(ext);
        const id = parts[0];
        const value = parts[parts.length - 1];
        if (is(id, CLASS.universal, TAG.oid, false) && oidOf(id) === oid && is(value, CLASS.universal, TAG.octetString, false)) return content(value);
      }
      return undefined;
    },
  };
}
