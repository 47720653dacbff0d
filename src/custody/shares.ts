// Backup shares of a wrap key: Shamir m-of-n splitting, a key check value that catches a wrong
// reconstruction, commitments that let Officiant check an opened share without keeping it, and sealing of a
// share to a custodian's PIV key-management key (slot 9d, EC P-256).
//
// Contract: pure (node:crypto and shamir-secret-sharing only, no I/O). Shares and keys travel as Secrets;
// every intermediate buffer this module makes from them is zeroed before it returns. Failures are
// OfficiantErrors ('ceremony.step-failed') whose messages name custodians, indices and counts, never bytes of a
// share or a key. Sealed shares are plain JSON-able data, safe to write to the ceremony's output.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { OfficiantError } from '../errors.js';
import type { Secret } from './secret.js';
import { secretFromBytes } from './secret.js';

export const SEALED_SHARE_FORMAT = 'officiant-sealed-share/1';

const KCV_LABEL = 'officiant wrap key check value v1';
const COMMITMENT_LABEL = 'officiant share commitment v1';
const HKDF_SALT_BYTES = 32;
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const MIN_COMMITMENT_SALT_BYTES = 16;

function failed(message: string): OfficiantError {
  return new OfficiantError('ceremony.step-failed', message);
}

// ---------------------------------------------------------------------------------------------------------
// Key check value.

/**
 * Hex of the first 16 bytes of HMAC-SHA256(wrapKey, "officiant wrap key check value v1").
 *
 * Why an HMAC and not the classic "encrypt a zero block" KCV: the HSM wrap key is imported wrap-only
 * (CKA_ENCRYPT=false), so the HSM cannot compute an AES KCV for it; the value is computed here, in memory,
 * before the key is imported, and again after a combine, before the HSM is touched. A keyed MAC over a fixed
 * label reveals nothing usable about the key, and a combine with too few or wrong shares (which Shamir
 * cannot detect) gives a different value.
 */
export function keyCheckValue(wrapKey: Secret): string {
  if (wrapKey.length === 0) throw failed('key check value: the key is empty');
  const mac = wrapKey.use((key) => createHmac('sha256', key).update(KCV_LABEL, 'utf8').digest());
  const out = mac.subarray(0, 16).toString('hex');
  mac.fill(0);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Shamir splitting.

function assertQuorum(n: number, m: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(m) || m < 2 || m > n || n > 255) {
    throw failed(`shares: need whole numbers 2 <= m <= n <= 255, got m=${m} n=${n}`);
  }
}

/** Splits `secret` into `n` shares, any `m` of which rebuild it. Each share is a Secret one byte longer than the secret. */
export async function splitSecret(secret: Secret, n: number, m: number): Promise<Secret[]> {
  assertQuorum(n, m);
  if (secret.length === 0) throw failed('shares: the secret is empty');
  // shamir-secret-sharing wants a plain Uint8Array (it refuses a Buffer): copy, split, wipe the copy.
  const copy = secret.use((b) => new Uint8Array(b));
  let parts: Uint8Array[];
  try {
    parts = await split(copy, n, m);
  } finally {
    copy.fill(0);
  }
  return parts.map((p) => {
    const share = secretFromBytes(Buffer.from(p));
    p.fill(0);
    return share;
  });
}

/**
 * Rebuilds the secret from shares. With fewer shares than the split's threshold the result is silently a
 * different value: check it against the key check value before use.
 */
