// CKA_EC_POINT in and out: the DER OCTET STRING a token stores around an uncompressed point, for P-256 (short
// length form) and P-384; built from a node:crypto public key and read back to the same point.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { curveOfSpki, ecPointAttribute, unwrapEcPoint } from '../../../../src/adapters/pkcs11/pkcs11-key-objects.js';

describe('CKA_EC_POINT', () => {
  it.each([
    { curve: 'P-256', size: 65 },
    { curve: 'P-384', size: 97 },
  ])('wraps and unwraps a $curve point', ({ curve, size }) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    // A fresh import: exporting a just-generated key as JWK can deadlock Node 20 (src/custody/p256-keys.ts).
    const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const attr = ecPointAttribute(spki);
    expect(attr.subarray(0, 2)).toEqual(Buffer.from([0x04, size]));
    const point = unwrapEcPoint(attr);
    expect(point.length).toBe(size);
    expect(point.subarray(1, 1 + (size - 1) / 2).toString('base64url')).toBe(jwk.x);
    expect(curveOfSpki(spki)).toBe(curve);
  });

  it('unwraps the long length form (0x81) and leaves a bare point as it is', () => {
    const point = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(132, 7)]);
    expect(unwrapEcPoint(Buffer.concat([Buffer.from([0x04, 0x81, point.length]), point]))).toEqual(point);
    const bare = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(64, 9)]);
    expect(unwrapEcPoint(bare)).toEqual(bare);
  });

  it('says an RSA key has no curve', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(curveOfSpki(publicKey.export({ type: 'spki', format: 'der' }))).toBeUndefined();
  });
});
