// A strict DER reader for the few structures Officiant reads itself (CMS SignedData, certificate fields,
// attestation extensions). It reads tag-length-value triples and refuses anything DER forbids that changes how
// bytes are framed: indefinite lengths, lengths in more octets than needed, high tag numbers, a value running
// past its parent, bytes left over. `checkTree` walks every constructed value, so no byte of a structure is left
// unread. A general ASN.1 library builds an object per value of the whole tree and re-encodes it to prove the
// same; reading a packet's twenty signatures that way cost verify more than the checks themselves.
export class DerError extends Error {}

export const CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;
export const TAG = { boolean: 1, integer: 2, bitString: 3, octetString: 4, null: 5, oid: 6, utf8String: 12, sequence: 16, set: 17 } as const;

/** One value: its class, whether it is constructed, its tag number, and where its header and content are. */
export interface Tlv {
  cls: number;
  constructed: boolean;
  tag: number;
  buf: Uint8Array;
  start: number;
  contentStart: number;
  end: number;
}

/** The value starting at `pos`, which must end by `limit`. */
export function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv {
  if (pos >= limit) throw new DerError('a value is missing');
  const id = buf[pos];
  const tag = id & 0x1f;
  if (tag === 0x1f) throw new DerError('a high tag number (not used by these structures)');
  let at = pos + 1;
  if (at >= limit) throw new DerError('a value has no length');
  let length = buf[at++];
  if (length === 0x80) throw new DerError('an indefinite length (BER, not DER)');
  if (length > 0x80) {
    const octets = length & 0x7f;
    if (octets > 4 || at + octets > limit) throw new DerError('a length that does not fit');
    if (buf[at] === 0) throw new DerError('a length with a leading zero octet');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + buf[at++];
    if (length < 0x80) throw new DerError('a short length in the long form');
  }
  const end = at + length;
  if (end > limit) throw new DerError('a value runs past its end');
  return { cls: id >> 6, constructed: (id & 0x20) !== 0, tag, buf, start: pos, contentStart: at, end };
}

/** The single value `bytes` hold (none left over unless `trailing` is allowed; then see `.end`). */
export function readDer(bytes: Uint8Array, trailing = false): Tlv {
  const t = readTlv(bytes, 0, bytes.length);
  if (!trailing && t.end !== bytes.length) throw new DerError(`${bytes.length - t.end} bytes after the value`);
  return t;
}

/** The values inside a constructed value, in order. */
export function children(t: Tlv): Tlv[] {
  if (!t.constructed) throw new DerError('a primitive value where a constructed one belongs');
  const out: Tlv[] = [];
  for (let at = t.contentStart; at < t.end; ) {
    const c = readTlv(t.buf, at, t.end);
    out.push(c);
    at = c.end;
  }
  return out;
}

/** Reads every constructed value below `t` (depth-bounded), so a malformed length anywhere is found. */
export function checkTree(t: Tlv, depth = 0): void {
  if (depth > 64) throw new DerError('nested too deeply');
  if (t.constructed) for (const c of children(t)) checkTree(c, depth + 1);
}

export const is = (t: Tlv | undefined, cls: number, tag: number, constructed?: boolean): t is Tlv =>
  t !== undefined && t.cls === cls && t.tag === tag && (constructed === undefined || t.constructed === constructed);

/** The content octets. */
export const content = (t: Tlv): Uint8Array => t.buf.subarray(t.contentStart, t.end);

/** The whole encoding, header included. */
export const encoding = (t: Tlv): Uint8Array => t.buf.subarray(t.start, t.end);

/** An OBJECT IDENTIFIER in dotted form. */
export function oidOf(t: Tlv): string {
  if (!is(t, CLASS.universal, TAG.oid, false)) throw new DerError('not an object identifier');
  const c = content(t);
  if (c.length === 0) throw new DerError('an empty object identifier');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    if (v === 0 && c[i] === 0x80) throw new DerError('an object identifier arc with a leading zero');
    v = v * 128 + (c[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new DerError('an object identifier arc too large');
    if ((c[i] & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    } else if (i === c.length - 1) throw new DerError('an object identifier cut short');
  }
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}
