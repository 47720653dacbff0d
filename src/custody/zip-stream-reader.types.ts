// What a ZipStreamReader tells its caller as it reads an archive: each entry to read (the caller returns where
// its decompressed data goes), each problem (an entry or the archive that cannot be scanned), and it asks
// whether the caller has given up. Sinks are called synchronously, in the order of the archive's bytes.

export interface ZipEntryInfo {
  name: string;
  method: number;
  /** Offset of the entry's data in the archive's bytes. */
  dataStart: number;
}

export interface ZipEntrySink {
  /** The next decompressed bytes: a view valid during the call only (what is kept must be copied). */
  data(chunk: Buffer): void;
  /** The entry's data ended at `dataEnd` (an offset in the archive's bytes). */
  end(dataEnd: number): void;
}

export interface ZipEvents {
  /** An entry to read (not called for an encrypted entry or an unsupported method: those are problems). */
  entry(info: ZipEntryInfo): ZipEntrySink;
  /** `entry` names the entry concerned, or is undefined for the archive itself. */
  problem(entry: string | undefined, what: string): void;
  /** Whether to stop reading quietly (the caller gave up, e.g. at its expansion limit); asked after each step. */
  halted(): boolean;
}
