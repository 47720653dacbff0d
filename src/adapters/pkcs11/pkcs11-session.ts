// Pkcs11Session: the HsmSession port over one logged-in graphene session. Contract: every method completes on
// the token or throws an OfficiantError naming the label it worked on (never a PIN or a key value); keys are
// generated sensitive, non-copyable and non-modifiable; close() logs out and closes and never throws.
import './copyable-attribute.js';
import graphene from 'graphene-pk11';
import { failpoint } from '../../failpoints.js';
import type { HsmSession, KeyRecord, Secret, TokenIdentity, WrapKeyRecord, WrapKeyUse } from '../../engine/ports.js';
import type { KeyAlgorithm } from '../../script/schema.js';
import { pkcs11Error } from './pkcs11-errors.js';
import { CURVES, keyRecordOf } from './pkcs11-key-objects.js';
import { generateTrustedWrapKey, importWrapKey, unwrapKey, wrapKey } from './pkcs11-key-wrapping.js';
import { signWithKey, signDigestsWithKey } from './pkcs11-sign.js';
import { endSession, identity } from './pkcs11-tokens.js';

export class Pkcs11Session implements HsmSession {
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

  findKeys(label: string): KeyRecord[] {
    try {
      failpoint('hsm.find');
      const found = this.session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label });
      const out: KeyRecord[] = [];
      for (let i = 0; i < found.length; i++) out.push(keyRecordOf(this.session, found.items(i).toType<graphene.PrivateKey>()));
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
      return keyRecordOf(this.session, keys.privateKey);
    } catch (err) {
      throw pkcs11Error(err, `generating key "${spec.label}"`);
    }
  }

  importWrapKey(spec: { label: string; id: string }, key: Secret, opts: { trusted?: boolean; session?: boolean; use?: WrapKeyUse } = {}): WrapKeyRecord {
    return importWrapKey(this.session, spec, key, opts);
  }

  generateTrustedWrapKey(spec: { label: string; id: string }): WrapKeyRecord {
    return generateTrustedWrapKey(this.session, spec);
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
    return wrapKey(this.session, wrapping, ref);
  }

  unwrapKey(wrapping: { label: string; id: string }, wrapped: Buffer, spec: { label: string; id: string; algorithm: KeyAlgorithm; spki?: Buffer; session?: boolean }): KeyRecord {
    return unwrapKey(this.session, wrapping, wrapped, spec);
  }

  sign(ref: { label: string; id: string }, data: Buffer, hash: 'SHA-256' | 'SHA-384' = 'SHA-256'): Buffer {
    return signWithKey(this.session, ref, data, hash);
  }

  signDigests(ref: { label: string; id: string }, digests: readonly Buffer[], hash: 'SHA-256' | 'SHA-512' = 'SHA-256'): Buffer[] {
    return signDigestsWithKey(this.session, ref, digests, hash);
  }

  close(): void {
    endSession(this.session);
  }
}
