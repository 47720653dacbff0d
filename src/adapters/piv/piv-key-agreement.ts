// ECDH with a PIV slot 9d key: CKM_ECDH1_DERIVE without a KDF (CKD_NULL), giving the raw 32-byte x-coordinate
// that keys the HKDF opening a sealed share. Contract: the peer key must be an EC P-256 SPKI (refused before the
// PIN is asked); the derived secret leaves the device once, in a Buffer the caller owns and wipes, and the
// session object that held it is destroyed at once.
import graphene from 'graphene-pk11';
import { createPublicKey } from 'node:crypto';
import { OfficiantError } from '../../errors.js';

/** The uncompressed point (04 || x || y) of a P-256 SPKI, as CKM_ECDH1_DERIVE takes the peer's key. */
export function uncompressedP256Point(spki: Buffer): Buffer {
  let jwk: { crv?: string; x?: string; y?: string };
  try {
    jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (err) {
    throw new OfficiantError('hsm.general', 'the peer key for key agreement is not a DER public key', { cause: err });
  }
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new OfficiantError('hsm.general', 'the peer key for key agreement is not an EC P-256 public key');
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

/** The shared secret of `key` (on the device, logged in) and the peer `point`. */
export function deriveEcdhSecret(session: graphene.Session, key: graphene.PrivateKey, point: Buffer, serial: string): Buffer {
  // The result has to leave the device, so it is a session object, extractable and not sensitive, destroyed as
  // soon as its value is read.
  const derived = session.deriveKey(
    { name: 'ECDH1_DERIVE', params: new graphene.EcdhParams(graphene.EcKdf.NULL, null, point) },
    key,
    {
      class: graphene.ObjectClass.SECRET_KEY,
      keyType: graphene.KeyType.GENERIC_SECRET,
      token: false,
      sensitive: false,
      extractable: true,
      valueLen: 32,
    },
  );
  try {
    const value = derived.getAttribute({ value: null }).value as Buffer;
    const out = Buffer.from(value);
    value.fill(0);
    if (out.length !== 32) {
      out.fill(0);
      throw new OfficiantError('hsm.mechanism', `device ${serial} returned a ${out.length}-byte shared secret, expected 32`);
    }
    return out;
  } finally {
    try {
      session.destroy(derived);
    } catch {
      // a session object dies with the session, which the caller's withSession closes next
    }
  }
}
