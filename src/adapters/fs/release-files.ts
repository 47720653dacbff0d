// The files of a release signing session (engine/ports.ts ReleaseFiles): the requested artifacts read where the
// pipeline left them, their read-only staged copies, the signature files, the bundle and the authority's signing
// log. Each file is read in chunks from one open descriptor (never whole: images of several GiB are normal), and
// a path that is not a regular file (a symlink, a fifo, a directory) is refused before it is read.
import { createHash, createVerify, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, constants, existsSync, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, renameSync, rmSync, writeSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileDigest, ReleaseFiles } from '../../engine/ports.js';
import { scanArtifactFile } from './scan-artifact-file.js';
import { takePidLock } from './pid-lock.js';
import { failpoint } from '../../failpoints.js';
import { OfficiantError } from '../../errors.js';

const CHUNK = 4 * 1024 * 1024;

function openRegular(path: string): number {
  const st = lstatSync(path);
  if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file${st.isSymbolicLink() ? ' (a symbolic link)' : ''}`), { code: 'EINVAL' });
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
  }
  return fd;
}

/** Reads `path` chunk by chunk into `each`. */
function eachChunk(path: string, each: (chunk: Buffer) => void): number {
  const fd = openRegular(path);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return size;
      each(buf.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to `path` through a temporary file and a rename, synced, read-only. */
function writeAtomic(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o444);
  renameSync(tmp, path);
}

export const fsReleaseFiles: ReleaseFiles = {
  readLog: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : ''),
  appendLog(path, line) {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The line is on disk and the journal does not know yet: the crash a signing session's reconcile is for.
    failpoint('signing-log.append');
  },
  lockLog(path) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      return takePidLock(`${path}.lock`, (pid) => new OfficiantError('env.signing-log-locked', pid ? `the signing log ${path} is in use by another signing session (pid ${pid}); one session of an authority signs at a time` : `cannot lock the signing log ${path}`));
    } catch (err) {
      if (err instanceof OfficiantError) throw err;
      throw new OfficiantError('env.fs', `cannot lock the signing log ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
  },
  stage(src, dir, name): FileDigest {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A retried staging writes into the directory an earlier attempt made read-only.
    chmodSync(dir, 0o700);
    const dst = join(dir, name);
    const tmp = `${dst}.tmp`;
    rmSync(tmp, { force: true });
    const out = openSync(tmp, 'w', 0o600);
    const hash = createHash('sha256');
    let size: number;
    try {
      // Not synced here: staging runs at the speed of reading and hashing, and the kernel writes the copy out while
      // the session goes on. Every later step hashes the staged copy again before using it, and publish syncs each
      // file it places in the bundle (placeCopy), so a copy lost to a power cut is refused, never signed or shipped.
      size = eachChunk(src, (chunk) => {
        hash.update(chunk);
        writeSync(out, chunk);
      });
    } finally {
      closeSync(out);
    }
    chmodSync(tmp, 0o444);
    if (existsSync(dst)) chmodSync(dst, 0o600);
    renameSync(tmp, dst);
    return { size, sha256: hash.digest('hex') };
  },
  hash(path): FileDigest {
    const hash = createHash('sha256');
    const size = eachChunk(path, (chunk) => hash.update(chunk));
    return { size, sha256: hash.digest('hex') };
  },
  verifyFile(path: string, signature: Buffer, key: KeyObject): boolean {
    const v = createVerify('sha256');
    eachChunk(path, (chunk) => v.update(chunk));
    return v.verify(key, signature);
  },
  readFile: (path) => (existsSync(path) && lstatSync(path).isFile() ? readFileSync(path) : undefined),
  writeFile(path, bytes) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (existsSync(path)) chmodSync(path, 0o600);
    writeAtomic(path, bytes);
  },
  exists: (path) => existsSync(path),
  regularSize(path) {
    try {
      const st = lstatSync(path);
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  },
  makeDir: (path) => void mkdirSync(path, { recursive: true, mode: 0o700 }),
  readOnly: (path) => chmodSync(path, 0o555),
  rename: (from, to) => renameSync(from, to),
  remove(path) {
    if (!existsSync(path)) return;
    // Staged files and the bundle's directories are read-only; make them writable to remove them.
    const open = (p: string) => {
      const st = lstatSync(p);
      if (st.isDirectory()) {
        chmodSync(p, 0o700);
        for (const n of readdirSync(p)) open(join(p, n));
      }
    };
    open(path);
    rmSync(path, { recursive: true, force: true });
  },
  // The artifact's bytes and, for a ZIP, every entry decompressed, recursively (custody/artifact-zip-scan.ts).
  scan: (path, name, denied) => scanArtifactFile(path, name, denied),
  placeCopy(src, dst) {
    mkdirSync(dirname(dst), { recursive: true, mode: 0o700 });
    rmSync(dst, { force: true });
    // A hard link when staging and bundle share a file system (no second copy of a multi-GiB image), else a copy.
    try {
      linkSync(src, dst);
    } catch {
      copyFileSync(src, dst);
      chmodSync(dst, 0o444);
    }
    // The bundle is durable before it is renamed into place: the staged data (a link shares it) reaches the disk.
    const fd = openSync(dst, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
};
