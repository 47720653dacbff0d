// The scan of an artifact's bytes for what a release must never carry: a denied key (its RSA modulus or EC
// point, as an X.509 certificate, an APK signing block or an AVB public-key blob hold it, or a PEM block that
// decodes to one) and private-key material (PEM private-key blocks, OpenSSH private keys, and the DER headers of
// PKCS#8 and PKCS#1 private keys). Streaming: chunks are pushed as a file is read, a needle split across two
// chunks is still found, and memory stays bounded (the longest needle, and PEM blocks up to 64 KiB). ZIP entries
// are scanned by the caller feeding each decompressed entry to a scanner of its own. Pure.
import type { DeniedKey } from './deny-list.js';

export interface ScanHit {
  /** What was found: a denied key's name, or the kind of private key. */
  what: string;
  kind: 'denied-key' | 'private-key';
  /** Byte offset in the scanned stream (of the PEM block, for a key found inside one). */
  offset: number;
}

const PRIVATE_PEM = /^((?:RSA |EC |DSA |ENCRYPTED |OPENSSH )?PRIVATE KEY)$/;
const PEM_LABEL = /^[A-Z0-9 ]{1,40}$/;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]+$/;
const MAX_PEM = 65_536;
/** DER prefixes no public structure starts with: the version 0 and algorithm of a private key. */
const PRIVATE_DER: Array<{ what: string; bytes: Buffer }> = [
  // PKCS#8 PrivateKeyInfo: INTEGER 0, AlgorithmIdentifier { rsaEncryption, NULL }, OCTET STRING
  { what: 'PKCS#8 RSA private key (DER)', bytes: Buffer.from('020100300d06092a864886f70d0101010500', 'hex') },
  // PKCS#8 PrivateKeyInfo: INTEGER 0, AlgorithmIdentifier { ecPublicKey, <curve> }
  { what: 'PKCS#8 EC private key (DER)', bytes: Buffer.from('02010030', 'hex') },
  // PKCS#1 RSAPrivateKey: INTEGER 0, then a 2048/3072/4096-bit modulus INTEGER
  { what: 'PKCS#1 RSA private key (DER)', bytes: Buffer.from('0201000282010100', 'hex') },
  { what: 'PKCS#1 RSA private key (DER)', bytes: Buffer.from('0201000282018100', 'hex') },
  { what: 'PKCS#1 RSA private key (DER)', bytes: Buffer.from('0201000282020100', 'hex') },
];
const EC_OID = Buffer.from('06072a8648ce3d0201', 'hex');

export class ArtifactScanner {
  private readonly hits: ScanHit[] = [];
  private readonly seen = new Set<string>();
  private carry = Buffer.alloc(0);
  private carryAt = 0;
  private readonly keep: number;

  constructor(private readonly denied: readonly DeniedKey[]) {
    // Enough of the previous chunk to find a needle or a PEM block that straddles the boundary.
    this.keep = Math.max(70_000, ...denied.map((k) => k.needle.length));
  }

  push(chunk: Buffer): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.scan(buf, this.carryAt);
    const keep = Math.min(this.keep, buf.length);
    this.carryAt += buf.length - keep;
    this.carry = Buffer.from(buf.subarray(buf.length - keep));
  }

  /** What was found, each once (by what and where). */
  finish(): ScanHit[] {
    return [...this.hits].sort((a, b) => a.offset - b.offset);
  }

  private hit(h: ScanHit): void {
    const id = `${h.kind}:${h.what}:${h.offset}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.hits.push(h);
  }

  private scan(buf: Buffer, base: number): void {
    for (const k of this.denied) {
      for (let at = buf.indexOf(k.needle); at >= 0; at = buf.indexOf(k.needle, at + 1)) this.hit({ what: k.name, kind: 'denied-key', offset: base + at });
    }
    for (const p of PRIVATE_DER) {
      for (let at = buf.indexOf(p.bytes); at >= 0; at = buf.indexOf(p.bytes, at + 1)) {
        // The short EC prefix is a private key only when the algorithm that follows is ecPublicKey.
        if (p.what.startsWith('PKCS#8 EC') && !buf.subarray(at + p.bytes.length + 1, at + p.bytes.length + 1 + EC_OID.length).equals(EC_OID)) continue;
        this.hit({ what: p.what, kind: 'private-key', offset: base + at });
      }
    }
    // PEM is text. Each armour line is looked at once, and its block read only up to 64 KiB, so an artifact full
    // of armour lines costs time in proportion to its size.
    const ends: number[] = [];
    for (let at = buf.indexOf('-----END '); at >= 0; at = buf.indexOf('-----END ', at + 1)) ends.push(at);
    let next = 0;
    for (let at = buf.indexOf('-----BEGIN '); at >= 0; at = buf.indexOf('-----BEGIN ', at + 1)) {
      const close = buf.indexOf('-----', at + 11);
      if (close < 0 || close - at > 60) continue;
      const label = buf.toString('latin1', at + 11, close);
      if (!PEM_LABEL.test(label)) continue;
      const priv = PRIVATE_PEM.exec(label);
      if (priv) this.hit({ what: `${priv[1]} (PEM)`, kind: 'private-key', offset: base + at });
      // The first END after this armour line closes the block (BEGIN lines come in order, so do their ENDs).
      while (next < ends.length && ends[next] <= close) next++;
      const end = ends[next];
      if (end === undefined || end - close > MAX_PEM || buf.toString('latin1', end + 9, end + 9 + label.length + 5) !== `${label}-----`) continue;
      const body = buf.toString('latin1', close + 5, end);
      if (!BASE64_BODY.test(body)) continue;
      const der = Buffer.from(body.replace(/\s/g, ''), 'base64');
      for (const k of this.denied) if (der.indexOf(k.needle) >= 0) this.hit({ what: k.name, kind: 'denied-key', offset: base + at });
    }
  }
}

/** Scans one whole buffer (small files, ZIP entries). */
export function scanBytes(bytes: Buffer, denied: readonly DeniedKey[]): ScanHit[] {
  const s = new ArtifactScanner(denied);
  s.push(bytes);
  return s.finish();
}
