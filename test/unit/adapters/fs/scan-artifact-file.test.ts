// The scan of an artifact file: read in chunks from disk (the next one read while this one is scanned, into the
// other of two buffers, finding what a scan in memory finds), a key in a ZIP inside the file's ZIP is found and
// named by its entry path, a file that is not a ZIP is scanned as bytes, the default expansion limit comes
// from the file's size, and a path that is not a regular file is refused before it is opened.
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { scanArtifactFile } from '../../../../src/adapters/fs/scan-artifact-file.js';
import { scanArtifactBytes } from '../../../../src/custody/artifact-zip-scan.js';
import { builtInDenyList } from '../../../../src/custody/deny-list.js';

const denied = builtInDenyList();
const der = new X509Certificate(readFileSync(new URL('../../../fixtures/test-keys/testkey.x509.pem', import.meta.url))).raw;
const dir = mkdtempSync(join(tmpdir(), 'officiant-scan-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

describe('scanArtifactFile', () => {
  it('reads a ZIP in chunks and names the entry a key is in', async () => {
    const bytes = zipSync({ 'lib/inner.zip': zipSync({ 'META-INF/CERT.RSA': der }), 'classes.dex': new Uint8Array(100_000).fill(9) });
    const report = await scanArtifactFile(file('app.apk', bytes), 'app.apk', denied, { chunkSize: 4096 });
    expect(report.findings).toEqual([{ artifact: 'app.apk', entry: 'lib/inner.zip!/META-INF/CERT.RSA', what: 'testkey', kind: 'denied-key' }]);
    expect([report.bytes, report.entries]).toEqual([bytes.length, 3]);
  });

  it('scans a file that is not a ZIP as bytes', async () => {
    const report = await scanArtifactFile(file('boot.img', Buffer.concat([Buffer.alloc(5000), der])), 'boot.img', denied);
    expect(report.findings.map((f) => [f.entry, f.what])).toEqual([['', 'testkey']]);
    expect(report.entries).toBe(0);
  });

  it("limits expansion to 200 times the file's size by default", async () => {
    const bytes = zipSync({ 'zeros.bin': new Uint8Array(5_000_000) });
    const report = await scanArtifactFile(file('bomb.zip', bytes), 'bomb.zip', denied);
    expect(report.findings.map((f) => `${f.entry} ${f.kind}: ${f.what}`)).toEqual([`zeros.bin unscannable: the entries expand beyond ${200 * bytes.length} bytes`]);
  });

  it('reads ahead into two buffers in turn and finds what a scan of the bytes in memory finds', async () => {
    const bytes = zipSync({ 'a.der': der, 'b.bin': Buffer.concat([randomBytes(9000), der]), 'c.zip': zipSync({ 'd.der': der }, { level: 0 }) }, { level: 1 });
    const path = file('read-ahead.zip', bytes);
    for (const chunkSize of [997, 4096, 1 << 20]) {
      const report = await scanArtifactFile(path, 'read-ahead.zip', denied, { chunkSize });
      expect(report.findings.map((f) => f.entry)).toEqual(['a.der', 'b.bin', 'c.zip!/d.der']);
      expect(report).toEqual(scanArtifactBytes(bytes, 'read-ahead.zip', denied, { chunkSize }));
    }
  });

  it('refuses a directory before opening it', async () => {
    mkdirSync(join(dir, 'sub'));
    await expect(scanArtifactFile(join(dir, 'sub'), 'sub', denied)).rejects.toThrow('is not a regular file');
  });
});
