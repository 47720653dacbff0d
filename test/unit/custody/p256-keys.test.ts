// P-256 key pairs made through ECDH: a working signing pair whose point is the public key's, a fresh key
// each time, and a full 32-byte private scalar even when the scalar has leading zero bytes.
import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateP256KeyPair, p256PrivateScalar } from '../../../src/custody/p256-keys.js';

describe('generateP256KeyPair', () => {
  it('makes a P-256 pair that signs and verifies, with the uncompressed point of its public key', () => {
    const { privateKey, publicKey, point } = generateP256KeyPair();
    const jwk = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })).export({ format: 'jwk' });
    expect(jwk.crv).toBe('P-256');
    expect(point.length).toBe(65);
    expect(point.subarray(1, 33).toString('base64url')).toBe(jwk.x);
    expect(point.subarray(33).toString('base64url')).toBe(jwk.y);
    const signature = sign('sha256', Buffer.from('statement'), privateKey);
    expect(verify('sha256', Buffer.from('statement'), publicKey, signature)).toBe(true);
    expect(p256PrivateScalar(privateKey).length).toBe(32);
  });

  it('makes a different key each time, each with a 32-byte private scalar', () => {
    const points = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { privateKey, point } = generateP256KeyPair();
      points.add(point.toString('hex'));
      expect(p256PrivateScalar(privateKey).length).toBe(32);
    }
    expect(points.size).toBe(200);
  });
});
