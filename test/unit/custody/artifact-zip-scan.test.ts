// The scan of an artifact through its ZIP entries: a denied key or a private key is found in an entry (stored,
// deflated, with a data descriptor, in a ZIP inside a ZIP) and named by its entry path, once; what cannot be
// read (encrypted, unknown method, truncated, corrupt deflate, too deep, a zip bomb) is an 'unscannable' finding;
// a needle split across chunks is found, also when the caller reuses its chunk's buffer; a file that is not a ZIP
// is scanned as bytes; and mutated ZIPs never make it throw. Real bytes: ZIPs from fflate's zipSync, the test's
// own writer (zip-builder.ts) and `zip`.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactZipScanner, scanArtifactBytes, type ArtifactScanOptions, type ArtifactScanReport } from '../../../src/custody/artifact-zip-scan.js';
import { builtInDenyList } from '../../../src/custody/deny-list.js';
import { buildZip } from './zip-builder.js';

const denied = builtInDenyList();
const testkeyPem = readFileSync(new URL('../../fixtures/test-keys/testkey.x509.pem', import.meta.url));
const testkeyDer = Buffer.from(new X509Certificate(testkeyPem).raw);
const ownKeyPem = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
const noise = (n: number) => randomBytes(n);
const stored = (data: Uint8Array): [Uint8Array, { level: 0 }] => [data, { level: 0 }];
const zip = (files: Zippable) => Buffer.from(zipSync(files));
const lines = (r: ArtifactScanReport) => r.findings.map((f) => `${f.entry} ${f.kind}: ${f.what}`);
const scan = (bytes: Uint8Array, opts?: ArtifactScanOptions) => scanArtifactBytes(bytes, 'app.apk', denied, opts);
const found = (bytes: Uint8Array, opts?: ArtifactScanOptions) => lines(scan(bytes, opts));
const hasZip = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v zip'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
})();

/** The offset of the first entry's data. */
const dataStart = (z: Buffer) => 30 + z.readUInt16LE(26) + z.readUInt16LE(28);
/** A copy of the archive with the 16-bit field at `at` set to `value`. */
function patched(z: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(z);
  copy.writeUInt16LE(value, at);
  return copy;
}

