// The journal's durable file, kept in memory for unit tests: the real Journal writes to it, so every hash and
// link is the one a ceremony would write.
import type { JournalFile } from '../../src/record/journal-file.types.js';

export class MemoryJournalFile implements JournalFile {
  bytes = Buffer.alloc(0);
  readAll(): Buffer {
    return Buffer.from(this.bytes);
  }
  append(line: string): void {
    this.bytes = Buffer.concat([this.bytes, Buffer.from(line, 'utf8')]);
  }
  truncate(length: number): void {
    this.bytes = this.bytes.subarray(0, length);
  }
}
