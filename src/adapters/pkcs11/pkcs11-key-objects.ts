// Reading key objects back from a token: public keys as DER SPKI, the algorithm a key pair is, and the record a
// ceremony keeps of a private key (its attributes as the token reports them, not as a template asked). Contract:
// a key Officiant would not have generated (another RSA size, another curve) is hsm.general, named by label.
import graphene from 'graphene-pk11';
import { createPublicKey } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import type { KeyAttributes, KeyRecord } from '../../engine/ports.js';
import type { KeyAlgorithm } from '../../script/schema.js';

export const CURVES: Record<string, { name: string; jwk: 'P-256' | 'P-384' }> = {
  'EC-P256': { name: 'secp256r1', jwk: 'P-256' },
  'EC-P384': { name: 'secp384r1', jwk: 'P-384' },
};

/** CKA_EC_POINT arrives as a DER OCTET STRING around the uncompressed point. */
export function unwrapEcPoint(attr: Buffer): Buffer {
  if (attr[0] === 0x04 && attr[1] === attr.length - 2) return attr.subarray(2);
  if (attr[0] === 0x04 && attr[1] === 0x81 && attr[2] === attr.length - 3) return attr.subarray(3);
  return attr;
}

/** CKA_EC_POINT for an uncompressed point: a DER OCTET STRING around it (points here are < 128 bytes). */
export function ecPointAttribute(spki: Buffer): Buffer {
  const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
  return Buffer.concat([Buffer.from([0x04, point.length]), point]);
}

export function curveOfSpki(spki: Buffer): string | undefined {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return key.asymmetricKeyType === 'ec' ? (key.export({ format: 'jwk' }).crv as string) : undefined;
}

function spkiOf(pub: graphene.PublicKey, algorithm: KeyAlgorithm): Buffer {
  const b64u = (b: Buffer) => b.toString('base64url');
  if (algorithm.startsWith('RSA')) {
    const a = pub.getAttribute({ modulus: null, publicExponent: null });
    return createPublicKey({ key: { kty: 'RSA', n: b64u(a.modulus as Buffer), e: b64u(a.publicExponent as Buffer) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  const pt = unwrapEcPoint(pub.getAttribute({ pointEC: null }).pointEC as Buffer);
  const n = (pt.length - 1) / 2;
  return createPublicKey({
    key: { kty: 'EC', crv: CURVES[algorithm].jwk, x: b64u(pt.subarray(1, 1 + n)), y: b64u(pt.subarray(1 + n)) },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
}

function algorithmOf(priv: graphene.PrivateKey, pub: graphene.PublicKey): KeyAlgorithm {
  if (priv.type === graphene.KeyType.RSA) {
    const bits = (pub.getAttribute({ modulus: null }).modulus as Buffer).length * 8;
    if (bits === 4096) return 'RSA-4096';
    if (bits === 3072) return 'RSA-3072';
    throw new OfficiantError('hsm.general', `key "${priv.label}" is RSA-${bits}, not a size Officiant generates`);
  }
  const a = pub.getAttribute({ paramsEC: null });
  // graphene names CKA_EC_PARAMS paramsECDSA on the way back
  const params = (a.paramsEC ?? a.paramsECDSA) as Buffer;
  if (params?.equals(graphene.NamedCurve.getByName('secp384r1').value)) return 'EC-P384';
  if (params?.equals(graphene.NamedCurve.getByName('secp256r1').value)) return 'EC-P256';
  throw new OfficiantError('hsm.general', `key "${priv.label}" is on a curve Officiant does not generate`);
}

/** The record of a private key and its public key object (same label and CKA_ID). */
export function keyRecordOf(session: graphene.Session, priv: graphene.PrivateKey): KeyRecord {
  const label = priv.label;
  const id = priv.id;
  const pubs = session.find({ class: graphene.ObjectClass.PUBLIC_KEY, label, id });
  if (pubs.length === 0) throw new OfficiantError('hsm.key-not-found', `private key "${label}" has no public key object on the token`);
  const pub = pubs.items(0).toType<graphene.PublicKey>();
  const algorithm = algorithmOf(priv, pub);
  const a = priv.getAttribute({ local: null, neverExtractable: null, alwaysSensitive: null, extractable: null, sensitive: null, wrapWithTrusted: null });
  const attributes: KeyAttributes = {
    local: !!a.local,
    neverExtractable: !!a.neverExtractable,
    alwaysSensitive: !!a.alwaysSensitive,
    extractable: !!a.extractable,
    sensitive: !!a.sensitive,
    wrapWithTrusted: !!a.wrapWithTrusted,
  };
  return { label, id: id.toString('hex'), algorithm, spki: spkiOf(pub, algorithm), attributes };
}

/** The one private key with this label and CKA_ID; hsm.key-not-found for none or several. */
export function privateKeyObject(session: graphene.Session, ref: { label: string; id: string }): graphene.PrivateKey {
  const found = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: ref.label, id: Buffer.from(ref.id, 'hex') });
  if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one private key "${ref.label}" with CKA_ID ${ref.id}, found ${found.length}`);
  return found.items(0).toType<graphene.PrivateKey>();
}
