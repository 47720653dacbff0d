// manual.confirm: a named role carries out an instruction (inspect a tamper bag, connect the HSM) and
// confirms it; values read off labels and seals are typed in, checked against the script's pattern, and
// recorded in the journal and evidence. A "no" fails the step.
import { OfficiantError } from '../errors.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

/**
 * Why a typed value is refused (it does not match the field's whole-value pattern), or undefined. People are
 * shown the script's example of the form when it has one, not the regular expression.
 */
export function recordedValueProblem(field: { label: string; pattern?: string; example?: string }, value: string): string | undefined {
  if (field.pattern === undefined || new RegExp(`^(?:${field.pattern})$`).test(value)) return undefined;
  return field.example !== undefined ? `${field.label}: "${value}" is not of the expected form (for example ${field.example})` : `${field.label}: "${value}" does not match the expected form /${field.pattern}/`;
}

export const manualConfirm: StepHandler<'manual.confirm'> = {
  kind: 'manual.confirm',
  needs: STEP_NEEDS['manual.confirm'],
  async run(ctx) {
    const [person] = ctx.people(ctx.step.params.confirm_by);
    if (!person) throw new OfficiantError('ceremony.step-failed', `nobody is checked in as ${ctx.script.roles[ctx.step.params.confirm_by]?.title ?? ctx.step.params.confirm_by}`);
    for (const field of ctx.step.params.record) {
      const value = (await ctx.prompter.record(person, { stepId: ctx.step.id, id: field.id, label: field.label, pattern: field.pattern, example: field.example })).trim();
      const problem = recordedValueProblem(field, value);
      if (problem) throw new OfficiantError('ceremony.step-failed', problem);
      ctx.event('recorded', { field: field.id, label: field.label, value }, person);
      ctx.result(field.label, value);
    }
    const ok = await ctx.prompter.confirm(person, `${ctx.step.title}: done as instructed?`, { stepId: ctx.step.id });
    ctx.event('confirmed', { answer: ok }, person);
    if (!ok) throw new OfficiantError('ceremony.step-failed', `${person.name} did not confirm "${ctx.step.title}"`);
    ctx.result('Confirmed by', `${person.name} (${ctx.script.roles[person.role].title})`);
  },
};
