// The shape questions verify and export ask of untrusted JSON: an array or null is not an object, only a
// string is a string, and a digest is shortened to 16 digits in messages.
import { describe, expect, it } from 'vitest';
import { isObject, short, str } from '../../../src/evidence/json-shape.js';

describe('json shape', () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [null, false],
    ['x', false],
    [1, false],
    [undefined, false],
  ])('isObject(%j) is %s', (x, want) => expect(isObject(x)).toBe(want));

  it.each([
    ['abc', 'abc'],
    ['', ''],
    [1, undefined],
    [null, undefined],
    [{}, undefined],
  ])('str(%j) is %j', (x, want) => expect(str(x)).toBe(want));

  it.each([
    [undefined, '(none)'],
    ['0123456789abcdef', '0123456789abcdef'],
    ['0123456789abcdef0', '0123456789abcdef…'],
    ['ab', 'ab'],
  ])('short(%j) is %j', (x, want) => expect(short(x)).toBe(want));
});