export async function combineShares(shares: Secret[]): Promise<Secret> {
  if (shares.length < 2 || shares.length > 255) throw failed(`shares: need 2 to 255 shares to combine, got ${shares.length}`);
  const length = shares[0].length;
  if (length < 2 || shares.some((s) => s.length !== length)) throw failed(`shares: all ${shares.length} shares must have the same length of at least 2 bytes`);
  const copies = shares.map((s) => s.use((b) => new Uint8Array(b)));
  const xs = new Set(copies.map((c) => c[length - 1]));
  let out: Uint8Array | undefined;
  try {
    if (xs.size !== copies.length) throw failed(`shares: ${copies.length - xs.size} duplicate share(s) among ${copies.length}`);
    out = await combine(copies);
    return secretFromBytes(Buffer.from(out));
  } catch (err) {
    if (err instanceof OfficiantError) throw err;
    throw failed(`shares: cannot combine ${shares.length} shares`);
  } finally {
    for (const c of copies) c.fill(0);
    out?.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Commitments.

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Hex SHA-256 over "officiant share commitment v1" || 0x00 || len(salt) || salt || len(share) || share
 * (lengths as 32-bit big-endian). The salt (at least 16 random bytes, kept with the commitment) stops a
 * dictionary over short secrets and makes commitments of one share in two ceremonies unlinkable.
 */
export function shareCommitment(share: Secret, salt: Buffer): string {
  if (salt.length < MIN_COMMITMENT_SALT_BYTES) throw failed(`share commitment: salt must be at least ${MIN_COMMITMENT_SALT_BYTES} bytes, got ${salt.length}`);
  const h = createHash('sha256');
  h.update(COMMITMENT_LABEL, 'utf8');
  h.update(Buffer.from([0]));
  h.update(u32(salt.length));
  h.update(salt);
  h.update(u32(share.length));
  share.use((b) => h.update(b));
  return h.digest('hex');
}

/** Whether `share` is the one `commitment` was made for (constant-time comparison). */
export function checkShare(share: Secret, salt: Buffer, commitment: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(commitment)) return false;
  const actual = Buffer.from(shareCommitment(share, salt), 'hex');
  return timingSafeEqual(actual, Buffer.from(commitment, 'hex'));
}

// ---------------------------------------------------------------------------------------------------------
// Sealing to a custodian's PIV key (ECIES-style: ephemeral-static ECDH P-256, HKDF-SHA256, AES-256-GCM).

export interface ShareContext {
  custodian: string;
  /** The share's number, 1..255. */
  index: number;
  ceremonyId: string;
}

export interface SealedShare {
  format: typeof SEALED_SHARE_FORMAT;
  custodian: string;
  index: number;
  ceremony_id: string;
  /** Hex SHA-256 of the recipient's SPKI (DER): which device opens it. */
  recipient_spki_sha256: string;
  /** The rest are base64: the ephemeral public key (SPKI DER), HKDF salt, GCM IV, ciphertext and tag. */
  ephemeral_spki: string;
  hkdf_salt: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

function assertContext(ctx: ShareContext): void {
  const problems: string[] = [];
  if (typeof ctx.custodian !== 'string' || ctx.custodian.length === 0) problems.push('custodian is empty');
  if (!Number.isInteger(ctx.index) || ctx.index < 1 || ctx.index > 255) problems.push(`index ${String(ctx.index)} is not 1..255`);
  if (typeof ctx.ceremonyId !== 'string' || ctx.ceremonyId.length === 0) problems.push('ceremony id is empty');
  if (problems.length > 0) throw failed(`share context: ${problems.join(', ')}`);
}

/**
 * The bytes both HKDF's info and GCM's additional data are made of: a JSON array in a fixed order, so the key
 * and the tag bind the format, ceremony, custodian, index and recipient device.
 */
function canonicalContext(ctx: ShareContext, recipientSha256: string): Buffer {
  return Buffer.from(JSON.stringify([SEALED_SHARE_FORMAT, ctx.ceremonyId, ctx.custodian, ctx.index, recipientSha256]), 'utf8');
}

function p256PublicKey(spki: Buffer): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
  } catch {
    return undefined;
  }
}

function aesKey(shared: Buffer, salt: Buffer, info: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
  shared.fill(0);
  return key;
}

