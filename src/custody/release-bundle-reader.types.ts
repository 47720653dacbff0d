// The port through which verifyReleaseBundle reads a bundle, so the checks never touch a file system. Paths are
// bundle-relative with '/' separators, and only ever ones list() gave as a regular file. Nothing is followed:
// list() reports a link as a link. list() gives every entry under the bundle's root depth first (a directory, then
// everything under it), stopping after `max` + 1 (so the caller sees there are too many); a file's size is as
// listed. read() gives at most `max` + 1 bytes of a regular file (a larger one is seen as such without being
// read whole). stream() hands a regular file's bytes to `sink` in order, in chunks, from one open descriptor
// (artifacts of several GiB are normal), and returns how many bytes there were. read() and stream() throw, with
// an errno `code`, when the path is no longer a regular file when opened (a link: ELOOP; a directory, FIFO or
// device: EISDIR) or cannot be read; list() throws when the root cannot be read.
export type BundleEntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface BundleEntry {
  path: string;
  type: BundleEntryType;
  /** Bytes, for a regular file (0 otherwise). */
  size: number;
}

export interface ReleaseBundleReader {
  list(max: number): BundleEntry[];
  read(path: string, max: number): Buffer;
  stream(path: string, sink: (chunk: Uint8Array) => void): number;
}
