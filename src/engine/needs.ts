// What a whole script needs before it starts, from the `needs` its step kinds declare and its roles'
// identities: a role that checks in by PIV token needs the roster and the officers' tokens.
import type { Script } from '../script/schema.js';
import type { StepNeeds, StepRegistry } from './step-kind.types.js';

export interface ScriptNeeds extends StepNeeds {
  /** Roles whose people check in with their PIV token. */
  pivRoles: string[];
}

export function scriptNeeds(script: Script, steps: StepRegistry): ScriptNeeds {
  const pivRoles = Object.entries(script.roles)
    .filter(([, r]) => r.identity === 'piv')
    .map(([id]) => id);
  const any = (need: keyof StepNeeds) => script.steps.some((s) => steps[s.kind].needs[need]);
  const roster = pivRoles.length > 0 || any('roster');
  return {
    hsm: any('hsm'),
    roster,
    piv: roster || any('piv'),
    backup: any('backup'),
    wrappedKeys: any('wrappedKeys'),
    pivRoles,
  };
}

/** The first step of the script whose kind needs `need`, if any. */
export function firstStepNeeding(script: Script, steps: StepRegistry, need: keyof StepNeeds): Script['steps'][number] | undefined {
  return script.steps.find((s) => steps[s.kind].needs[need]);
}
