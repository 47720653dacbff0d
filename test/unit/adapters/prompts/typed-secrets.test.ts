// What the keyboard typed as secrets is recognised again in free text, as the whole answer or as one of its
// words (never as a substring: a half never blocks a serial that happens to contain it), without the value
// being kept.
import { describe, expect, it } from 'vitest';
import { TypedSecrets } from '../../../../src/adapters/prompts/typed-secrets.js';

describe('TypedSecrets', () => {
  const typed = new TypedSecrets();
  typed.remember('739104');
  typed.remember('0051');
  typed.remember('ab-1');
  it.each([
    ['the PIN itself', '739104', true],
    ['the PIN as a word of a sentence', 'retry, I typed 739104 by mistake', true],
    ['the PIN with punctuation around it', 'typo: (739104).', true],
    ['a secret holding punctuation, as the whole answer', ' ab-1 ', true],
    ['a reason without it', 'the USB cable was loose', false],
    ['a part of the PIN only', '7391', false],
    ['a serial that contains a half', 'TB-00510001', false],
    ['a half glued to other text', 'x739104', false],
  ])('%s', (_n, text, expected) => {
    expect(typed.within(text)).toBe(expected);
  });

  it('keeps no value: only keyed digests', () => {
    expect(JSON.stringify([...Object.values(typed)].map(String))).not.toContain('739104');
  });
});
