// The output directory and the journal file on the local file system. Writes are atomic and durable:
// temp file in the same directory, fsync, rename, fsync of the directory; journal lines are fsync'd before
// append() returns. Files are created 0644, directories 0755: the packet is public evidence, never secrets.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { crashNow, failpoint, failpointArmed } from '../../failpoints.js';
import type { JournalFile, OutputStore } from '../../engine/ports.js';
import { takePidLock } from './pid-lock.js';

function fsError(what: string, path: string, err: unknown): OfficiantError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'unknown';
  const kind = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'env.permission' : 'env.fs';
  return new OfficiantError(kind, `cannot ${what} ${path}: ${code}`, { cause: err });
}

const LOCK = '.officiant.lock';

function fstatIsDir(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).isDirectory();
  } finally {
    closeSync(fd);
  }
}

/** writeSync may write less than asked (disk full, signals): loop until all is written or it throws. */
function writeAll(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class FsOutputStore implements OutputStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private abs(rel: string): string {
    const p = resolve(this.root, rel);
    if (p !== this.root && !p.startsWith(this.root + sep)) throw new OfficiantError('env.fs', `path ${rel} leaves the output directory`);
    return p;
  }

  exists(rel: string): boolean {
    return existsSync(this.abs(rel));
  }

  read(rel: string): Buffer {
    try {
      return readFileSync(this.abs(rel));
    } catch (err) {
      throw fsError('read', join(this.root, rel), err);
    }
  }

  list(rel: string): string[] {
    const p = this.abs(rel);
    if (!existsSync(p)) return [];
    try {
      return readdirSync(p).sort();
    } catch (err) {
      throw fsError('list', p, err);
    }
  }

  isDirectory(rel: string): boolean {
    const p = this.abs(rel);
    return existsSync(p) && fstatIsDir(p);
  }

  lock(): () => void {
    const path = join(this.root, LOCK);
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw fsError('create', this.root, err);
    }
    try {
      return takePidLock(path, (pid) => new OfficiantError('env.out-dir-locked', pid ? `${this.root} is in use by another officiant process (pid ${pid})` : `cannot lock ${this.root}`));
    } catch (err) {
      if (err instanceof OfficiantError) throw err;
      throw fsError('lock', this.root, err);
    }
  }

  sweepTemp(): string[] {
    const removed: string[] = [];
    const walk = (rel: string) => {
      for (const name of this.list(rel)) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (/^\.[0-9a-f]{12}\.tmp$/.test(name)) {
          unlinkSync(this.abs(child));
          removed.push(child);
        } else if (!name.startsWith('.') && existsSync(this.abs(child)) && fstatIsDir(this.abs(child))) {
          walk(child);
        }
      }
    };
    walk('');
    return removed;
  }

  write(rel: string, bytes: Buffer | string): void {
    const target = this.abs(rel);
    const dir = dirname(target);
    const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const fd = openSync(tmp, 'wx', 0o644);
      try {
        writeAll(fd, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      failpoint('output.write');
      renameSync(tmp, target);
      fsyncDir(dir);
    } catch (err) {
      throw fsError('write', relative(process.cwd(), target) || target, err);
    }
  }
}

export class FsJournalFile implements JournalFile {
  constructor(readonly path: string) {}

  readAll(): Buffer {
    if (!existsSync(this.path)) return Buffer.alloc(0);
    try {
      return readFileSync(this.path);
    } catch (err) {
      throw fsError('read', this.path, err);
    }
  }

  append(line: string): void {
    const bytes = Buffer.from(line, 'utf8');
    const created = !existsSync(this.path);
    let fd: number;
    try {
      fd = openSync(this.path, 'a', 0o644);
    } catch (err) {
      throw fsError('open', this.path, err);
    }
    const before = fstatSync(fd).size;
    try {
      if (created) fsyncDir(dirname(this.path));
      if (failpointArmed('journal.append:torn')) {
        writeAll(fd, bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
        fsyncSync(fd);
        crashNow();
      }
      failpoint('journal.append');
      writeAll(fd, bytes);
      fsyncSync(fd);
    } catch (err) {
      // A write that failed half-way (disk full) must not leave a torn line for the next append to follow.
      try {
        ftruncateSync(fd, before);
        fsyncSync(fd);
      } catch {
        // the next open will find and record the torn tail instead
      }
      throw fsError('append to', this.path, err);
    } finally {
      closeSync(fd);
    }
  }

  truncate(length: number): void {
    try {
      const fd = openSync(this.path, 'r+');
      try {
        ftruncateSync(fd, length);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw fsError('repair', this.path, err);
    }
  }
}
