// Backup through the HSM port on real SoftHSM2 tokens: a wrap key imported wrap-only, authority keys generated
// for backup, exported with CKM_AES_KEY_WRAP_PAD and unwrapped into a second token, where they sign for the
// original public keys. Checked with outside tools too (node:crypto's RFC 5649, openssl dgst).
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import graphene from 'graphene-pk11';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireModule, type Pkcs11Module } from '../../../src/adapters/pkcs11/module-registry.js';
import { Pkcs11Hsm } from '../../../src/adapters/pkcs11/pkcs11-hsm.js';
import type { HsmSession, KeyRecord } from '../../../src/engine/ports.js';
import { secretFromBytes, secretFromString } from '../../../src/engine/secret.js';
import { OfficiantError } from '../../../src/errors.js';
import { createTestHsm, SOFTHSM_MODULE } from '../../helpers/softhsm.js';

const hsm = createTestHsm('officiant-hsm-backup-');
process.env.SOFTHSM2_CONF = hsm.conf;
const PRIMARY = 'ceremony-hsm';
const RESTORE = 'restore-hsm';
const USER_PIN = '5566778899';
const WRAP = { label: 'backup-wrap', id: 'b0' };

// The wrap key's bytes, kept here only to check they never appear in an error message and to decrypt blobs
// with an outside implementation of RFC 5649.
const wrapKeyBytes = randomBytes(32);
const leakForms = [wrapKeyBytes.toString('hex'), wrapKeyBytes.toString('base64'), wrapKeyBytes.toString('base64url'), wrapKeyBytes.toString('latin1')];
const thrown: OfficiantError[] = [];

let h: Pkcs11Hsm;
let primary: HsmSession;
let restore: HsmSession;
let rsa: KeyRecord;
let ec: KeyRecord;
let rsaBlob: Buffer;
let ecBlob: Buffer;

function caught(fn: () => unknown): OfficiantError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OfficiantError) {
      thrown.push(err);
      return err;
    }
    throw err;
  }
  throw new Error('expected an OfficiantError');
}

function wrapSecret() {
  return secretFromBytes(Buffer.from(wrapKeyBytes));
}

function spkiKey(spki: Buffer) {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** RFC 5649 unwrap outside the HSM (OpenSSL through node:crypto). */
function rfc5649Unwrap(key: Buffer, blob: Buffer): Buffer {
  const d = createDecipheriv('id-aes256-wrap-pad', key, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([d.update(blob), d.final()]);
}

/** A second PKCS#11 session on a token, logged in through the port's session (login state is per token). */
function rawSession(tokenLabel: string, fn: (s: graphene.Session) => void): void {
  const lease: Pkcs11Module = acquireModule(SOFTHSM_MODULE);
  try {
    const slots = lease.module.getSlots(true);
    let slot: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) if (slots.items(i).getToken().label.trim() === tokenLabel) slot = slots.items(i);
    const s = slot!.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      fn(s);
    } finally {
      s.close();
    }
  } finally {
    lease.release();
  }
}

function ckrName(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return /CKR_[A-Z_]+/.exec(String((err as Error).message))?.[0] ?? String(err);
  }
  return 'no error';
}

beforeAll(() => {
  hsm.initToken(PRIMARY, '1122334455', USER_PIN);
  hsm.initToken(RESTORE, '1122334455', USER_PIN);
  h = Pkcs11Hsm.load(SOFTHSM_MODULE);
  primary = h.openSession(PRIMARY, secretFromString(USER_PIN));
  restore = h.openSession(RESTORE, secretFromString(USER_PIN));
});

afterAll(() => {
  primary?.close();
  restore?.close();
  h?.close();
  hsm.cleanup();
});

