// The scan does not depend on how the stream is cut: a denied key, a short denied key (searched for alone), a DER
// private key and PEM blocks are found once, at their offset, with a chunk boundary at every offset of them, in
// chunks shorter than they are (starting in what the scanner kept of earlier chunks); a PEM block whose END line
// is 64 KiB on is read, one byte further is not. Seeded: random bytes with keys planted at random offsets, pushed
// in random chunks, give what a plain search of the whole buffer (indexOf for every pattern) gives.
import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArtifactScanner, EC_OID, PRIVATE_DER } from '../../../src/custody/artifact-scan.js';
import { builtInDenyList, keyNeedle, spkiSha256, type DeniedKey } from '../../../src/custody/deny-list.js';
import { readArmourBlocks } from '../../../src/custody/pem-armour.js';
import { rng } from '../../helpers/fuzz.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/test-keys/${name}`, import.meta.url));
const denyOf = (name: string, key: KeyObject): DeniedKey => ({ name, source: 'test', spkiSha256: spkiSha256(key), key, needle: keyNeedle(key) });
const builtIn = builtInDenyList();
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
// Short needles: a P-256 point (65 bytes) and a P-384 one (97), searched for alone; a 1536-bit modulus (192)
// shortens the stride.
const mixed = [
  ...builtIn,
  denyOf('own p256', p256.publicKey),
  denyOf('own p384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey),
  denyOf('own rsa1536', generateKeyPairSync('rsa', { modulusLength: 1536 }).publicKey),
];
const testkeyPem = fixture('testkey.x509.pem');
const avb = createPrivateKey(fixture('avb-testkey_rsa2048.PUBLIC-TEST-KEY.private.pem'));
const needleOf = (name: string) => mixed.find((k) => k.name === name)!.needle;
const opensshPem = Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
const ecDer = p256.privateKey.export({ type: 'pkcs8', format: 'der' });
const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'der' });
const show = (h: { kind: string; what: string; offset: number }) => `${h.kind}:${h.what}@${h.offset}`;

/** testkey's certificate as PEM, its END line `span` bytes after the end of its BEGIN line's label. */
function paddedPem(span: number): Buffer {
  const text = testkeyPem.toString('latin1');
  const end = text.indexOf('-----END');
  const close = text.indexOf('-----', 11);
  return Buffer.from(text.slice(0, end) + '\n'.repeat(close + span - end) + text.slice(end), 'latin1');
}

function streamed(bytes: Buffer, denied: readonly DeniedKey[], sizes: () => number): string[] {
  const s = new ArtifactScanner(denied);
  for (let at = 0; at < bytes.length; ) {
    const n = Math.max(1, sizes());
    s.push(bytes.subarray(at, at + n));
    at += n;
  }
  return s.finish().map(show).sort();
}

/** The plain reference: every pattern searched for in the whole buffer. */
function reference(bytes: Buffer, denied: readonly DeniedKey[]): string[] {
  const all = (needle: Buffer | string) => {
    const found: number[] = [];
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) found.push(at);
    return found;
  };
  const hits = new Set<string>();
  for (const k of denied) for (const at of all(k.needle)) hits.add(`denied-key:${k.name}@${at}`);
  for (const p of PRIVATE_DER) {
    const ec = (at: number) => bytes.subarray(at + p.bytes.length + 1, at + p.bytes.length + 1 + EC_OID.length).equals(EC_OID);
    for (const at of all(p.bytes)) if (!p.ec || ec(at)) hits.add(`private-key:${p.what}@${at}`);
  }
  for (const h of readArmourBlocks(bytes, all('-----BEGIN '), denied)) hits.add(`${h.kind}:${h.what}@${h.at}`);
  return [...hits].sort();
}

