// manual.confirm: values typed from labels must match the script's whole-value pattern; each is journaled and
// shown; the person's "no" fails the step with their name.
import { describe, expect, it } from 'vitest';
import { manualConfirm, recordedValueProblem } from '../../../src/steps/manual-confirm.js';
import { failStep, runStep } from './fakes/step-context.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const s = scriptWith([step('bag', 'manual.confirm', { confirm_by: 'witness', record: [{ id: 'bag-serial', label: 'Tamper-bag serial', pattern: 'TB-[0-9]{6}' }, { id: 'note', label: 'Note' }] })]);
const people = [ADMIN, WITNESS];

describe('recordedValueProblem', () => {
  it.each([
    ['matches the whole pattern', { label: 'Serial', pattern: 'TB-[0-9]{6}' }, 'TB-123456', undefined],
    ['no pattern: anything goes', { label: 'Note' }, 'x', undefined],
    ['a match inside the value is not enough', { label: 'Serial', pattern: 'TB-[0-9]{6}' }, 'xTB-123456', 'Serial: "xTB-123456" does not match the expected form /TB-[0-9]{6}/'],
    ['alternatives are anchored as a group', { label: 'Kind', pattern: 'a|b' }, 'ab', 'Kind: "ab" does not match the expected form /a|b/'],
    ['with the script\'s example, people see the example, not the pattern', { label: 'Serial', pattern: 'TB-[0-9]{6}', example: 'TB-123456' }, 'TB-42', 'Serial: "TB-42" is not of the expected form (for example TB-123456)'],
  ])('%s', (_name, field, value, problem) => {
    expect(recordedValueProblem(field, value)).toBe(problem);
  });
});

describe('manual.confirm', () => {
  it('journals and shows each value typed (trimmed) by the confirming role, then the confirmation', async () => {
    const prompter = new TablePrompter({ records: { 'bag.bag-serial': ' TB-000042 ', 'bag.note': 'intact' } });
    const run = await runStep(manualConfirm, { script: s, stepId: 'bag', people, prompter });
    expect(run.events('recorded')).toEqual([
      { what: 'recorded', field: 'bag-serial', label: 'Tamper-bag serial', value: 'TB-000042' },
      { what: 'recorded', field: 'note', label: 'Note', value: 'intact' },
    ]);
    expect(run.events('confirmed')).toEqual([{ what: 'confirmed', answer: true }]);
    expect(run.results).toEqual([
      { label: 'Tamper-bag serial', value: 'TB-000042' },
      { label: 'Note', value: 'intact' },
      { label: 'Confirmed by', value: 'Walt Witness (Witness)' },
    ]);
    expect(prompter.asked.map((a) => a.person)).toEqual(['Walt Witness', 'Walt Witness', 'Walt Witness']);
    expect(run.used.size).toBe(0);
  });

  it('refuses a value that does not match, before asking for the confirmation', async () => {
    const prompter = new TablePrompter({ records: { 'bag.bag-serial': 'TB-42' } });
    const { error, fake } = await failStep(manualConfirm, { script: s, stepId: 'bag', people, prompter });
    expect([error.code, error.message]).toEqual(['ceremony.step-failed', 'Tamper-bag serial: "TB-42" does not match the expected form /TB-[0-9]{6}/']);
    expect(fake.events()).toEqual([]);
    expect(prompter.asked.some((a) => a.kind === 'confirm')).toBe(false);
  });

  it('a "no" is journaled and fails the step', async () => {
    const prompter = new TablePrompter({ records: { 'bag.bag-serial': 'TB-000042', 'bag.note': '' }, confirm: [['bag', false]] });
    const { error, fake } = await failStep(manualConfirm, { script: s, stepId: 'bag', people, prompter });
    expect(error.message).toBe('Walt Witness did not confirm "Step bag"');
    expect(fake.events('confirmed')).toEqual([{ what: 'confirmed', answer: false }]);
  });

  it('fails when nobody holds the confirming role', async () => {
    const { error } = await failStep(manualConfirm, { script: s, stepId: 'bag', people: [ADMIN] });
    expect(error.message).toBe('nobody is checked in as Witness');
  });
});