describe('importWrapKey', () => {
  it('creates a wrap-only, sensitive, non-extractable AES-256 key and reports what the token set', () => {
    const secret = wrapSecret();
    const wk = primary.importWrapKey(WRAP, secret);
    secret.wipe();
    const kcv = createCipheriv('aes-256-ecb', wrapKeyBytes, null).setAutoPadding(false).update(Buffer.alloc(16)).subarray(0, 3);
    expect(wk).toEqual({
      label: WRAP.label,
      id: WRAP.id,
      checkValue: kcv.toString('hex'),
      attributes: {
        sensitive: true,
        extractable: false,
        neverExtractable: false,
        // C_CreateObject: SoftHSM sets ALWAYS_SENSITIVE only for keys it generated or unwrapped sensitive.
        alwaysSensitive: false,
        local: false,
        wrap: true,
        unwrap: true,
        encrypt: false,
        decrypt: false,
        sign: false,
        verify: false,
        derive: false,
        modifiable: false,
        copyable: false,
        trusted: false,
      },
    });
  });

  it('refuses a key that is not 32 bytes and a label already in use', () => {
    const short = caught(() => primary.importWrapKey({ label: 'short', id: 'b1' }, secretFromBytes(Buffer.from(wrapKeyBytes.subarray(0, 31)))));
    expect([short.code, short.message]).toEqual(['hsm.general', 'importing wrap key "short": expected 32 bytes, got 31']);
    const again = caught(() => primary.importWrapKey(WRAP, wrapSecret()));
    expect([again.code, again.message]).toEqual(['env.key-label-used', 'importing wrap key "backup-wrap": the label is already in use on the token']);
  });

  it('cannot encrypt, decrypt or be read out (CKA_VALUE refused)', () => {
    rawSession(PRIMARY, (s) => {
      const found = s.find({ class: graphene.ObjectClass.SECRET_KEY, label: WRAP.label });
      expect(found.length).toBe(1);
      const key = found.items(0).toType<graphene.SecretKey>();
      expect(ckrName(() => key.getAttribute({ value: null }))).toBe('CKR_ATTRIBUTE_SENSITIVE');
      expect(ckrName(() => s.createCipher({ name: 'AES_ECB', params: null }, key).once(Buffer.alloc(16), Buffer.alloc(32)))).toBe('CKR_KEY_FUNCTION_NOT_PERMITTED');
      expect(ckrName(() => s.createDecipher({ name: 'AES_ECB', params: null }, key).once(Buffer.alloc(16), Buffer.alloc(32)))).toBe('CKR_KEY_FUNCTION_NOT_PERMITTED');
      // SoftHSM lets only the SO set CKA_TRUSTED: a user session gets CKR_ATTRIBUTE_READ_ONLY.
      expect(
        ckrName(() =>
          s.create({ class: graphene.ObjectClass.SECRET_KEY, keyType: graphene.KeyType.AES, token: false, label: 'trusted-try', value: randomBytes(32), wrap: true, trusted: true }),
        ),
      ).toBe('CKR_ATTRIBUTE_READ_ONLY');
    });
  });
});

describe('generateKeyPair with backup', () => {
  it('makes RSA-3072 and EC-P256 keys sensitive but extractable, and says so', () => {
    rsa = primary.generateKeyPair({ label: 'root-rsa', id: '01', algorithm: 'RSA-3072', backup: { wrapKey: WRAP } });
    ec = primary.generateKeyPair({ label: 'root-ec', id: '02', algorithm: 'EC-P256', backup: { wrapKey: WRAP } });
    for (const k of [rsa, ec]) {
      expect(k.attributes).toEqual({ local: true, neverExtractable: false, alwaysSensitive: true, extractable: true, sensitive: true });
    }
    expect(rsa.algorithm).toBe('RSA-3072');
    expect(ec.algorithm).toBe('EC-P256');
  });

  it('CKA_WRAP_WITH_TRUSTED would make the key unwrappable with our (untrusted) wrap key, so it is not set', () => {
    rawSession(PRIMARY, (s) => {
      const wk = s.find({ class: graphene.ObjectClass.SECRET_KEY, label: WRAP.label }).items(0).toType<graphene.SecretKey>();
      const common = { token: false, label: 'wwt-probe', id: Buffer.from('0f', 'hex') };
      const keys = s.generateKeyPair(
        graphene.KeyGenMechanism.EC,
        { ...common, keyType: graphene.KeyType.EC, verify: true, paramsEC: graphene.NamedCurve.getByName('secp256r1').value },
        { ...common, keyType: graphene.KeyType.EC, private: true, sign: true, sensitive: true, extractable: true, wrapWithTrusted: true },
      );
      expect(keys.privateKey.getAttribute({ wrapWithTrusted: null }).wrapWithTrusted).toBe(true);
      expect(ckrName(() => s.wrapKey(graphene.MechanismEnum.AES_KEY_WRAP_PAD, wk, keys.privateKey))).toBe('CKR_KEY_NOT_WRAPPABLE');
    });
    rawSession(PRIMARY, (s) => {
      const k = s.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: 'root-ec' }).items(0).toType<graphene.PrivateKey>();
      expect(k.getAttribute({ wrapWithTrusted: null }).wrapWithTrusted).toBe(false);
    });
  });

  it('refuses to generate a backup key when the wrap key is not on the token', () => {
    const e = caught(() => primary.generateKeyPair({ label: 'orphan', id: '03', algorithm: 'EC-P256', backup: { wrapKey: { label: 'no-such-wrap', id: 'b9' } } }));
    expect([e.code, e.message]).toEqual(['hsm.key-not-found', 'expected one wrap key "no-such-wrap" with CKA_ID b9, found 0']);
    expect(primary.labelInUse('orphan')).toBe(false);
  });
});

