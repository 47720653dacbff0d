// Reading the objects of a PIV device's PKCS#11 session: the CKR codes a PIV device answers with, object lookup
// by class, CKA_ID and label, public keys as DER SPKI, and a certificate's subject as CKA_SUBJECT wants it.
// Contract: pure reads; a key on a curve Officiant does not use is hsm.general.
import graphene from 'graphene-pk11';
import { createPublicKey, type X509Certificate } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { unwrapEcPoint } from '../pkcs11/pkcs11-key-objects.js';
import { ckaId } from './ykcs11-layout.js';

export const CKR_PIN_INCORRECT = 0xa0;
export const CKR_PIN_LOCKED = 0xa4;
/** CKR_* a pulled-out token causes: slot id invalid, device removed, session closed/invalid, token gone. */
export const CKR_REMOVED = new Set([0x03, 0x32, 0xb0, 0xb3, 0xe0, 0xe1]);

const CURVES = [
  { name: 'secp256r1', jwk: 'P-256' },
  { name: 'secp384r1', jwk: 'P-384' },
] as const;

export function spkiOfPublicKey(obj: graphene.SessionObject): Buffer {
  const pub = obj.toType<graphene.PublicKey>();
  const b64u = (b: Buffer) => b.toString('base64url');
  if (pub.type === graphene.KeyType.RSA) {
    const a = pub.getAttribute({ modulus: null, publicExponent: null });
    return createPublicKey({ key: { kty: 'RSA', n: b64u(a.modulus as Buffer), e: b64u(a.publicExponent as Buffer) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  const a = pub.getAttribute({ paramsEC: null, pointEC: null });
  // graphene names CKA_EC_PARAMS paramsECDSA on the way back
  const params = (a.paramsEC ?? (a as { paramsECDSA?: Buffer }).paramsECDSA) as Buffer | undefined;
  const curve = CURVES.find((c) => params?.equals(graphene.NamedCurve.getByName(c.name).value));
  if (!curve) throw new OfficiantError('hsm.general', 'the slot holds a key on a curve Officiant does not use');
  const pt = unwrapEcPoint(a.pointEC as Buffer);
  const n = (pt.length - 1) / 2;
  return createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x: b64u(pt.subarray(1, 1 + n)), y: b64u(pt.subarray(1 + n)) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

export function objects(session: graphene.Session, template: graphene.ITemplate): graphene.SessionObject[] {
  const found = session.find(template);
  const out: graphene.SessionObject[] = [];
  for (let i = 0; i < found.length; i++) out.push(found.items(i));
  return out;
}

function labelOf(obj: graphene.SessionObject): string {
  return String(obj.getAttribute({ label: null }).label ?? '').trim();
}

/** The certificate object with this CKA_ID and label (ykcs11 gives a slot's certificate and attestation one id). */
export function certificateObject(session: graphene.Session, id: number, label: string): graphene.SessionObject | undefined {
  return objects(session, { class: graphene.ObjectClass.CERTIFICATE, id: ckaId(id) }).find((o) => labelOf(o) === label);
}

export function valueOf(obj: graphene.SessionObject): Buffer {
  return Buffer.from(obj.getAttribute({ value: null }).value as Buffer);
}

interface Tlv {
  tag: number;
  start: number;
  content: number;
  end: number;
}

function tlv(buf: Buffer, at: number): Tlv {
  let len = buf[at + 1];
  let content = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i];
    content += n;
  }
  return { tag: buf[at], start: at, content, end: content + len };
}

/** The subject Name's DER (CKA_SUBJECT): TBSCertificate's sixth field, counting the optional [0] version. */
export function subjectDer(c: X509Certificate): Buffer {
  const der = c.raw;
  const tbs = tlv(der, tlv(der, 0).content);
  const fields: Tlv[] = [];
  for (let at = tbs.content; at < tbs.end; at = fields[fields.length - 1].end) fields.push(tlv(der, at));
  const subject = fields[fields[0].tag === 0xa0 ? 5 : 4];
  return Buffer.from(der.subarray(subject.start, subject.end));
}
