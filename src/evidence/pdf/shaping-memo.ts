// Text shaping remembered across documents. pdfkit asks the font to lay out every word of every page (and again
// to measure table cells), and keeps what it got only for the one document; a ceremony renders a page per step
// and a packet, mostly the same words, so shaping them (fontkit's OpenType features) was about a seventh of a
// rehearsal's time. The font handed to pdfkit answers layout() from a bounded memo, each time with fresh
// position objects: pdfkit scales the positions it gets in place. Glyphs are only read.
import type { Font, Glyph, GlyphPosition } from 'fontkit';

/** Words remembered per font; past this, new words are shaped each time (memory stays bounded). */
const MAX_RUNS = 20_000;

interface Run {
  glyphs: Glyph[];
  positions: GlyphPosition[];
}

/** A view of `font` whose layout() is remembered; everything else is the font's own. */
export function withShapingMemo(font: Font): Font {
  const runs = new Map<string, Run>();
  const view = Object.create(font) as Font;
  const layout = (text: string, features?: unknown, ...rest: unknown[]) => {
    if (rest.some((r) => r !== undefined)) return (font.layout as (...a: unknown[]) => unknown).call(font, text, features, ...rest);
    const key = features === undefined ? `\0${text}` : `${JSON.stringify(features)}\0${text}`;
    let run = runs.get(key);
    if (!run) {
      const shaped = font.layout(text, features as never);
      run = { glyphs: shaped.glyphs, positions: shaped.positions.map((p) => ({ ...p })) };
      if (runs.size < MAX_RUNS) runs.set(key, run);
    }
    const positions = run.positions.map((p) => ({ ...p }));
    return {
      glyphs: run.glyphs,
      positions,
      get advanceWidth() {
        return positions.reduce((w, p) => w + p.xAdvance, 0);
      },
    };
  };
  Object.defineProperty(view, 'layout', { value: layout });
  return view;
}