/** Seals `share` so that only the holder of the private key of `recipientSpki` (EC P-256) can open it. */
export function sealShare(share: Secret, recipientSpki: Buffer, context: ShareContext): SealedShare {
  assertContext(context);
  const recipient = p256PublicKey(recipientSpki);
  if (!recipient) throw failed(`sealing share ${context.index} for ${context.custodian}: the recipient key is not an EC P-256 public key`);
  const recipientSha256 = createHash('sha256').update(recipient.export({ type: 'spki', format: 'der' })).digest('hex');
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const salt = randomBytes(HKDF_SALT_BYTES);
  const iv = randomBytes(GCM_IV_BYTES);
  const info = canonicalContext(context, recipientSha256);
  const key = aesKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), salt, info);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(info);
    const ciphertext = Buffer.concat([share.use((b) => cipher.update(b)), cipher.final()]);
    return {
      format: SEALED_SHARE_FORMAT,
      custodian: context.custodian,
      index: context.index,
      ceremony_id: context.ceremonyId,
      recipient_spki_sha256: recipientSha256,
      ephemeral_spki: ephemeral.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      hkdf_salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  } finally {
    key.fill(0);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Field(sealed: SealedShare, field: 'ephemeral_spki' | 'hkdf_salt' | 'iv' | 'ciphertext' | 'tag', bytes?: number): Buffer {
  const value = (sealed as unknown as Record<string, unknown>)[field];
  const decoded = typeof value === 'string' && BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
  if (!decoded || decoded.length === 0 || (bytes !== undefined && decoded.length !== bytes)) {
    throw failed(`sealed share is malformed: ${field} is not ${bytes === undefined ? 'base64' : `${bytes} bytes of base64`}`);
  }
  return decoded;
}

/**
 * Opens a sealed share. `deriveShared` does the ECDH with the recipient's private key (for a PIV token,
 * PivToken.deriveSharedSecret('9d', pin, ephemeralSpki)) and returns the raw shared secret, which this
 * function wipes. Refuses a share sealed for another custodian, index or ceremony before asking the device;
 * `expected.recipientSpki`, when given, also refuses a share sealed to another device before any PIN is spent.
 */
export function openShare(sealed: SealedShare, deriveShared: (ephemeralSpki: Buffer) => Buffer, expected: ShareContext & { recipientSpki?: Buffer }): Secret {
  assertContext(expected);
  if (sealed === null || typeof sealed !== 'object' || sealed.format !== SEALED_SHARE_FORMAT) {
    throw failed(`sealed share is not ${SEALED_SHARE_FORMAT}`);
  }
  const mismatches: string[] = [];
  if (sealed.ceremony_id !== expected.ceremonyId) mismatches.push(`ceremony "${String(sealed.ceremony_id)}", expected "${expected.ceremonyId}"`);
  if (sealed.custodian !== expected.custodian) mismatches.push(`custodian "${String(sealed.custodian)}", expected "${expected.custodian}"`);
  if (sealed.index !== expected.index) mismatches.push(`index ${String(sealed.index)}, expected ${expected.index}`);
  if (mismatches.length > 0) throw failed(`sealed share is for ${mismatches.join('; ')}`);
  if (typeof sealed.recipient_spki_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sealed.recipient_spki_sha256)) {
    throw failed('sealed share is malformed: recipient_spki_sha256 is not a SHA-256 in hex');
  }
  if (expected.recipientSpki) {
    const mine = createHash('sha256').update(expected.recipientSpki).digest('hex');
    if (mine !== sealed.recipient_spki_sha256) throw failed(`sealed share ${expected.index} for ${expected.custodian} was sealed to another device`);
  }
  const ephemeralDer = base64Field(sealed, 'ephemeral_spki');
  const salt = base64Field(sealed, 'hkdf_salt', HKDF_SALT_BYTES);
  const iv = base64Field(sealed, 'iv', GCM_IV_BYTES);
  const ciphertext = base64Field(sealed, 'ciphertext');
  const tag = base64Field(sealed, 'tag', GCM_TAG_BYTES);
  const ephemeral = p256PublicKey(ephemeralDer);
  if (!ephemeral) throw failed('sealed share is malformed: ephemeral_spki is not an EC P-256 public key');

  const info = canonicalContext(expected, sealed.recipient_spki_sha256);
  const key = aesKey(deriveShared(ephemeral.export({ type: 'spki', format: 'der' })), salt, info);
  let plain: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(info);
    decipher.setAuthTag(tag);
    plain = decipher.update(ciphertext);
    decipher.final();
    const share = secretFromBytes(plain);
    plain = undefined;
    return share;
  } catch {
    // GCM cannot tell a wrong key from altered bytes; either way nothing of the plaintext is kept or shown.
    throw failed(`sealed share ${expected.index} for ${expected.custodian} does not open: wrong device key or altered contents`);
  } finally {
    key.fill(0);
    plain?.fill(0);
  }
}
