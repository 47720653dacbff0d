// Reads a ZIP archive from its bytes as they arrive, without random access (an archive inside an entry arrives
// only as a stream), and hands each stored or deflated entry's data, decompressed, to a sink. An entry written
// with a data descriptor (flag bit 3: its sizes follow its data) is read to the end of its deflate stream, or,
// when it is not deflated, to the descriptor whose size field counts exactly the bytes before it. Zip64 sizes
// and offsets are read. Installers read entries through the central directory, not in sequence, so it is
// checked against what was read: an entry it lists that was not read here (a header hidden inside another
// entry's bytes), a method or size that differ, a directory or end record elsewhere, or bytes after the archive
// would be data the scan never saw, and each is a problem. Problems are reported, never thrown; after one that
// loses the thread of the archive, reading stops. Memory is bounded: a header (at most 192 KiB), and what one
// 16 KiB slice of deflate data inflates to (about 17 MiB at the format's limit of 1032:1).
import { Inflate } from 'fflate';
import type { ZipEntrySink, ZipEvents } from './zip-stream-reader.types.js';
import { CENTRAL, DESCRIPTOR, descriptorLength, END, END_RECORD, END64, isSigningBlockTail, LOCAL, LOCATOR64, readCentralRecord, readEndRecord, readLocalHeader, signingBlockSize } from './zip-records.js';

const SLICE = 16 * 1024;
const MAX_ENTRIES = 1 << 20;

interface Current {
  name: string;
  method: number;
  header: number;
  mode: 'stored' | 'inflate' | 'skip';
  sink?: ZipEntrySink;
  inflate?: Inflate;
  /** Bytes of data left, when the header says; undefined when a data descriptor ends the data. */
  left?: number;
  zip64: boolean;
  read: number;
  ended: boolean;
}

type State = 'records' | 'data' | 'descriptor' | 'skip' | 'signature-block' | 'trailer' | 'stopped';

// fflate (pinned at 0.8.3) does not say where a deflate stream ends, and a data-descriptor entry needs it: its
// end is known only from its data. Its state does: the final block was read (s.f) and no block is open (s.l);
// p holds the input from there, its first byte still part of the stream when s.p (a bit offset) is not 0.
function afterStream(inflate: Inflate): Buffer | undefined {
  const i = inflate as unknown as { s: { f?: number; l?: unknown; p?: number }; p: Uint8Array };
  if (!i.s.f || i.s.l) return undefined;
  const rest = i.p.subarray(i.s.p ? 1 : 0);
  return Buffer.from(rest.buffer, rest.byteOffset, rest.length);
}

