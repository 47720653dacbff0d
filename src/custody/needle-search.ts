// Finding many long byte strings at once: the deny list's needles (RSA moduli and EC points, 256 to 1024 bytes
// for the built-in keys) in an artifact, in one pass instead of one per needle. An occurrence of a needle of
// length L covers a position that is a multiple of the stride S whenever S <= L - W + 1, and the W bytes there
// are one of the needle's first S windows (the first such position is less than S bytes into the occurrence).
// So only every S-th position of the bytes is looked up, in a table of those windows, and each candidate is
// compared whole: a window that matches by chance, or a hash that collides, costs one comparison, never a hit.
// A needle too short for a useful stride (an EC P-256 point is 65 bytes) is searched for on its own. Pure.

/** Bytes per looked-up window. */
const WINDOW = 8;
/** Needles whose stride would be shorter are searched for on their own (indexOf): a short stride costs more. */
const MIN_STRIDE = 128;

/** Where a window is in a needle. */
interface Place {
  needle: number;
  offset: number;
}

/** A small integer from the window at `at` (collisions are harmless: every candidate is compared whole). */
function windowHash(b: Buffer, at: number): number {
  const lo = b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
  const hi = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
  return (Math.imul(lo, 0x9e3779b1) ^ hi) & 0x3fffffff;
}

export class NeedleSearch {
  readonly stride: number;
  private readonly table = new Map<number, Place[]>();
  /** Needles searched for on their own. */
  private readonly alone: number[] = [];

  constructor(private readonly needles: readonly Buffer[]) {
    const strides = needles.map((n) => n.length - WINDOW + 1).filter((s) => s >= MIN_STRIDE);
    this.stride = strides.length > 0 ? Math.min(...strides) : 0;
    needles.forEach((needle, i) => {
      if (needle.length - WINDOW + 1 < MIN_STRIDE) return void this.alone.push(i);
      for (let offset = 0; offset < this.stride; offset++) {
        const h = windowHash(needle, offset);
        const places = this.table.get(h);
        if (places) places.push({ needle: i, offset });
        else this.table.set(h, [{ needle: i, offset }]);
      }
    });
  }

  /** Calls `found` for every occurrence that lies wholly in `bytes`: the needle's index and the offset. */
  find(bytes: Buffer, found: (needle: number, at: number) => void): void {
    const { needles, stride, table } = this;
    if (stride > 0) {
      for (let p = 0; p + WINDOW <= bytes.length; p += stride) {
        const places = table.get(windowHash(bytes, p));
        if (places === undefined) continue;
        for (const { needle, offset } of places) {
          const n = needles[needle];
          const start = p - offset;
          if (start >= 0 && start + n.length <= bytes.length && n.compare(bytes, start, start + n.length) === 0) found(needle, start);
        }
      }
    }
    for (const i of this.alone) {
      const n = needles[i];
      for (let at = bytes.indexOf(n); at >= 0; at = bytes.indexOf(n, at + 1)) found(i, at);
    }
  }
}
