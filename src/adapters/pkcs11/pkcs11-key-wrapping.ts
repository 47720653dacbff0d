// Wrap keys and key wrapping (CKM_AES_KEY_WRAP_PAD, RFC 5649): importing or generating the AES wrap keys of a
// backup, wrapping a backup key under one, and unwrapping a blob back into the token. Contract: a wrap key can
// only wrap and unwrap; a label already in use is refused before anything is made; an unwrapped key is kept only
// when it is the algorithm and public key the caller named and signs a fresh challenge that verifies, otherwise
// every object it made is destroyed. Messages name labels, never key values.
import './copyable-attribute.js';
import graphene from 'graphene-pk11';
import { createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import type { KeyRecord, Secret, WrapKeyRecord, WrapKeyUse } from '../../engine/ports.js';
import type { KeyAlgorithm } from '../../script/schema.js';
import { ckrOf, pkcs11Error } from './pkcs11-errors.js';
import { CURVES, curveOfSpki, ecPointAttribute, keyRecordOf, privateKeyObject } from './pkcs11-key-objects.js';
import { signWithKey } from './pkcs11-sign.js';

// What SoftHSM answers when RFC 5649 unwrapping fails its integrity check (wrong key, altered or cut blob):
// CKR_GENERAL_ERROR in 2.6.1; the others are what the standard names for the same failure.
const UNWRAP_INTEGRITY_CKR = new Set([0x05, 0x40, 0x41, 0x110, 0x112]);
const CKR_KEY_UNEXTRACTABLE = 0x6a;
const CKR_KEY_NOT_WRAPPABLE = 0x69;

/**
 * What every wrap key is, whatever it wraps: sensitive, never extractable, good for nothing but wrapping and
 * unwrapping, not modifiable or copyable. Last in a template: SoftHSM refuses attributes after CKA_MODIFIABLE=false.
 */
const WRAP_KEY_LIMITS = {
  sensitive: true,
  extractable: false,
  encrypt: false,
  decrypt: false,
  sign: false,
  verify: false,
  derive: false,
  modifiable: false,
  copyable: false,
} as const;

/** A wrap key as the token reports it (read back, not the template asked for). */
function wrapKeyRecord(obj: graphene.SessionObject): WrapKeyRecord {
  const a = obj.getAttribute({
    label: null, id: null, checkValue: null, sensitive: null, extractable: null, neverExtractable: null, alwaysSensitive: null, local: null,
    wrap: null, unwrap: null, encrypt: null, decrypt: null, sign: null, verify: null, derive: null, modifiable: null, copyable: null, trusted: null,
  });
  return {
    label: a.label as string,
    id: (a.id as Buffer).toString('hex'),
    checkValue: (a.checkValue as Buffer).toString('hex'),
    attributes: {
      sensitive: !!a.sensitive,
      extractable: !!a.extractable,
      neverExtractable: !!a.neverExtractable,
      alwaysSensitive: !!a.alwaysSensitive,
      local: !!a.local,
      wrap: !!a.wrap,
      unwrap: !!a.unwrap,
      encrypt: !!a.encrypt,
      decrypt: !!a.decrypt,
      sign: !!a.sign,
      verify: !!a.verify,
      derive: !!a.derive,
      modifiable: !!a.modifiable,
      copyable: !!a.copyable,
      trusted: !!a.trusted,
    },
  };
}

function wrapKeyObject(session: graphene.Session, ref: { label: string; id: string }): graphene.SecretKey {
  const found = session.find({ class: graphene.ObjectClass.SECRET_KEY, label: ref.label, id: Buffer.from(ref.id, 'hex') });
  if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one wrap key "${ref.label}" with CKA_ID ${ref.id}, found ${found.length}`);
  return found.items(0).toType<graphene.SecretKey>();
}

export function importWrapKey(session: graphene.Session, spec: { label: string; id: string }, key: Secret, opts: { trusted?: boolean; session?: boolean; use?: WrapKeyUse } = {}): WrapKeyRecord {
  if (key.length !== 32) throw new OfficiantError('hsm.general', `importing wrap key "${spec.label}": expected 32 bytes, got ${key.length}`);
  try {
    if (session.find({ label: spec.label }).length > 0) throw new OfficiantError('env.key-label-used', `importing wrap key "${spec.label}": the label is already in use on the token`);
    failpoint('hsm.importWrapKey');
    // Wrap and/or unwrap only: a key that could also encrypt or decrypt would let anyone with the user PIN
    // decrypt a backup blob's bytes outside the unwrap path. CKA_TRUSTED is set only in an SO session (SoftHSM
    // answers CKR_ATTRIBUTE_READ_ONLY to it in a user session); there only public objects can be created, so
    // a trusted key is a public token object (it must outlive the SO login), wrap-only.
    const use = opts.use ?? (opts.trusted ? 'wrap' : 'both');
    const usage = { private: !opts.trusted, ...(opts.trusted ? { trusted: true } : {}), wrap: use !== 'unwrap', unwrap: use !== 'wrap' };
    const obj = key.use((value) =>
      session.create({
        class: graphene.ObjectClass.SECRET_KEY,
        keyType: graphene.KeyType.AES,
        token: !opts.session,
        ...usage,
        label: spec.label,
        id: Buffer.from(spec.id, 'hex'),
        value,
        ...WRAP_KEY_LIMITS,
      }),
    );
    return wrapKeyRecord(obj);
  } catch (err) {
    // Messages carry the label only: pkcs11Error takes the first line of the binding's message, which names
    // the function and CKR code, never the template's values.
    throw pkcs11Error(err, `importing wrap key "${spec.label}"`);
  }
}

export function generateTrustedWrapKey(session: graphene.Session, spec: { label: string; id: string }): WrapKeyRecord {
  try {
    if (session.find({ label: spec.label }).length > 0) throw new OfficiantError('env.key-label-used', `generating wrap key "${spec.label}": the label is already in use on the token`);
    failpoint('hsm.generateTrustedWrapKey');
    // Made by the token itself (its value never leaves it), public because an SO session can create nothing
    // else, and a token object because it must outlive the SO login; wrap and unwrap only.
    const obj = session.generateKey(graphene.KeyGenMechanism.AES, {
      class: graphene.ObjectClass.SECRET_KEY,
      keyType: graphene.KeyType.AES,
      valueLen: 32,
      token: true,
      private: false,
      trusted: true,
      label: spec.label,
      id: Buffer.from(spec.id, 'hex'),
      wrap: true,
      unwrap: true,
      ...WRAP_KEY_LIMITS,
    });
    return wrapKeyRecord(obj);
  } catch (err) {
    throw pkcs11Error(err, `generating wrap key "${spec.label}"`);
  }
}

export function wrapKey(session: graphene.Session, wrapping: { label: string; id: string }, ref: { label: string; id: string }): Buffer {
  try {
    const wk = wrapKeyObject(session, wrapping);
    const key = privateKeyObject(session, ref);
    failpoint('hsm.wrapKey');
    return session.wrapKey(graphene.MechanismEnum.AES_KEY_WRAP_PAD, wk, key);
  } catch (err) {
    const ckr = ckrOf(err);
    if (ckr === CKR_KEY_UNEXTRACTABLE) {
      throw new OfficiantError('hsm.general', `wrapping key "${ref.label}" refused by the token: it was not generated for backup`, { cause: err });
    }
    if (ckr === CKR_KEY_NOT_WRAPPABLE) {
      throw new OfficiantError('hsm.general', `wrapping key "${ref.label}" refused by the token: wrap key "${wrapping.label}" is not one the SO marked trusted`, { cause: err });
    }
    throw pkcs11Error(err, `wrapping key "${ref.label}" with "${wrapping.label}"`);
  }
}

export function unwrapKey(session: graphene.Session, wrapping: { label: string; id: string }, wrapped: Buffer, spec: { label: string; id: string; algorithm: KeyAlgorithm; spki?: Buffer; session?: boolean }): KeyRecord {
  const what = `unwrapping "${spec.label}"`;
  const rsa = spec.algorithm.startsWith('RSA');
  if (!rsa && !spec.spki) throw new OfficiantError('hsm.general', `${what}: the public key (spki) is required for ${spec.algorithm}`);
  if (!rsa && curveOfSpki(spec.spki!) !== CURVES[spec.algorithm].jwk) throw new OfficiantError('hsm.general', `${what}: the given public key is not ${spec.algorithm}`);
  const id = Buffer.from(spec.id, 'hex');
  const created: graphene.SessionObject[] = [];
  try {
    if (session.find({ label: spec.label }).length > 0) throw new OfficiantError('env.key-label-used', `${what}: the label is already in use on the token`);
    const wk = wrapKeyObject(session, wrapping);
    failpoint('hsm.unwrapKey');
    const keyType = rsa ? graphene.KeyType.RSA : graphene.KeyType.EC;
    let priv: graphene.PrivateKey;
    try {
      priv = session
        .unwrapKey(graphene.MechanismEnum.AES_KEY_WRAP_PAD, wk, wrapped, {
          class: graphene.ObjectClass.PRIVATE_KEY, keyType, token: !spec.session, private: true, label: spec.label, id,
          sign: true, sensitive: true, decrypt: false, unwrap: false, derive: false,
          // A session copy exists only to be wrapped again at once (backup, re-share): extractable, in memory.
          ...(spec.session ? { extractable: true, wrapWithTrusted: false } : { extractable: false }),
          // Last: SoftHSM applies a template in order and refuses any attribute after CKA_MODIFIABLE=false.
          copyable: false, modifiable: false,
        })
        .toType<graphene.PrivateKey>();
    } catch (err) {
      const ckr = ckrOf(err);
      if (ckr !== undefined && UNWRAP_INTEGRITY_CKR.has(ckr)) throw new OfficiantError('hsm.general', `unwrapping "${spec.label}" failed: wrong wrap key or damaged blob`, { cause: err });
      throw err;
    }
    created.push(priv);
    const pubCommon = { class: graphene.ObjectClass.PUBLIC_KEY, token: !spec.session, private: false, label: spec.label, id, verify: true, encrypt: false, wrap: false, modifiable: false };
    if (rsa) {
      const a = priv.getAttribute({ modulus: null, publicExponent: null });
      created.push(session.create({ ...pubCommon, keyType, modulus: a.modulus as Buffer, publicExponent: a.publicExponent as Buffer }));
    } else {
      const paramsEC = graphene.NamedCurve.getByName(CURVES[spec.algorithm].name).value;
      created.push(session.create({ ...pubCommon, keyType, paramsEC, pointEC: ecPointAttribute(spec.spki!) }));
    }
    const record = keyRecordOf(session, priv);
    if (record.algorithm !== spec.algorithm) throw new OfficiantError('hsm.general', `${what}: the blob holds a ${record.algorithm} key, not ${spec.algorithm}`);
    const expected = spec.spki ? createPublicKey({ key: spec.spki, format: 'der', type: 'spki' }) : createPublicKey({ key: record.spki, format: 'der', type: 'spki' });
    if (!expected.export({ type: 'spki', format: 'der' }).equals(record.spki)) throw new OfficiantError('hsm.general', `${what}: the unwrapped key does not match the given public key`);
    // Why a test signature: for EC the public key object is built from the caller's spki, so only a
    // signature proves the private key inside the token belongs to it.
    const challenge = randomBytes(32);
    const sig = signWithKey(session, spec, challenge);
    if (!verifySignature('sha256', challenge, { key: expected, dsaEncoding: 'ieee-p1363' }, sig)) {
      throw new OfficiantError('hsm.general', `${what}: the unwrapped key does not match the given public key`);
    }
    return record;
  } catch (err) {
    // Nothing half-done: a private key without its public key, or a pair that fails the check, is removed.
    for (const obj of created.reverse()) {
      try {
        session.destroy(obj);
      } catch {
        // the token is gone or refuses: the error below is what matters
      }
    }
    throw pkcs11Error(err, what);
  }
}
