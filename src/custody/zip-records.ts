// The records of the ZIP format (PKWARE APPNOTE 6.3), read from the start of a buffer that may not hold all of
// them yet: each reader returns undefined until it does. Zip64 fields replace sizes and offsets of 0xffffffff.
// Pure.

export const LOCAL = 0x04034b50, CENTRAL = 0x02014b50, END = 0x06054b50, END64 = 0x06064b50, LOCATOR64 = 0x07064b50;
export const DESCRIPTOR = Buffer.from('504b0708', 'hex');
export const END_RECORD = Buffer.from('504b0506', 'hex');
const APK_SIG_BLOCK = Buffer.from('APK Sig Block 42');
const MAX32 = 0xffffffff;

export const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));

export interface LocalHeader {
  /** The header's length, name and extra fields included. */
  length: number;
  name: string;
  flags: number;
  method: number;
  /** The compressed size (meaningless when flag bit 3 puts it in a descriptor after the data). */
  size: number;
  /** Whether the header has a zip64 field: a data descriptor then has 8-byte sizes. */
  zip64: boolean;
}

export interface CentralRecord {
  length: number;
  name: string;
  method: number;
  size: number;
  /** Offset of the entry's local header. */
  offset: number;
}

/** The data of the zip64 extra field (id 1), if there is one. */
function zip64Extra(extra: Buffer): Buffer | undefined {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) === 1) return extra.subarray(at + 4, at + 4 + extra.readUInt16LE(at + 2));
  }
  return undefined;
}

const nameOf = (b: Buffer, flags: number, at: number, n: number) => b.toString(flags & 0x800 ? 'utf8' : 'latin1', at, at + n);

export function readLocalHeader(b: Buffer): LocalHeader | undefined {
  if (b.length < 30) return undefined;
  const flags = b.readUInt16LE(6), n = b.readUInt16LE(26), length = 30 + n + b.readUInt16LE(28);
  if (b.length < length) return undefined;
  const zip64 = zip64Extra(b.subarray(30 + n, length));
  let size = b.readUInt32LE(18);
  // The zip64 field holds the uncompressed size first, then the compressed one.
  if (zip64 && size === MAX32) size = u64(zip64, b.readUInt32LE(22) === MAX32 ? 8 : 0);
  return { length, name: nameOf(b, flags, 30, n), flags, method: b.readUInt16LE(8), size, zip64: zip64 !== undefined };
}

export function readCentralRecord(b: Buffer): CentralRecord | undefined {
  if (b.length < 46) return undefined;
  const n = b.readUInt16LE(28), x = b.readUInt16LE(30), length = 46 + n + x + b.readUInt16LE(32);
  if (b.length < length) return undefined;
  const zip64 = zip64Extra(b.subarray(46 + n, 46 + n + x)) ?? Buffer.alloc(0);
  // The zip64 field holds, in this order, those of the sizes and the offset that are 0xffffffff here.
  let at = b.readUInt32LE(24) === MAX32 ? 8 : 0;
  let size = b.readUInt32LE(20);
  if (size === MAX32) [size, at] = [u64(zip64, at), at + 8];
  let offset = b.readUInt32LE(42);
  if (offset === MAX32) offset = u64(zip64, at);
  return { length, name: nameOf(b, b.readUInt16LE(8), 46, n), method: b.readUInt16LE(10), size, offset };
}

/**
 * An end record (zip64 or not): where it puts the central directory (undefined when it leaves that to the
 * zip64 record), the bytes to pass over to its end (its comment not included), and its comment's length.
 */
export function readEndRecord(b: Buffer): { directoryAt?: number; length: number; comment?: number } | undefined {
  if (b.readUInt32LE(0) === END) {
    if (b.length < 22) return undefined;
    const at = b.readUInt32LE(16);
    return { directoryAt: at === MAX32 ? undefined : at, length: 22, comment: b.readUInt16LE(20) };
  }
  if (b.length < 56) return undefined;
  return { directoryAt: u64(b, 48), length: 12 + u64(b, 4) };
}

/** An APK signing block's size field (what follows it), when the bytes may start one; its tail is checked after. */
export function signingBlockSize(b: Buffer): number | undefined {
  const size = u64(b, 0);
  return size >= 24 && size < 2 ** 40 ? size : undefined;
}

/** Whether the last 24 bytes of an APK signing block are its size again and its magic. */
export const isSigningBlockTail = (tail: Buffer, size: number) => u64(tail, 0) === size && tail.subarray(8, 24).equals(APK_SIG_BLOCK);

/**
 * The length of a data descriptor at `at` whose size field is `size`, 0 while more bytes are needed. Its sizes
 * are 8 bytes when the local header has a zip64 field; some writers (java.util.zip over 4 GiB) use 8 bytes
 * without one, so the other width is tried second.
 */
export function descriptorLength(b: Buffer, at: number, size: number, zip64: boolean, signed: boolean): number | undefined {
  const head = signed ? 8 : 4;
  if (b.length < at + head + 16) return 0;
  for (const wide of zip64 ? [true, false] : [false, true]) {
    if ((wide ? u64(b, at + head) : b.readUInt32LE(at + head)) === size) return head + (wide ? 16 : 8);
  }
  return undefined;
}
