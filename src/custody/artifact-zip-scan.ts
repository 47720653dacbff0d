// The scan of an artifact for what a release must never carry (artifact-scan.ts), through its ZIP entries: the
// artifact's own bytes and, when it is a ZIP (APK, APEX, OTA package, target-files), each entry decompressed,
// and the ZIPs inside those (entry `lib/inner.zip!/META-INF/CERT.RSA`), each to a scanner of its own. What
// cannot be read is a finding too, of kind 'unscannable', and refuses the artifact as a key would: an encrypted
// entry, a method other than stored or deflate, a corrupt or truncated archive (zip-stream-reader.ts), a ZIP
// nested deeper than maxDepth, or more decompressed bytes in all than maxExpandedBytes (a zip bomb stops there,
// in bounded time). Streaming: bytes are pushed as they are read (adapters/fs/scan-artifact-file.ts reads a
// file), memory stays bounded whatever the sizes, and nothing is thrown for bad bytes. Pure.
import { ArtifactScanner, type ScanHit } from './artifact-scan.js';
import type { DeniedKey } from './deny-list.js';
import { ZipStreamReader } from './zip-stream-reader.js';
import type { ZipEntryInfo, ZipEvents } from './zip-stream-reader.types.js';

export interface ArtifactFinding {
  artifact: string;
  /** '' for the artifact's own bytes; inside ZIPs `a/b.zip!/c/d.pem` (`!/` between nesting levels). */
  entry: string;
  what: string;
  kind: 'denied-key' | 'private-key' | 'unscannable';
}

export interface ArtifactScanReport {
  findings: ArtifactFinding[];
  /** The artifact's size. */
  bytes: number;
  /** ZIP entries read, at every level. */
  entries: number;
  /** Decompressed bytes of entries, at every level. */
  expandedBytes: number;
}

export interface ArtifactScanOptions {
  /** How many ZIPs inside the artifact's ZIP are opened, one in another (default 4). */
  maxDepth?: number;
  /** Decompressed bytes in all (default: 200 times the artifact's size, at most 64 GiB). */
  maxExpandedBytes?: number;
  /** Bytes read at a time (default 1 MiB). */
  chunkSize?: number;
}

export const DEFAULT_MAX_DEPTH = 4;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const MAX_EXPANDED = 64 * 1024 ** 3;
const EXPANSION_RATIO = 200;
const ZIP = Buffer.from('504b0304', 'hex');
const GATHER = 1024 * 1024;

const hitKey = (h: ScanHit) => `${h.kind}\0${h.what}`;

/** A stored entry's bytes inside its container's, and what the entry's own scanner found in them. */
interface StoredRange {
  start: number;
  end: number;
  found: Set<string>;
}

class Scan {
  readonly findings = new Map<string, ArtifactFinding>();
  entries = 0;
  expanded = 0;
  exceeded = false;

  constructor(
    readonly artifact: string,
    readonly denied: readonly DeniedKey[],
    readonly maxDepth: number,
    readonly maxExpanded: number,
  ) {}

  add(entry: string, kind: ArtifactFinding['kind'], what: string): void {
    this.findings.set(`${entry}\0${kind}\0${what}`, { artifact: this.artifact, entry, what, kind });
  }
}

/** One stream of bytes (the artifact, or an entry's data), its scanner, and the ZIP it may be. */
class EntryScan {
  private readonly scanner: ArtifactScanner;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  /** The ZIP these bytes are: undefined until their first 4 bytes are known, null when they are not one. */
  private archive?: ZipStreamReader | null;
  /** Stored entries of that ZIP in which something was found (the same bytes, seen twice). */
  readonly stored: StoredRange[] = [];

  constructor(
    private readonly scan: Scan,
    private readonly path: string,
    /** 0 for the artifact; 1 for its entries, 2 for entries of a ZIP in one, ... */
    private readonly level: number,
    private readonly container?: { scan: EntryScan; dataStart: number },
  ) {
    this.scanner = new ArtifactScanner(scan.denied);
  }

  data(chunk: Buffer): void {
    const scan = this.scan;
    if (this.level > 0) {
      if (scan.exceeded) return;
      scan.expanded += chunk.length;
      if (scan.expanded > scan.maxExpanded) {
        scan.exceeded = true;
        return scan.add(this.path, 'unscannable', `the entries expand beyond ${scan.maxExpanded} bytes`);
      }
    }
    this.gather(chunk);
    if (this.archive === undefined) {
      // Whether the bytes are a ZIP is known from their first 4: until then they are kept (a copy: the
      // caller may reuse its chunk).
      if (this.headBytes + chunk.length < 4) return void ((this.headBytes += chunk.length), this.head.push(Buffer.from(chunk)));
      if (this.headBytes > 0) chunk = Buffer.concat([...this.head, chunk]);
      this.head = [];
      this.archive = this.open(chunk);
    }
    if (this.archive && !scan.exceeded) this.archive.push(chunk);
  }

