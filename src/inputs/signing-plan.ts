// An Android signing window's plan (--signing-plan), checked before the ceremony starts so that a bad plan is
// refused with every problem and exit 2, and nothing recorded; read by the same reader the step uses.
import type { InputDocument } from '../engine/ceremony-inputs.types.js';
import { parseSigningPlan, PLAN_LIMITS } from '../custody/signing-plan.js';
import type { Script } from '../script/schema.js';
import { kindNeeds } from '../script/step-needs.js';
import { sha256Hex } from '../record/digest.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, type InputProblem, type Loaded } from './problems.js';
import { COMMAND_LINE } from './site.js';

export interface SigningPlanFlags {
  signingPlan?: string;
}

export function opensSigningWindow(script: Script): boolean {
  return script.steps.some((s) => kindNeeds(s.kind, 'signingPlan'));
}

export function loadSigningPlan(files: InputFiles, flags: SigningPlanFlags): Loaded<InputDocument | undefined> {
  const problems: InputProblem[] = [];
  if (!flags.signingPlan) {
    problems.push(inputProblem('input.signing-plan', COMMAND_LINE, '--signing-plan', "this ceremony opens a signing window for Android's tools: give --signing-plan <plan.json>"));
    return { problems };
  }
  const read = readBytes(files, flags.signingPlan, 'signing plan');
  if (read.problem) return { problems: [{ ...read.problem, code: 'input.signing-plan', field: '--signing-plan' }] };
  if (read.bytes.length > PLAN_LIMITS.bytes) return { problems: [inputProblem('input.signing-plan', flags.signingPlan, '--signing-plan', `${flags.signingPlan} is ${read.bytes.length} bytes: over the ${PLAN_LIMITS.bytes} a signing plan may be`)] };
  const parsed = parseSigningPlan(read.bytes, flags.signingPlan);
  const group = `${flags.signingPlan}: ${parsed.problems.length} problem(s)`;
  for (const p of parsed.problems) problems.push(inputProblem('input.signing-plan', flags.signingPlan, '--signing-plan', p, group));
  return loaded({ bytes: read.bytes, sha256: sha256Hex(read.bytes) }, problems);
}
