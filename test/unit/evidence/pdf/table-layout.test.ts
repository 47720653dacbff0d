// Table arithmetic without a PDF: column widths, fitted widths, wrapping into row heights, baseline alignment
// and where a row goes near the bottom of a page. Text is measured by a fixed-pitch fake (every character half
// its size wide, a line as tall as its size plus the gap) so expected values can be worked out by hand.
import { describe, expect, it } from 'vitest';
import type { FontRole } from '../../../../src/evidence/pdf/pdf-document.js';
import { ASCENT, CELL_PAD_X, CELL_PAD_Y, baselineShifts, columnWidths, fitColumnWidth, placeRow, rowHeight, spansOf, type TextMetrics } from '../../../../src/evidence/pdf/table-layout.js';

/** Fixed pitch: a character is size/2 wide (bold: size*0.6); words wrap at spaces; a line is size + lineGap tall. */
const pitch: TextMetrics = {
  widthOf: (text: string, font: FontRole, size: number) => text.length * size * (font === 'bold' ? 0.6 : 0.5),
  lineHeight: (_font: FontRole, size: number) => size + 1,
  heightOf(text: string, font: FontRole, size: number, width: number, lineGap: number) {
    let lines = 0;
    for (const paragraph of text.split('\n')) {
      let line = '';
      lines++;
      for (const word of paragraph.split(' ')) {
        const next = line === '' ? word : `${line} ${word}`;
        if (line !== '' && this.widthOf(next, font, size) > width) {
          lines++;
          line = word;
        } else line = next;
      }
    }
    return lines * (size + lineGap);
  },
};

describe('columnWidths', () => {
  it.each([
    { name: 'fixed only', widths: [100, 50], available: 400, min: 40, expected: [100, 50] },
    { name: 'one flexible takes the rest', widths: [100, 0], available: 400, min: 40, expected: [100, 300] },
    { name: 'two flexible share the rest', widths: [100, 0, 0], available: 400, min: 40, expected: [100, 150, 150] },
    { name: 'flexible never below the minimum', widths: [380, 0], available: 400, min: 40, expected: [380, 40] },
    { name: 'the form minimum', widths: [380, 0], available: 400, min: 50, expected: [380, 50] },
  ])('$name', ({ widths, available, min, expected }) => {
    expect(columnWidths(widths, available, min)).toEqual(expected);
  });
});

describe('fitColumnWidth', () => {
  const pad = 2 * CELL_PAD_X + 1;
  it.each([
    // '12,345' at 8 pt: 6 * 4 = 24; header 'Size' bold at 7.5: 4 * 4.5 = 18 fits.
    { name: 'widest text wins', texts: ['800', '12,345'], header: 'Size', cap: 90, expected: Math.ceil(24 + pad) },
    // header 'Bytes written' bold 7.5: 13 * 4.5 = 58.5 + pad fits under the cap of 90.
    { name: 'header on one line when it fits', texts: ['1'], header: 'Bytes written', cap: 90, expected: Math.ceil(58.5 + pad) },
    // cap 40: whole header does not fit; its longest word 'written' (7 * 4.5 = 31.5) does.
    { name: 'longest header word when the header does not fit', texts: ['1'], header: 'Bytes written', cap: 40, expected: Math.ceil(31.5 + pad) },
    { name: 'never wider than the cap', texts: ['x'.repeat(100)], header: '', cap: 80, expected: 80 },
    { name: 'no texts: the header alone', texts: [], header: 'Seq', cap: 40, expected: Math.ceil(3 * 4.5 + pad) },
  ])('$name', ({ texts, header, cap, expected }) => {
    expect(fitColumnWidth(pitch, { font: 'regular', size: 8, texts, cap, header, headerSize: 7.5 })).toBe(expected);
  });
});

describe('rowHeight', () => {
  const column = { header: '', width: 0, size: 8 };
  const spans = (...cells: Array<string | Array<{ text: string; size?: number }>>) => cells.map((c) => spansOf(column, c, { size: 9, color: '#000' }));

  it.each([
    // A cell 2*3+40 wide holds 40 / 4 = 10 characters a line at 8 pt; a line is 9 tall.
    { name: 'one line', cells: spans('short'), widths: [46], expected: Math.ceil(9 + 2 * CELL_PAD_Y) },
    { name: 'wraps at the cell width', cells: spans('aaaa bbbb cccc dddd'), widths: [46], expected: Math.ceil(2 * 9 + 2 * CELL_PAD_Y) },
    { name: 'the tallest cell decides', cells: spans('one', 'aaaa bbbb cccc dddd eeee ffff'), widths: [46, 46], expected: Math.ceil(3 * 9 + 2 * CELL_PAD_Y) },
    { name: 'an empty cell still takes a line', cells: spans(''), widths: [46], expected: Math.ceil(9 + 2 * CELL_PAD_Y) },
    { name: 'spans stack', cells: spans([{ text: 'title' }, { text: 'path', size: 7 }]), widths: [46], expected: Math.ceil(9 + 8 + 2 * CELL_PAD_Y) },
  ])('$name', ({ cells, widths, expected }) => {
    expect(rowHeight(pitch, widths, cells, false)).toBe(expected);
  });

  it('a smaller cell moved down to a common baseline makes the row taller by its shift', () => {
    const cells = [spansOf({ header: '', width: 0, size: 8 }, 'label', { size: 9, color: '#000' }), spansOf({ header: '', width: 0, size: 9 }, 'value', { size: 9, color: '#000' })];
    expect(baselineShifts(cells, false)).toEqual([0, 0]);
    expect(baselineShifts(cells, true)).toEqual([ASCENT * 1, 0]);
    expect(rowHeight(pitch, [100, 100], cells, true)).toBe(Math.ceil(Math.max(9 + ASCENT, 10) + 2 * CELL_PAD_Y));
  });
});

describe('spansOf', () => {
  it('takes the column font, size and colour where the cell gives none', () => {
    const column = { header: '', width: 0, font: 'mono' as const, size: 7, color: '#555' };
    expect(spansOf(column, 'a', { size: 9, color: '#111' })).toEqual([{ text: 'a', font: 'mono', size: 7, color: '#555' }]);
    expect(spansOf(column, { text: 'b', font: 'bold', color: '#a00' }, { size: 9, color: '#111' })).toEqual([{ text: 'b', font: 'bold', size: 7, color: '#a00' }]);
    expect(spansOf({ header: '', width: 0 }, 'c', { size: 9, color: '#111' })).toEqual([{ text: 'c', font: 'regular', size: 9, color: '#111' }]);
  });
});

describe('placeRow', () => {
  // A page whose table area ends at 770, with 700 of room below a repeated header.
  it.each([
    { name: 'fits: here', y: 100, height: 50, expected: 'here' },
    { name: 'ends exactly at the bottom: here', y: 720, height: 50, expected: 'here' },
    { name: 'would cross the bottom: next page', y: 721, height: 50, expected: 'next-page' },
    { name: 'as tall as a whole page: next page, not split', y: 400, height: 700, expected: 'next-page' },
    { name: 'taller than any page: stacked from here', y: 100, height: 701, expected: 'stacked' },
  ] as const)('$name', ({ y, height, expected }) => {
    expect(placeRow(y, height, 770, 700)).toBe(expected);
  });
});
