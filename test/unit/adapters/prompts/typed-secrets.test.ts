// What the keyboard typed as secrets is recognised again in free text (whole, or inside it for 4 characters or
// more) without the value being kept.
import { describe, expect, it } from 'vitest';
import { TypedSecrets } from '../../../../src/adapters/prompts/typed-secrets.js';

describe('TypedSecrets', () => {
  const typed = new TypedSecrets();
  typed.remember('739104');
  typed.remember('ab1');
  it.each([
    ['the PIN itself', '739104', true],
    ['the PIN inside a sentence', 'retry, I typed 739104 by mistake', true],
    ['a reason without it', 'the USB cable was loose', false],
    ['a part of the PIN only', '7391', false],
    ['a short secret as the whole answer', ' ab1 ', true],
    ['a short secret inside a word (too common to refuse)', 'tab1e', false],
  ])('%s', (_n, text, expected) => {
    expect(typed.within(text)).toBe(expected);
  });

  it('keeps no value: only keyed digests', () => {
    expect(JSON.stringify([...Object.values(typed)].map(String))).not.toContain('739104');
  });
});
