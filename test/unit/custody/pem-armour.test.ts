// Where armour lines begin: exactly where `-----BEGIN ` does, also at the end of a longer run of dashes, next to
// each other and cut by the end of the bytes. Seeded: random text of dashes and the line's letters, against indexOf.
import { describe, expect, it } from 'vitest';
import { findArmourBegins } from '../../../src/custody/pem-armour.js';
import { rng } from '../../helpers/fuzz.js';

const indexOfAll = (text: string) => {
  const found: number[] = [];
  for (let at = text.indexOf('-----BEGIN '); at >= 0; at = text.indexOf('-----BEGIN ', at + 1)) found.push(at);
  return found;
};

describe('findArmourBegins', () => {
  it.each<[string, string, number[]]>([
    ['an armour line', '-----BEGIN CERTIFICATE-----', [0]],
    ['after more than five dashes', '--------BEGIN X', [3]],
    ['after four dashes only', '----BEGIN X', []],
    ['two lines back to back', '-----BEGIN -----BEGIN ', [0, 11]],
    ['an END line, then a BEGIN line', '-----END X----------BEGIN X', [15]],
    ['cut by the end of the bytes', 'xx-----BEGIN', []],
    ['a run of dashes to the end', 'a--------', []],
    ['the letters without their space', '-----BEGINX', []],
  ])('%s', (_, text, begins) => {
    expect(indexOfAll(text)).toEqual(begins);
    expect(findArmourBegins(Buffer.from(text, 'latin1'))).toEqual(begins);
  });

  it('finds what indexOf finds in random text of dashes and armour letters (seeded)', () => {
    const r = rng(5);
    const pieces = ['-', '-', '-', '-----', 'BEGIN ', 'B', 'EGIN', ' ', 'x', '-----BEGIN '];
    for (let run = 0; run < 2000; run++) {
      let text = '';
      for (let k = Math.floor(r() * 40); k > 0; k--) text += pieces[Math.floor(r() * pieces.length)];
      expect(findArmourBegins(Buffer.from(text, 'latin1'))).toEqual(indexOfAll(text));
    }
  });
});
