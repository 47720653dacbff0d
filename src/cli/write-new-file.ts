// Writing a new file people asked for (a printed plan, an export archive): never over an existing one, and
// whole or not at all.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OfficiantError } from '../errors.js';

/**
 * Writes `bytes` to `path`, which must not exist: a temp file beside it, fsync'd, then linked into place (so the
 * file appears whole or not at all, and a file created meanwhile is refused rather than replaced); where the
 * file system has no hard links, renamed after the existence check already made.
 */
export function writeNewFile(path: string, bytes: Uint8Array): void {
  writeNewFileWith(path, (write) => write(bytes));
}

/**
 * As writeNewFile, for content made piece by piece: `fill` gets a write function and calls it with each chunk
 * (an export archive streamed packet by packet). If fill throws, nothing appears at `path`.
 */
export function writeNewFileWith(path: string, fill: (write: (chunk: Uint8Array) => void) => void): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      fill((chunk) => {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      });
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let linked = false;
    try {
      linkSync(tmp, path);
      linked = true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new OfficiantError('input.file-exists', `${path} already exists`);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      renameSync(tmp, path);
    }
    if (linked) unlinkSync(tmp);
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // directories that cannot be opened for fsync (some platforms): the file itself is already on disk
    }
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    if (err instanceof OfficiantError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const why = code === 'ENOENT' ? 'no such directory' : code;
    throw new OfficiantError(code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'env.permission' : 'env.fs', `cannot write ${path}: ${why}`, { cause: err });
  }
}
