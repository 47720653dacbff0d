// What the cross-field rules look at: the parts of a script that passed the schema on their own (all of it for
// a valid script), and what a step refers to (the roles it names, whether it works on the site token). Pure.
import type { PathSegment } from './parse.js';
import { Script, Step, STEP_KINDS, type Role, type StepKind } from './schema.js';
import { kindNeeds } from './step-needs.js';

/**
 * What the rules may rely on: every part of a script that passed the schema on its own. For a valid script
 * that is all of it; for an invalid one the rules still run on the valid parts, so one schema error does not
 * hide the rule errors, and a rule whose input failed the schema is skipped rather than guessed at.
 */
export interface ScriptView {
  authority?: Script['authority'];
  site?: Script['site'];
  /** Roles that passed the schema; undefined when `roles` is not a mapping at all. */
  roles?: Record<string, Role>;
  /** Every role id under `roles`, valid or not: a reference to one of these is not an unknown role. */
  declaredRoles?: ReadonlySet<string>;
  /** Steps by their index in the script; undefined where the step failed the schema. */
  steps: ReadonlyArray<Step | undefined>;
  /** Each step's kind when it names a known kind, even if the rest of the step failed the schema. */
  kinds: ReadonlyArray<StepKind | undefined>;
  /** Each step's id when it is a string, even if the rest of the step (or the id's form) failed the schema. */
  ids: ReadonlyArray<string | undefined>;
}

export function viewOf(script: Script): ScriptView {
  return {
    authority: script.authority,
    site: script.site,
    roles: script.roles,
    declaredRoles: new Set(Object.keys(script.roles)),
    steps: script.steps,
    kinds: script.steps.map((s) => s.kind),
    ids: script.steps.map((s) => s.id),
  };
}

/** The valid parts of a document that failed the Script schema. */
export function partialView(raw: unknown): ScriptView {
  const doc = isMapping(raw) ? raw : {};
  const authority = Script.shape.authority.safeParse(doc.authority);
  const site = Script.shape.site.safeParse(doc.site);
  const view: ScriptView = {
    authority: authority.success ? authority.data : undefined,
    site: site.success ? site.data : undefined,
    steps: [],
    kinds: [],
    ids: [],
  };
  if (isMapping(doc.roles)) {
    const roles: Record<string, Role> = {};
    for (const [roleId, value] of Object.entries(doc.roles)) {
      const key = Script.shape.roles.keyType.safeParse(roleId);
      const role = Script.shape.roles.valueType.safeParse(value);
      if (key.success && role.success) roles[roleId] = role.data;
    }
    view.roles = roles;
    view.declaredRoles = new Set(Object.keys(doc.roles));
  }
  if (Array.isArray(doc.steps)) {
    view.steps = doc.steps.map((value: unknown) => {
      const step = Step.safeParse(value);
      return step.success ? step.data : undefined;
    });
    view.kinds = doc.steps.map((value: unknown) => {
      const kind = isMapping(value) ? value.kind : undefined;
      return (STEP_KINDS as readonly unknown[]).includes(kind) ? (kind as StepKind) : undefined;
    });
    view.ids = doc.steps.map((value: unknown) => (isMapping(value) && typeof value.id === 'string' ? value.id : undefined));
  }
  return view;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function roleRefs(step: Step): Array<{ path: PathSegment[]; role: string }> {
  const refs: Array<{ path: PathSegment[]; role: string }> = [{ path: ['perform'], role: step.perform }];
  step.witness.forEach((r, i) => refs.push({ path: ['witness', i], role: r }));
  step.sign_off.forEach((r, i) => refs.push({ path: ['sign_off', i], role: r }));
  switch (step.kind) {
    case 'participants.check-in':
      step.params.roles?.forEach((r, i) => refs.push({ path: ['params', 'roles', i], role: r }));
      break;
    case 'manual.confirm':
      refs.push({ path: ['params', 'confirm_by'], role: step.params.confirm_by });
      break;
    case 'hsm.init-token':
    case 'evidence.use-key':
      refs.push({ path: ['params', 'pin_holders', 'role'], role: step.params.pin_holders.role });
      break;
    case 'piv.enroll':
      refs.push({ path: ['params', 'officer', 'role'], role: step.params.officer.role });
      break;
    case 'officer.revoke':
      refs.push({ path: ['params', 'record_by'], role: step.params.record_by });
      break;
    case 'quorum.approve':
      refs.push({ path: ['params', 'role'], role: step.params.role });
      break;
    default:
      break;
  }
  return refs;
}

/** Step kinds that work on the site token. */
export function usesToken(kind: string | undefined): boolean {
  return kindNeeds(kind, 'hsm');
}
