// The palette per outcome and the text helpers every renderer uses.
import { describe, expect, it } from 'vitest';
import { capitalise, duration, fill, firstValidDate, groupDigits, reflow, wrapped } from '../../../../src/evidence/pdf/format.js';
import { ALERT, INK, MUTED, outcomeColor, type Outcome } from '../../../../src/evidence/pdf/palette.js';

describe('outcomeColor', () => {
  it.each<[Outcome, string]>([
    ['completed', INK],
    ['failed', ALERT],
    ['aborted', ALERT],
    ['not reached', MUTED],
  ])('%s', (outcome, color) => {
    expect(outcomeColor(outcome)).toBe(color);
  });
});

describe('duration', () => {
  it.each([
    { start: '2025-03-14T10:02:11.000Z', end: '2025-03-14T10:06:23.000Z', expected: '00:04:12' },
    { start: '2025-03-14T09:00:00.000Z', end: '2025-03-14T10:40:00.499Z', expected: '01:40:00' },
    { start: '2025-03-14T09:00:00.000Z', end: '2025-03-15T10:00:00.500Z', expected: '25:00:01' },
    { start: '2025-03-14T10:00:00.000Z', end: '2025-03-14T09:00:00.000Z', expected: '—' },
    { start: '', end: '2025-03-14T09:00:00.000Z', expected: '—' },
  ])('$start → $end: $expected', ({ start, end, expected }) => {
    expect(duration(start, end)).toBe(expected);
  });
});

describe('fill', () => {
  it.each<{ text: string; values: Record<string, string | number>; expected: string }>([
    { text: 'Step {number} of {total}: {title}', values: { number: 3, total: 7, title: 'Go' }, expected: 'Step 3 of 7: Go' },
    { text: 'page {page} of {pages}', values: { page: 1 }, expected: 'page 1 of {pages}' },
    { text: 'no placeholders', values: { a: 1 }, expected: 'no placeholders' },
  ])('$text', ({ text, values, expected }) => {
    expect(fill(text, values)).toBe(expected);
  });
});

describe('text helpers', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1184, '1,184'],
    [1234567, '1,234,567'],
  ])('groupDigits(%d) = %s', (n, expected) => {
    expect(groupDigits(n)).toBe(expected);
  });

  it('firstValidDate skips empty and invalid times', () => {
    expect(firstValidDate('', 'not a time', '2025-03-14T10:06:23.000Z')?.toISOString()).toBe('2025-03-14T10:06:23.000Z');
    expect(firstValidDate('', 'never')).toBeUndefined();
  });

  it('reflow joins wrapped lines, keeps paragraphs and list items', () => {
    expect(reflow('  One line\n  wrapped here.\n\n  - item one\n  - item\n    two\n')).toBe('One line wrapped here.\n\n- item one\n- item two');
    expect(capitalise('tamper-bag serial')).toBe('Tamper-bag serial');
  });

  it('reflow drops the backticks scripts put around commands', () => {
    expect(reflow('compare it with what `officiant verify`\nprints')).toBe('compare it with what officiant verify prints');
  });

  it('wrapped: the paragraphs reflowed, each wrapped at the width, a blank line between them', () => {
    expect(wrapped('The Ceremony Administrator checks the identity\ndocuments and enters their names.\n\nEach officer inserts a token.', 30)).toEqual([
      'The Ceremony Administrator',
      'checks the identity documents',
      'and enters their names.',
      '',
      'Each officer inserts a token.',
    ]);
  });
});
