// Ports of the journal: where its lines are kept, and the clock that stamps them.
// The journal's durable file. Contract: append() returns only after the line is on disk (fsync).
export interface JournalFile {
  readAll(): Buffer;
  append(line: string): void;
  /** Cuts the file to `length` bytes (used only to drop a torn final line, after saving it aside). */
  truncate(length: number): void;
}

export interface Clock {
  now(): Date;
}
