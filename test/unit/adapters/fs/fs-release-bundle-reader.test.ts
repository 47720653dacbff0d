// The file-system ReleaseBundleReader lists and reads as the in-memory fake of the verifier's tests does: depth
// first, a link listed as a link and never followed (neither when listed nor when opened), a FIFO refused without
// waiting for a writer, at most max + 1 bytes read, files streamed in chunks, no path that leaves the bundle.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsReleaseBundleReader } from '../../../../src/adapters/fs/fs-release-bundle-reader.js';
import { verifyReleaseBundle } from '../../../../src/custody/verify-release-bundle.js';
import { MemoryBundleReader, buildBundle, createAuthority, type BundleFiles, type TestAuthority } from '../../../helpers/release-bundle.js';

const root = mkdtempSync(join(tmpdir(), 'officiant-bundle-reader-'));
const caught = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
};

function write(dir: string, files: BundleFiles): void {
  for (const [path, f] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (Buffer.isBuffer(f)) writeFileSync(join(dir, path), f);
    else if (f.type === 'symlink') symlinkSync('/etc/hostname', join(dir, path));
    else if (f.type === 'other') execFileSync('mkfifo', [join(dir, path)]);
    else mkdirSync(join(dir, path));
  }
}

let authority: TestAuthority;
beforeAll(async () => {
  authority = await createAuthority('ec');
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('FsReleaseBundleReader', () => {
  it('lists depth first, links and FIFOs as themselves, as the in-memory reader does', () => {
    const dir = join(root, 'tree');
    const files: BundleFiles = new Map<string, Buffer | { type: 'symlink' | 'other' }>([
      ['a.txt', Buffer.from('a')],
      ['a/b/c', Buffer.from('abc')],
      ['a/d', Buffer.from('d')],
      ['a.link', { type: 'symlink' }],
      ['fifo', { type: 'other' }],
      ['z', Buffer.alloc(5)],
    ]);
    write(dir, files);
    const listed = new FsReleaseBundleReader(dir).list(100);
    expect(listed).toEqual(new MemoryBundleReader(files).list(100));
    expect(listed.map((e) => `${e.path} ${e.type} ${e.size}`)).toEqual(['a directory 0', 'a/b directory 0', 'a/b/c file 3', 'a/d file 1', 'a.link symlink 0', 'a.txt file 1', 'fifo other 0', 'z file 5']);
    expect(new FsReleaseBundleReader(dir).list(2)).toHaveLength(3);
  });

  it('reads at most max + 1 bytes, streams in chunks, and refuses a link, a FIFO, a directory and a path out of the bundle', () => {
    const dir = join(root, 'reads');
    write(dir, new Map<string, Buffer | { type: 'symlink' | 'other' }>([['big', Buffer.alloc(9 * 1024 * 1024 + 3, 7)], ['link', { type: 'symlink' }], ['fifo', { type: 'other' }], ['sub/x', Buffer.from('x')]]));
    const reader = new FsReleaseBundleReader(dir);
    expect(reader.read('big', 10)).toEqual(Buffer.alloc(11, 7));
    expect(reader.read('sub/x', 10)).toEqual(Buffer.from('x'));
    const chunks: number[] = [];
    expect(reader.stream('big', (c) => chunks.push(c.length))).toBe(9 * 1024 * 1024 + 3);
    expect(chunks.length).toBeGreaterThan(2);
    expect(caught(() => reader.read('link', 10))).toBe('ELOOP');
    expect(caught(() => reader.read('fifo', 10))).toBe('EISDIR');
    expect(caught(() => reader.stream('sub', () => {}))).toBe('EISDIR');
    expect(caught(() => reader.read('missing', 10))).toBe('ENOENT');
    for (const path of ['../reads/big', '/etc/hostname', 'sub/../big', 'sub//x', './big']) expect(caught(() => reader.read(path, 10))).toBe('EINVAL');
  });

  it('gives the verifier the report the in-memory reader gives, for a good bundle and for one with a link and a FIFO', () => {
    const good = buildBundle(authority, [{ name: 'system.img', kind: 'image', bytes: Buffer.alloc(5 * 1024 * 1024, 1) }]);
    const bad: BundleFiles = new Map([...good, ['artifacts/system.img', { type: 'symlink' }], ['stray', { type: 'other' }]]);
    for (const [name, files] of [['good', good], ['bad', bad]] as const) {
      write(join(root, name), files);
      const fromDisk = verifyReleaseBundle(new FsReleaseBundleReader(join(root, name)), { sha256: authority.sha256 });
      expect(fromDisk).toEqual(verifyReleaseBundle(new MemoryBundleReader(files), { sha256: authority.sha256 }));
      expect(fromDisk.ok).toBe(name === 'good');
    }
  });
});