describe('ArtifactScanner, whatever the chunks', () => {
  it.each<[string, readonly DeniedKey[], Buffer, number, string[]]>([
    ['a denied modulus (256 bytes) in chunks of 300', builtIn, needleOf('testkey'), 300, ['denied-key:testkey@0']],
    ['a denied modulus in chunks of 7 (it starts in what was kept)', builtIn, needleOf('testkey'), 7, ['denied-key:testkey@0']],
    ['a 1024-byte modulus in chunks of 97', builtIn, needleOf('avb testkey_rsa8192'), 97, ['denied-key:avb testkey_rsa8192@0']],
    ['a P-256 point (searched for alone) in chunks of 40', mixed, needleOf('own p256'), 40, ['denied-key:own p256@0']],
    ['a PKCS#8 EC private key in chunks of 16', builtIn, ecDer, 16, [`private-key:PKCS#8 EC private key (DER)@${ecDer.indexOf('02010030', 0, 'hex')}`]],
    ['a PKCS#1 RSA private key in chunks of 9', builtIn, pkcs1, 9, ['private-key:PKCS#1 RSA private key (DER)@4']],
    ['an OpenSSH private key in chunks of 64', builtIn, opensshPem, 64, ['private-key:OPENSSH PRIVATE KEY (PEM)@0']],
    ['a PEM private key of a denied key in chunks of 128', builtIn, Buffer.from(avb.export({ type: 'pkcs8', format: 'pem' }) as string), 128, ['denied-key:avb testkey_rsa2048@0', 'private-key:PRIVATE KEY (PEM)@0']],
    ['a PEM certificate whose END is 64 KiB on, in chunks of 4099', builtIn, paddedPem(65_536), 4099, ['denied-key:testkey@0']],
    ['a PEM certificate whose END is a byte further, in chunks of 4099', builtIn, paddedPem(65_537), 4099, []],
  ])('%s: found once at every offset', (_, denied, planted, chunk, hits) => {
    const before = randomBytes(5 * chunk);
    const after = randomBytes(3 * chunk);
    const cases = chunk > 1000 ? [0, 1, 10, chunk - 1, chunk - 11, 1234] : Array.from({ length: chunk }, (_, k) => k);
    for (const k of cases) {
      const bytes = Buffer.concat([before.subarray(0, 4 * chunk + k), planted, after]);
      const at = 4 * chunk + k;
      const expected = hits.map((h) => h.replace(/@(\d+)$/, (_m, o) => `@${at + Number(o)}`)).sort();
      expect(streamed(bytes, denied, () => chunk)).toEqual(expected);
      expect(reference(bytes, denied)).toEqual(expected);
    }
  });

  it('finds what a plain search of the whole buffer finds, in random chunks (seeded)', () => {
    const r = rng(3);
    const items = [
      ...mixed.map((k) => k.needle),
      new X509Certificate(testkeyPem).raw,
      testkeyPem,
      opensshPem,
      ecDer,
      pkcs1,
      avb.export({ type: 'pkcs8', format: 'der' }),
      Buffer.from(avb.export({ type: 'pkcs8', format: 'pem' }) as string),
      Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA'),
      Buffer.from('-------END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----'),
      paddedPem(60_000),
      // Every DER prefix, the EC one with a length byte and the ecPublicKey OID after it.
      ...PRIVATE_DER.map((p) => (p.ec ? Buffer.concat([p.bytes, Buffer.from([0x13]), EC_OID]) : p.bytes)),
    ];
    for (let run = 0; run < 120; run++) {
      const denied = run % 2 === 0 ? builtIn : mixed;
      const bytes = randomBytes(Math.floor(r() * (run % 3 === 0 ? 20_000 : 200_000)));
      for (let k = Math.floor(r() * 8); k > 0; k--) {
        const item = items[Math.floor(r() * items.length)];
        const at = Math.floor(r() * (bytes.length + 1)) - Math.floor(r() * item.length);
        item.copy(bytes, Math.max(0, at), Math.max(0, -at));
      }
      const tiny = run % 3 === 0;
      const sizes = () => (tiny || r() < 0.2 ? 1 + Math.floor(r() * 40) : Math.floor(2 ** (r() * 17)));
      expect(streamed(bytes, denied, sizes)).toEqual(reference(bytes, denied));
    }
  });
});
