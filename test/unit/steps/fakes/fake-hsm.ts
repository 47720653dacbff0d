// An HSM token for unit tests whose keys are real node:crypto keys: generated pairs sign what their SPKI
// verifies (ECDSA as IEEE P1363 over SHA-256/384, RSA PKCS#1 v1.5), random bytes are random, and a key's
// attributes are what generateKeyPair would set. Wrapping is not faked here: a test that needs it says so.
import { p256 } from '@noble/curves/p256';
import { constants, generateKeyPairSync, privateEncrypt, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { OfficiantError } from '../../../../src/errors.js';
import type { Hsm, HsmSession, KeyAttributes, KeyRecord, Secret, TokenIdentity } from '../../../../src/engine/ports.js';
import type { KeyAlgorithm } from '../../../../src/script/schema.js';

interface HeldKey {
  record: KeyRecord;
  privateKey: KeyObject;
}

export const TOKEN: TokenIdentity = { label: 'unit-token', manufacturer: 'Unit tests', model: 'node:crypto', serial: 'f00d0001', hardwareVersion: '1.0', firmwareVersion: '1.0', slotId: 7 };

function generate(algorithm: KeyAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (algorithm) {
    case 'EC-P256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EC-P384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'RSA-3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072 });
    case 'RSA-4096':
      return generateKeyPairSync('rsa', { modulusLength: 4096 });
  }
}

export function attributesFor(backup: boolean): KeyAttributes {
  return backup
    ? { local: true, neverExtractable: false, alwaysSensitive: true, extractable: true, sensitive: true, wrapWithTrusted: true }
    : { local: true, neverExtractable: true, alwaysSensitive: true, extractable: false, sensitive: true, wrapWithTrusted: false };
}

export class FakeHsmSession implements HsmSession {
  readonly keys: HeldKey[] = [];
  readonly signed: Array<{ label: string; hash: string }> = [];
  /** Other objects (certificates, data) by label, which labelInUse sees too. */
  readonly otherLabels = new Set<string>();
  /** Fault: sign with this key instead of the one asked for (an HSM that signs with the wrong key). */
  signWith?: KeyObject;

  token(): TokenIdentity {
    return { ...TOKEN };
  }

  random(bytes: number): Buffer {
    return randomBytes(bytes);
  }

  labelInUse(label: string): boolean {
    return this.otherLabels.has(label) || this.keys.some((k) => k.record.label === label);
  }

  findKeys(label: string): KeyRecord[] {
    return this.keys.filter((k) => k.record.label === label).map((k) => ({ ...k.record, attributes: { ...k.record.attributes } }));
  }

  generateKeyPair(spec: { label: string; id: string; algorithm: KeyAlgorithm; backup?: boolean }): KeyRecord {
    const pair = generate(spec.algorithm);
    const record: KeyRecord = { label: spec.label, id: spec.id, algorithm: spec.algorithm, spki: pair.publicKey.export({ type: 'spki', format: 'der' }), attributes: attributesFor(spec.backup === true) };
    this.keys.push({ record, privateKey: pair.privateKey });
    return { ...record };
  }

  /** Puts a key pair made elsewhere on the token (e.g. an enrollment CA key a test also holds). */
  adopt(record: KeyRecord, privateKey: KeyObject): void {
    this.keys.push({ record, privateKey });
  }

  sign(key: { label: string; id: string }, data: Buffer, hash: 'SHA-256' | 'SHA-384' = 'SHA-256'): Buffer {
    const held = this.keys.find((k) => k.record.label === key.label && k.record.id === key.id);
    if (!held) throw new OfficiantError('hsm.key-not-found', `no key "${key.label}" with CKA_ID ${key.id}`);
    this.signed.push({ label: key.label, hash });
    const privateKey = this.signWith ?? held.privateKey;
    const digest = hash === 'SHA-384' ? 'sha384' : 'sha256';
    return privateKey.asymmetricKeyType === 'ec' ? nodeSign(digest, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }) : nodeSign('sha256', data, privateKey);
  }

  signDigests(key: { label: string; id: string }, digests: readonly Buffer[], hash: 'SHA-256' | 'SHA-512' = 'SHA-256'): Buffer[] {
    const held = this.keys.find((k) => k.record.label === key.label && k.record.id === key.id);
    if (!held) throw new OfficiantError('hsm.key-not-found', `no key "${key.label}" with CKA_ID ${key.id}`);
    const privateKey = this.signWith ?? held.privateKey;
    const info = hash === 'SHA-512' ? '3051300d060960864801650304020305000440' : '3031300d060960864801650304020105000420';
    return digests.map((d) => {
      this.signed.push({ label: key.label, hash });
      // Real crypto over the precomputed digest: RSA PKCS#1 v1.5 over its DigestInfo; EC P-256 raw r||s over the
      // digest as given (noble: node:crypto has no ECDSA over a given digest).
      if (privateKey.asymmetricKeyType === 'ec') {
        const scalar = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
        return Buffer.from(p256.sign(d, scalar, { prehash: false, lowS: false }).toCompactRawBytes());
      }
      return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(info, 'hex'), d]));
    });
  }

  importWrapKey(): never {
    throw new Error('FakeHsmSession: wrap keys are not faked');
  }

  generateTrustedWrapKey(): never {
    throw new Error('FakeHsmSession: wrap keys are not faked');
  }

  destroyObjects(ref: { label: string; id: string }): number {
    const before = this.keys.length;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i].record.label === ref.label && this.keys[i].record.id === ref.id) this.keys.splice(i, 1);
    return before - this.keys.length;
  }

  wrapKey(): never {
    throw new Error('FakeHsmSession: wrapping is not faked');
  }

  unwrapKey(): never {
    throw new Error('FakeHsmSession: unwrapping is not faked');
  }

  close(): void {}
}

/** A module with free slots for hsm.init-token: it keeps what a token would (its label, SO and user PIN). */
export class FakeHsm implements Hsm {
  readonly tokens = new Map<string, { identity: TokenIdentity; soPin: Buffer; userPin?: Buffer }>();

  constructor(private readonly slots: number[] = [0, 1]) {}

  describe() {
    return { library: 'unit', manufacturer: 'Unit tests', version: '1.0' };
  }

  findToken(label: string): TokenIdentity | undefined {
    return this.tokens.get(label)?.identity;
  }

  freeSlots(): number[] {
    const used = new Set([...this.tokens.values()].map((t) => t.identity.slotId));
    return this.slots.filter((s) => !used.has(s));
  }

  initToken(slotId: number, label: string, soPin: Secret): TokenIdentity {
    const identity = { ...TOKEN, label, slotId, serial: randomBytes(4).toString('hex') };
    this.tokens.set(label, { identity, soPin: soPin.use((b) => Buffer.from(b)) });
    return identity;
  }

  userPinInitialised(label: string): boolean {
    return this.tokens.get(label)?.userPin !== undefined;
  }

  initUserPin(label: string, soPin: Secret, userPin: Secret): void {
    const t = this.tokens.get(label);
    if (!t || !soPin.use((b) => b.equals(t.soPin))) throw new OfficiantError('hsm.pin-incorrect', 'CKR_PIN_INCORRECT');
    t.userPin = userPin.use((b) => Buffer.from(b));
  }

  labelsInUse(): string[] {
    return [];
  }

  openSession(): HsmSession {
    throw new Error('FakeHsm: sessions come from the context');
  }

  openSoSession(): HsmSession {
    throw new Error('FakeHsm: sessions come from the context');
  }

  close(): void {}
}
