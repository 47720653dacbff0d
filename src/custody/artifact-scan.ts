// The scan of an artifact's bytes for what a release must never carry: a denied key (its RSA modulus or EC
// point, as an X.509 certificate, an APK signing block or an AVB public-key blob hold it, or a PEM block that
// decodes to one) and private-key material (PEM private-key blocks, OpenSSH private keys, and the DER headers of
// PKCS#8 and PKCS#1 private keys). Streaming: chunks are pushed as a file is read, and what is found, and where,
// does not depend on how the bytes were cut. Each chunk is searched in place for what lies wholly in it, and a
// seam (the longest needle's length on either side of the boundary) for what straddles it; a PEM block is read
// once PEM_REACH bytes from its armour line are in, from the tail kept for it. Memory stays bounded (the longest
// needle, and PEM blocks up to 64 KiB). ZIP entries are scanned by the caller feeding each decompressed entry to
// a scanner of its own. Pure.
import type { DeniedKey } from './deny-list.js';
import { NeedleSearch } from './needle-search.js';
import { BEGIN_LENGTH, findArmourBegins, PEM_REACH, readArmourBlocks } from './pem-armour.js';

export interface ScanHit {
  /** What was found: a denied key's name, or the kind of private key. */
  what: string;
  kind: 'denied-key' | 'private-key';
  /** Byte offset in the scanned stream (of the PEM block, for a key found inside one). */
  offset: number;
}

/** DER prefixes no public structure starts with: the version 0 and algorithm of a private key. */
export const PRIVATE_DER: ReadonlyArray<{ what: string; bytes: Buffer; ec?: true }> = [
  // PKCS#8 PrivateKeyInfo: INTEGER 0, AlgorithmIdentifier { rsaEncryption, NULL }, OCTET STRING
  { what: 'PKCS#8 RSA private key (DER)', bytes: Buffer.from('020100300d06092a864886f70d0101010500', 'hex') },
  // PKCS#8 PrivateKeyInfo: INTEGER 0, AlgorithmIdentifier { ecPublicKey, <curve> }
  { what: 'PKCS#8 EC private key (DER)', bytes: Buffer.from('02010030', 'hex'), ec: true },
  // PKCS#1 RSAPrivateKey: INTEGER 0, then a 2048/3072/4096-bit modulus INTEGER
  { what: 'PKCS#1 RSA private key (DER)', bytes: Buffer.from('0201000282010100', 'hex') },
  { what: 'PKCS#1 RSA private key (DER)', bytes: Buffer.from('0201000282018100', 'hex') },
  { what: 'PKCS#1 RSA private key (DER)', bytes: Buffer.from('0201000282020100', 'hex') },
];
/** What follows the EC prefix and its length byte in a PKCS#8 EC private key: the ecPublicKey OID. */
export const EC_OID = Buffer.from('06072a8648ce3d0201', 'hex');
/**
 * Searched for, then what follows says which prefix it is: PKCS#8 (INTEGER 0, SEQUENCE) and PKCS#1 (INTEGER 0,
 * a long INTEGER). Short enough for a fast search, long enough that bytes full of INTEGER 0 stay cheap.
 */
const DER_HEADS = [Buffer.from('02010030', 'hex'), Buffer.from('0201000282', 'hex')];
/** The longest DER pattern: the EC prefix, the length byte after it and the ecPublicKey OID. */
const DER_REACH = Math.max(...PRIVATE_DER.map((p) => p.bytes.length + (p.ec ? 1 + EC_OID.length : 0)));

/** Whether `pattern` is in `bytes` at `at`. (A loop: for a few bytes, cheaper than a call to compare.) */
function bytesAt(bytes: Buffer, at: number, pattern: Buffer): boolean {
  if (at < 0 || at + pattern.length > bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[at + i] !== pattern[i]) return false;
  return true;
}

/** The private key whose DER prefix starts at `at` and lies wholly in `bytes`, if any (one at most). */
function privateDer(bytes: Buffer, at: number): string | undefined {
  // The short EC prefix is a private key only when the algorithm that follows is ecPublicKey.
  const p = PRIVATE_DER.find((p) => bytesAt(bytes, at, p.bytes) && (!p.ec || bytesAt(bytes, at + p.bytes.length + 1, EC_OID)));
  return p?.what;
}

// A ZIP has a scanner per entry, each with the same list: its search table is built once.
const searches = new WeakMap<readonly DeniedKey[], NeedleSearch>();
function needleSearch(denied: readonly DeniedKey[]): NeedleSearch {
  let search = searches.get(denied);
  if (!search) searches.set(denied, (search = new NeedleSearch(denied.map((k) => k.needle))));
  return search;
}