  end(dataEnd: number): void {
    this.archive?.finish();
    this.flush();
    const hits = this.scanner.finish();
    // A stored entry's bytes are also its container's: what its own scanner found is reported for it alone.
    const inStored = (h: ScanHit) => this.stored.some((r) => r.start <= h.offset && h.offset < r.end && r.found.has(hitKey(h)));
    for (const h of hits) if (!inStored(h)) this.scan.add(this.path, h.kind, h.what);
    if (this.container && hits.length > 0) this.container.scan.stored.push({ start: this.container.dataStart, end: dataEnd, found: new Set(hits.map(hitKey)) });
  }

  // Each push costs the scanner a seam around the boundary (the longest needle on either side, about 2 KiB) and a
  // copy of the tail it keeps, and inflated pieces are often a few KiB: they are gathered to 1 MiB first, so that
  // each byte is read about once. (A copy: the caller may reuse its chunk.)
  private gather(chunk: Buffer): void {
    if (this.gathered.length === 0 && chunk.length >= GATHER) return this.scanner.push(chunk);
    this.gathered.push(Buffer.from(chunk));
    this.gatheredBytes += chunk.length;
    if (this.gatheredBytes >= GATHER) this.flush();
  }

  private flush(): void {
    if (this.gathered.length > 0) this.scanner.push(Buffer.concat(this.gathered));
    [this.gathered, this.gatheredBytes] = [[], 0];
  }

  private open(head: Buffer): ZipStreamReader | null {
    if (!head.subarray(0, 4).equals(ZIP)) return null;
    if (this.level > this.scan.maxDepth) {
      this.scan.add(this.path, 'unscannable', `a ZIP nested ${this.level} deep (at most ${this.scan.maxDepth})`);
      return null;
    }
    const scan = this.scan;
    const inside = (name: string) => (this.path === '' ? name : `${this.path}!/${name}`);
    const events: ZipEvents = {
      entry: (info: ZipEntryInfo) => {
        scan.entries++;
        const container = info.method === 0 ? { scan: this as EntryScan, dataStart: info.dataStart } : undefined;
        return new EntryScan(scan, inside(info.name), this.level + 1, container);
      },
      problem: (entry, what) => scan.add(entry === undefined ? this.path : inside(entry), 'unscannable', what),
      halted: () => scan.exceeded,
    };
    return new ZipStreamReader(events);
  }
}

/** Scans an artifact pushed chunk by chunk; `size` (known before reading) sets the default expansion limit. */
export class ArtifactZipScanner {
  private readonly scan: Scan;
  private readonly top: EntryScan;
  private bytes = 0;

  constructor(name: string, size: number, denied: readonly DeniedKey[], opts: ArtifactScanOptions = {}) {
    const maxExpanded = opts.maxExpandedBytes ?? Math.min(MAX_EXPANDED, EXPANSION_RATIO * size);
    this.scan = new Scan(name, denied, opts.maxDepth ?? DEFAULT_MAX_DEPTH, maxExpanded);
    this.top = new EntryScan(this.scan, '', 0);
  }

  /** Nothing of `chunk` is kept after this returns (what waits for more bytes is copied). */
  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    this.top.data(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  /** What was found, each once, sorted by entry, kind and what. */
  finish(): ArtifactScanReport {
    this.top.end(this.bytes);
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const findings = [...this.scan.findings.values()].sort((a, b) => cmp(a.entry, b.entry) || cmp(a.kind, b.kind) || cmp(a.what, b.what));
    return { findings, bytes: this.bytes, entries: this.scan.entries, expandedBytes: this.scan.expanded };
  }
}

/** Scans an artifact held in memory (small artifacts, tests), pushed in chunks of `chunkSize`. */
export function scanArtifactBytes(bytes: Uint8Array, name: string, denied: readonly DeniedKey[], opts: ArtifactScanOptions = {}): ArtifactScanReport {
  const scanner = new ArtifactZipScanner(name, bytes.length, denied, opts);
  const step = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  for (let at = 0; at < bytes.length; at += step) scanner.push(bytes.subarray(at, at + step));
  return scanner.finish();
}
