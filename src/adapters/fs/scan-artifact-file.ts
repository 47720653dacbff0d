// The scan of an artifact file for what a release must never carry (custody/artifact-zip-scan.ts): read once,
// in chunks, never whole (images of several GiB are normal), from an open file handle so the size that sets the
// expansion limit and the bytes scanned are of the same file. What is wrong with the bytes is a finding; only
// what is wrong with the file (missing, unreadable, not a regular file) is thrown.
import { open, stat } from 'node:fs/promises';
import type { DeniedKey } from '../../custody/deny-list.js';
import { ArtifactZipScanner, DEFAULT_CHUNK_SIZE, type ArtifactScanOptions, type ArtifactScanReport } from '../../custody/artifact-zip-scan.js';

export async function scanArtifactFile(file: string, name: string, denied: readonly DeniedKey[], opts: ArtifactScanOptions = {}): Promise<ArtifactScanReport> {
  // Opening a fifo would wait for a writer: a path that is not a regular file is refused before it is opened.
  if (!(await stat(file)).isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EISDIR' });
  const handle = await open(file, 'r');
  const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  // The next chunk is read while this one is scanned, into the other of two buffers: the scanner keeps nothing
  // of a chunk once its push returns (what waits for more bytes is copied), so a buffer is free to read into again.
  const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  let reading = handle.read(buffers[0], 0, chunkSize, 0);
  try {
    const { size } = await handle.stat();
    const scanner = new ArtifactZipScanner(name, size, denied, opts);
    for (let position = 0, i = 1; ; i++) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      position += bytesRead;
      reading = handle.read(buffers[i % 2], 0, chunkSize, position);
      scanner.push(buffer.subarray(0, bytesRead));
    }
    return scanner.finish();
  } finally {
    await reading.catch(() => undefined);
    await handle.close();
  }
}
