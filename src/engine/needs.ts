// What a whole script needs before it starts, from the `needs` its step kinds declare and its roles'
// identities: a role that checks in by PIV token needs the roster and the officers' tokens. The needs per kind
// come as a function, so the engine asks its step registry (`(kind) => steps[kind].needs`) and inputs ask the
// ceremony language's table (script/step-needs.ts) without loading every step kind.
import type { Script, StepKind } from '../script/schema.js';
import type { StepNeeds } from './step-kind.types.js';

/** What a step of `kind` needs. */
export type NeedsOf = (kind: StepKind) => StepNeeds;

export interface ScriptNeeds extends StepNeeds {
  /** Roles whose people check in with their PIV token. */
  pivRoles: string[];
}

export function scriptNeeds(script: Script, needsOf: NeedsOf): ScriptNeeds {
  const pivRoles = Object.entries(script.roles)
    .filter(([, r]) => r.identity === 'piv')
    .map(([id]) => id);
  const any = (need: keyof StepNeeds) => script.steps.some((s) => needsOf(s.kind)[need]);
  const roster = pivRoles.length > 0 || any('roster');
  return {
    hsm: any('hsm'),
    evidenceToken: any('evidenceToken'),
    roster,
    piv: roster || any('piv'),
    backup: any('backup'),
    wrappedKeys: any('wrappedKeys'),
    release: any('release'),
    policyDraft: any('policyDraft'),
    manifest: any('manifest'),
    signingPlan: any('signingPlan'),
    pivRoles,
  };
}

/** The first step of the script whose kind needs `need`, if any. */
export function firstStepNeeding(script: Script, needsOf: NeedsOf, need: keyof StepNeeds): Script['steps'][number] | undefined {
  return script.steps.find((s) => needsOf(s.kind)[need]);
}
