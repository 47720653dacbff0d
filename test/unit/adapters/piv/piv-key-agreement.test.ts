// The peer key of a PIV key agreement (slot 9d, CKM_ECDH1_DERIVE) is checked and turned into the uncompressed
// point the mechanism takes before any PIN is asked.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateP256KeyPair } from '../../../../src/custody/p256-keys.js';
import { uncompressedP256Point } from '../../../../src/adapters/piv/piv-key-agreement.js';
import { caught } from '../../../helpers/caught.js';

describe('the peer key of a key agreement', () => {
  it('is taken as its uncompressed P-256 point', () => {
    const { publicKey, point: expected } = generateP256KeyPair();
    const point = uncompressedP256Point(publicKey.export({ type: 'spki', format: 'der' }));
    expect(point.length).toBe(65);
    expect(point).toEqual(expected);
  });

  it.each([
    { label: 'a P-384 key', spki: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }), message: 'the peer key for key agreement is not an EC P-256 public key' },
    { label: 'an Ed25519 key', spki: () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }), message: 'the peer key for key agreement is not an EC P-256 public key' },
    { label: 'bytes that are no key', spki: () => Buffer.from('no key'), message: 'the peer key for key agreement is not a DER public key' },
  ])('refuses $label', ({ spki, message }) => {
    const err = caught(() => uncompressedP256Point(spki()));
    expect([err.code, err.message]).toEqual(['hsm.general', message]);
  });
});