export class ArtifactScanner {
  private readonly hits: ScanHit[] = [];
  private readonly seen = new Set<string>();
  private readonly needles: NeedleSearch;
  /** A needle, DER prefix or armour line that straddles a boundary lies within this many bytes of it. */
  private readonly seam: number;
  /** The stream's last bytes: the last `seam`, and all from the first armour line whose block is not yet read. */
  private carry: Buffer = Buffer.alloc(0);
  private pushed = 0;
  /** Offsets of the armour lines whose blocks are not yet read, in order. */
  private pending: number[] = [];

  constructor(private readonly denied: readonly DeniedKey[]) {
    this.needles = needleSearch(denied);
    this.seam = Math.max(BEGIN_LENGTH, DER_REACH, ...denied.map((k) => k.needle.length)) - 1;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const at = this.pushed;
    this.pushed += chunk.length;
    // What lies wholly in the seam is found again in the chunk or was in the carry: it counts once.
    if (this.carry.length > 0) {
      const seamAt = at - Math.min(this.seam, this.carry.length);
      const begins = this.scanPatterns(this.bytes(seamAt, at + Math.min(this.seam, chunk.length), chunk), seamAt);
      for (const b of begins) if (b < at && b + BEGIN_LENGTH > at) this.pending.push(b);
    }
    for (const b of this.scanPatterns(chunk, at)) this.pending.push(b);
    this.readArmour(chunk, false);
    const from = Math.max(at - this.carry.length, Math.min(this.pushed - this.seam, this.pending[0] ?? this.pushed));
    const kept = this.bytes(from, this.pushed, chunk);
    // A copy: the caller may reuse its chunk.
    this.carry = from < at ? kept : Buffer.from(kept);
  }

  /** What was found, each once (by what and where). */
  finish(): ScanHit[] {
    this.readArmour(Buffer.alloc(0), true);
    return [...this.hits].sort((a, b) => a.offset - b.offset);
  }

  /** The stream's bytes from `from` to `to`, from the carry and the chunk just pushed (a copy when from both). */
  private bytes(from: number, to: number, chunk: Buffer): Buffer {
    const at = this.pushed - chunk.length;
    const carryAt = at - this.carry.length;
    if (from >= at) return chunk.subarray(from - at, to - at);
    if (to <= at) return this.carry.subarray(from - carryAt, to - carryAt);
    return Buffer.concat([this.carry.subarray(from - carryAt), chunk.subarray(0, to - at)]);
  }

  private hit(h: ScanHit): void {
    const id = `${h.kind}:${h.what}:${h.offset}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.hits.push(h);
  }

  /** Finds the denied keys and DER prefixes that lie wholly in `bytes`; returns where armour lines begin. */
  private scanPatterns(bytes: Buffer, base: number): number[] {
    this.needles.find(bytes, (i, at) => this.hit({ what: this.denied[i].name, kind: 'denied-key', offset: base + at }));
    for (const head of DER_HEADS) {
      for (let at = bytes.indexOf(head); at >= 0; at = bytes.indexOf(head, at + 1)) {
        const what = privateDer(bytes, at);
        if (what) this.hit({ what, kind: 'private-key', offset: base + at });
      }
    }
    return findArmourBegins(bytes).map((b) => base + b);
  }

  /** Reads the blocks of the pending armour lines that are PEM_REACH long in the stream (all, at its end). */
  private readArmour(chunk: Buffer, ended: boolean): void {
    let ready = 0;
    while (ready < this.pending.length && (ended || this.pending[ready] + PEM_REACH <= this.pushed)) ready++;
    // Those in the chunk are read in place; those before it from a copy of the carry and the chunk's first bytes.
    let split = 0;
    while (split < ready && this.pending[split] < this.pushed - chunk.length) split++;
    this.readBlocks(this.pending.slice(0, split), chunk);
    this.readBlocks(this.pending.slice(split, ready), chunk);
    this.pending = this.pending.slice(ready);
  }

  private readBlocks(begins: number[], chunk: Buffer): void {
    if (begins.length === 0) return;
    const from = begins[0];
    const bytes = this.bytes(from, Math.min(this.pushed, begins[begins.length - 1] + PEM_REACH), chunk);
    for (const h of readArmourBlocks(bytes, begins.map((b) => b - from), this.denied)) this.hit({ what: h.what, kind: h.kind, offset: from + h.at });
  }
}

/** Scans one whole buffer (small files, ZIP entries). */
export function scanBytes(bytes: Buffer, denied: readonly DeniedKey[]): ScanHit[] {
  const s = new ArtifactScanner(denied);
  s.push(bytes);
  return s.finish();
}
