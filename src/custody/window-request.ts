// What a signing helper may ask an open signing window for, checked before the HSM sees anything. A helper
// that signs whatever block it is given is a signing oracle, so:
// - avb (avbtool --signing_helper): the block is exactly the modulus size of the named algorithm, `00 01`,
//   FF padding, `00`, then the DigestInfo of the named hash and a digest of that hash's length; the HSM signs
//   `DigestInfo || H` with CKM_RSA_PKCS (which pads it again the same way);
// - payload (ota_from_target_files --payload_signer): exactly 32 bytes, a SHA-256; the HSM signs it as
//   `openssl pkeyutl -sign -pkeyopt digest:sha256` would for the key's type.
// The request names its key by the SHA-256 of its SubjectPublicKeyInfo (read by the helper from KEY_PATH), never
// by a path. Pure; never throws: a problem is a sentence.
import { constants, createPublicKey, publicDecrypt } from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import { z } from 'zod';
import { WINDOW_KINDS, type WindowKind } from './signing-plan.js';

/** avbtool's algorithm names: the hash and the RSA modulus size. */
export const AVB_ALGORITHMS = {
  SHA256_RSA2048: { hash: 'sha256', bits: 2048 },
  SHA256_RSA4096: { hash: 'sha256', bits: 4096 },
  SHA256_RSA8192: { hash: 'sha256', bits: 8192 },
  SHA512_RSA2048: { hash: 'sha512', bits: 2048 },
  SHA512_RSA4096: { hash: 'sha512', bits: 4096 },
  SHA512_RSA8192: { hash: 'sha512', bits: 8192 },
} as const;
export type AvbAlgorithm = keyof typeof AVB_ALGORITHMS;

/** RFC 8017 9.2 note 1: the DER DigestInfo prefix of each hash, and the digest length after it. */
export const DIGEST_INFO = {
  sha256: { prefix: Buffer.from('3031300d060960864801650304020105000420', 'hex'), length: 32 },
  sha512: { prefix: Buffer.from('3051300d060960864801650304020305000440', 'hex'), length: 64 },
} as const;

const RequestSchema = z.discriminatedUnion('op', [
  z
    .object({
      op: z.literal('sign'),
      kind: z.enum(WINDOW_KINDS),
      algorithm: z.string().max(32).optional(),
      key_spki_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
      data: z.string().max(2048).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
      caller: z.array(z.string().max(4096)).max(256),
    })
    .strict(),
  z.object({ op: z.literal('close') }).strict(),
]);
export type WindowRequest = z.output<typeof RequestSchema>;
export type SignRequest = Extract<WindowRequest, { op: 'sign' }>;

/** At most this many bytes make a request (an RSA-8192 block in base64 and a long command line). */
export const REQUEST_MAX_BYTES = 1024 * 1024;

export function parseWindowRequest(bytes: Uint8Array): { request?: WindowRequest; problem?: string } {
  if (bytes.length > REQUEST_MAX_BYTES) return { problem: `the request is ${bytes.length} bytes, more than ${REQUEST_MAX_BYTES}` };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return { problem: 'the request is not JSON' };
  }
  const parsed = RequestSchema.safeParse(raw);
  if (!parsed.success) return { problem: `the request is malformed: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}` };
  return { request: parsed.data };
}

/**
 * The bytes the HSM signs with CKM_RSA_PKCS for an avb block (`DigestInfo || H`), and the digest, or why the block
 * is refused. `keyBits` is the modulus size of the key the request names.
 */
export function avbToBeSigned(algorithm: string | undefined, block: Buffer, keyBits: number): { tbs: Buffer; digest: Buffer; hash: 'sha256' | 'sha512' } | { problem: string } {
  if (!algorithm || !(algorithm in AVB_ALGORITHMS)) return { problem: `unknown avb algorithm ${JSON.stringify(algorithm ?? null)} (one of ${Object.keys(AVB_ALGORITHMS).join(', ')})` };
  const a = AVB_ALGORITHMS[algorithm as AvbAlgorithm];
  if (a.bits !== keyBits) return { problem: `${algorithm} needs an RSA-${a.bits} key; this key is RSA-${keyBits}` };
  const size = a.bits / 8;
  if (block.length !== size) return { problem: `${algorithm} takes exactly ${size} bytes, not ${block.length}` };
  if (block[0] !== 0x00 || block[1] !== 0x01) return { problem: `the block does not start with 00 01 (PKCS#1 v1.5 signature padding)` };
  let i = 2;
  while (i < size && block[i] === 0xff) i++;
  if (i < size && block[i] !== 0x00) return { problem: `padding byte ${i} is ${block[i].toString(16).padStart(2, '0')}, not ff` };
  if (i - 2 < 8 || i >= size) return { problem: `the block has ${i - 2} ff padding bytes and ${i >= size ? 'no 00 separator' : 'fewer than the 8 PKCS#1 needs'}` };
  const t = block.subarray(i + 1);
  const found = (Object.keys(DIGEST_INFO) as Array<keyof typeof DIGEST_INFO>).find((h) => t.subarray(0, DIGEST_INFO[h].prefix.length).equals(DIGEST_INFO[h].prefix));
  if (!found) return { problem: 'after the padding comes no DigestInfo of SHA-256 or SHA-512' };
  if (found !== a.hash) return { problem: `the DigestInfo is ${found.toUpperCase()}'s, not ${a.hash.toUpperCase()}'s as ${algorithm} names` };
  const info = DIGEST_INFO[a.hash];
  if (t.length !== info.prefix.length + info.length) return { problem: `the ${a.hash.toUpperCase()} digest is ${t.length - info.prefix.length} bytes, not ${info.length}` };
  return { tbs: Buffer.from(t), digest: Buffer.from(t.subarray(info.prefix.length)), hash: a.hash };
}

/** A payload signer's input: exactly one SHA-256. */
export function payloadDigestProblem(data: Buffer): string | undefined {
  return data.length === 32 ? undefined : `the payload signer signs a 32-byte SHA-256, not ${data.length} bytes`;
}

export function isWindowKind(k: string): k is WindowKind {
  return (WINDOW_KINDS as readonly string[]).includes(k);
}

/**
 * Whether `signature` is the window's signature of `digest` under the key (SPKI DER): RSA PKCS#1 v1.5 over the
 * DigestInfo of `hash` (SHA-256 for payloads, the avb algorithm's hash for avb), or DER ECDSA P-256 over the
 * digest as given. False for anything unreadable: never throws.
 */
export function windowSignatureHolds(spki: Buffer, digest: Buffer, signature: Buffer, hash: 'sha256' | 'sha512'): boolean {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType === 'rsa') {
      const info = DIGEST_INFO[hash];
      if (digest.length !== info.length) return false;
      return publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature).equals(Buffer.concat([info.prefix, digest]));
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1' || digest.length !== 32) return false;
    return p256.verify(signature, digest, spki.subarray(-65), { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

/** The hash a window signature's digest is of: the avb algorithm's, SHA-256 for payloads. */
export function windowHash(kind: string, algorithm: string | undefined): 'sha256' | 'sha512' {
  return kind === 'avb' && algorithm?.startsWith('SHA512') ? 'sha512' : 'sha256';
}
