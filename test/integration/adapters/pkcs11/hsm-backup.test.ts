// Backup through the HSM port on real SoftHSM2 tokens. Authority keys are generated for backup (sensitive,
// extractable, CKA_WRAP_WITH_TRUSTED), so they leave the token only wrapped under a wrap key that the security
// officer imported with CKA_TRUSTED; the token itself refuses a wrap key imported with the user PIN (even with the
// same bytes) and refuses every key not generated for backup. The blobs are RFC 5649 (CKM_AES_KEY_WRAP_PAD):
// an outside implementation (node:crypto) opens them. They unwrap into a second token as honest, non-extractable
// keys that sign for the ORIGINAL public keys (node and openssl check). A re-share unwraps them as session copies
// that can only be wrapped again under a NEW trusted key, and the old wrap key opens none of the new blobs:
// that is what leaves the old shares useless. Failed unwraps leave nothing behind, destroyObjects removes wrap
// keys, and no error message carries wrap key bytes.
// A token has one login state per process: each test opens the user or SO session it needs and closes it.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify as nodeVerify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import graphene from 'graphene-pk11';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireModule, type Pkcs11Module } from '../../../../src/adapters/pkcs11/module-registry.js';
import { Pkcs11Hsm } from '../../../../src/adapters/pkcs11/pkcs11-hsm.js';
import type { HsmSession, KeyAttributes, KeyRecord, WrapKeyRecord } from '../../../../src/engine/ports.js';
import { secretFromBytes, secretFromString } from '../../../../src/custody/secret.js';
import { OfficiantError } from '../../../../src/errors.js';
import { createTestHsm, SOFTHSM_MODULE } from '../../../helpers/softhsm.js';

const hsm = createTestHsm('officiant-hsm-backup-');
process.env.SOFTHSM2_CONF = hsm.conf;
const PRIMARY = 'ceremony-hsm';
const RESTORE = 'restore-hsm';
const RESHARE = 'reshare-hsm';
const SO_PIN = '1122334455';
const USER_PIN = '5566778899';
/** The backup wrap key: SO-trusted on the primary token; imported with the user PIN where blobs are unwrapped. */
const WRAP = { label: 'backup-wrap', id: 'b1' };
/** The same bytes as WRAP, imported with the user PIN on the primary token: not trusted. */
const USER_WRAP = { label: 'user-wrap', id: 'b0' };
/** The re-share's new wrap key, SO-trusted on the re-share token. */
const NEW_WRAP = { label: 'backup-wrap-2', id: 'b2' };

