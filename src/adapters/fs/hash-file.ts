// A file's size and SHA-256 in one streaming pass (never the whole file in memory: images of several GiB are
// normal), from an open file descriptor so the size and the bytes hashed are of the same file.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

const CHUNK = 4 * 1024 * 1024;

/** Everything left to read on an open descriptor (a file or a block device), through SHA-256. */
export function hashDescriptor(fd: number, limit = Number.POSITIVE_INFINITY): { size: number; sha256: string } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, limit - size), null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    size += n;
  }
  return { size, sha256: hash.digest('hex') };
}

export function hashFile(path: string): { size: number; sha256: string } {
  // Opening a fifo would wait for a writer: a path that is not a regular file is refused before it is opened.
  if (!statSync(path).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
  const fd = openSync(path, 'r');
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
    return hashDescriptor(fd);
  } finally {
    closeSync(fd);
  }
}
