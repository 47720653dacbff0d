// The deny list: keys a release must never be signed by, nor carry. Built in: the public AOSP and AVB test keys
// (aosp-test-keys.json, each with where it comes from); a policy may add more. Each key is known by the SHA-256
// of its SubjectPublicKeyInfo (what a signing key is compared by) and by the bytes an artifact would hold if it
// carried the key: an RSA modulus (in an X.509 certificate, an APK signing block, an AVB public-key blob) or an
// EC public point. An entry whose recorded SHA-256 is not its key's is refused, so the list cannot drift.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import builtIn from './aosp-test-keys.json' with { type: 'json' };

export interface DeniedKey {
  name: string;
  source: string;
  spkiSha256: string;
  key: KeyObject;
  /** The bytes an artifact carrying the key holds: the RSA modulus (big-endian, no sign byte) or the EC point. */
  needle: Buffer;
}

export interface DenyListEntry {
  name: string;
  source: string;
  spki_sha256: string;
  public_key: string;
}

/** The bytes an artifact carrying `key` would hold. */
export function keyNeedle(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA' && jwk.n) return Buffer.from(jwk.n, 'base64url');
  if (jwk.kty === 'EC' && jwk.x && jwk.y) return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  throw new Error(`unsupported key type ${jwk.kty}`);
}

export function spkiSha256(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** The keys of a list's entries, or every problem with them (each naming the entry). */
export function readDenyList(entries: readonly DenyListEntry[], what: string): { keys: DeniedKey[]; problems: string[] } {
  const keys: DeniedKey[] = [];
  const problems: string[] = [];
  entries.forEach((e, i) => {
    const at = `${what}[${i}] ${JSON.stringify(String(e?.name ?? '').slice(0, 60))}`;
    let key: KeyObject;
    try {
      key = createPublicKey(String(e.public_key));
    } catch {
      problems.push(`${at}: public_key is not a PEM public key`);
      return;
    }
    const sha = spkiSha256(key);
    if (sha !== e.spki_sha256) return void problems.push(`${at}: spki_sha256 ${String(e.spki_sha256).slice(0, 64)} is not its key's (${sha})`);
    try {
      keys.push({ name: e.name, source: e.source, spkiSha256: sha, key, needle: keyNeedle(key) });
    } catch (err) {
      problems.push(`${at}: ${(err as Error).message}`);
    }
  });
  return { keys, problems };
}

let builtInKeys: DeniedKey[] | undefined;

/** The built-in list (the AOSP and AVB test keys). */
export function builtInDenyList(): DeniedKey[] {
  if (!builtInKeys) {
    const { keys, problems } = readDenyList(builtIn.keys, 'aosp-test-keys.json');
    if (problems.length > 0) throw new Error(`the built-in deny list is damaged: ${problems.join('; ')}`);
    builtInKeys = keys;
  }
  return builtInKeys;
}

/** The denied key with this SPKI SHA-256, if any. */
export function deniedKey(list: readonly DeniedKey[], spki: string): DeniedKey | undefined {
  return list.find((k) => k.spkiSha256 === spki.toLowerCase());
}
