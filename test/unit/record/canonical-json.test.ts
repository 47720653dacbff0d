// Canonical JSON as RFC 8785 has it for the values we serialise: sorted keys by UTF-16 code units, no
// whitespace, ECMAScript number form, undefined members dropped, NaN and Infinity refused.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/record/canonical-json.js';

const cases: { name: string; value: unknown; json: string }[] = [
  { name: 'scalars', value: [null, true, false, 0, 'a'], json: '[null,true,false,0,"a"]' },
  { name: 'keys sorted, no whitespace', value: { b: 1, a: 2, c: { z: 0, y: [3, 2, 1] } }, json: '{"a":2,"b":1,"c":{"y":[3,2,1],"z":0}}' },
  { name: 'arrays keep their order', value: ['b', 'a', { d: 1, c: 2 }], json: '["b","a",{"c":2,"d":1}]' },
  { name: 'deep nesting', value: { x: [{ b: [{ d: {}, c: [] }], a: null }] }, json: '{"x":[{"a":null,"b":[{"c":[],"d":{}}]}]}' },
  { name: 'upper case before lower case (code units, not locale)', value: { a: 1, B: 2, _: 3, '1': 4 }, json: '{"1":4,"B":2,"_":3,"a":1}' },
  // RFC 8785 3.2.3: sorting is by UTF-16 code units, so an astral character (a surrogate pair, 0xD83D...)
  // sorts before U+FF61 though its code point is higher; "é" (U+00E9) sorts after ASCII.
  { name: 'unicode keys by UTF-16 code units', value: { '\uFF61': 1, '\u{1F600}': 2, é: 3, z: 4, '\u20AC': 5 }, json: '{"z":4,"é":3,"€":5,"😀":2,"｡":1}' },
  { name: 'string escapes as JSON.stringify', value: { s: 'q"\\\n\t\u0001\u001f/é' }, json: '{"s":"q\\"\\\\\\n\\t\\u0001\\u001f/é"}' },
  { name: 'integers and fractions', value: [1, -1, 0.1, 123.456, -0, 1e3], json: '[1,-1,0.1,123.456,0,1000]' },
  { name: 'exponent form as ECMAScript writes it', value: [1e21, 1e-7, 1.5e-10, 9007199254740993, 5e-324, 1.7976931348623157e308], json: '[1e+21,1e-7,1.5e-10,9007199254740992,5e-324,1.7976931348623157e+308]' },
  { name: 'numbers just below the exponent threshold', value: [1e20, 0.000001, 123456789012345680000], json: '[100000000000000000000,0.000001,123456789012345680000]' },
  { name: 'undefined members dropped', value: { a: undefined, b: 1, c: { d: undefined } }, json: '{"b":1,"c":{}}' },
  { name: 'empty containers', value: { a: {}, b: [] }, json: '{"a":{},"b":[]}' },
];

describe('canonicalJson', () => {
  it.each(cases)('$name', ({ value, json }) => {
    expect(canonicalJson(value)).toBe(json);
    // Whatever it writes is JSON that parses back to the same canonical form.
    expect(canonicalJson(JSON.parse(json))).toBe(json);
  });

  it.each([
    { name: 'NaN', value: NaN },
    { name: 'Infinity', value: Infinity },
    { name: '-Infinity', value: -Infinity },
    { name: 'NaN nested in an object', value: { a: { b: NaN } } },
    { name: 'Infinity in an array', value: [1, Infinity] },
  ])('refuses $name', ({ value }) => {
    expect(() => canonicalJson(value)).toThrow('canonical JSON has no NaN or Infinity');
  });

  it('does not depend on insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });
});