export class ZipStreamReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Offset in the archive of buf[0]. */
  private pos = 0;
  private state: State = 'records';
  private cur?: Current;
  private skipping = 0;
  private afterSkip: State = 'records';
  private signatureBlockSize = 0;
  /** Each entry read, by the offset of its local header: its method and compressed size. */
  private readonly read = new Map<number, string>();
  private directoryAt?: number;
  private comment = 0;
  private trailer: Buffer[] = [];
  private trailerBytes = 0;

  constructor(private readonly events: ZipEvents) {}

  push(chunk: Uint8Array): void {
    if (this.state === 'stopped') return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, bytes]) : bytes;
    try {
      while (this.step()) if (this.events.halted()) this.stop();
    } catch (err) {
      this.stop(this.cur?.name, `unreadable archive: ${(err as Error).message}`);
    }
    // What waits for more bytes is kept as a copy: the caller may reuse its chunk.
    if (this.buf.length > 0 && this.buf.buffer === bytes.buffer) this.buf = Buffer.from(this.buf);
  }

  /** The archive's bytes ended. */
  finish(): void {
    if (this.state === 'stopped') return;
    if (this.events.halted()) return void this.stop();
    if (this.state !== 'trailer') return void this.stop(this.cur?.name, 'truncated archive');
    if (this.trailerBytes < this.comment) this.stop(undefined, 'truncated archive');
    else if (this.trailerBytes > this.comment) this.stop(undefined, `${this.trailerBytes - this.comment} bytes after the end of the archive`);
    // Android reads the last end record it finds, so one inside the comment would be the one it reads.
    else if (Buffer.concat(this.trailer).includes(END_RECORD)) this.stop(undefined, 'an end-of-archive record inside the archive comment');
    this.state = 'stopped';
  }

  /** Stops reading, with a problem or (halted) quietly; the entry being read ends where it was. */
  private stop(entry?: string, what?: string): false {
    if (what !== undefined) this.events.problem(entry, what);
    if (this.state === 'data' || this.state === 'descriptor') this.cur?.sink?.end(this.pos);
    this.state = 'stopped';
    this.buf = Buffer.alloc(0);
    return false;
  }

  private advance(n: number): Buffer {
    const taken = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.pos += n;
    return taken;
  }

  private step(): boolean {
    if (this.state === 'stopped') return false;
    if (this.state === 'data') return this.data(this.cur!);
    if (this.state === 'descriptor') return this.descriptor(this.cur!);
    if (this.state === 'skip') {
      const n = Math.min(this.skipping, this.buf.length);
      this.advance(n);
      this.skipping -= n;
      if (this.skipping === 0) this.state = this.afterSkip;
      return this.skipping === 0;
    }
    if (this.state === 'signature-block') {
      if (this.buf.length < 24) return false;
      const tail = this.advance(24);
      if (!isSigningBlockTail(tail, this.signatureBlockSize)) return this.stop(undefined, 'unexpected bytes before the central directory');
      this.state = 'records';
      return true;
    }
    if (this.state === 'trailer') {
      this.trailerBytes += this.buf.length;
      const bytes = this.advance(this.buf.length);
      if (this.trailerBytes <= 65_536 + 4) this.trailer.push(Buffer.from(bytes));
      return false;
    }
    return this.record();
  }

  private record(): boolean {
    const b = this.buf;
    if (b.length < 4) return false;
    const sig = b.readUInt32LE(0);
    if (sig === LOCAL) return this.localHeader();
    if (sig === CENTRAL) return this.centralRecord();
    if (sig === END || sig === END64) {
      const end = readEndRecord(b);
      if (!end) return false;
      this.directoryAt ??= this.pos;
      if (end.directoryAt !== undefined && end.directoryAt !== this.directoryAt) return this.stop(undefined, `the end record puts the central directory at ${end.directoryAt}, not at ${this.directoryAt}`);
      if (end.comment === undefined) [this.skipping, this.afterSkip, this.state] = [end.length, 'records', 'skip'];
      else [this.comment, this.state] = [end.comment, 'trailer'], this.advance(end.length);
      return true;
    }
    if (sig === LOCATOR64) return b.length >= 20 && (this.advance(20), true);
    // An APK's signing block sits between the last entry and the central directory: its size (of what
    // follows), its pairs, its size again and a magic, checked when the block has been passed over.
    if (this.read.size > 0 && this.directoryAt === undefined) {
      if (b.length < 8) return false;
      const size = signingBlockSize(b);
      if (size !== undefined) {
        [this.signatureBlockSize, this.skipping, this.afterSkip, this.state] = [size, size - 16, 'signature-block', 'skip'];
        return true;
      }
    }
    return this.stop(undefined, `unexpected bytes at offset ${this.pos}`);
  }

  private localHeader(): boolean {
    const h = readLocalHeader(this.buf);
    if (!h) return false;
    if (this.read.size >= MAX_ENTRIES) return this.stop(undefined, `more than ${MAX_ENTRIES} entries`);
    const { name, method } = h;
    const header = this.pos;
    this.advance(h.length);
    const problem = h.flags & 1 ? 'encrypted entry' : method !== 0 && method !== 8 ? `compression method ${method} is not supported` : undefined;
    if (problem) this.events.problem(name, problem);
    const sink = problem ? undefined : this.events.entry({ name, method, dataStart: this.pos });
    const mode = !sink ? 'skip' : method === 8 ? 'inflate' : 'stored';
    const cur: Current = { name, method, header, mode, sink, zip64: h.zip64, left: h.flags & 8 ? undefined : h.size, read: 0, ended: false };
    if (sink && mode === 'inflate') cur.inflate = new Inflate((d) => sink.data(Buffer.from(d.buffer, d.byteOffset, d.length)));
    [this.cur, this.state] = [cur, 'data'];
    return true;
  }

  private data(c: Current): boolean {
    if (c.left === 0) {
      if (c.mode === 'inflate' && !c.ended && c.read > 0) this.events.problem(c.name, 'corrupt deflate stream: its data ends before the stream does');
      return this.endEntry(c, c.read);
    }
    if (this.buf.length === 0) return false;
    if (c.left !== undefined) {
      const piece = this.advance(Math.min(c.left, this.buf.length, c.mode === 'inflate' ? SLICE : Infinity));
      c.left -= piece.length;
      c.read += piece.length;
      // After the deflate stream ends, the rest of the entry's declared size is passed over.
      if (c.mode === 'inflate' && !c.ended) this.inflate(c, piece);
      else if (c.mode === 'stored') c.sink!.data(piece);
      return true;
    }
    if (c.mode !== 'inflate') return this.searchDescriptor(c);
    const piece = this.advance(Math.min(SLICE, this.buf.length));
    c.read += piece.length;
    const rest = this.inflate(c, piece);
    if (c.mode !== 'inflate') return this.stop(c.name, 'the entries after it cannot be found');
    if (rest) {
      // The bytes after the stream are the descriptor and what follows: they are read again.
      [this.buf, this.pos, c.read] = [Buffer.concat([rest, this.buf]), this.pos - rest.length, c.read - rest.length];
      this.state = 'descriptor';
    }
    return true;
  }

  /** Inflates a piece; returns the bytes after the stream when it ended in it. A corrupt stream is passed over. */
  private inflate(c: Current, piece: Buffer): Buffer | undefined {
    try {
      c.inflate!.push(piece);
    } catch (err) {
      this.events.problem(c.name, `corrupt deflate stream: ${(err as Error).message}`);
      c.mode = 'skip';
      return undefined;
    }
    const rest = afterStream(c.inflate!);
    if (rest) c.ended = true;
    return rest;
  }

  private descriptor(c: Current): boolean {
    if (this.buf.length < 4) return false;
    const length = descriptorLength(this.buf, 0, c.read, c.zip64, this.buf.subarray(0, 4).equals(DESCRIPTOR));
    if (length === 0) return false;
    if (length === undefined) return this.stop(c.name, `its data descriptor does not give its size (${c.read} bytes)`);
    this.endEntry(c, c.read);
    this.advance(length);
    return true;
  }

  /** Data of unknown length, not deflated: up to a signed descriptor whose size is the bytes before it. */
  private searchDescriptor(c: Current): boolean {
    for (let at = this.buf.indexOf(DESCRIPTOR); ; at = this.buf.indexOf(DESCRIPTOR, at + 1)) {
      const length = at < 0 ? 0 : descriptorLength(this.buf, at, c.read + at, c.zip64, true);
      if (length === undefined) continue;
      const n = length > 0 ? at : at < 0 ? Math.max(0, this.buf.length - 3) : at;
      const data = this.advance(n);
      if (c.mode === 'stored') c.sink!.data(data);
      c.read += n;
      if (length === 0) return n > 0;
      this.endEntry(c, c.read);
      this.advance(length);
      return true;
    }
  }

  private endEntry(c: Current, size: number): true {
    c.sink?.end(this.pos);
    this.read.set(c.header, `${c.method}/${size}`);
    [this.cur, this.state] = [undefined, 'records'];
    return true;
  }

  private centralRecord(): boolean {
    const r = readCentralRecord(this.buf);
    if (!r) return false;
    this.directoryAt ??= this.pos;
    const read = this.read.get(r.offset);
    if (read === undefined) this.events.problem(r.name, 'listed in the central directory but not read in sequence');
    else if (read !== `${r.method}/${r.size}`) this.events.problem(r.name, 'the central directory and the local header disagree on its method or size');
    this.advance(r.length);
    return true;
  }
}
