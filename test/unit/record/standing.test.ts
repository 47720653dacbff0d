// Where a ceremony stands, from its journal alone, and the lines `resume` shows from it before anyone is asked
// for anything.
import { describe, expect, it } from 'vitest';
import { standingOf } from '../../../src/record/standing.js';
import { resumeBanner } from '../../../src/cli/messages.js';
import type { JournalEntry } from '../../../src/record/journal.js';
import type { Script } from '../../../src/script/schema.js';

const steps = [
  { id: 'check-in', title: 'Participants check in' },
  { id: 'generate', title: 'Generate the root key' },
  { id: 'backup', title: 'Back up the root key' },
];
const e = (type: string, step: string | undefined, data: Record<string, unknown> = {}): JournalEntry => ({ type, step, data, time: '2026-12-05T10:00:00Z' }) as unknown as JournalEntry;
const started = [e('ceremony.started', '-'), e('step.started', 'check-in'), e('step.completed', 'check-in')];

describe('standingOf', () => {
  it.each([
    ['a step under way at a kill', [...started, e('step.started', 'generate')], { state: 'under way', number: 2 }, undefined],
    ['a step not yet started, after a pause', [...started, e('ceremony.paused', undefined, { reason: 'paused by the operator at a prompt' })], { state: 'not started', number: 2 }, 'paused by the operator at a prompt'],
    ['a failure not yet decided', [...started, e('step.started', 'generate'), e('step.failed', 'generate', { message: 'the token refused the PIN' })], { state: 'failed', number: 2, failure: 'the token refused the PIN' }, undefined],
    ['a failure decided (retry)', [...started, e('step.started', 'generate'), e('step.failed', 'generate', { message: 'x' }), e('deviation', 'generate')], { state: 'under way', number: 2 }, undefined],
    ['a pause followed by a resume that was killed', [...started, e('ceremony.paused', undefined, { reason: 'r' }), e('ceremony.resumed', '-')], { state: 'not started', number: 2 }, undefined],
  ])('%s', (_n, entries, next, stopped) => {
    const s = standingOf(entries, steps);
    expect(s.next).toMatchObject(next);
    expect(s.stopped?.reason).toBe(stopped);
    expect(s.done).toEqual([{ number: 1, title: 'Participants check in' }]);
  });

  it('every step done: the closing is next', () => {
    const all = [...started, ...['generate', 'backup'].flatMap((id) => [e('step.started', id), e('step.completed', id)])];
    expect(standingOf(all, steps).next).toBeUndefined();
  });
});

describe('resumeBanner', () => {
  const script = { title: 'Root key', id: 'root', version: 1 } as Script;
  it('says what is done, why it stopped, what is next, before any PIN', () => {
    const lines = resumeBanner(script, '/o', standingOf([...started, e('step.started', 'generate'), e('step.failed', 'generate', { message: 'the token refused the PIN' }), e('ceremony.paused', undefined, { reason: 'paused by the operator at a prompt' })], steps));
    expect(lines).toEqual([
      'Resuming Root key (root v1) in /o',
      '  Done: 1 of 3 steps (the last: step 1, "Participants check in")',
      '  Stopped: paused by the operator at a prompt (2026-12-05T10:00:00Z)',
      '  Next: step 2 of 3, "Generate the root key", failed before the stop (the token refused the PIN): its performer decides retry or abort first',
      '  Nobody types a PIN before the step it is for is on the screen.',
    ]);
  });
});
