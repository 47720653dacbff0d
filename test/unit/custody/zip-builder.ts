// A small ZIP writer for the scan's tests, for what fflate's zipSync does not write: entries with a data
// descriptor (flag bit 3, sizes after the data, as jar and apk tools and streaming zip write them), zip64
// records, and archives an installer would read differently from a scan in sequence (an entry hidden inside
// another's bytes, a central directory that disagrees). Its ZIPs are checked against fflate's unzipSync.
import { crc32, deflateRawSync } from 'node:zlib';

export interface EntrySpec {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflated (the default), anything else written as is over stored bytes. */
  method?: number;
  /** Sizes and CRC after the data (flag bit 3), with the descriptor's signature. */
  descriptor?: boolean;
  zip64?: boolean;
  /** Extra general-purpose flags (1: encrypted). */
  flags?: number;
  /** The method the central directory gives, when it is to disagree with the local header. */
  centralMethod?: number;
}

export interface Part {
  local: Buffer;
  central: Buffer;
}

const MAX32 = 0xffffffff;

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** One entry's local record (header, data, descriptor) and its central-directory record, at `offset`. */
export function entryPart(spec: EntrySpec, offset: number): Part {
  const method = spec.method ?? 8;
  const data = Buffer.from(spec.data);
  const body = method === 8 ? deflateRawSync(data) : data;
  const crc = crc32(data);
  const name = Buffer.from(spec.name, 'utf8');
  const flags = 0x800 | (spec.descriptor ? 8 : 0) | (spec.flags ?? 0);
  const version = u16(spec.zip64 ? 45 : 20);
  const head = (m: number) => Buffer.concat([u16(flags), u16(m), u32(0), u32(spec.descriptor ? 0 : crc)]);
  const localSizes = spec.zip64 ? [u32(MAX32), u32(MAX32)] : spec.descriptor ? [u32(0), u32(0)] : [u32(body.length), u32(data.length)];
  const localExtra = spec.zip64 ? Buffer.concat([u16(1), u16(16), u64(spec.descriptor ? 0 : data.length), u64(spec.descriptor ? 0 : body.length)]) : Buffer.alloc(0);
  const sizes = spec.zip64 ? Buffer.concat([u64(body.length), u64(data.length)]) : Buffer.concat([u32(body.length), u32(data.length)]);
  const descriptor = spec.descriptor ? Buffer.concat([u32(0x08074b50), u32(crc), sizes]) : Buffer.alloc(0);
  const local = Buffer.concat([u32(0x04034b50), version, head(method), ...localSizes, u16(name.length), u16(localExtra.length), name, localExtra, body, descriptor]);
  const centralSizes = spec.zip64 ? [u32(MAX32), u32(MAX32)] : [u32(body.length), u32(data.length)];
  const centralExtra = spec.zip64 ? Buffer.concat([u16(1), u16(24), u64(data.length), u64(body.length), u64(offset)]) : Buffer.alloc(0);
  const centralHead = Buffer.concat([u16(flags), u16(spec.centralMethod ?? method), u32(0), u32(crc)]);
  const central = Buffer.concat([
    u32(0x02014b50), u16(0x031e), version, centralHead, ...centralSizes,
    u16(name.length), u16(centralExtra.length), u16(0), u16(0), u16(0), u32(0), u32(spec.zip64 ? MAX32 : offset), name, centralExtra,
  ]);
  return { local, central };
}

/**
 * The archive of these parts: their local records, then `between` (an APK signing block), the central
 * directory, zip64 end records when asked, and the end record.
 */
export function archiveOf(parts: Part[], opts: { between?: Buffer; zip64?: boolean; comment?: Buffer } = {}): Buffer {
  const locals = Buffer.concat([...parts.map((p) => p.local), opts.between ?? Buffer.alloc(0)]);
  const directory = Buffer.concat(parts.map((p) => p.central));
  const n = parts.length;
  const end64 = opts.zip64
    ? Buffer.concat([
        u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(n), u64(n), u64(directory.length), u64(locals.length),
        u32(0x07064b50), u32(0), u64(locals.length + directory.length), u32(1),
      ])
    : Buffer.alloc(0);
  const comment = opts.comment ?? Buffer.alloc(0);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(n), u16(n), u32(directory.length), u32(opts.zip64 ? MAX32 : locals.length), u16(comment.length), comment]);
  return Buffer.concat([locals, directory, end64, end]);
}

/** A ZIP of these entries, one after another. */
export function buildZip(specs: EntrySpec[], opts: { between?: Buffer; zip64?: boolean } = {}): Buffer {
  let offset = 0;
  const parts = specs.map((s) => {
    const part = entryPart(s, offset);
    offset += part.local.length;
    return part;
  });
  return archiveOf(parts, opts);
}

/** An APK signing block holding one pair: its size, the pair, its size again, the magic. */
export function apkSigningBlock(id: number, value: Buffer): Buffer {
  const pair = Buffer.concat([u64(4 + value.length), u32(id), value]);
  const size = pair.length + 8 + 16;
  return Buffer.concat([u64(size), pair, u64(size), Buffer.from('APK Sig Block 42')]);
}
