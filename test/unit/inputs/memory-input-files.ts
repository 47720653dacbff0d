// An in-memory InputFiles for the loaders' tests: files by resolved path, directories implied by the files
// under them or declared, and faults a real file system has (a directory where a file is expected, a file
// that cannot be read), thrown as Node's fs throws them (an Error with an errno code).
import { dirname, resolve } from 'node:path';
import type { InputFiles } from '../../../src/inputs/input-files.types.js';

type Entry = Buffer | 'dir' | 'denied';

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

export class MemoryInputFiles implements InputFiles {
  private readonly entries = new Map<string, Entry>();

  file(path: string, content: string | Buffer): this {
    this.entries.set(resolve(path), typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    return this;
  }

  dir(path: string): this {
    this.entries.set(resolve(path), 'dir');
    return this;
  }

  /** A file that exists but cannot be read (EACCES). */
  denied(path: string): this {
    this.entries.set(resolve(path), 'denied');
    return this;
  }

  remove(path: string): this {
    this.entries.delete(resolve(path));
    return this;
  }

  read(path: string): Buffer {
    const abs = resolve(path);
    const entry = this.entries.get(abs);
    if (entry === 'denied') throw errno('EACCES', path);
    if (entry === 'dir' || (entry === undefined && this.exists(path))) throw errno('EISDIR', path);
    if (entry === undefined) throw errno('ENOENT', path);
    return Buffer.from(entry);
  }

  exists(path: string): boolean {
    const abs = resolve(path);
    if (this.entries.has(abs)) return true;
    for (const p of this.entries.keys()) {
      for (let d = dirname(p); d !== dirname(d); d = dirname(d)) if (d === abs) return true;
    }
    return false;
  }
}
