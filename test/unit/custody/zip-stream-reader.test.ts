// The ZIP read as a stream: every entry's data, decompressed, whatever the chunks (one byte at a time too), for
// entries with and without data descriptors, zip64 records and an APK signing block; and each way an archive
// could hold data an installer reads (through its central directory) but a read in sequence would not see is
// a problem naming it.
import { randomBytes } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ZipStreamReader } from '../../../src/custody/zip-stream-reader.js';
import { apkSigningBlock, archiveOf, buildZip, entryPart, type EntrySpec } from './zip-builder.js';

/** What a reader reports for these bytes pushed in chunks of `step`: entries with their data, and problems. */
function read(bytes: Buffer, step = bytes.length, halt = () => false) {
  const entries: Record<string, Buffer> = {};
  const problems: string[] = [];
  const reader = new ZipStreamReader({
    entry: ({ name }) => {
      const parts: Buffer[] = [];
      return { data: (c) => void parts.push(Buffer.from(c)), end: () => void (entries[name] = Buffer.concat(parts)) };
    },
    problem: (entry, what) => void problems.push(`${entry ?? '(archive)'}: ${what}`),
    halted: halt,
  });
  for (let at = 0; at < bytes.length; at += step) reader.push(bytes.subarray(at, at + step));
  reader.finish();
  return { entries, problems };
}

const a = randomBytes(3000);
const b = Buffer.from('stored text '.repeat(100));
const specs: Array<[string, EntrySpec[], { zip64?: boolean; between?: Buffer }?]> = [
  ['plain entries', [{ name: 'a', data: a }, { name: 'b', data: b, method: 0 }]],
  ['data descriptors', [{ name: 'a', data: a, descriptor: true }, { name: 'b', data: b, method: 0, descriptor: true }]],
  ['zip64 records', [{ name: 'a', data: a, zip64: true }, { name: 'b', data: b, method: 0, zip64: true, descriptor: true }], { zip64: true }],
  ['an APK signing block', [{ name: 'a', data: a }, { name: 'b', data: b }], { between: apkSigningBlock(0x7109871a, randomBytes(500)) }],
];

describe('ZipStreamReader', () => {
  it.each(specs)('reads every entry of an archive with %s, in chunks of any size', (_, entries, opts) => {
    const bytes = buildZip(entries, opts);
    for (const step of [bytes.length, 4096, 7, 1]) {
      const { entries: got, problems } = read(bytes, step);
      expect(problems).toEqual([]);
      expect(Object.keys(got)).toEqual(['a', 'b']);
      expect(got.a.equals(a) && got.b.equals(b)).toBe(true);
    }
  });

  it("reads fflate's ZIPs as fflate does, an empty entry and a directory among them", () => {
    const z = zipSync({ 'x/': {}, 'x/e.txt': new Uint8Array(0), 'x/a': a, b: [b, { level: 0 }] });
    const { entries, problems } = read(Buffer.from(z));
    expect(problems).toEqual([]);
    expect(entries).toEqual(Object.fromEntries(Object.entries(unzipSync(z)).map(([k, v]) => [k, Buffer.from(v)])));
  });

  it('names an entry the central directory lists but that is hidden inside another entry', () => {
    // 'hidden' is a local record inside the stored data of 'cover': an installer reads it, a read in sequence
    // sees only the bytes of 'cover'.
    const hidden = entryPart({ name: 'hidden', data: a }, 30 + 'cover'.length);
    const cover = entryPart({ name: 'cover', data: hidden.local, method: 0 }, 0);
    const { entries, problems } = read(archiveOf([cover, { local: Buffer.alloc(0), central: hidden.central }]));
    expect(Object.keys(entries)).toEqual(['cover']);
    expect(problems).toEqual(['hidden: listed in the central directory but not read in sequence']);
  });

  const one = entryPart({ name: 'a', data: a }, 0);
  it.each<[string, () => Buffer, string[]]>([
    ['a method the central directory gives otherwise', () => buildZip([{ name: 'a', data: a, method: 0, centralMethod: 8 }]), ['a: the central directory and the local header disagree on its method or size']],
    ['bytes after the end record', () => Buffer.concat([archiveOf([one]), Buffer.from('tail')]), ['(archive): 4 bytes after the end of the archive']],
    ['an end record inside the comment', () => archiveOf([one], { comment: Buffer.from('PK\x05\x06 another end record') }), ['(archive): an end-of-archive record inside the archive comment']],
    ['bytes between entries', () => archiveOf([one, { local: Buffer.from('junk'), central: Buffer.alloc(0) }]), [`(archive): unexpected bytes at offset ${one.local.length}`]],
    ['a signing block without its magic', () => { const block = apkSigningBlock(1, a); return archiveOf([one], { between: block.fill(0, block.length - 16) }); }, ['(archive): unexpected bytes before the central directory']],
    ['an end record that puts the central directory elsewhere', () => { const z = archiveOf([one]); z.writeUInt32LE(0, z.length - 6); return z; }, [`(archive): the end record puts the central directory at 0, not at ${one.local.length}`]],
    ['a data descriptor that gives another size', () => { const z = buildZip([{ name: 'a', data: a, descriptor: true }]); z.writeUInt32LE(5, z.indexOf('504b0708', 0, 'hex') + 8); return z; }, [`a: its data descriptor does not give its size (${one.local.length - 30 - 1} bytes)`]],
  ])('names %s', (_, make, problems) => {
    expect(read(make()).problems).toEqual(problems);
  });

  it('stops quietly when its caller halts it', () => {
    // Cut short, the archive would be a problem; halted, it is not.
    const cut = archiveOf([one]).subarray(0, 100);
    expect(read(cut, 10).problems).toEqual(['a: truncated archive']);
    let calls = 0;
    expect(read(cut, 10, () => ++calls > 3).problems).toEqual([]);
  });
});
