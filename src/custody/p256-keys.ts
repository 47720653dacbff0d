// P-256 key pairs made without Node's key-generation job. On Node 20, exporting a key as JWK right after
// generateKeyPairSync() can deadlock the process: a garbage collection during the export finalises the
// finished generation job, whose destructor takes the mutex the export already holds (seen here as a
// test worker hung for good; reproduced in a loop of generateKeyPairSync + export({ format: 'jwk' })).
// Keys made here come from ECDH and are imported as fresh KeyObjects that share no lock with any job.
import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export interface P256KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The uncompressed public point (0x04 || X || Y), 65 bytes. */
  point: Buffer;
}

export function generateP256KeyPair(): P256KeyPair {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const point = ecdh.getPublicKey();
  const raw = ecdh.getPrivateKey();
  const d = Buffer.alloc(32);
  raw.copy(d, 32 - raw.length);
  raw.fill(0);
  const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
  try {
    const privateKey = createPrivateKey({ key: { ...jwk, d: d.toString('base64url') }, format: 'jwk' });
    return { privateKey, publicKey: createPublicKey({ key: jwk, format: 'jwk' }), point };
  } finally {
    d.fill(0);
  }
}

/** The private scalar of a P-256 key, 32 bytes (for importing it into a token). */
export function p256PrivateScalar(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
}