describe('wrapKey', () => {
  it('exports each key as an RFC 5649 blob that only the wrap key opens', () => {
    rsaBlob = primary.wrapKey(WRAP, rsa);
    ecBlob = primary.wrapKey(WRAP, ec);
    expect(rsaBlob.equals(ecBlob)).toBe(false);
    for (const [blob, key] of [
      [rsaBlob, rsa],
      [ecBlob, ec],
    ] as const) {
      // An outside RFC 5649 implementation opens the blob to the PKCS#8 of the key whose public key we hold.
      const pkcs8 = rfc5649Unwrap(wrapKeyBytes, blob);
      const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      expect(createPublicKey(priv).export({ type: 'spki', format: 'der' }).equals(key.spki)).toBe(true);
      // The blob is not the plaintext, nor does it contain it or the private scalar/exponent.
      expect(blob.equals(pkcs8)).toBe(false);
      expect(blob.includes(pkcs8.subarray(pkcs8.length - 32))).toBe(false);
      const jwk = priv.export({ format: 'jwk' });
      expect(blob.includes(Buffer.from(jwk.d as string, 'base64url'))).toBe(false);
    }
  });

  it('is refused by the token for a key not generated for backup', () => {
    const plain = primary.generateKeyPair({ label: 'plain-ec', id: '04', algorithm: 'EC-P256' });
    expect(plain.attributes.extractable).toBe(false);
    const e = caught(() => primary.wrapKey(WRAP, plain));
    expect([e.code, e.message]).toEqual(['hsm.general', 'wrapping key "plain-ec" refused by the token: it was not generated for backup']);
    expect(ckrName(() => { throw e.cause; })).toBe('CKR_KEY_UNEXTRACTABLE');
  });
});

