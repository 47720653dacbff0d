// The sparse search for many long needles at once: it finds exactly what indexOf finds for each needle, at the
// start and end of the bytes, overlapping (a needle that repeats itself, two needles that share bytes), with the
// stride set by the shortest long needle and short needles searched for alone; a window of a needle where the
// rest differs is not a hit. Seeded: random bytes with needles planted at random offsets, against indexOf.
import { describe, expect, it } from 'vitest';
import { NeedleSearch } from '../../../src/custody/needle-search.js';
import { builtInDenyList } from '../../../src/custody/deny-list.js';
import { rng } from '../../helpers/fuzz.js';

const random = (r: () => number, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
const r0 = rng(7);
const a = random(r0, 300);
const b = random(r0, 1024);
const ec = random(r0, 65);
const sharing = Buffer.concat([a.subarray(100), random(r0, 100)]);
const periodic = Buffer.concat(Array.from({ length: 6 }, () => a.subarray(0, 50)));

/** What indexOf finds: every needle at every offset, overlapping ones too. */
function indexOfAll(bytes: Buffer, needles: readonly Buffer[]): string[] {
  const found: string[] = [];
  needles.forEach((n, i) => {
    for (let at = bytes.indexOf(n); at >= 0; at = bytes.indexOf(n, at + 1)) found.push(`${i}@${at}`);
  });
  return found.sort();
}

function search(needles: readonly Buffer[], bytes: Buffer): string[] {
  const found: string[] = [];
  new NeedleSearch(needles).find(bytes, (i, at) => found.push(`${i}@${at}`));
  return found.sort();
}

describe('NeedleSearch', () => {
  it.each<[string, Buffer[], () => Buffer, string[]]>([
    ['a needle at the start and one at the very end', [a, b], () => Buffer.concat([a, random(r0, 5000), b]), ['0@0', `1@${5300}`]],
    ['the same needle twice, back to back', [a], () => Buffer.concat([a, a]), ['0@0', '0@300']],
    ['two needles that overlap (the second starts 100 bytes into the first)', [a, sharing], () => Buffer.concat([random(r0, 77), a, sharing.subarray(200)]), ['0@77', '1@177']],
    ['a needle that repeats itself, overlapping at every period', [periodic], () => Buffer.concat(Array.from({ length: 8 }, () => a.subarray(0, 50))), ['0@0', '0@50', '0@100']],
    ['a short needle, searched for alone, beside long ones', [a, ec, b], () => Buffer.concat([random(r0, 3), ec, random(r0, 10), ec, a]), ['1@3', '1@78', '0@143']],
    ['only short needles (no stride at all)', [ec], () => Buffer.concat([ec, ec.subarray(0, 64)]), ['0@0']],
    ["a needle's first window where the rest differs", [a], () => Buffer.concat([a.subarray(0, 8), random(r0, 400), a.subarray(0, 8), a.subarray(8, 299), Buffer.from([a[299] ^ 1])]), []],
    ['a needle with one byte in the middle changed', [b], () => Buffer.concat([b.subarray(0, 600), Buffer.from([b[600] ^ 0x80]), b.subarray(601)]), []],
    ['a needle cut short by the end of the bytes', [a], () => Buffer.concat([random(r0, 249), a.subarray(0, 299)]), []],
    ['bytes shorter than a window', [a], () => Buffer.from('abc'), []],
  ])('%s', (_, needles, make, expected) => {
    const bytes = make();
    expect(indexOfAll(bytes, needles)).toEqual([...expected].sort());
    expect(search(needles, bytes)).toEqual([...expected].sort());
  });

  it.each<[string, Buffer[], number]>([
    ['the built-in list: its shortest needle (256 bytes) less the window', builtInDenyList().map((k) => k.needle), 249],
    ['a 135-byte needle sets it to 128', [b, a.subarray(0, 135)], 128],
    ['a 134-byte needle is searched for alone', [b, a.subarray(0, 134)], 1017],
    ['no long needle: none', [ec], 0],
  ])('the stride: %s', (_, needles, stride) => {
    expect(new NeedleSearch(needles).stride).toBe(stride);
  });

  it('finds what indexOf finds in random bytes with needles planted at random offsets (seeded)', () => {
    const r = rng(11);
    const needles = [...builtInDenyList().map((k) => k.needle), ec, random(r, 140), sharing];
    for (let run = 0; run < 300; run++) {
      const bytes = random(r, Math.floor(r() * 6000));
      for (let k = Math.floor(r() * 6); k > 0; k--) {
        const n = needles[Math.floor(r() * needles.length)];
        const at = Math.floor(r() * (bytes.length + 1)) - Math.floor(r() * n.length);
        // Planted whole, or cut by either end of the bytes.
        n.copy(bytes, Math.max(0, at), Math.max(0, -at));
      }
      expect(search(needles, bytes)).toEqual(indexOfAll(bytes, needles));
    }
  });
});
