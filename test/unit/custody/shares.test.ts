// Shamir splitting, key check values, share commitments and sealing of shares to P-256 keys, with real crypto
// (node:crypto ECDH standing in for the custodian's PIV token).
import { createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Secret } from '../../../src/engine/ports.js';
import { secretFromBytes } from '../../../src/custody/secret.js';
import {
  checkShare,
  combineShares,
  keyCheckValue,
  openShare,
  sealShare,
  shareCommitment,
  splitSecret,
  type SealedShare,
  type ShareContext,
} from '../../../src/custody/shares.js';
import { OfficiantError } from '../../../src/errors.js';
import { caught } from '../../helpers/caught.js';

const bytes = (s: Secret) => s.use((b) => Buffer.from(b));
const key256 = () => secretFromBytes(randomBytes(32));

function p256() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** ECDH with `privateKey`, as a token's deriveSharedSecret does it. */
const ecdhWith = (privateKey: KeyObject) => (ephemeralSpki: Buffer) =>
  diffieHellman({ privateKey, publicKey: createPublicKey({ key: ephemeralSpki, format: 'der', type: 'spki' }) });

async function caughtAsync(fn: () => Promise<unknown>): Promise<OfficiantError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof OfficiantError) return err;
    throw err;
  }
  throw new Error('expected an OfficiantError');
}


/** All k-element subsets of [0, n). */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first <= n - k; first++) for (const rest of subsets(n - first - 1, k - 1)) out.push([first, ...rest.map((i) => i + first + 1)]);
  return out;
}

/** Flips one bit of a base64 field. */
function flipped(value: string, byte = 0): string {
  const b = Buffer.from(value, 'base64');
  b[byte] ^= 0x01;
  return b.toString('base64');
}

describe('keyCheckValue', () => {
  it('is 16 bytes of hex, the same for the same key and different for another', () => {
    const raw = randomBytes(32);
    const kcv = keyCheckValue(secretFromBytes(Buffer.from(raw)));
    expect(kcv).toMatch(/^[0-9a-f]{32}$/);
    expect(keyCheckValue(secretFromBytes(Buffer.from(raw)))).toBe(kcv);
    const other = Buffer.from(raw);
    other[31] ^= 0x80;
    expect(keyCheckValue(secretFromBytes(other))).not.toBe(kcv);
    expect(kcv).not.toContain(raw.subarray(0, 8).toString('hex'));
  });

  it('is the HMAC-SHA256 of the label, truncated (checked against openssl-compatible node HMAC)', async () => {
    const { createHmac } = await import('node:crypto');
    const raw = randomBytes(32);
    expect(keyCheckValue(secretFromBytes(Buffer.from(raw)))).toBe(
      createHmac('sha256', raw).update('officiant wrap key check value v1').digest('hex').slice(0, 32),
    );
  });
});

describe('splitSecret and combineShares', () => {
  it.each([
    [2, 2],
    [3, 2],
    [5, 3],
    [5, 5],
  ])('n=%i m=%i: every m of the n shares give back the secret; m-1 do not, and the KCV says so', async (n, m) => {
    const secret = key256();
    const kcv = keyCheckValue(secret);
    const shares = await splitSecret(secret, n, m);
    expect(shares).toHaveLength(n);
    for (const s of shares) expect(s.length).toBe(33);
    for (const pick of subsets(n, m)) {
      const rebuilt = await combineShares(pick.map((i) => shares[i]));
      expect(bytes(rebuilt).equals(bytes(secret))).toBe(true);
      expect(keyCheckValue(rebuilt)).toBe(kcv);
    }
    if (m - 1 >= 2) {
      for (const pick of subsets(n, m - 1)) {
        const wrong = await combineShares(pick.map((i) => shares[i]));
        expect(bytes(wrong).equals(bytes(secret))).toBe(false);
        expect(keyCheckValue(wrong)).not.toBe(kcv);
      }
    }
  });

  it('leaves the input secret intact and gives independent share buffers', async () => {
    const raw = randomBytes(32);
    const secret = secretFromBytes(Buffer.from(raw));
    const shares = await splitSecret(secret, 3, 2);
    expect(bytes(secret).equals(raw)).toBe(true);
    shares[0].wipe();
    expect(bytes(await combineShares([shares[1], shares[2]])).equals(raw)).toBe(true);
  });

  it.each([
    [1, 1, 'shares: need whole numbers 2 <= m <= n <= 255, got m=1 n=1'],
    [3, 1, 'shares: need whole numbers 2 <= m <= n <= 255, got m=1 n=3'],
    [2, 3, 'shares: need whole numbers 2 <= m <= n <= 255, got m=3 n=2'],
    [256, 2, 'shares: need whole numbers 2 <= m <= n <= 255, got m=2 n=256'],
    [3, 2.5, 'shares: need whole numbers 2 <= m <= n <= 255, got m=2.5 n=3'],
  ])('refuses n=%s m=%s', async (n, m, message) => {
    const err = await caughtAsync(() => splitSecret(key256(), n, m));
    expect(err.code).toBe('ceremony.step-failed');
    expect(err.message).toBe(message);
  });

  it('refuses to combine one share, duplicates, or shares of different lengths', async () => {
    const shares = await splitSecret(key256(), 3, 2);
    expect((await caughtAsync(() => combineShares([shares[0]]))).message).toBe('shares: need 2 to 255 shares to combine, got 1');
    expect((await caughtAsync(() => combineShares([shares[0], shares[0]]))).message).toBe('shares: 1 duplicate share(s) among 2');
    const short = secretFromBytes(Buffer.alloc(5, 1));
    expect((await caughtAsync(() => combineShares([shares[0], short]))).message).toBe('shares: all 2 shares must have the same length of at least 2 bytes');
  });
});