describe('unwrapKey into a second token', () => {
  beforeAll(() => {
    const secret = wrapSecret();
    const wk = restore.importWrapKey(WRAP, secret);
    secret.wipe();
    expect(wk.checkValue).toBe(createCipheriv('aes-256-ecb', wrapKeyBytes, null).setAutoPadding(false).update(Buffer.alloc(16)).subarray(0, 3).toString('hex'));
  });

  it('restores both keys with honest attributes; they sign for the original public keys', () => {
    const r = restore.unwrapKey(WRAP, rsaBlob, { label: 'root-rsa', id: '01', algorithm: 'RSA-3072' });
    const e = restore.unwrapKey(WRAP, ecBlob, { label: 'root-ec', id: '02', algorithm: 'EC-P256', spki: ec.spki });
    for (const k of [r, e]) {
      expect(k.attributes).toEqual({ local: false, neverExtractable: false, alwaysSensitive: false, extractable: false, sensitive: true });
    }
    expect([r.label, r.id, r.algorithm, r.spki.equals(rsa.spki)]).toEqual(['root-rsa', '01', 'RSA-3072', true]);
    expect([e.label, e.id, e.algorithm, e.spki.equals(ec.spki)]).toEqual(['root-ec', '02', 'EC-P256', true]);
    expect(restore.findKeys('root-ec')).toEqual([e]);
    // Why unwrapKey needs the spki for EC: SoftHSM keeps no CKA_EC_POINT on an EC private key.
    rawSession(RESTORE, (s) => {
      const k = s.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: 'root-ec' }).items(0).toType<graphene.PrivateKey>();
      expect(ckrName(() => k.getAttribute({ pointEC: null }))).toBe('CKR_ATTRIBUTE_TYPE_INVALID');
    });

    const data = Buffer.from('restored authority signs this');
    const ecSig = restore.sign(e, data);
    expect(nodeVerify('sha256', data, { key: spkiKey(ec.spki), dsaEncoding: 'ieee-p1363' }, ecSig)).toBe(true);
    const rsaSig = restore.sign(r, data);
    expect(nodeVerify('sha256', data, spkiKey(rsa.spki), rsaSig)).toBe(true);

    // And openssl, given only the ORIGINAL public key from the primary token.
    const pem = join(hsm.dir, 'root-rsa.pub.pem');
    writeFileSync(pem, spkiKey(rsa.spki).export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(hsm.dir, 'data.bin'), data);
    writeFileSync(join(hsm.dir, 'data.sig'), rsaSig);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pem, '-signature', join(hsm.dir, 'data.sig'), join(hsm.dir, 'data.bin')], { encoding: 'utf8' });
    expect(out.trim()).toBe('Verified OK');
    writeFileSync(join(hsm.dir, 'data.sig'), Buffer.from(rsaSig).fill(0, 0, 8));
    expect(() => execFileSync('openssl', ['dgst', '-sha256', '-verify', pem, '-signature', join(hsm.dir, 'data.sig'), join(hsm.dir, 'data.bin')], { stdio: 'pipe' })).toThrow();
  });

  it('fails with a clear message for a wrong wrap key and for a tampered blob, leaving nothing behind', () => {
    const wrong = secretFromBytes(randomBytes(32));
    restore.importWrapKey({ label: 'wrong-wrap', id: 'bf' }, wrong);
    wrong.wipe();
    const a = caught(() => restore.unwrapKey({ label: 'wrong-wrap', id: 'bf' }, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: ec.spki }));
    expect([a.code, a.message]).toEqual(['hsm.general', 'unwrapping copy-ec failed: wrong wrap key or damaged blob']);
    expect(ckrName(() => { throw a.cause; })).toBe('CKR_GENERAL_ERROR');

    for (const at of [0, rsaBlob.length >> 1, rsaBlob.length - 1]) {
      const tampered = Buffer.from(rsaBlob);
      tampered[at] ^= 0x01;
      const b = caught(() => restore.unwrapKey(WRAP, tampered, { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072' }));
      expect([b.code, b.message]).toEqual(['hsm.general', 'unwrapping copy-rsa failed: wrong wrap key or damaged blob']);
    }
    const cut = caught(() => restore.unwrapKey(WRAP, rsaBlob.subarray(0, rsaBlob.length - 8), { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072' }));
    expect([cut.code, cut.message]).toEqual(['hsm.general', 'unwrapping copy-rsa failed: wrong wrap key or damaged blob']);
    expect(restore.labelInUse('copy-ec')).toBe(false);
    expect(restore.labelInUse('copy-rsa')).toBe(false);
  });

  it('refuses an EC unwrap without the public key, a mismatched public key, and the wrong algorithm', () => {
    const noSpki = caught(() => restore.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256' }));
    expect([noSpki.code, noSpki.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": the public key (spki) is required for EC-P256']);

    // A valid P-256 public key that is not this key's: the test signature catches it and nothing is kept.
    const other = primary.generateKeyPair({ label: 'other-ec', id: '05', algorithm: 'EC-P256' });
    const mismatch = caught(() => restore.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: other.spki }));
    expect([mismatch.code, mismatch.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": the unwrapped key does not match the given public key']);
    expect(restore.labelInUse('copy-ec')).toBe(false);

    const rsaSpkiForEc = caught(() => restore.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: rsa.spki }));
    expect([rsaSpkiForEc.code, rsaSpkiForEc.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": the given public key is not EC-P256']);

    const rsaMismatch = caught(() => restore.unwrapKey(WRAP, rsaBlob, { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072', spki: other.spki }));
    expect([rsaMismatch.code, rsaMismatch.message]).toEqual(['hsm.general', 'unwrapping "copy-rsa": the unwrapped key does not match the given public key']);
    expect(restore.labelInUse('copy-rsa')).toBe(false);

    const label = caught(() => restore.unwrapKey(WRAP, rsaBlob, { label: 'root-rsa', id: '01', algorithm: 'RSA-3072' }));
    expect([label.code, label.message]).toEqual(['env.key-label-used', 'unwrapping "root-rsa": the label is already in use on the token']);
  });

  it('an unwrapped key cannot be wrapped again (it is restored non-extractable)', () => {
    const e = caught(() => restore.wrapKey(WRAP, { label: 'root-ec', id: '02' }));
    expect([e.code, e.message]).toEqual(['hsm.general', 'wrapping key "root-ec" refused by the token: it was not generated for backup']);
  });
});

describe('secrecy', () => {
  it('the wrap key material appears in no error thrown in this file', () => {
    expect(thrown.length).toBeGreaterThanOrEqual(12);
    for (const err of thrown) {
      const texts = [err.message, ...err.details, String((err.cause as Error | undefined)?.message ?? ''), JSON.stringify(err), String(err.stack)];
      for (const t of texts) for (const form of leakForms) expect(t.includes(form)).toBe(false);
    }
  });
});
