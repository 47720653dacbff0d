// A release bundle on the local file system (the ReleaseBundleReader port): listed with lstat, never following a
// link; files opened without following a link (O_NOFOLLOW) and without waiting on a FIFO (O_NONBLOCK), then
// refused unless the open descriptor is a regular file, so what is read is what was opened. A path is always
// bundle-relative: one that could leave the bundle (absolute, `..`, empty parts) is refused before it is opened.
import { closeSync, constants, fstatSync, lstatSync, opendirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleEntry, ReleaseBundleReader } from '../../custody/release-bundle-reader.types.js';

const CHUNK = 4 * 1024 * 1024;
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

const fail = (message: string, code: string) => Object.assign(new Error(message), { code });

/** At most `limit` names of a directory, sorted: a directory of millions of names is not read whole. */
function names(dir: string, limit: number): string[] {
  const d = opendirSync(dir);
  try {
    const out: string[] = [];
    for (let e = d.readSync(); e !== null && out.length < limit; e = d.readSync()) out.push(e.name);
    return out.sort();
  } finally {
    d.closeSync();
  }
}

export class FsReleaseBundleReader implements ReleaseBundleReader {
  constructor(private readonly root: string) {}

  list(max: number): BundleEntry[] {
    const out: BundleEntry[] = [];
    // Depth first without recursion (a bundle may nest as deep as its maker liked): a directory, then everything
    // under it, then its next sibling.
    const stack: Array<{ rel: string; names: string[]; next: number }> = [{ rel: '', names: names(this.root, max + 1), next: 0 }];
    while (stack.length > 0 && out.length <= max) {
      const top = stack[stack.length - 1];
      if (top.next >= top.names.length) {
        stack.pop();
        continue;
      }
      const name = top.names[top.next++];
      const path = top.rel === '' ? name : `${top.rel}/${name}`;
      const st = lstatSync(join(this.root, path));
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
      out.push({ path, type, size: st.isFile() ? st.size : 0 });
      if (type === 'directory') stack.push({ rel: path, names: names(join(this.root, path), max + 1 - out.length), next: 0 });
    }
    return out;
  }

  read(path: string, max: number): Buffer {
    const chunks: Buffer[] = [];
    let total = 0;
    this.stream(path, (chunk) => {
      if (total <= max) chunks.push(Buffer.from(chunk.subarray(0, max + 1 - total)));
      total += chunk.length;
    }, max + 1);
    return Buffer.concat(chunks);
  }

  /** `limit`: stop once that many bytes were handed over (read() needs only max + 1). */
  stream(path: string, sink: (chunk: Uint8Array) => void, limit = Infinity): number {
    const fd = this.open(path);
    try {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, limit));
      let size = 0;
      for (;;) {
        const n = size >= limit ? 0 : readSync(fd, buf, 0, buf.length, null);
        if (n === 0) return size;
        sink(buf.subarray(0, n));
        size += n;
      }
    } finally {
      closeSync(fd);
    }
  }

  private open(path: string): number {
    const parts = path.split('/');
    if (path.startsWith('/') || path.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) throw fail(`${path}: not a path inside the bundle`, 'EINVAL');
    const fd = openSync(join(this.root, ...parts), OPEN_FLAGS);
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw fail(`${path}: not a regular file`, 'EISDIR');
    }
    return fd;
  }
}
