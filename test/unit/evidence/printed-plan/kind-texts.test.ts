// What people copy onto the printed plan at a step, and in what form: the wrap key check value in the groups of
// four the screen reads it aloud in, with a box per character.
import { describe, expect, it } from 'vitest';
import { writeIns } from '../../../../src/evidence/printed-plan/kind-texts.js';
import type { PlanContext } from '../../../../src/evidence/printed-plan/plan-elements.js';
import type { Step } from '../../../../src/script/schema.js';

const ctx = { template: { writeIn: { 'backup.split': 'check value', 'backup.reshare': 'new check value', 'room.preflight': 'reference time', 'quorum.approve': 'words', 'hsm.inspect-key': 'spki' } } } as unknown as PlanContext;
const step = (kind: string) => ({ kind, params: {} }) as unknown as Step;

describe('writeIns', () => {
  it.each([
    ['backup.split', [{ label: 'check value', form: 'fours' }]],
    ['backup.reshare', [{ label: 'new check value', form: 'fours' }]],
    ['room.preflight', [{ label: 'reference time', form: 'line' }]],
    ['hsm.inspect-key', [{ label: 'spki', form: 'ends' }]],
    ['participants.check-in', []],
  ])('%s', (kind, expected) => {
    expect(writeIns(ctx, step(kind))).toEqual(expected);
  });
});
