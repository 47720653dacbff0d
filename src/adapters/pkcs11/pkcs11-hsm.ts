// Pkcs11Hsm: the Hsm port over any PKCS#11 module through graphene-pk11 (SoftHSM2 by default, a real HSM by
// module path). Keys are generated sensitive and non-extractable; CKR_* codes become OfficiantErrors with
// hsm.* codes whose messages name the token, never a PIN. PINs cross into pkcs11js as short-lived strings
// (its API takes strings); our Buffers are wiped by their owners.
import graphene from 'graphene-pk11';
import { createHash, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { OfficiantError, type HsmCode } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import type { Hsm, HsmSession, KeyAttributes, KeyRecord, Secret, TokenIdentity, WrapKeyRecord, WrapKeyUse } from '../../engine/ports.js';
import { acquireModule, type Pkcs11Module } from './module-registry.js';
import type { KeyAlgorithm } from '../../script/schema.js';

// CKA_COPYABLE (PKCS#11 v2.40) is unknown to graphene's attribute table.
graphene.registerAttribute('copyable', 0x171, 'boolean');

const CKR: Record<number, { code: HsmCode; text: string }> = {
  0x30: { code: 'hsm.device', text: 'device error' },
  0x32: { code: 'hsm.device', text: 'device removed' },
  0xe0: { code: 'hsm.device', text: 'token not present' },
  0xb0: { code: 'hsm.device', text: 'session closed' },
  0xb3: { code: 'hsm.device', text: 'session no longer valid (token removed?)' },
  0x70: { code: 'hsm.mechanism', text: 'mechanism not supported by the token' },
  0xa0: { code: 'hsm.pin-incorrect', text: 'pin incorrect' },
  0xa1: { code: 'hsm.pin-invalid', text: 'pin contains characters the token refuses' },
  0xa2: { code: 'hsm.pin-invalid', text: 'pin length out of the range the token accepts' },
  0xa4: { code: 'hsm.pin-locked', text: 'pin locked after too many wrong entries' },
  0x101: { code: 'hsm.not-logged-in', text: 'not logged in' },
};

export function pkcs11Error(err: unknown, what: string): OfficiantError {
  if (err instanceof OfficiantError) return err;
  const code = typeof (err as { code?: unknown })?.code === 'number' ? ((err as { code: number }).code) : undefined;
  const mapped = code === undefined ? undefined : CKR[code];
  if (mapped) return new OfficiantError(mapped.code, `${what}: ${mapped.text}`, { cause: err });
  const text = String((err as Error)?.message ?? err).split('\n')[0];
  const name = /CKR_[A-Z_]+/.exec(text)?.[0] ?? `unexpected error (${text})`;
  return new OfficiantError('hsm.general', `${what}: ${name}`, { cause: err });
}

function pinString(pin: Secret): string {
  return pin.use((b) => b.toString('utf8'));
}

function slotId(slot: graphene.Slot): number {
  const h = slot.handle as Buffer;
  return h.length >= 8 ? Number(h.readBigUInt64LE(0)) : h.readUInt32LE(0);
}

function version(v: { major: number; minor: number }): string {
  return `${v.major}.${v.minor}`;
}

function identity(slot: graphene.Slot): TokenIdentity {
  const t = slot.getToken();
  return {
    label: t.label.trim(),
    manufacturer: t.manufacturerID.trim(),
    model: t.model.trim(),
    serial: t.serialNumber.trim(),
    hardwareVersion: version(t.hardwareVersion),
    firmwareVersion: version(t.firmwareVersion),
    slotId: slotId(slot),
  };
}

/** What the token says about the user PIN's remaining tries (PKCS#11 leaves the exact count to the token). */
function pinCounter(slot: graphene.Slot, who: 'user' | 'so' = 'user'): string {
  const F = graphene.TokenFlag;
  const [locked, final, low] = who === 'so' ? [F.SO_PIN_LOCKED, F.SO_PIN_FINAL_TRY, F.SO_PIN_COUNT_LOW] : [F.USER_PIN_LOCKED, F.USER_PIN_FINAL_TRY, F.USER_PIN_COUNT_LOW];
  const pin = who === 'so' ? 'SO PIN' : 'PIN';
  try {
    const flags = slot.getToken().flags;
    if (flags & locked) return ` (the token has now locked the ${who === 'so' ? 'SO PIN' : 'user PIN'})`;
    if (flags & final) return ` (the token reports: one try left before the ${pin} locks)`;
    if (flags & low) return ` (the token reports: few tries left before the ${pin} locks)`;
    return ' (the token reports no retry limit reached)';
  } catch {
    return '';
  }
}

const CURVES: Record<string, { name: string; jwk: 'P-256' | 'P-384' }> = {
  'EC-P256': { name: 'secp256r1', jwk: 'P-256' },
  'EC-P384': { name: 'secp384r1', jwk: 'P-384' },
};

/** CKA_EC_POINT arrives as a DER OCTET STRING around the uncompressed point. */
export function unwrapEcPoint(attr: Buffer): Buffer {
  if (attr[0] === 0x04 && attr[1] === attr.length - 2) return attr.subarray(2);
  if (attr[0] === 0x04 && attr[1] === 0x81 && attr[2] === attr.length - 3) return attr.subarray(3);
  return attr;
}

function spkiOf(pub: graphene.PublicKey, algorithm: KeyAlgorithm): Buffer {
  const b64u = (b: Buffer) => b.toString('base64url');
  if (algorithm.startsWith('RSA')) {
    const a = pub.getAttribute({ modulus: null, publicExponent: null });
    return createPublicKey({ key: { kty: 'RSA', n: b64u(a.modulus as Buffer), e: b64u(a.publicExponent as Buffer) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  const pt = unwrapEcPoint(pub.getAttribute({ pointEC: null }).pointEC as Buffer);
  const n = (pt.length - 1) / 2;
  return createPublicKey({
    key: { kty: 'EC', crv: CURVES[algorithm].jwk, x: b64u(pt.subarray(1, 1 + n)), y: b64u(pt.subarray(1 + n)) },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
}

function algorithmOf(priv: graphene.PrivateKey, pub: graphene.PublicKey): KeyAlgorithm {
  if (priv.type === graphene.KeyType.RSA) {
    const bits = (pub.getAttribute({ modulus: null }).modulus as Buffer).length * 8;
    if (bits === 4096) return 'RSA-4096';
    if (bits === 3072) return 'RSA-3072';
    throw new OfficiantError('hsm.general', `key "${priv.label}" is RSA-${bits}, not a size Officiant generates`);
  }
  const a = pub.getAttribute({ paramsEC: null });
  // graphene names CKA_EC_PARAMS paramsECDSA on the way back
  const params = (a.paramsEC ?? a.paramsECDSA) as Buffer;
  if (params?.equals(graphene.NamedCurve.getByName('secp384r1').value)) return 'EC-P384';
  if (params?.equals(graphene.NamedCurve.getByName('secp256r1').value)) return 'EC-P256';
  throw new OfficiantError('hsm.general', `key "${priv.label}" is on a curve Officiant does not generate`);
}

// What SoftHSM answers when RFC 5649 unwrapping fails its integrity check (wrong key, altered or cut blob):
// CKR_GENERAL_ERROR in 2.6.1; the others are what the standard names for the same failure.
const UNWRAP_INTEGRITY_CKR = new Set([0x05, 0x40, 0x41, 0x110, 0x112]);
const CKR_KEY_UNEXTRACTABLE = 0x6a;
const CKR_KEY_NOT_WRAPPABLE = 0x69;

function ckrOf(err: unknown): number | undefined {
  return typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
}

/** CKA_EC_POINT for an uncompressed point: a DER OCTET STRING around it (points here are < 128 bytes). */
function ecPointAttribute(spki: Buffer): Buffer {
  const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
  return Buffer.concat([Buffer.from([0x04, point.length]), point]);
}

function curveOfSpki(spki: Buffer): string | undefined {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return key.asymmetricKeyType === 'ec' ? (key.export({ format: 'jwk' }).crv as string) : undefined;
}

/** Logs out and closes, each on its own: a failed logout (never logged in, token gone) must not leak the session. */
export function endSession(session: graphene.Session | undefined): void {
  if (!session) return;
  try {
    session.logout();
  } catch {
    // not logged in, or the token is gone: nothing left to protect
  }
  try {
    session.close();
  } catch {
    // token removed: the session went with it
  }
}

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

class Pkcs11Session implements HsmSession {
  constructor(
    private readonly slot: graphene.Slot,
    private readonly session: graphene.Session,
  ) {}

  token(): TokenIdentity {
    return identity(this.slot);
  }

  random(bytes: number): Buffer {
    try {
      failpoint('hsm.random');
      return this.session.generateRandom(bytes);
    } catch (err) {
      throw pkcs11Error(err, 'random number generation');
    }
  }

  private record(priv: graphene.PrivateKey): KeyRecord {
    const label = priv.label;
    const id = priv.id;
    const pubs = this.session.find({ class: graphene.ObjectClass.PUBLIC_KEY, label, id });
    if (pubs.length === 0) throw new OfficiantError('hsm.key-not-found', `private key "${label}" has no public key object on the token`);
    const pub = pubs.items(0).toType<graphene.PublicKey>();
    const algorithm = algorithmOf(priv, pub);
    const a = priv.getAttribute({ local: null, neverExtractable: null, alwaysSensitive: null, extractable: null, sensitive: null, wrapWithTrusted: null });
    const attributes: KeyAttributes = {
      local: !!a.local,
      neverExtractable: !!a.neverExtractable,
      alwaysSensitive: !!a.alwaysSensitive,
      extractable: !!a.extractable,
      sensitive: !!a.sensitive,
      wrapWithTrusted: !!a.wrapWithTrusted,
    };
    return { label, id: id.toString('hex'), algorithm, spki: spkiOf(pub, algorithm), attributes };
  }

  findKeys(label: string): KeyRecord[] {
    try {
      failpoint('hsm.find');
      const found = this.session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label });
      const out: KeyRecord[] = [];
      for (let i = 0; i < found.length; i++) out.push(this.record(found.items(i).toType<graphene.PrivateKey>()));
      return out;
    } catch (err) {
      throw pkcs11Error(err, `looking up key "${label}"`);
    }
  }

  labelInUse(label: string): boolean {
    try {
      failpoint('hsm.find');
      return this.session.find({ label }).length > 0;
    } catch (err) {
      throw pkcs11Error(err, `looking up objects labelled "${label}"`);
    }
  }

  generateKeyPair(spec: { label: string; id: string; algorithm: KeyAlgorithm; backup?: boolean }): KeyRecord {
    const id = Buffer.from(spec.id, 'hex');
    const common = { token: true, label: spec.label, id };
    // Sensitive and non-extractable: the private key never leaves the token. Not copyable and not modifiable:
    // nobody holding the user PIN can clone it or relabel it afterwards. A backup key is extractable, and
    // CKA_WRAP_WITH_TRUSTED: it leaves the token only wrapped, and only under a key the SO marked trusted
    // (importWrapKey with trusted, in an SO session); a wrap key made with the user PIN is refused.
    const backup = spec.backup === true;
    const priv = { ...common, private: true, sign: true, sensitive: true, extractable: backup, wrapWithTrusted: backup, decrypt: false, unwrap: false, derive: false, copyable: false, modifiable: false };
    try {
      failpoint('hsm.generateKeyPair');
      let keys: graphene.IKeyPair;
      if (spec.algorithm.startsWith('RSA')) {
        const bits = spec.algorithm === 'RSA-4096' ? 4096 : 3072;
        keys = this.session.generateKeyPair(
          graphene.KeyGenMechanism.RSA,
          { ...common, keyType: graphene.KeyType.RSA, private: false, verify: true, encrypt: false, wrap: false, modulusBits: bits, publicExponent: Buffer.from([1, 0, 1]) },
          { ...priv, keyType: graphene.KeyType.RSA },
        );
      } else {
        keys = this.session.generateKeyPair(
          graphene.KeyGenMechanism.EC,
          { ...common, keyType: graphene.KeyType.EC, private: false, verify: true, paramsEC: graphene.NamedCurve.getByName(CURVES[spec.algorithm].name).value },
          { ...priv, keyType: graphene.KeyType.EC },
        );
      }
      return this.record(keys.privateKey);
    } catch (err) {
      throw pkcs11Error(err, `generating key "${spec.label}"`);
    }
  }

  private wrapKeyObject(ref: { label: string; id: string }): graphene.SecretKey {
    const found = this.session.find({ class: graphene.ObjectClass.SECRET_KEY, label: ref.label, id: Buffer.from(ref.id, 'hex') });
    if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one wrap key "${ref.label}" with CKA_ID ${ref.id}, found ${found.length}`);
    return found.items(0).toType<graphene.SecretKey>();
  }

  private privateKeyObject(ref: { label: string; id: string }): graphene.PrivateKey {
    const found = this.session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: ref.label, id: Buffer.from(ref.id, 'hex') });
    if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one private key "${ref.label}" with CKA_ID ${ref.id}, found ${found.length}`);
    return found.items(0).toType<graphene.PrivateKey>();
  }

  importWrapKey(spec: { label: string; id: string }, key: Secret, opts: { trusted?: boolean; session?: boolean; use?: WrapKeyUse } = {}): WrapKeyRecord {
    if (key.length !== 32) throw new OfficiantError('hsm.general', `importing wrap key "${spec.label}": expected 32 bytes, got ${key.length}`);
    try {
      if (this.session.find({ label: spec.label }).length > 0) throw new OfficiantError('env.key-label-used', `importing wrap key "${spec.label}": the label is already in use on the token`);
      failpoint('hsm.importWrapKey');
      // Wrap and/or unwrap only: a key that could also encrypt or decrypt would let anyone with the user PIN
      // decrypt a backup blob's bytes outside the unwrap path. CKA_TRUSTED is set only in an SO session (SoftHSM
      // answers CKR_ATTRIBUTE_READ_ONLY to it in a user session); there only public objects can be created, so
      // a trusted key is a public token object (it must outlive the SO login), wrap-only.
      const use = opts.use ?? (opts.trusted ? 'wrap' : 'both');
      const usage = { private: !opts.trusted, ...(opts.trusted ? { trusted: true } : {}), wrap: use !== 'unwrap', unwrap: use !== 'wrap' };
      const obj = key.use((value) =>
        this.session.create({
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

  generateTrustedWrapKey(spec: { label: string; id: string }): WrapKeyRecord {
    try {
      if (this.session.find({ label: spec.label }).length > 0) throw new OfficiantError('env.key-label-used', `generating wrap key "${spec.label}": the label is already in use on the token`);
      failpoint('hsm.generateTrustedWrapKey');
      // Made by the token itself (its value never leaves it), public because an SO session can create nothing
      // else, and a token object because it must outlive the SO login; wrap and unwrap only.
      const obj = this.session.generateKey(graphene.KeyGenMechanism.AES, {
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

  destroyObjects(ref: { label: string; id: string }, opts: { sessionOnly?: boolean } = {}): number {
    try {
      const found = this.session.find({ label: ref.label, id: Buffer.from(ref.id, 'hex'), ...(opts.sessionOnly ? { token: false } : {}) });
      const n = found.length;
      for (let i = n - 1; i >= 0; i--) this.session.destroy(found.items(i));
      return n;
    } catch (err) {
      throw pkcs11Error(err, `destroying objects labelled "${ref.label}"`);
    }
  }

  wrapKey(wrapping: { label: string; id: string }, ref: { label: string; id: string }): Buffer {
    try {
      const wk = this.wrapKeyObject(wrapping);
      const key = this.privateKeyObject(ref);
      failpoint('hsm.wrapKey');
      return this.session.wrapKey(graphene.MechanismEnum.AES_KEY_WRAP_PAD, wk, key);
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

  unwrapKey(wrapping: { label: string; id: string }, wrapped: Buffer, spec: { label: string; id: string; algorithm: KeyAlgorithm; spki?: Buffer; session?: boolean }): KeyRecord {
    const what = `unwrapping "${spec.label}"`;
    const rsa = spec.algorithm.startsWith('RSA');
    if (!rsa && !spec.spki) throw new OfficiantError('hsm.general', `${what}: the public key (spki) is required for ${spec.algorithm}`);
    if (!rsa && curveOfSpki(spec.spki!) !== CURVES[spec.algorithm].jwk) throw new OfficiantError('hsm.general', `${what}: the given public key is not ${spec.algorithm}`);
    const id = Buffer.from(spec.id, 'hex');
    const created: graphene.SessionObject[] = [];
    try {
      if (this.session.find({ label: spec.label }).length > 0) throw new OfficiantError('env.key-label-used', `${what}: the label is already in use on the token`);
      const wk = this.wrapKeyObject(wrapping);
      failpoint('hsm.unwrapKey');
      const keyType = rsa ? graphene.KeyType.RSA : graphene.KeyType.EC;
      let priv: graphene.PrivateKey;
      try {
        priv = this.session
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
        created.push(this.session.create({ ...pubCommon, keyType, modulus: a.modulus as Buffer, publicExponent: a.publicExponent as Buffer }));
      } else {
        const paramsEC = graphene.NamedCurve.getByName(CURVES[spec.algorithm].name).value;
        created.push(this.session.create({ ...pubCommon, keyType, paramsEC, pointEC: ecPointAttribute(spec.spki!) }));
      }
      const record = this.record(priv);
      if (record.algorithm !== spec.algorithm) throw new OfficiantError('hsm.general', `${what}: the blob holds a ${record.algorithm} key, not ${spec.algorithm}`);
      const expected = spec.spki ? createPublicKey({ key: spec.spki, format: 'der', type: 'spki' }) : createPublicKey({ key: record.spki, format: 'der', type: 'spki' });
      if (!expected.export({ type: 'spki', format: 'der' }).equals(record.spki)) throw new OfficiantError('hsm.general', `${what}: the unwrapped key does not match the given public key`);
      // Why a test signature: for EC the public key object is built from the caller's spki, so only a
      // signature proves the private key inside the token belongs to it.
      const challenge = randomBytes(32);
      const sig = this.sign(spec, challenge);
      if (!verifySignature('sha256', challenge, { key: expected, dsaEncoding: 'ieee-p1363' }, sig)) {
        throw new OfficiantError('hsm.general', `${what}: the unwrapped key does not match the given public key`);
      }
      return record;
    } catch (err) {
      // Nothing half-done: a private key without its public key, or a pair that fails the check, is removed.
      for (const obj of created.reverse()) {
        try {
          this.session.destroy(obj);
        } catch {
          // the token is gone or refuses: the error below is what matters
        }
      }
      throw pkcs11Error(err, what);
    }
  }

  sign(ref: { label: string; id: string }, data: Buffer, hash: 'SHA-256' | 'SHA-384' = 'SHA-256'): Buffer {
    const label = ref.label;
    try {
      failpoint('hsm.sign');
      const found = this.session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label, id: Buffer.from(ref.id, 'hex') });
      if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one private key "${label}" with CKA_ID ${ref.id}, found ${found.length}`);
      const key = found.items(0).toType<graphene.PrivateKey>();
      if (key.type === graphene.KeyType.RSA) return this.session.createSign(hash === 'SHA-384' ? 'SHA384_RSA_PKCS' : 'SHA256_RSA_PKCS', key).once(data);
      // SoftHSM has no CKM_ECDSA_SHA256: hash here, sign the digest with CKM_ECDSA (raw r||s comes back).
      return this.session.createSign('ECDSA', key).once(createHash(hash === 'SHA-384' ? 'sha384' : 'sha256').update(data).digest());
    } catch (err) {
      throw pkcs11Error(err, `signing with key "${label}"`);
    }
  }

  close(): void {
    endSession(this.session);
  }
}

export class Pkcs11Hsm implements Hsm {
  private constructor(
    private readonly mod: graphene.Module,
    private readonly library: string,
    private readonly lease: Pkcs11Module,
  ) {}

  /**
   * Loads and initialises the module, or shares it when another adapter in this process (the PIV reader in a
   * rehearsal) already has; a missing or broken module is an environment error (exit 3).
   */
  static load(library: string): Pkcs11Hsm {
    const lease = acquireModule(library);
    return new Pkcs11Hsm(lease.module, library, lease);
  }

  describe(): { library: string; manufacturer: string; version: string } {
    return { library: this.library, manufacturer: this.mod.manufacturerID.trim(), version: version(this.mod.libraryVersion) };
  }

  private slots(): graphene.Slot[] {
    try {
      const list = this.mod.getSlots(true);
      const out: graphene.Slot[] = [];
      for (let i = 0; i < list.length; i++) out.push(list.items(i));
      return out;
    } catch (err) {
      throw pkcs11Error(err, 'listing slots');
    }
  }

  private slotFor(label: string): graphene.Slot | undefined {
    try {
      const matches = this.slots().filter((s) => {
        const t = s.getToken();
        return (t.flags & graphene.TokenFlag.TOKEN_INITIALIZED) !== 0 && t.label.trim() === label;
      });
      // Two tokens with one label would make every later lookup ambiguous: refuse rather than guess.
      if (matches.length > 1) throw new OfficiantError('env.token-label-used', `${matches.length} tokens are labelled "${label}"; remove all but one`);
      return matches[0];
    } catch (err) {
      throw pkcs11Error(err, `looking for token "${label}"`);
    }
  }

  findToken(label: string): TokenIdentity | undefined {
    try {
      failpoint('hsm.findToken');
      const slot = this.slotFor(label);
      return slot ? identity(slot) : undefined;
    } catch (err) {
      throw pkcs11Error(err, `looking for token "${label}"`);
    }
  }

  freeSlots(): number[] {
    try {
      failpoint('hsm.freeSlots');
      return this.slots()
        .filter((s) => (s.getToken().flags & graphene.TokenFlag.TOKEN_INITIALIZED) === 0)
        .map(slotId);
    } catch (err) {
      throw pkcs11Error(err, 'listing free slots');
    }
  }

  initToken(slot: number, label: string, soPin: Secret): TokenIdentity {
    const target = this.slots().find((s) => slotId(s) === slot);
    if (!target) throw new OfficiantError('env.no-free-slot', `slot ${slot} is not present`);
    try {
      failpoint('hsm.initToken');
      // graphene's Slot.initToken crashes on the undefined that pkcs11js returns after a successful
      // C_InitToken; call the binding directly.
      (target as unknown as { lib: { C_InitToken(slot: Buffer, pin: string, label: string): unknown } }).lib.C_InitToken(target.handle as Buffer, pinString(soPin), label);
    } catch (err) {
      throw pkcs11Error(err, `initialising token "${label}"`);
    }
    const found = this.findToken(label);
    if (!found) throw new OfficiantError('hsm.device', `token "${label}" not found right after initialisation`);
    return found;
  }

  userPinInitialised(label: string): boolean {
    const slot = this.requireSlot(label);
    try {
      failpoint('hsm.tokenInfo');
      return (slot.getToken().flags & graphene.TokenFlag.USER_PIN_INITIALIZED) !== 0;
    } catch (err) {
      throw pkcs11Error(err, `reading the state of token "${label}"`);
    }
  }

  initUserPin(label: string, soPin: Secret, userPin: Secret): void {
    const slot = this.requireSlot(label);
    let session: graphene.Session | undefined;
    try {
      session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      session.login(pinString(soPin), graphene.UserType.SO);
      failpoint('hsm.initPin');
      session.initPin(pinString(userPin));
    } catch (err) {
      throw pkcs11Error(err, `setting the user pin of token "${label}"`);
    } finally {
      endSession(session);
    }
  }

  private requireSlot(label: string): graphene.Slot {
    const slot = this.slotFor(label);
    if (!slot) throw new OfficiantError('env.token-missing', `token "${label}" is not present`);
    return slot;
  }

  openSession(label: string, userPin: Secret): HsmSession {
    return this.login(label, userPin, 'user');
  }

  openSoSession(label: string, soPin: Secret): HsmSession {
    return this.login(label, soPin, 'so');
  }

  private login(label: string, pin: Secret, who: 'user' | 'so'): HsmSession {
    const slot = this.requireSlot(label);
    let session: graphene.Session | undefined;
    try {
      session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      failpoint(who === 'so' ? 'hsm.soLogin' : 'hsm.login');
      session.login(pinString(pin), who === 'so' ? graphene.UserType.SO : graphene.UserType.USER);
      return new Pkcs11Session(slot, session);
    } catch (err) {
      // Close without C_Logout: the login state is the token's, and another session of this process may hold it.
      try {
        session?.close();
      } catch {
        // the token is gone: the login error matters
      }
      const e = pkcs11Error(err, `logging in to token "${label}"${who === 'so' ? ' as security officer' : ''}`);
      if (e.code !== 'hsm.pin-incorrect' && e.code !== 'hsm.pin-locked') throw e;
      throw new OfficiantError(e.code, `${e.message}${pinCounter(slot, who)}`, { cause: err });
    }
  }

  labelsInUse(tokenLabel: string, labels: readonly string[]): string[] {
    const slot = this.requireSlot(tokenLabel);
    try {
      const session = slot.open(graphene.SessionFlag.SERIAL_SESSION);
      try {
        return labels.filter((l) => session.find({ label: l }).length > 0);
      } finally {
        session.close();
      }
    } catch (err) {
      throw pkcs11Error(err, `listing objects on token "${tokenLabel}"`);
    }
  }

  /** Gives the module back; it is finalised only when no other adapter in this process still uses it. */
  close(): void {
    this.lease.release();
  }
}
