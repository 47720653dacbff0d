// The colours and type sizes of every PDF Officiant writes. Step pages and the packet share one type scale; the
// printed plan, read on paper and filled in by hand, is set a little larger. Outcomes have one colour each
// wherever they are shown: anything that did not complete is in the alert colour, a step never reached is muted.
export const INK = '#111111';
export const MUTED = '#555555';
export const RULE = '#9a9a9a';
export const HAIRLINE = '#d0d0d0';
export const ALERT = '#a00000';
export const WATERMARK = '#e6e6e6';
/** Behind the journal head words, the appendix PEM blocks and the printed plan's form headers. */
export const PANEL = '#f3f3f3';
/** Behind a step heading in the printed plan. */
export const BAND = '#ececec';

export interface TypeScale {
  body: number;
  small: number;
  tiny: number;
}

export const EVIDENCE_TYPE: TypeScale = { body: 9, small: 7.5, tiny: 7 };
export const PLAN_TYPE: TypeScale = { body: 9.5, small: 8, tiny: 7 };

export type Outcome = 'completed' | 'failed' | 'aborted' | 'not reached';

export function outcomeColor(outcome: Outcome): string {
  if (outcome === 'completed') return INK;
  if (outcome === 'not reached') return MUTED;
  return ALERT;
}