const tmp = mkdtempSync(join(tmpdir(), 'officiant-zip-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('scanArtifactBytes', () => {
  it.each<[string, () => Buffer, string[]]>([
    ['the testkey certificate deflated in an entry', () => zip({ 'META-INF/CERT.RSA': testkeyDer, 'classes.dex': noise(3000) }), ['META-INF/CERT.RSA denied-key: testkey']],
    // A stored entry's bytes are the artifact's too: found once, for the entry.
    ['the testkey certificate stored in an entry', () => zip({ 'META-INF/CERT.RSA': stored(testkeyDer) }), ['META-INF/CERT.RSA denied-key: testkey']],
    ['the testkey certificate as PEM in an entry', () => zip({ 'res/raw/otacerts.pem': testkeyPem }), ['res/raw/otacerts.pem denied-key: testkey']],
    ['the certificate in a deflated ZIP inside a ZIP', () => zip({ 'lib/inner.zip': zip({ 'META-INF/CERT.RSA': testkeyDer }), 'a.txt': Buffer.from('a') }), ['lib/inner.zip!/META-INF/CERT.RSA denied-key: testkey']],
    ['the certificate stored in a stored ZIP inside a ZIP', () => zip({ 'lib/inner.zip': stored(zip({ 'META-INF/CERT.RSA': stored(testkeyDer) })) }), ['lib/inner.zip!/META-INF/CERT.RSA denied-key: testkey']],
    ['a PEM private key in an entry', () => zip({ 'assets/server.pem': ownKeyPem }), ['assets/server.pem private-key: PRIVATE KEY (PEM)']],
    ['a clean ZIP', () => zip({ 'classes.dex': noise(5000), 'res/a.xml': Buffer.from('<a/>'.repeat(500)), 'empty/': new Uint8Array(0) }), []],
    ['the certificate after a deflated entry with a data descriptor', () => buildZip([{ name: 'a.bin', data: noise(3000), descriptor: true }, { name: 'META-INF/CERT.RSA', data: testkeyDer, descriptor: true }]), ['META-INF/CERT.RSA denied-key: testkey']],
    ['the certificate in a stored entry with a data descriptor', () => buildZip([{ name: 'META-INF/CERT.RSA', data: testkeyDer, method: 0, descriptor: true }, { name: 'z.txt', data: Buffer.from('z') }]), ['META-INF/CERT.RSA denied-key: testkey']],
    ['the certificate in a zip64 entry with a data descriptor', () => buildZip([{ name: 'META-INF/CERT.RSA', data: testkeyDer, zip64: true, descriptor: true }], { zip64: true }), ['META-INF/CERT.RSA denied-key: testkey']],
    ['a file that is not a ZIP', () => Buffer.concat([noise(1000), testkeyDer, noise(1000)]), [' denied-key: testkey']],
  ])('%s', (_, make, expected) => {
    expect(found(make())).toEqual(expected);
  });

  it('reads the data-descriptor ZIPs of its own writer as fflate does', () => {
    const z = buildZip([{ name: 'a', data: noise(100), descriptor: true }, { name: 'b', data: testkeyDer, method: 0, descriptor: true }, { name: 'c', data: testkeyDer, zip64: true }], { zip64: true });
    expect(Object.keys(unzipSync(z))).toEqual(['a', 'b', 'c']);
    expect(Buffer.from(unzipSync(z).c).equals(testkeyDer)).toBe(true);
    expect(scan(z).entries).toBe(3);
  });

  it.skipIf(!hasZip)('reads what `zip` writes with data descriptors, stored or streamed as zip64', () => {
    writeFileSync(join(tmp, 'CERT.RSA'), testkeyDer);
    writeFileSync(join(tmp, 'noise.bin'), noise(4000));
    const run = (script: string) => execFileSync('sh', ['-c', script], { cwd: tmp });
    run('zip -q -fd dd.zip noise.bin CERT.RSA && zip -q -0 -fd dd0.zip noise.bin CERT.RSA && cat CERT.RSA | zip -q - - | cat > streamed.zip');
    for (const name of ['dd.zip', 'dd0.zip']) expect(found(readFileSync(join(tmp, name)))).toEqual(['CERT.RSA denied-key: testkey']);
    const streamed = readFileSync(join(tmp, 'streamed.zip'));
    // Streamed: sizes of 0xffffffff in the local header, a zip64 field, a descriptor with 8-byte sizes.
    expect(streamed.readUInt32LE(18)).toBe(0xffffffff);
    expect(found(streamed)).toEqual(['- denied-key: testkey']);
  });

  it.each<[string, () => Buffer, string[]]>([
    ['an encrypted entry', () => patched(zip({ 'x.bin': noise(100) }), 6, 1), ['x.bin unscannable: encrypted entry']],
    ['an unknown compression method', () => { const z = zip({ 'x.bin': stored(noise(100)) }); return patched(patched(z, 8, 99), z.indexOf('504b0102', 0, 'hex') + 10, 99); }, ['x.bin unscannable: compression method 99 is not supported']],
    ['an archive cut inside an entry', () => zip({ 'x.bin': stored(noise(1000)) }).subarray(0, 500), ['x.bin unscannable: truncated archive']],
    ['an archive cut in its central directory', () => { const z = zip({ 'x.bin': noise(1000) }); return z.subarray(0, z.length - 30); }, [' unscannable: truncated archive']],
    ['a corrupt deflate stream', () => { const z = zip({ 'x.bin': Buffer.alloc(5000, 7) }); z[dataStart(z)] = 0xff; return z; }, ['x.bin unscannable: corrupt deflate stream: invalid block type']],
    ['a deflate stream cut short in its entry', () => buildZip([{ name: 'x.bin', data: noise(100), descriptor: true }]).subarray(0, 80), ['x.bin unscannable: truncated archive']],
    ['a ZIP nested deeper than allowed', () => zip({ 'a.zip': zip({ 'b.zip': zip({ 'CERT.RSA': testkeyDer }) }) }), ['a.zip!/b.zip unscannable: a ZIP nested 2 deep (at most 1)']],
  ])('%s is unscannable', (_, make, expected) => {
    expect(found(make(), { maxDepth: 1 })).toEqual(expected);
  });

  it('stops a zip bomb at the expansion limit, having inflated at most one more slice', () => {
    const bomb = buildZip([{ name: 'bomb.bin', data: Buffer.alloc(50 * 1024 * 1024) }]);
    // Beyond the limit, at most what one 16 KiB slice of deflate data inflates to (1032:1): not the 50 MB.
    const slice = 1032 * 16 * 1024;
    const lowered = scan(bomb, { maxExpandedBytes: 1024 * 1024 });
    expect(lines(lowered)).toEqual(['bomb.bin unscannable: the entries expand beyond 1048576 bytes']);
    expect(lowered.expandedBytes).toBeLessThanOrEqual(1024 * 1024 + slice);
    // By default: 200 times the artifact's size (about 50 KiB here).
    const byDefault = scan(bomb);
    expect(lines(byDefault)).toEqual([`bomb.bin unscannable: the entries expand beyond ${200 * bomb.length} bytes`]);
    expect(byDefault.expandedBytes).toBeLessThanOrEqual(200 * bomb.length + slice);
  });

  it('finds a needle split across chunks, stored and deflated', () => {
    const storedZip = zip({ 'big.bin': stored(Buffer.concat([noise(20_000), testkeyDer, noise(100)])) });
    // A chunk boundary falls inside the certificate's modulus (the needle).
    const at = storedZip.indexOf(denied.find((k) => k.name === 'testkey')!.needle);
    expect(found(storedZip, { chunkSize: at + 100 })).toEqual(['big.bin denied-key: testkey']);
    const deflated = zip({ 'big.bin': Buffer.concat([noise(3000), testkeyDer, noise(100)]) });
    expect(found(deflated, { chunkSize: 61 })).toEqual(['big.bin denied-key: testkey']);
  });

  it('keeps nothing of a pushed chunk: a caller that reuses one buffer finds the same', () => {
    const z = buildZip([
      { name: 'META-INF/CERT.RSA', data: testkeyDer, method: 0 },
      { name: 'classes.dex', data: Buffer.concat([noise(5000), testkeyDer, noise(100)]), descriptor: true },
      { name: 'lib/inner.zip', data: zip({ 'k.pem': ownKeyPem, 'c.der': testkeyDer }) },
    ]);
    const expected = ['META-INF/CERT.RSA denied-key: testkey', 'classes.dex denied-key: testkey', 'lib/inner.zip!/c.der denied-key: testkey', 'lib/inner.zip!/k.pem private-key: PRIVATE KEY (PEM)'];
    for (const size of [61, 512, 4096]) {
      const scanner = new ArtifactZipScanner('app.apk', z.length, denied);
      const buf = Buffer.alloc(size);
      for (let at = 0; at < z.length; at += size) {
        scanner.push(buf.subarray(0, z.copy(buf, 0, at, at + size)));
        buf.fill(0xa5);
      }
      expect([lines(scanner.finish()), found(z, { chunkSize: size })]).toEqual([expected, expected]);
    }
  });

  it('reports each finding once, sorted by entry, kind and what', () => {
    const z = zip({ 'z.pem': Buffer.concat([testkeyPem, testkeyPem, ownKeyPem]), 'a.der': stored(Buffer.concat([testkeyDer, testkeyDer])) });
    expect(found(z)).toEqual(['a.der denied-key: testkey', 'z.pem denied-key: testkey', 'z.pem private-key: PRIVATE KEY (PEM)']);
  });

  it('never throws on a few hundred mutations of a valid ZIP', () => {
    const valid = buildZip([
      { name: 'META-INF/CERT.RSA', data: testkeyDer, method: 0 },
      { name: 'classes.dex', data: Buffer.from('dex\n'.repeat(300)), descriptor: true },
      { name: 'lib/inner.zip', data: zip({ 'k.pem': ownKeyPem }) },
    ]);
    // A seeded PRNG (mulberry32): the same mutations on every run.
    let seed = 12;
    const next = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const kinds = new Set(['denied-key', 'private-key', 'unscannable']);
    for (let i = 0; i < 300; i++) {
      let bytes = Buffer.from(valid);
      const how = i % 3;
      if (how === 0) for (let j = 0; j < 1 + next() * 8; j++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      if (how === 1) bytes = bytes.subarray(0, Math.floor(next() * bytes.length));
      if (how === 2) bytes.writeUInt32LE(Math.floor(next() * 2 ** 32), Math.floor(next() * (bytes.length - 4)));
      const report = scan(bytes, { chunkSize: 512 + Math.floor(next() * 4096) });
      expect(report.bytes).toBe(bytes.length);
      expect(report.findings.every((f) => kinds.has(f.kind) && f.artifact === 'app.apk')).toBe(true);
      expect(new Set(lines(report)).size).toBe(report.findings.length);
    }
  });
});