// The wrap keys' bytes, kept here only to check they never appear in an error message and to open blobs with an
// outside implementation of RFC 5649.
const wrapKeyBytes = randomBytes(32);
const newWrapKeyBytes = randomBytes(32);
const leakForms = [wrapKeyBytes, newWrapKeyBytes].flatMap((b) => [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64'), b.toString('base64url'), b.toString('latin1')]);
const thrown: OfficiantError[] = [];

let h: Pkcs11Hsm;
let rsa: KeyRecord;
let ec: KeyRecord;
let plain: KeyRecord;
let rsaBlob: Buffer;
let ecBlob: Buffer;
let newRsaBlob: Buffer;
let newEcBlob: Buffer;

const BACKUP_KEY: KeyAttributes = { local: true, neverExtractable: false, alwaysSensitive: true, extractable: true, sensitive: true, wrapWithTrusted: true };
const RESTORED_KEY: KeyAttributes = { local: false, neverExtractable: false, alwaysSensitive: false, extractable: false, sensitive: true, wrapWithTrusted: false };
const SESSION_COPY: KeyAttributes = { local: false, neverExtractable: false, alwaysSensitive: false, extractable: true, sensitive: true, wrapWithTrusted: false };

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

/** A logged-in user session on the token for the length of fn; closed (logged out) afterwards. */
function asUser<T>(tokenLabel: string, fn: (s: HsmSession) => T): T {
  const s = h.openSession(tokenLabel, secretFromString(USER_PIN));
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/** A security-officer session on the token for the length of fn. */
function asSo<T>(tokenLabel: string, fn: (s: HsmSession) => T): T {
  const s = h.openSoSession(tokenLabel, secretFromString(SO_PIN));
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

function secretOf(bytes: Buffer) {
  return secretFromBytes(Buffer.from(bytes));
}

function kcvOf(key: Buffer): string {
  return createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(Buffer.alloc(16)).subarray(0, 3).toString('hex');
}

function spkiKey(spki: Buffer) {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** RFC 5649 unwrap outside the HSM (OpenSSL through node:crypto). */
function rfc5649Unwrap(key: Buffer, blob: Buffer): Buffer {
  const d = createDecipheriv('id-aes256-wrap-pad', key, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([d.update(blob), d.final()]);
}

/** The public key (SPKI, DER) of the PKCS#8 private key an outside RFC 5649 unwrap finds in a blob. */
function spkiInBlob(key: Buffer, blob: Buffer): Buffer {
  return createPublicKey(createPrivateKey({ key: rfc5649Unwrap(key, blob), format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
}

/**
 * A second PKCS#11 session on a token, outside the port, to read what the token itself says. It shares the login
 * state of the port's session open on that token (login state is per token), so call it inside asUser/asSo.
 */
function rawSession<T>(tokenLabel: string, fn: (s: graphene.Session) => T): T {
  const lease: Pkcs11Module = acquireModule(SOFTHSM_MODULE);
  try {
    const slots = lease.module.getSlots(true);
    let slot: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) if (slots.items(i).getToken().label.trim() === tokenLabel) slot = slots.items(i);
    const s = slot!.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      return fn(s);
    } finally {
      s.close();
    }
  } finally {
    lease.release();
  }
}

/** Attributes of every object of a class with this label, as the token reports them (not as the port does). */
function tokenAttributes(tokenLabel: string, cls: graphene.ObjectClass, label: string, names: readonly string[]): Record<string, unknown>[] {
  return rawSession(tokenLabel, (s) => {
    const found = s.find({ class: cls, label });
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < found.length; i++) {
      out.push(found.items(i).getAttribute(Object.fromEntries(names.map((n) => [n, null])) as graphene.ITemplate) as Record<string, unknown>);
    }
    return out;
  });
}

const KEY_ATTRS = ['local', 'neverExtractable', 'alwaysSensitive', 'extractable', 'sensitive', 'wrapWithTrusted'] as const;

/** The private key's six KeyAttributes read straight from the token, plus where the pair live. */
function privateKeyOnToken(tokenLabel: string, label: string) {
  const priv = tokenAttributes(tokenLabel, graphene.ObjectClass.PRIVATE_KEY, label, [...KEY_ATTRS, 'token', 'private', 'modifiable', 'copyable']);
  const pub = tokenAttributes(tokenLabel, graphene.ObjectClass.PUBLIC_KEY, label, ['token', 'private']);
  expect(priv).toHaveLength(1);
  expect(pub).toHaveLength(1);
  const a = priv[0];
  return {
    attributes: Object.fromEntries(KEY_ATTRS.map((k) => [k, a[k]])) as unknown as KeyAttributes,
    token: a.token,
    private: a.private,
    modifiable: a.modifiable,
    copyable: a.copyable,
    publicToken: pub[0].token,
  };
}

function objectCount(tokenLabel: string): number {
  return rawSession(tokenLabel, (s) => s.find({}).length);
}

function ckrName(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return /CKR_[A-Z_]+/.exec(String((err as Error).message))?.[0] ?? String(err);
  }
  return 'no error';
}

function ckrOfCause(e: OfficiantError): string {
  return ckrName(() => {
    throw e.cause;
  });
}

function wrapKeyRecord(ref: { label: string; id: string }, key: Buffer, usage: { unwrap: boolean; trusted: boolean }): WrapKeyRecord {
  return {
    label: ref.label,
    id: ref.id,
    checkValue: kcvOf(key),
    attributes: {
      sensitive: true,
      extractable: false,
      neverExtractable: false,
      // C_CreateObject: SoftHSM sets ALWAYS_SENSITIVE only for keys it generated or unwrapped sensitive.
      alwaysSensitive: false,
      local: false,
      wrap: true,
      unwrap: usage.unwrap,
      encrypt: false,
      decrypt: false,
      sign: false,
      verify: false,
      derive: false,
      modifiable: false,
      copyable: false,
      trusted: usage.trusted,
    },
  };
}

beforeAll(() => {
  for (const t of [PRIMARY, RESTORE, RESHARE]) hsm.initToken(t, SO_PIN, USER_PIN);
  h = Pkcs11Hsm.load(SOFTHSM_MODULE);
});

afterAll(() => {
  h?.close();
  hsm.cleanup();
});

describe('importWrapKey', () => {
  it('in a user session: a private token object that wraps and unwraps, sensitive, non-extractable, not trusted', () => {
    asUser(PRIMARY, (s) => {
      const secret = secretOf(wrapKeyBytes);
      const wk = s.importWrapKey(USER_WRAP, secret);
      secret.wipe();
      expect(wk).toEqual(wrapKeyRecord(USER_WRAP, wrapKeyBytes, { unwrap: true, trusted: false }));
      expect(tokenAttributes(PRIMARY, graphene.ObjectClass.SECRET_KEY, USER_WRAP.label, ['token', 'private', 'trusted'])).toEqual([{ token: true, private: true, trusted: false }]);

      // { session: true }: the same key as a session object, gone with the session.
      const sw = s.importWrapKey({ label: 'session-wrap', id: 'b3' }, secretOf(wrapKeyBytes), { session: true });
      expect(sw).toEqual(wrapKeyRecord({ label: 'session-wrap', id: 'b3' }, wrapKeyBytes, { unwrap: true, trusted: false }));
      expect(tokenAttributes(PRIMARY, graphene.ObjectClass.SECRET_KEY, 'session-wrap', ['token', 'private', 'trusted'])).toEqual([{ token: false, private: true, trusted: false }]);
    });
    asUser(PRIMARY, (s) => {
      expect(s.labelInUse('session-wrap')).toBe(false);
      expect(s.labelInUse(USER_WRAP.label)).toBe(true);
    });
  });

  it('refuses a key that is not 32 bytes and a label already in use', () => {
    asUser(PRIMARY, (s) => {
      const short = caught(() => s.importWrapKey({ label: 'short', id: 'b9' }, secretFromBytes(Buffer.from(wrapKeyBytes.subarray(0, 31)))));
      expect([short.code, short.message]).toEqual(['hsm.general', 'importing wrap key "short": expected 32 bytes, got 31']);
      const again = caught(() => s.importWrapKey(USER_WRAP, secretOf(wrapKeyBytes)));
      expect([again.code, again.message]).toEqual(['env.key-label-used', 'importing wrap key "user-wrap": the label is already in use on the token']);
      expect(s.labelInUse('short')).toBe(false);
    });
  });

  it('cannot encrypt, decrypt or be read out, and a user session cannot make it trusted', () => {
    asUser(PRIMARY, (session) => {
      rawSession(PRIMARY, (s) => {
        const found = s.find({ class: graphene.ObjectClass.SECRET_KEY, label: USER_WRAP.label });
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
      // The port's { trusted: true } in a user session meets the same refusal and leaves nothing.
      const e = caught(() => session.importWrapKey({ label: 'user-trusted', id: 'b8' }, secretOf(wrapKeyBytes), { trusted: true }));
      expect([e.code, e.message]).toEqual(['hsm.general', 'importing wrap key "user-trusted": CKR_ATTRIBUTE_READ_ONLY']);
      expect(session.labelInUse('user-trusted')).toBe(false);
      expect(session.labelInUse('trusted-try')).toBe(false);
    });
  });

  it('in an SO session with trusted: a public token object with CKA_TRUSTED that can only wrap', () => {
    asSo(PRIMARY, (so) => {
      const secret = secretOf(wrapKeyBytes);
      const wk = so.importWrapKey(WRAP, secret, { trusted: true });
      secret.wipe();
      expect(wk).toEqual(wrapKeyRecord(WRAP, wrapKeyBytes, { unwrap: false, trusted: true }));
      // An SO can create public objects only: the other two kinds are private and refused.
      for (const opts of [{}, { session: true }]) {
        const e = caught(() => so.importWrapKey({ label: 'so-private', id: 'b7' }, secretOf(wrapKeyBytes), opts));
        expect([e.code, e.message]).toEqual(['hsm.general', 'importing wrap key "so-private": CKR_USER_NOT_LOGGED_IN']);
      }
    });
    asUser(PRIMARY, (s) => {
      expect(tokenAttributes(PRIMARY, graphene.ObjectClass.SECRET_KEY, WRAP.label, ['token', 'private', 'trusted', 'wrap', 'unwrap'])).toEqual([
        { token: true, private: false, trusted: true, wrap: true, unwrap: false },
      ]);
      expect(s.labelInUse('so-private')).toBe(false);
    });
    // Public: visible without any login.
    expect(h.labelsInUse(PRIMARY, [WRAP.label, USER_WRAP.label])).toEqual([WRAP.label]);
  });

  it('one login state per token: no SO login while a user is logged in, and no user login while the SO is', () => {
    asUser(PRIMARY, () => {
      const e = caught(() => h.openSoSession(PRIMARY, secretFromString(SO_PIN)));
      expect([e.code, e.message]).toEqual(['hsm.general', 'logging in to token "ceremony-hsm" as security officer: CKR_USER_ANOTHER_ALREADY_LOGGED_IN']);
    });
    asSo(PRIMARY, (so) => {
      const e = caught(() => h.openSession(PRIMARY, secretFromString(USER_PIN)));
      expect([e.code, e.message]).toEqual(['hsm.general', 'logging in to token "ceremony-hsm": CKR_USER_ANOTHER_ALREADY_LOGGED_IN']);
      // The SO session is still logged in: it can still use the token.
      expect(so.random(16)).toHaveLength(16);
      expect(so.labelInUse(WRAP.label)).toBe(true);
    });
    // Login state is per token: the SO logged in to the primary token does not block a user on another one.
    asSo(PRIMARY, () => asUser(RESTORE, (s) => expect(s.token().label).toBe(RESTORE)));
  });
});

describe('generateKeyPair with backup', () => {
  it('backup: true makes RSA-3072 and EC-P256 keys sensitive, extractable and wrap-with-trusted, as the token reports', () => {
    asUser(PRIMARY, (s) => {
      rsa = s.generateKeyPair({ label: 'root-rsa', id: '01', algorithm: 'RSA-3072', backup: true });
      ec = s.generateKeyPair({ label: 'root-ec', id: '02', algorithm: 'EC-P256', backup: true });
      plain = s.generateKeyPair({ label: 'plain-ec', id: '04', algorithm: 'EC-P256' });
      expect([rsa.label, rsa.id, rsa.algorithm]).toEqual(['root-rsa', '01', 'RSA-3072']);
      expect([ec.label, ec.id, ec.algorithm]).toEqual(['root-ec', '02', 'EC-P256']);
      for (const k of [rsa, ec]) {
        expect(k.attributes).toEqual(BACKUP_KEY);
        expect(privateKeyOnToken(PRIMARY, k.label)).toEqual({ attributes: BACKUP_KEY, token: true, private: true, modifiable: false, copyable: false, publicToken: true });
      }
      // Without backup: never extractable, and not wrap-with-trusted.
      const never: KeyAttributes = { local: true, neverExtractable: true, alwaysSensitive: true, extractable: false, sensitive: true, wrapWithTrusted: false };
      expect(plain.attributes).toEqual(never);
      expect(privateKeyOnToken(PRIMARY, 'plain-ec').attributes).toEqual(never);
      expect(s.findKeys('root-ec')).toEqual([ec]);

      // The port reads CKA_WRAP_WITH_TRUSTED itself, not a guess from CKA_EXTRACTABLE: a key made outside the
      // port, extractable but without it, reads back as such.
      rawSession(PRIMARY, (raw) => {
        const common = { token: false, label: 'probe-ec', id: Buffer.from('0f', 'hex') };
        raw.generateKeyPair(
          graphene.KeyGenMechanism.EC,
          { ...common, keyType: graphene.KeyType.EC, verify: true, paramsEC: graphene.NamedCurve.getByName('secp256r1').value },
          { ...common, keyType: graphene.KeyType.EC, private: true, sign: true, sensitive: true, extractable: true, wrapWithTrusted: false },
        );
        expect(s.findKeys('probe-ec').map((k) => k.attributes)).toEqual([{ ...BACKUP_KEY, wrapWithTrusted: false }]);
      });
    });
  });
});

describe('wrapKey', () => {
  it('under the SO-trusted key: an RFC 5649 blob that only the wrap key opens', () => {
    asUser(PRIMARY, (s) => {
      rsaBlob = s.wrapKey(WRAP, rsa);
      ecBlob = s.wrapKey(WRAP, ec);
    });
    expect(rsaBlob.equals(ecBlob)).toBe(false);
    for (const [blob, key] of [
      [rsaBlob, rsa],
      [ecBlob, ec],
    ] as const) {
      // An outside RFC 5649 implementation opens the blob to the PKCS#8 of the key whose public key we hold.
      const pkcs8 = rfc5649Unwrap(wrapKeyBytes, blob);
      expect(blob.length).toBe(Math.ceil(pkcs8.length / 8) * 8 + 8);
      expect(spkiInBlob(wrapKeyBytes, blob).equals(key.spki)).toBe(true);
      // Any other key fails RFC 5649's integrity check.
      expect(() => rfc5649Unwrap(newWrapKeyBytes, blob)).toThrow();
      // The blob is not the plaintext, nor does it contain it or the private scalar/exponent.
      expect(blob.includes(pkcs8.subarray(pkcs8.length - 32))).toBe(false);
      const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
      expect(blob.includes(Buffer.from(jwk.d as string, 'base64url'))).toBe(false);
    }
  });

  it('the token refuses a wrap key imported with the user PIN, even one with the same bytes', () => {
    asUser(PRIMARY, (s) => {
      const session = s.importWrapKey({ label: 'session-wrap', id: 'b3' }, secretOf(wrapKeyBytes), { session: true });
      // Same bytes as the trusted key (same check value): only CKA_TRUSTED differs.
      expect(session.checkValue).toBe(kcvOf(wrapKeyBytes));
      for (const untrusted of [USER_WRAP, { label: 'session-wrap', id: 'b3' }]) {
        for (const key of [ec, rsa]) {
          const e = caught(() => s.wrapKey(untrusted, key));
          expect(e.code).toBe('hsm.general');
          // The adapter words this as if the key were not a backup key (see the report): pin the token's reason.
          expect(e.message).toMatch(new RegExp(`^wrapping key "${key.label}" refused by the token: wrap key ".+" is not one the SO marked trusted$`));
          expect(ckrOfCause(e)).toBe('CKR_KEY_NOT_WRAPPABLE');
        }
      }
      // The refusal is CKA_WRAP_WITH_TRUSTED at work: the trusted key still wraps the same key.
      expect(spkiInBlob(wrapKeyBytes, s.wrapKey(WRAP, ec)).equals(ec.spki)).toBe(true);
    });
  });

  it('the token refuses a key not generated for backup', () => {
    asUser(PRIMARY, (s) => {
      const e = caught(() => s.wrapKey(WRAP, plain));
      expect([e.code, e.message]).toEqual(['hsm.general', 'wrapping key "plain-ec" refused by the token: it was not generated for backup']);
      expect(ckrOfCause(e)).toBe('CKR_KEY_UNEXTRACTABLE');
    });
  });

  it('the trusted key only wraps: it opens none of its blobs, and the failed unwrap leaves nothing', () => {
    asUser(PRIMARY, (s) => {
      const before = objectCount(PRIMARY);
      const e = caught(() => s.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: ec.spki }));
      expect([e.code, e.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": CKR_KEY_FUNCTION_NOT_PERMITTED']);
      expect(s.labelInUse('copy-ec')).toBe(false);
      expect(objectCount(PRIMARY)).toBe(before);
    });
  });
});

describe('unwrapKey into a second token', () => {
  const RESTORE_TRUSTED = { label: 'restore-trusted', id: 'b4' };

  beforeAll(() => {
    // A trusted key, so the re-wrap refusal below can only be about the restored key itself.
    asSo(RESTORE, (so) => so.importWrapKey(RESTORE_TRUSTED, secretOf(newWrapKeyBytes), { trusted: true }));
    asUser(RESTORE, (s) => {
      const wk = s.importWrapKey(WRAP, secretOf(wrapKeyBytes));
      expect(wk.checkValue).toBe(kcvOf(wrapKeyBytes));
    });
  });

  it('restores both keys with honest attributes; they sign for the original public keys', () => {
    const data = Buffer.from('restored authority signs this');
    let rsaSig!: Buffer;
    asUser(RESTORE, (s) => {
      const r = s.unwrapKey(WRAP, rsaBlob, { label: 'root-rsa', id: '01', algorithm: 'RSA-3072' });
      const e = s.unwrapKey(WRAP, ecBlob, { label: 'root-ec', id: '02', algorithm: 'EC-P256', spki: ec.spki });
      for (const k of [r, e]) {
        expect(k.attributes).toEqual(RESTORED_KEY);
        expect(privateKeyOnToken(RESTORE, k.label)).toEqual({ attributes: RESTORED_KEY, token: true, private: true, modifiable: false, copyable: false, publicToken: true });
      }
      expect([r.label, r.id, r.algorithm, r.spki.equals(rsa.spki)]).toEqual(['root-rsa', '01', 'RSA-3072', true]);
      expect([e.label, e.id, e.algorithm, e.spki.equals(ec.spki)]).toEqual(['root-ec', '02', 'EC-P256', true]);
      expect(s.findKeys('root-ec')).toEqual([e]);
      // Why unwrapKey needs the spki for EC: SoftHSM keeps no CKA_EC_POINT on an EC private key.
      rawSession(RESTORE, (raw) => {
        const k = raw.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: 'root-ec' }).items(0).toType<graphene.PrivateKey>();
        expect(ckrName(() => k.getAttribute({ pointEC: null }))).toBe('CKR_ATTRIBUTE_TYPE_INVALID');
      });
      const ecSig = s.sign(e, data);
      expect(nodeVerify('sha256', data, { key: spkiKey(ec.spki), dsaEncoding: 'ieee-p1363' }, ecSig)).toBe(true);
      rsaSig = s.sign(r, data);
      expect(nodeVerify('sha256', data, spkiKey(rsa.spki), rsaSig)).toBe(true);
      expect(nodeVerify('sha256', Buffer.from('something else'), spkiKey(rsa.spki), rsaSig)).toBe(false);
    });
    // The keys persist on the token (token objects) after the session is gone.
    asUser(RESTORE, (s) => expect(s.findKeys('root-rsa').map((k) => k.spki.equals(rsa.spki))).toEqual([true]));

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
    asUser(RESTORE, (s) => {
      const wrong = secretFromBytes(randomBytes(32));
      s.importWrapKey({ label: 'wrong-wrap', id: 'bf' }, wrong, { session: true });
      wrong.wipe();
      const before = objectCount(RESTORE);
      const a = caught(() => s.unwrapKey({ label: 'wrong-wrap', id: 'bf' }, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: ec.spki }));
      expect([a.code, a.message]).toEqual(['hsm.general', 'unwrapping "copy-ec" failed: wrong wrap key or damaged blob']);
      expect(ckrOfCause(a)).toBe('CKR_GENERAL_ERROR');

      for (const at of [0, rsaBlob.length >> 1, rsaBlob.length - 1]) {
        const tampered = Buffer.from(rsaBlob);
        tampered[at] ^= 0x01;
        const b = caught(() => s.unwrapKey(WRAP, tampered, { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072' }));
        expect([b.code, b.message]).toEqual(['hsm.general', 'unwrapping "copy-rsa" failed: wrong wrap key or damaged blob']);
      }
      const cut = caught(() => s.unwrapKey(WRAP, rsaBlob.subarray(0, rsaBlob.length - 8), { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072' }));
      expect([cut.code, cut.message]).toEqual(['hsm.general', 'unwrapping "copy-rsa" failed: wrong wrap key or damaged blob']);
      expect(s.labelInUse('copy-ec')).toBe(false);
      expect(s.labelInUse('copy-rsa')).toBe(false);
      expect(objectCount(RESTORE)).toBe(before);
    });
  });

  it('refuses an EC unwrap without the public key, a mismatched public key, and the wrong algorithm', () => {
    asUser(RESTORE, (s) => {
      const before = objectCount(RESTORE);
      const noSpki = caught(() => s.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256' }));
      expect([noSpki.code, noSpki.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": the public key (spki) is required for EC-P256']);

      // A valid P-256 public key that is not this key's: the test signature catches it and nothing is kept.
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
      const mismatch = caught(() => s.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: other }));
      expect([mismatch.code, mismatch.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": the unwrapped key does not match the given public key']);
      expect(s.labelInUse('copy-ec')).toBe(false);

      const rsaSpkiForEc = caught(() => s.unwrapKey(WRAP, ecBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: rsa.spki }));
      expect([rsaSpkiForEc.code, rsaSpkiForEc.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": the given public key is not EC-P256']);

      const rsaMismatch = caught(() => s.unwrapKey(WRAP, rsaBlob, { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072', spki: other }));
      expect([rsaMismatch.code, rsaMismatch.message]).toEqual(['hsm.general', 'unwrapping "copy-rsa": the unwrapped key does not match the given public key']);
      expect(s.labelInUse('copy-rsa')).toBe(false);

      // A blob of the other key type: SoftHSM cannot read the PKCS#8 as the asked key type and refuses.
      const ecAsRsa = caught(() => s.unwrapKey(WRAP, ecBlob, { label: 'copy-rsa', id: '11', algorithm: 'RSA-3072' }));
      expect([ecAsRsa.code, ecAsRsa.message]).toEqual(['hsm.general', 'unwrapping "copy-rsa": CKR_FUNCTION_FAILED']);
      const rsaAsEc = caught(() => s.unwrapKey(WRAP, rsaBlob, { label: 'copy-ec', id: '12', algorithm: 'EC-P256', spki: ec.spki }));
      expect([rsaAsEc.code, rsaAsEc.message]).toEqual(['hsm.general', 'unwrapping "copy-ec": CKR_FUNCTION_FAILED']);
      expect(s.labelInUse('copy-rsa')).toBe(false);
      expect(s.labelInUse('copy-ec')).toBe(false);

      const label = caught(() => s.unwrapKey(WRAP, rsaBlob, { label: 'root-rsa', id: '01', algorithm: 'RSA-3072' }));
      expect([label.code, label.message]).toEqual(['env.key-label-used', 'unwrapping "root-rsa": the label is already in use on the token']);
      expect(objectCount(RESTORE)).toBe(before);
    });
  });

  it('a key restored to the token cannot be wrapped again, even under a trusted key', () => {
    asUser(RESTORE, (s) => {
      for (const key of [
        { label: 'root-ec', id: '02' },
        { label: 'root-rsa', id: '01' },
      ]) {
        const e = caught(() => s.wrapKey(RESTORE_TRUSTED, key));
        expect([e.code, e.message]).toEqual(['hsm.general', `wrapping key "${key.label}" refused by the token: it was not generated for backup`]);
        expect(ckrOfCause(e)).toBe('CKR_KEY_UNEXTRACTABLE');
      }
    });
  });
});

describe('re-share: session copies wrapped again under a new session wrap key', () => {
  const OLD = { label: 'old-wrap', id: 'b1' };

  it('session unwrap gives extractable session copies (not wrap-with-trusted) that a session wrap key wraps again; the old key opens none of the new blobs', () => {
    asUser(RESHARE, (s) => {
      // The rebuilt old key, a session object that only unwraps; the new one, a session object that only wraps.
      const old = s.importWrapKey(OLD, secretOf(wrapKeyBytes), { session: true, use: 'unwrap' });
      const neu = s.importWrapKey(NEW_WRAP, secretOf(newWrapKeyBytes), { session: true, use: 'wrap' });
      expect([old.attributes.wrap, old.attributes.unwrap, neu.attributes.wrap, neu.attributes.unwrap]).toEqual([false, true, true, false]);
      const r = s.unwrapKey(OLD, rsaBlob, { label: 'copy-rsa', id: '01', algorithm: 'RSA-3072', spki: rsa.spki, session: true });
      const e = s.unwrapKey(OLD, ecBlob, { label: 'copy-ec', id: '02', algorithm: 'EC-P256', spki: ec.spki, session: true });
      for (const k of [r, e]) {
        expect(k.attributes).toEqual(SESSION_COPY);
        expect(privateKeyOnToken(RESHARE, k.label)).toEqual({ attributes: SESSION_COPY, token: false, private: true, modifiable: false, copyable: false, publicToken: false });
      }
      expect([r.spki.equals(rsa.spki), e.spki.equals(ec.spki)]).toEqual([true, true]);
      // The copy signs for the original public key.
      const data = Buffer.from('session copy');
      expect(nodeVerify('sha256', data, { key: spkiKey(ec.spki), dsaEncoding: 'ieee-p1363' }, s.sign(e, data))).toBe(true);

      // An unwrap-only key cannot wrap, even a copy that any wrap key may wrap.
      const refused = caught(() => s.wrapKey(OLD, e));
      expect(ckrOfCause(refused)).toBe('CKR_KEY_FUNCTION_NOT_PERMITTED');

      newRsaBlob = s.wrapKey(NEW_WRAP, r);
      newEcBlob = s.wrapKey(NEW_WRAP, e);
      for (const [blob, oldBlob, key] of [
        [newRsaBlob, rsaBlob, rsa],
        [newEcBlob, ecBlob, ec],
      ] as const) {
        expect(blob.equals(oldBlob)).toBe(false);
        expect(spkiInBlob(newWrapKeyBytes, blob).equals(key.spki)).toBe(true);
        // The old wrap key (what the old shares rebuild) opens none of the new blobs, in node or in the token.
        expect(() => rfc5649Unwrap(wrapKeyBytes, blob)).toThrow();
      }
      const before = objectCount(RESHARE);
      const stale = caught(() => s.unwrapKey(OLD, newEcBlob, { label: 'stale-ec', id: '12', algorithm: 'EC-P256', spki: ec.spki, session: true }));
      expect([stale.code, stale.message]).toEqual(['hsm.general', 'unwrapping "stale-ec" failed: wrong wrap key or damaged blob']);
      const staleRsa = caught(() => s.unwrapKey(OLD, newRsaBlob, { label: 'stale-rsa', id: '11', algorithm: 'RSA-3072' }));
      expect([staleRsa.code, staleRsa.message]).toEqual(['hsm.general', 'unwrapping "stale-rsa" failed: wrong wrap key or damaged blob']);
      expect(objectCount(RESHARE)).toBe(before);

      // The copies go with sessionOnly; nothing stored on the token is touched.
      expect(s.destroyObjects({ label: 'copy-ec', id: '02' }, { sessionOnly: true })).toBe(2);
      expect(s.findKeys('copy-ec')).toEqual([]);
    });
  });

  it('the session copies and both wrap keys are gone with the session; the new blobs restore under the new key only', () => {
    asUser(RESHARE, (s) => {
      expect(s.findKeys('copy-rsa')).toEqual([]);
      expect(s.labelInUse(OLD.label)).toBe(false);
      expect(s.labelInUse(NEW_WRAP.label)).toBe(false);

      const NEW_UNWRAP = { label: 'new-unwrap', id: 'b5' };
      s.importWrapKey(NEW_UNWRAP, secretOf(newWrapKeyBytes), { session: true, use: 'unwrap' });
      // The new key does not open the old blobs either: two separate backups.
      const old = caught(() => s.unwrapKey(NEW_UNWRAP, ecBlob, { label: 'root-ec', id: '02', algorithm: 'EC-P256', spki: ec.spki }));
      expect([old.code, old.message]).toEqual(['hsm.general', 'unwrapping "root-ec" failed: wrong wrap key or damaged blob']);

      const r = s.unwrapKey(NEW_UNWRAP, newRsaBlob, { label: 'root-rsa', id: '01', algorithm: 'RSA-3072', spki: rsa.spki });
      const e = s.unwrapKey(NEW_UNWRAP, newEcBlob, { label: 'root-ec', id: '02', algorithm: 'EC-P256', spki: ec.spki });
      for (const k of [r, e]) expect(k.attributes).toEqual(RESTORED_KEY);
      const data = Buffer.from('restored from the new backup');
      expect(nodeVerify('sha256', data, { key: spkiKey(ec.spki), dsaEncoding: 'ieee-p1363' }, s.sign(e, data))).toBe(true);
      expect(nodeVerify('sha256', data, spkiKey(rsa.spki), s.sign(r, data))).toBe(true);
      // A stored key is never removed by a session-only destroy.
      expect(s.destroyObjects({ label: 'root-ec', id: '02' }, { sessionOnly: true })).toBe(0);
      expect(s.findKeys('root-ec')).toHaveLength(1);
    });
  });
});

describe('backup through a transport key the HSM generates for the SO', () => {
  const TRANSPORT = { label: 'transport', id: 'c1' };
  const W = { label: 'wrap-session', id: 'c2' };
  const COPY = { label: 'copy-ec-2', id: '02' };

  it('the token makes a trusted key whose value never left it; a backup key leaves under it, its session copy under a session wrap key', () => {
    const t = asSo(PRIMARY, (so) => so.generateTrustedWrapKey(TRANSPORT));
    expect(t.attributes).toMatchObject({ trusted: true, sensitive: true, extractable: false, neverExtractable: true, local: true, wrap: true, unwrap: true, encrypt: false, decrypt: false });
    const w = randomBytes(32);
    let blob: Buffer;
    asUser(PRIMARY, (s) => {
      s.importWrapKey(W, secretOf(w), { session: true, use: 'wrap' });
      // The stored backup key refuses the session wrap key (not trusted), and leaves under the transport key.
      expect(ckrOfCause(caught(() => s.wrapKey(W, ec)))).toBe('CKR_KEY_NOT_WRAPPABLE');
      const viaTransport = s.wrapKey(TRANSPORT, ec);
      const copy = s.unwrapKey(TRANSPORT, viaTransport, { ...COPY, algorithm: 'EC-P256', spki: ec.spki, session: true });
      expect(copy.attributes).toEqual(SESSION_COPY);
      blob = s.wrapKey(W, COPY);
      expect(s.destroyObjects(COPY, { sessionOnly: true })).toBe(2);
      expect(s.destroyObjects(TRANSPORT)).toBe(1);
      expect(s.findKeys('root-ec')).toEqual([ec]);
    });
    // What is kept opens with the wrap key alone, to the original key.
    expect(spkiInBlob(w, blob!).equals(ec.spki)).toBe(true);
    expect(h.labelsInUse(PRIMARY, [TRANSPORT.label])).toEqual([]);
  });
});

describe('destroyObjects', () => {
  it('removes the wrap key, and only objects with both that label and that CKA_ID', () => {
    asUser(PRIMARY, (s) => {
      expect(s.destroyObjects({ label: WRAP.label, id: 'ff' })).toBe(0);
      expect(s.destroyObjects({ label: 'no-such-label', id: WRAP.id })).toBe(0);
      expect(s.labelInUse(WRAP.label)).toBe(true);

      expect(s.destroyObjects(WRAP)).toBe(1);
      expect(s.labelInUse(WRAP.label)).toBe(false);
      expect(s.destroyObjects(WRAP)).toBe(0);
      const e = caught(() => s.wrapKey(WRAP, ec));
      expect([e.code, e.message]).toEqual(['hsm.key-not-found', 'expected one wrap key "backup-wrap" with CKA_ID b1, found 0']);

      // A key pair: private and public key objects both go.
      expect(s.destroyObjects({ label: 'plain-ec', id: '04' })).toBe(2);
      expect(s.labelInUse('plain-ec')).toBe(false);
      expect(s.findKeys('root-ec')).toEqual([ec]);
    });
    expect(h.labelsInUse(PRIMARY, [WRAP.label, 'root-ec'])).toEqual(['root-ec']);
  });
});

describe('secrecy', () => {
  it('the wrap key material appears in no error thrown in this file', () => {
    expect(thrown.length).toBeGreaterThanOrEqual(32);
    for (const err of thrown) {
      const texts = [err.message, ...err.details, String((err.cause as Error | undefined)?.message ?? ''), JSON.stringify(err), String(err.stack)];
      for (const t of texts) for (const form of leakForms) expect(t.includes(form)).toBe(false);
    }
  });
});