describe('shareCommitment and checkShare', () => {
  it('accepts the share and refuses any flipped bit, another salt or a malformed commitment', async () => {
    const [share] = await splitSecret(key256(), 3, 2);
    const salt = randomBytes(32);
    const commitment = shareCommitment(share, salt);
    expect(commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(checkShare(share, salt, commitment)).toBe(true);
    const raw = bytes(share);
    for (const at of [0, 16, raw.length - 1]) {
      const b = Buffer.from(raw);
      b[at] ^= 0x01;
      expect(checkShare(secretFromBytes(b), salt, commitment)).toBe(false);
    }
    expect(checkShare(share, randomBytes(32), commitment)).toBe(false);
    expect(checkShare(share, salt, commitment.toUpperCase())).toBe(false);
    expect(checkShare(share, salt, commitment.slice(0, 62))).toBe(false);
    expect(commitment).not.toContain(raw.toString('hex').slice(0, 16));
  });

  it('refuses a salt shorter than 16 bytes', async () => {
    const [share] = await splitSecret(key256(), 2, 2);
    expect(caught(() => shareCommitment(share, randomBytes(8))).message).toBe('share commitment: salt must be at least 16 bytes, got 8');
  });
});

describe('sealShare and openShare', () => {
  const context: ShareContext = { custodian: 'alice', index: 2, ceremonyId: 'release-root-2026' };
  const DOES_NOT_OPEN = 'sealed share 2 for alice does not open: wrong device key or altered contents';

  async function sealed() {
    const shares = await splitSecret(key256(), 3, 2);
    const share = shares[1];
    const recipient = p256();
    return { share, recipient, box: sealShare(share, recipient.spki, context) };
  }

  /** Every way the share's bytes could show up in a message. */
  function leaks(message: string, share: Secret): boolean {
    const raw = bytes(share);
    return [raw.toString('hex'), raw.toString('base64'), raw.toString('base64url'), raw.subarray(0, 8).toString('hex')].some((s) => message.includes(s));
  }

  it('opens with ECDH by the recipient key and gives back the share', async () => {
    const { share, recipient, box } = await sealed();
    expect(box).toMatchObject({ format: 'officiant-sealed-share/1', custodian: 'alice', index: 2, ceremony_id: 'release-root-2026' });
    expect(Buffer.from(box.hkdf_salt, 'base64')).toHaveLength(32);
    expect(Buffer.from(box.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(box.tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(box.ciphertext, 'base64')).toHaveLength(share.length);
    expect(JSON.parse(JSON.stringify(box))).toEqual(box);
    const opened = openShare(box, ecdhWith(recipient.privateKey), { ...context, recipientSpki: recipient.spki });
    expect(bytes(opened).equals(bytes(share))).toBe(true);
    // a fresh ephemeral key, salt and IV every time
    const again = sealShare(share, recipient.spki, context);
    expect(again.ephemeral_spki).not.toBe(box.ephemeral_spki);
    expect(again.ciphertext).not.toBe(box.ciphertext);
  });

  it('wipes the shared secret it is handed', async () => {
    const { recipient, box } = await sealed();
    let handed: Buffer | undefined;
    openShare(
      box,
      (eph) => {
        handed = ecdhWith(recipient.privateKey)(eph);
        return handed;
      },
      context,
    );
    expect(handed!.equals(Buffer.alloc(32))).toBe(true);
  });

  it('refuses to open with another key, with or without the recipient key to compare', async () => {
    const { share, box } = await sealed();
    const other = p256();
    const err = caught(() => openShare(box, ecdhWith(other.privateKey), context));
    expect(err.code).toBe('ceremony.step-failed');
    expect(err.message).toBe(DOES_NOT_OPEN);
    let asked = false;
    const early = caught(() =>
      openShare(
        box,
        () => {
          asked = true;
          return Buffer.alloc(32);
        },
        { ...context, recipientSpki: other.spki },
      ),
    );
    expect(early.message).toBe('sealed share 2 for alice was sealed to another device');
    expect(asked).toBe(false);
    expect(leaks(err.message, share) || leaks(early.message, share)).toBe(false);
  });

  const tampering: Array<[string, (b: SealedShare) => SealedShare, string]> = [
    ['ciphertext', (b) => ({ ...b, ciphertext: flipped(b.ciphertext, 5) }), DOES_NOT_OPEN],
    ['tag', (b) => ({ ...b, tag: flipped(b.tag, 15) }), DOES_NOT_OPEN],
    ['iv', (b) => ({ ...b, iv: flipped(b.iv, 3) }), DOES_NOT_OPEN],
    ['hkdf salt', (b) => ({ ...b, hkdf_salt: flipped(b.hkdf_salt, 31) }), DOES_NOT_OPEN],
    ['recipient hash', (b) => ({ ...b, recipient_spki_sha256: `${b.recipient_spki_sha256.slice(0, 63)}${b.recipient_spki_sha256.endsWith('0') ? '1' : '0'}` }), DOES_NOT_OPEN],
    // a bit of the ephemeral point's x-coordinate: the point leaves the curve
    ['ephemeral key (off the curve)', (b) => ({ ...b, ephemeral_spki: flipped(b.ephemeral_spki, 40) }), 'sealed share is malformed: ephemeral_spki is not an EC P-256 public key'],
    ['ephemeral key (another valid key)', (b) => ({ ...b, ephemeral_spki: p256().spki.toString('base64') }), DOES_NOT_OPEN],
    ['truncated tag', (b) => ({ ...b, tag: Buffer.from(b.tag, 'base64').subarray(0, 12).toString('base64') }), 'sealed share is malformed: tag is not 16 bytes of base64'],
    ['iv not base64', (b) => ({ ...b, iv: '!!!' }), 'sealed share is malformed: iv is not 12 bytes of base64'],
    ['format', (b) => ({ ...b, format: 'officiant-sealed-share/2' as SealedShare['format'] }), 'sealed share is not officiant-sealed-share/1'],
  ];

  it.each(tampering)('refuses an altered %s', async (_what, alter, message) => {
    const { share, recipient, box } = await sealed();
    const err = caught(() => openShare(alter(box), ecdhWith(recipient.privateKey), context));
    expect(err.code).toBe('ceremony.step-failed');
    expect(err.message).toBe(message);
    expect(leaks(err.message, share)).toBe(false);
    // the untouched box still opens: the failure came from the alteration
    expect(bytes(openShare(box, ecdhWith(recipient.privateKey), context)).equals(bytes(share))).toBe(true);
  });

  it.each([
    [{ ...context, custodian: 'bob' }, 'sealed share is for custodian "alice", expected "bob"'],
    [{ ...context, index: 3 }, 'sealed share is for index 2, expected 3'],
    [{ ...context, ceremonyId: 'other' }, 'sealed share is for ceremony "release-root-2026", expected "other"'],
  ])('refuses a share sealed for another context (%o)', async (expected, message) => {
    const { share, recipient, box } = await sealed();
    const err = caught(() => openShare(box, ecdhWith(recipient.privateKey), expected));
    expect(err.message).toBe(message);
    expect(leaks(err.message, share)).toBe(false);
  });

  it('refuses a share whose context fields were rewritten to match (the AAD binds them)', async () => {
    const { share, recipient, box } = await sealed();
    const bob = { ...context, custodian: 'bob' };
    const err = caught(() => openShare({ ...box, custodian: 'bob' }, ecdhWith(recipient.privateKey), bob));
    expect(err.message).toBe('sealed share 2 for bob does not open: wrong device key or altered contents');
    const renumbered = caught(() => openShare({ ...box, index: 1 }, ecdhWith(recipient.privateKey), { ...context, index: 1 }));
    expect(renumbered.message).toBe('sealed share 1 for alice does not open: wrong device key or altered contents');
    expect(leaks(err.message, share) || leaks(renumbered.message, share)).toBe(false);
  });

  it('refuses to seal to a key that is not P-256, or with a bad context', async () => {
    const [share] = await splitSecret(key256(), 2, 2);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(caught(() => sealShare(share, p384, context)).message).toBe('sealing share 2 for alice: the recipient key is not an EC P-256 public key');
    expect(caught(() => sealShare(share, p256().spki, { custodian: '', index: 0, ceremonyId: 'x' })).message).toBe(
      'share context: custodian is empty, index 0 is not 1..255',
    );
  });
});
