// The strict DER reader: what DER forbids in framing is refused with a DerError naming it, object identifiers
// read as openssl prints them, and a value's children and bytes are where the encoding says.
import { describe, expect, it } from 'vitest';
import { CLASS, TAG, DerError, checkTree, children, content, encoding, is, oidOf, readDer } from '../../../src/custody/der.js';
import { FUZZ_RUNS, FUZZ_SEED, rng } from '../../helpers/fuzz.js';

const hex = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('readDer', () => {
  it('reads a SEQUENCE of an INTEGER and an OID, with their bytes', () => {
    const t = readDer(hex('30 0c 02 01 05 06 07 2a 86 48 ce 3d 02 01'));
    expect(is(t, CLASS.universal, TAG.sequence, true)).toBe(true);
    const [n, oid] = children(t);
    expect([n.tag, Buffer.from(content(n)).toString('hex'), Buffer.from(encoding(n)).toString('hex')]).toEqual([TAG.integer, '05', '020105']);
    expect(oidOf(oid)).toBe('1.2.840.10045.2.1');
    expect(oidOf(readDer(hex('06 09 60 86 48 01 65 03 04 02 01')))).toBe('2.16.840.1.101.3.4.2.1');
  });

  it('reads a long-form length', () => {
    const body = '04 81 80' + '00'.repeat(128);
    expect(content(readDer(hex(body))).length).toBe(128);
  });

  it.each([
    ['an indefinite length', '30 80 02 01 05 00 00', 'indefinite'],
    ['a long form for a short length', '04 81 05 0102030405', 'short length in the long form'],
    ['a length with a leading zero octet', '04 82 00 80' + '00'.repeat(128), 'leading zero'],
    ['a value running past its end', '30 05 02 01 05', 'runs past'],
    ['a child running past its parent', '30 03 02 05 05', 'runs past'],
    ['bytes after the value', '02 01 05 00', 'bytes after'],
    ['a high tag number', '1f 81 00 00', 'high tag'],
    ['nothing', '', 'missing'],
  ])('refuses %s', (_, h, message) => {
    expect(() => {
      const t = readDer(hex(h));
      checkTree(t);
    }).toThrow(DerError);
    try {
      checkTree(readDer(hex(h)));
    } catch (err) {
      expect((err as Error).message).toContain(message);
    }
  });

  it.each([
    ['an empty OID', '06 00'],
    ['an arc with a leading 0x80', '06 03 2a 80 01'],
    ['an OID cut short', '06 02 2a 86'],
  ])('refuses %s as an object identifier', (_, h) => {
    expect(() => oidOf(readDer(hex(h)))).toThrow(DerError);
  });

  it('refuses nesting deeper than 64 levels', () => {
    let der = hex('05 00');
    for (let i = 0; i < 70; i++) der = new Uint8Array([0x30, ...(der.length < 128 ? [der.length] : [0x81, der.length]), ...der].slice(0, der.length + 3));
    expect(() => checkTree(readDer(der, true))).toThrow(DerError);
  });

  it('never throws anything but a DerError on mutated input', () => {
    const seed = hex('30 0c 02 01 05 06 07 2a 86 48 ce 3d 02 01');
    const odd: string[] = [];
    for (let run = 0; run < FUZZ_RUNS; run++) {
      const r = rng(FUZZ_SEED * 104_729 + run);
      const b = Buffer.from(seed);
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      try {
        const t = readDer(b.subarray(0, Math.floor(r() * (b.length + 1))));
        checkTree(t);
        if (t.constructed) for (const c of children(t)) if (c.tag === TAG.oid) oidOf(c);
      } catch (err) {
        if (!(err instanceof DerError)) odd.push(`run ${run}: ${String(err)}`);
      }
    }
    expect(odd).toEqual([]);
  });
});
