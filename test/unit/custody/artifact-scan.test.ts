// The scan of an artifact's bytes: a denied key is found as an X.509 certificate (DER), as a PEM certificate,
// as an AVB public-key blob (its modulus), also when split across two pushed chunks; private keys are found as
// PEM, PKCS#8 DER (RSA and EC) and PKCS#1 DER; a clean artifact, a key of our own or a public key that is not
// denied is not a hit.
import { generateKeyPairSync, randomBytes, X509Certificate, createPublicKey, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArtifactScanner, scanBytes } from '../../../src/custody/artifact-scan.js';
import { builtInDenyList } from '../../../src/custody/deny-list.js';

const denied = builtInDenyList();
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/test-keys/${name}`, import.meta.url));
const testkeyPem = fixture('testkey.x509.pem');
const testkeyDer = new X509Certificate(testkeyPem).raw;
const avbPrivate = createPrivateKey(fixture('avb-testkey_rsa2048.PUBLIC-TEST-KEY.private.pem'));
const noise = (n: number) => randomBytes(n);
const found = (bytes: Buffer) => scanBytes(bytes, denied).map((h) => `${h.kind}:${h.what}`);

/** An AVB public-key blob: key_num_bits and n0inv (big-endian u32), the modulus, then R^2 mod n. */
function avbBlob(modulus: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(modulus.length * 8, 0);
  head.writeUInt32BE(0x12345678, 4);
  return Buffer.concat([head, modulus, noise(modulus.length)]);
}

describe('ArtifactScanner', () => {
  it.each<[string, () => Buffer, string[]]>([
    ['the testkey certificate (DER) inside an image', () => Buffer.concat([noise(5000), testkeyDer, noise(5000)]), ['denied-key:testkey']],
    ['the testkey certificate as PEM (otacerts.zip carries it so)', () => Buffer.concat([Buffer.from('# ota certs\n'), testkeyPem, Buffer.from('\n')]), ['denied-key:testkey']],
    ['an AVB public-key blob of testkey_rsa2048', () => Buffer.concat([noise(300), avbBlob(Buffer.from(createPublicKey(avbPrivate).export({ format: 'jwk' }).n!, 'base64url')), noise(300)]), ['denied-key:avb testkey_rsa2048']],
    // The test private key: a private key, and (its modulus, decoded from the PEM) the denied key itself.
    ['a PEM private key', () => Buffer.from(avbPrivate.export({ type: 'pkcs8', format: 'pem' }) as string), ['private-key:PRIVATE KEY (PEM)', 'denied-key:avb testkey_rsa2048']],
    // PKCS#8 wraps the PKCS#1 key: both headers are there.
    ['a PKCS#8 RSA private key (DER)', () => Buffer.concat([noise(100), avbPrivate.export({ type: 'pkcs8', format: 'der' }), noise(100)]), ['private-key:PKCS#8 RSA private key (DER)', 'private-key:PKCS#1 RSA private key (DER)', 'denied-key:avb testkey_rsa2048']],
    ['a PKCS#1 RSA private key (DER) of our own', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'der' }), ['private-key:PKCS#1 RSA private key (DER)']],
    ['a PKCS#8 EC private key (DER)', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }), ['private-key:PKCS#8 EC private key (DER)']],
    ['an OpenSSH private key', () => Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'), ['private-key:OPENSSH PRIVATE KEY (PEM)']],
    ['a clean image with a public key that is not denied', () => Buffer.concat([noise(20_000), generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }), noise(20_000)]), []],
  ])('%s', (_, make, hits) => {
    expect(found(make()).sort()).toEqual([...hits].sort());
  });

  it('finds a key split across two chunks, once, at its offset in the stream', () => {
    const before = noise(100_000);
    const bytes = Buffer.concat([before, testkeyDer, noise(1000)]);
    const s = new ArtifactScanner(denied);
    const cut = before.length + 300;
    s.push(bytes.subarray(0, cut));
    s.push(bytes.subarray(cut));
    const hits = s.finish();
    expect(hits.map((h) => h.what)).toEqual(['testkey']);
    expect(hits[0].offset).toBeGreaterThanOrEqual(before.length);
    expect(hits[0].offset).toBeLessThan(before.length + testkeyDer.length);
  });

  it('finds a key in a long stream pushed in small chunks, far from the start', () => {
    const s = new ArtifactScanner(denied);
    const total = 3 * 1024 * 1024;
    const at = total - 50_000;
    const stream = Buffer.concat([noise(at), testkeyDer, noise(total - at)]);
    for (let i = 0; i < stream.length; i += 4096) s.push(stream.subarray(i, i + 4096));
    expect(s.finish().map((h) => [h.what, h.offset >= at])).toEqual([['testkey', true]]);
  });

  it('reads an artifact full of armour lines that never end in time proportional to its size', () => {
    const bytes = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA'.repeat(40_000));
    const s = new ArtifactScanner(denied);
    for (let i = 0; i < bytes.length; i += 65_536) s.push(bytes.subarray(i, i + 65_536));
    expect(s.finish()).toEqual([]);
  }, 20_000);
});
