// The shaping memo behind every evidence PDF: it lays out a word as the font does, answers a second time from
// memory with position objects of its own (pdfkit scales them in place), and lets everything else through.
import { readFileSync } from 'node:fs';
import { create, type Font } from 'fontkit';
import { describe, expect, it } from 'vitest';
import { withShapingMemo } from '../../../../src/evidence/pdf/shaping-memo.js';

const font = create(readFileSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')) as Font;
const plain = (run: ReturnType<Font['layout']>) => ({ ids: run.glyphs.map((g) => g.id), positions: run.positions.map((p) => ({ ...p })), width: run.advanceWidth });

describe('withShapingMemo', () => {
  it.each(['Officiant', 'fi ffl AVATAR', 'Crypto Officer 1 (rehearsal)', 'Ünïcødé — 六'])('lays out %j as the font does, first and second time', (text) => {
    const memo = withShapingMemo(font);
    expect(plain(memo.layout(text))).toEqual(plain(font.layout(text)));
    expect(plain(memo.layout(text))).toEqual(plain(font.layout(text)));
  });

  it('gives fresh positions each time: scaling one answer in place leaves the next untouched', () => {
    const memo = withShapingMemo(font);
    const first = memo.layout('Ceremony');
    const width = first.advanceWidth;
    for (const p of first.positions) p.xAdvance *= 0.01;
    expect(memo.layout('Ceremony').advanceWidth).toBe(width);
    expect(first.advanceWidth).toBeCloseTo(width * 0.01);
  });

  it('tells features apart and passes the rest of the font through', () => {
    const memo = withShapingMemo(font);
    expect(plain(memo.layout('ffi', ['liga']))).toEqual(plain(font.layout('ffi', ['liga'])));
    expect(plain(memo.layout('ffi', []))).toEqual(plain(font.layout('ffi', [])));
    expect(memo.unitsPerEm).toBe(font.unitsPerEm);
    expect(memo.glyphForCodePoint(65).id).toBe(font.glyphForCodePoint(65).id);
  });
});
