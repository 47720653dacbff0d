// Signing with a private key on the token. Contract: exactly one private key with the label and CKA_ID signs,
// or hsm.key-not-found says how many there were; RSA signs PKCS#1 v1.5 over the hash, EC returns raw r||s.
import graphene from 'graphene-pk11';
import { createHash } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import { pkcs11Error } from './pkcs11-errors.js';
import { DIGEST_INFO as DIGESTS } from '../../custody/window-request.js';

export function signWithKey(session: graphene.Session, ref: { label: string; id: string }, data: Buffer, hash: 'SHA-256' | 'SHA-384' = 'SHA-256'): Buffer {
  const label = ref.label;
  try {
    failpoint('hsm.sign');
    const found = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label, id: Buffer.from(ref.id, 'hex') });
    if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one private key "${label}" with CKA_ID ${ref.id}, found ${found.length}`);
    const key = found.items(0).toType<graphene.PrivateKey>();
    if (key.type === graphene.KeyType.RSA) return session.createSign(hash === 'SHA-384' ? 'SHA384_RSA_PKCS' : 'SHA256_RSA_PKCS', key).once(data);
    // SoftHSM has no CKM_ECDSA_SHA256: hash here, sign the digest with CKM_ECDSA (raw r||s comes back).
    return session.createSign('ECDSA', key).once(createHash(hash === 'SHA-384' ? 'sha384' : 'sha256').update(data).digest());
  } catch (err) {
    throw pkcs11Error(err, `signing with key "${label}"`);
  }
}

/** DigestInfo prefixes (RFC 8017 9.2 note 1): what CKM_RSA_PKCS needs before the digest, and its length. */
const DIGEST_INFO = { 'SHA-256': DIGESTS.sha256, 'SHA-512': DIGESTS.sha512 } as const;

/**
 * Signs precomputed SHA-256 digests with one private key, found once: RSA as PKCS#1 v1.5 (CKM_RSA_PKCS over the
 * DigestInfo), EC as raw r||s (CKM_ECDSA). What a release session signs: files hashed while streamed, never read
 * whole into memory. Each signature passes the hsm.signDigest failpoint (the drills count a release's signatures).
 */
export function signDigestsWithKey(session: graphene.Session, ref: { label: string; id: string }, digests: readonly Buffer[], hash: 'SHA-256' | 'SHA-512' = 'SHA-256'): Buffer[] {
  const label = ref.label;
  try {
    const found = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label, id: Buffer.from(ref.id, 'hex') });
    if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one private key "${label}" with CKA_ID ${ref.id}, found ${found.length}`);
    const key = found.items(0).toType<graphene.PrivateKey>();
    const rsa = key.type === graphene.KeyType.RSA;
    const info = DIGEST_INFO[hash];
    if (!rsa && hash !== 'SHA-256') throw new OfficiantError('hsm.general', `an EC key signs SHA-256 digests here, not ${hash}`);
    return digests.map((d) => {
      if (d.length !== info.length) throw new OfficiantError('hsm.general', `a ${hash} digest is ${info.length} bytes, not ${d.length}`);
      failpoint('hsm.signDigest');
      return rsa ? session.createSign('RSA_PKCS', key).once(Buffer.concat([info.prefix, d])) : session.createSign('ECDSA', key).once(d);
    });
  } catch (err) {
    throw pkcs11Error(err, `signing with key "${label}"`);
  }
}
