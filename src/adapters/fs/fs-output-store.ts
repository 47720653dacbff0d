// The output directory and the journal file on the local file system. Writes are atomic and durable:
// temp file in the same directory, fsync, rename, fsync of the directory; journal lines are fsync'd before
// append() returns. Files are created 0644, directories 0755: the packet is public evidence, never secrets.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { crashNow, failpoint, failpointArmed } from '../../failpoints.js';
import type { JournalFile, OutputStore } from '../../engine/ports.js';

function fsError(what: string, path: string, err: unknown): OfficiantError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'unknown';
  const kind = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'env.permission' : 'env.fs';
  return new OfficiantError(kind, `cannot ${what} ${path}: ${code}`, { cause: err });
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
    return readdirSync(p).sort();
  }

  write(rel: string, bytes: Buffer | string): void {
    const target = this.abs(rel);
    const dir = dirname(target);
    const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const fd = openSync(tmp, 'wx', 0o644);
      try {
        writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
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
    let fd: number;
    try {
      fd = openSync(this.path, 'a', 0o644);
    } catch (err) {
      throw fsError('open', this.path, err);
    }
    try {
      if (failpointArmed('journal.append:torn')) {
        writeSync(fd, bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
        fsyncSync(fd);
        crashNow();
      }
      failpoint('journal.append');
      writeSync(fd, bytes);
      fsyncSync(fd);
    } catch (err) {
      throw fsError('append to', this.path, err);
    } finally {
      closeSync(fd);
    }
  }

  truncate(length: number): void {
    const fd = openSync(this.path, 'r+');
    try {
      ftruncateSync(fd, length);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
