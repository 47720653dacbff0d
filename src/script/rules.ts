// Cross-field rules that a schema alone cannot state. Each rule names the YAML path it is about, so a script
// author sees every problem at once. Pure: no I/O. The rules stay one pass over the steps because each step's
// rules read what earlier steps established (keys generated, who is checked in, the token initialised, step
// ids); script-view.ts says what they look at.
import { STEP_AUTHORITY, STEP_NEEDS, kindNeeds } from './step-needs.js';
import { dedupeProblems, parseWithSchema, sortProblems, type PathSegment, type Problem, type YamlSource } from './parse.js';
import { custodianCount, Script, type Step } from './schema.js';
import { partialView, roleRefs, usesToken, viewOf, type ScriptView } from './script-view.js';
import { reshareWarnings, wordingProblems } from './rules-wording.js';

export interface ScriptCheck {
  script?: Script;
  errors: Problem[];
  warnings: Problem[];
  /** The YAML as read, when it could be read (valid or not). */
  raw?: unknown;
}

/** Parse and check a ceremony script. A script is returned only when there are no errors. */
export function parseScript(file: string, text: string, opts: { wording?: boolean } = {}): ScriptCheck {
  const parsed = parseWithSchema(file, text, Script);
  if (parsed.value) {
    const rules = checkRules(parsed.value, parsed.source);
    // The wording rule is for scripts about to be run; verify checks a script already run, whatever it said.
    const errors = [...rules.errors, ...(opts.wording === false ? [] : wordingProblems(parsed.value, parsed.source))];
    const warnings = [...rules.warnings, ...(opts.wording === false ? [] : reshareWarnings(parsed.value, parsed.source))];
    return errors.length > 0 ? { errors, warnings, raw: parsed.raw } : { script: parsed.value, errors, warnings, raw: parsed.raw };
  }
  if (parsed.raw === undefined) return { errors: parsed.errors, warnings: [] };
  const rules = checkView(partialView(parsed.raw), parsed.source);
  return { errors: dedupeProblems(sortProblems([...parsed.errors, ...rules.errors])), warnings: rules.warnings, raw: parsed.raw };
}

/** The cross-field rules of a script that passed the schema. */
export function checkRules(script: Script, src: YamlSource): { errors: Problem[]; warnings: Problem[] } {
  return checkView(viewOf(script), src);
}

function checkView(script: ScriptView, src: YamlSource): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const at = (i: number, path: PathSegment[]) => ['steps', i, ...path];
  const { steps, kinds, ids, roles, declaredRoles, site } = script;

  // Which keys exist is known only up to the first unreadable step that may generate one: an invalid
  // hsm.generate-key, or a step of unknown kind.
  const opaque = steps.findIndex((s, i) => s === undefined && (kinds[i] === undefined || kinds[i] === 'hsm.generate-key' || kinds[i] === 'evidence.init-key'));
  const keysKnownBefore = opaque < 0 ? steps.length : opaque;

  // Who is checked in: the first check-in step's roles (default: every role). Unknown while a step before it
  // has an unknown kind (it might be the first check-in), or while the check-in step itself is invalid.
  const checkInIndex = kinds.indexOf('participants.check-in');
  const checkIn = checkInIndex >= 0 && !kinds.slice(0, checkInIndex).includes(undefined) ? steps[checkInIndex] : undefined;
  const checkedIn = checkIn?.kind === 'participants.check-in' ? (checkIn.params.roles ?? (declaredRoles ? [...declaredRoles] : undefined)) : undefined;
  const checkInSet = checkedIn ? new Set(checkedIn) : undefined;

  /** Unknown and not-checked-in roles; a role that is declared but failed the schema is neither. */
  const checkRole = (path: PathSegment[], role: string) => {
    if (!declaredRoles) return;
    if (!declaredRoles.has(role)) {
      errors.push(src.problem(path, `unknown role "${role}"`));
    } else if (roles?.[role] && checkInSet && !checkInSet.has(role)) {
      errors.push(src.problem(path, `role "${role}" is not checked in by steps[${checkInIndex}]`));
    }
  };

  const firstIndex = new Map<string, number>();
  ids.forEach((stepId, i) => {
    if (stepId === undefined) return;
    const prior = firstIndex.get(stepId);
    if (prior === undefined) firstIndex.set(stepId, i);
    else errors.push(src.problem(at(i, ['id']), `duplicate step id "${stepId}" (first used by steps[${prior}])`));
  });

  const generated = new Map<string, number>();
  let checkInSeen = false;
  let tokenInitialised = false;
  let evidenceKeyAt: number | undefined;
  let rosterWithoutOfficers = false;

  kinds.forEach((kind, i) => {
    // The laptop is checked before anyone checks in (room.preflight), then everyone checks in.
    const preflightFirst = kinds[0] === 'room.preflight';
    if (i === (preflightFirst ? 1 : 0) && kind !== undefined && kind !== 'participants.check-in') {
      errors.push(
        src.problem(at(i, ['kind']), preflightFirst ? 'the step after room.preflight must be participants.check-in: every later step names people who checked in' : 'the first step must be participants.check-in (or room.preflight, then participants.check-in): every later step names people who checked in'),
      );
    }
    if (kind === 'room.preflight' && i > 0) errors.push(src.problem(at(i, ['kind']), 'room.preflight checks the laptop before anyone checks in: it must be the first step'));
    if (kind === 'participants.check-in') {
      if (checkInSeen) errors.push(src.problem(at(i, ['kind']), 'participants are already checked in by an earlier step'));
      checkInSeen = true;
    }
    if (kind === 'hsm.init-token') {
      if (tokenInitialised) errors.push(src.problem(at(i, ['kind']), 'the token is already initialised by an earlier step'));
      tokenInitialised = true;
    }
    if (kind === 'evidence.init-key' || kind === 'evidence.use-key') {
      if (evidenceKeyAt !== undefined) errors.push(src.problem(at(i, ['kind']), `the evidence key is already ${kinds[evidenceKeyAt] === 'evidence.use-key' ? 'activated' : 'created'} by steps[${evidenceKeyAt}]`));
      else evidenceKeyAt = i;
      const init = kinds.indexOf('hsm.init-token');
      if (kind === 'evidence.init-key' && init > i) errors.push(src.problem(at(i, ['kind']), `the evidence key lives on the token, which steps[${init}] initialises later`));
    }
    const owner: string | undefined = kind !== undefined && kind in STEP_AUTHORITY ? STEP_AUTHORITY[kind as keyof typeof STEP_AUTHORITY] : undefined;
    if (owner !== undefined && script.authority !== undefined && owner !== script.authority) {
      errors.push(src.problem(at(i, ['kind']), `a ${script.authority} script cannot hold ${kind}: it is a step of the ${owner} authority's ceremonies, and keys of one authority never sign for the other`));
    }
    if ((usesToken(kind) || kindNeeds(kind, 'evidenceToken')) && site && site.hsm === undefined) {
      errors.push(src.problem(at(i, ['kind']), 'an hsm step needs site.hsm: the HSM profile the ceremony uses'));
    }

    if (kind !== undefined && STEP_NEEDS[kind]?.roster && roles && !Object.values(roles).some((r) => r?.identity === 'piv') && !rosterWithoutOfficers) {
      rosterWithoutOfficers = true;
      errors.push(src.problem(at(i, ['kind']), `${kind} needs the officer roster, but no role checks in by PIV token: officers present must countersign the record when the ceremony ends`));
    }

    const step = steps[i];
    if (step === undefined) return;

    for (const ref of roleRefs(step)) checkRole(at(i, ref.path), ref.role);
    const witnessRoles = new Set(step.witness);
    if (witnessRoles.size === 1 && witnessRoles.has(step.perform) && roles?.[step.perform]?.people === 1) {
      errors.push(src.problem(at(i, ['witness']), `the only witness role "${step.perform}" is the performer's own role with 1 person: nobody independent watches`));
    }

    switch (step.kind) {
      case 'evidence.use-key':
      case 'hsm.init-token': {
        const role = roles?.[step.params.pin_holders.role];
        if (role && step.params.pin_holders.people > role.people) {
          errors.push(
            src.problem(
              at(i, ['params', 'pin_holders', 'people']),
              `needs ${step.params.pin_holders.people} people in role "${step.params.pin_holders.role}" but the role has ${role.people}`,
            ),
          );
        }
        break;
      }
      case 'hsm.generate-key': {
        if (script.authority !== undefined && step.params.authority !== script.authority) {
          errors.push(
            src.problem(
              at(i, ['params', 'authority']),
              `a ${script.authority} script cannot generate ${step.params.authority} keys`,
            ),
          );
        }
        const prev = generated.get(step.params.label);
        if (prev === undefined) generated.set(step.params.label, i);
        else if (prev < keysKnownBefore) errors.push(src.problem(at(i, ['params', 'label']), `key label "${step.params.label}" is already generated by steps[${prev}]`));
        if (step.on_failure === 'retry') {
          // Retrying a key generation is safe only because the journal reconciles it; still worth saying.
          warnings.push(src.problem(at(i, ['on_failure']), 'a retried key generation is recorded as a deviation; consider on_failure: abort for root keys'));
        }
        break;
      }
      case 'evidence.init-key': {
        const prev = generated.get(step.params.label);
        if (prev === undefined) generated.set(step.params.label, i);
        else if (prev < keysKnownBefore) errors.push(src.problem(at(i, ['params', 'label']), `key label "${step.params.label}" is already generated by steps[${prev}]`));
        break;
      }
      case 'hsm.inspect-key':
      case 'hsm.self-signed-certificate':
        if (i <= keysKnownBefore && !generated.has(step.params.key)) {
          errors.push(src.problem(at(i, ['params', 'key']), `key "${step.params.key}" is not generated by an earlier step`));
        }
        break;
      case 'piv.enroll': {
        const role = roles?.[step.params.officer.role];
        if (role && step.params.officer.index > role.people) {
          errors.push(src.problem(at(i, ['params', 'officer', 'index']), `role "${step.params.officer.role}" has ${role.people} people; there is no person ${step.params.officer.index}`));
        }
        if (role?.identity === 'piv') {
          errors.push(src.problem(at(i, ['params', 'officer', 'role']), `role "${step.params.officer.role}" checks in by PIV token; people being enrolled have no token yet (identity: document)`));
        }
        if (step.params.replaces !== undefined) {
          const r = firstIndex.get(step.params.replaces);
          if (r === undefined || r >= i || kinds[r] !== 'officer.revoke') errors.push(src.problem(at(i, ['params', 'replaces']), `"${step.params.replaces}" is not an earlier officer.revoke step: a replacement names the revocation of the token it replaces`));
        }
        if (step.params.issuer_source === 'roster') {
          if (generated.has(step.params.issuer)) errors.push(src.problem(at(i, ['params', 'issuer']), `enrollment CA key "${step.params.issuer}" is generated in this ceremony: the roster's CA is the one already on the HSM (issuer_source: ceremony for a new one)`));
          if (!Object.values(roles ?? {}).some((r) => r.identity === 'piv')) errors.push(src.problem(at(i, ['params', 'issuer_source']), "enrolling into the roster needs its officers: a role of identity piv checks in with the roster's tokens"));
        } else if (i <= keysKnownBefore && !generated.has(step.params.issuer)) {
          errors.push(src.problem(at(i, ['params', 'issuer']), `enrollment CA key "${step.params.issuer}" is not generated by an earlier step`));
        } else if (!steps.slice(0, i).some((s) => s?.kind === 'hsm.self-signed-certificate' && s.params.key === step.params.issuer)) {
          errors.push(src.problem(at(i, ['params', 'issuer']), `enrollment CA key "${step.params.issuer}" has no certificate from an earlier hsm.self-signed-certificate step`));
        }
        // One roster names one enrollment CA: every enrollment of a ceremony is certified by the same one.
        const firstEnroll = steps.find((s) => s?.kind === 'piv.enroll');
        if (firstEnroll?.kind === 'piv.enroll' && firstEnroll !== step && (firstEnroll.params.issuer !== step.params.issuer || firstEnroll.params.issuer_source !== step.params.issuer_source)) {
          errors.push(src.problem(at(i, ['params', 'issuer']), `every piv.enroll of a ceremony uses one enrollment CA (a roster names one): "${firstEnroll.params.issuer}" from the ${firstEnroll.params.issuer_source}`));
        }
        const same = steps.findIndex((s) => s?.kind === 'piv.enroll' && s.params.officer.role === step.params.officer.role && s.params.officer.index === step.params.officer.index);
        if (same >= 0 && same < i) errors.push(src.problem(at(i, ['params', 'officer']), `steps[${same}] already enrolls ${step.params.officer.role} ${step.params.officer.index}`));
        break;
      }
      case 'quorum.approve': {
        const role = roles?.[step.params.role];
        if (role && role.identity !== 'piv') {
          errors.push(src.problem(at(i, ['params', 'role']), `approvers sign with their PIV tokens: role "${step.params.role}" needs identity: piv`));
        }
        if (role && step.params.threshold > role.people) {
          errors.push(src.problem(at(i, ['params', 'threshold']), `${step.params.threshold} approvals needed but role "${step.params.role}" checks in ${role.people} people`));
        }
        const target = step.params.approve;
        if (target !== 'record') {
          const t = firstIndex.get(target);
          if (t === undefined) errors.push(src.problem(at(i, ['params', 'approve']), `no step "${target}" to approve (a later step id, or "record")`));
          else if (t <= i) errors.push(src.problem(at(i, ['params', 'approve']), `approves steps[${t}], which comes before it; approvals precede what they approve`));
          else {
            // An approval binds the step's parameters; a step whose effect is typed in later would not be bound.
            const s = steps[t];
            const typedLater = s?.kind === 'officer.revoke' || s?.kind === 'participants.check-in' || (s?.kind === 'manual.confirm' && s.params.record.length > 0);
            if (typedLater) errors.push(src.problem(at(i, ['params', 'approve']), `steps[${t}] (${s!.kind}) takes values typed in at the time, which an approval cannot bind; approve "record" after it instead`));
          }
        }
        break;
      }
      case 'android.sign-window': {
        // The window signs only under a plan a quorum approved before it opens (the approval's schema asks two
        // distinct people at least). Unknown while an earlier step does not parse.
        const approved = steps.some((a, j) => j < i && a?.kind === 'quorum.approve' && a.params.approve === step.id);
        if (!approved && !steps.slice(0, i).includes(undefined)) errors.push(src.problem(at(i, ['kind']), `android.sign-window needs a quorum.approve step before it that approves "${step.id}": the officers approve the signing plan`));
        break;
      }
      case 'backup.restore':
      case 'backup.split':
      case 'backup.reshare': {
        // Restore and re-share unwrap keys into a token: a fresh one this ceremony initialises, never the token a
        // live key is stored on. Each backup step is approved by a quorum first.
        const approved = steps.some((a, j) => j < i && a?.kind === 'quorum.approve' && a.params.approve === step.id);
        const approvalKnown = !kinds.slice(0, i).includes(undefined);
        if (step.kind !== 'backup.split') {
          if (!kinds.slice(0, i).includes('hsm.init-token')) errors.push(src.problem(at(i, ['kind']), `${step.kind} works in a fresh token: an earlier hsm.init-token step must initialise it`));
          if (!approved && approvalKnown) errors.push(src.problem(at(i, ['kind']), `${step.kind} needs a quorum.approve step before it that approves "${step.id}"`));
          if (step.kind === 'backup.restore') break;
        } else if (!approved && approvalKnown) {
          warnings.push(src.problem(at(i, ['kind']), `no quorum.approve step before it approves "${step.id}": the backup is made without the officers' approval`));
        }
        const { custodians, threshold } = step.params;
        const seen = new Map<string, number>();
        if (Array.isArray(custodians)) {
          custodians.forEach((c, j) => {
            const first = seen.get(c);
            if (first !== undefined) errors.push(src.problem(at(i, ['params', 'custodians', j]), `custodian "${c}" is already named at custodians[${first}]: each custodian holds one share`));
            else seen.set(c, j);
          });
        }
        const n = custodianCount(custodians);
        if (threshold > n) errors.push(src.problem(at(i, ['params', 'threshold']), `${threshold} shares needed but only ${n} distinct custodians: the backup could never be restored`));
        else if (n - threshold < 1) errors.push(src.problem(at(i, ['params', 'threshold']), `${threshold} of ${n} leaves no spare share: losing one custodian or token would lose the keys (need at least ${threshold + 1} custodians)`));
        // absent_allowed (at most 1, by the schema) never exceeds the spare shares of a valid shape.
        else if (n < 5 || n - threshold < 2) warnings.push(src.problem(at(i, ['params', 'custodians']), `${threshold} of ${n}: ${n - threshold} lost share(s) are survivable; consider more custodians`));
        if (step.kind === 'backup.split') {
          step.params.keys.forEach((label, j) => {
            if (i > keysKnownBefore) return;
            const g = generated.get(label);
            const gen = g === undefined ? undefined : steps[g];
            if (gen === undefined || gen.kind !== 'hsm.generate-key') errors.push(src.problem(at(i, ['params', 'keys', j]), `key "${label}" is not generated by an earlier hsm.generate-key step`));
            else if (!gen.params.backup) errors.push(src.problem(at(i, ['params', 'keys', j]), `key "${label}" (steps[${g}]) is not generated with backup: true, so the HSM will never let it be wrapped`));
          });
        }
        break;
      }
      case 'roster.sign': {
        // By kind, so an enrollment step that fails the schema still counts as one.
        const later = kinds.findIndex((k, j) => j > i && (k === 'piv.enroll' || k === 'officer.revoke'));
        if (later >= 0) errors.push(src.problem(at(i, ['kind']), `steps[${later}] changes the officers after the roster is signed`));
        if (!kinds.slice(0, i).some((k) => k === 'piv.enroll' || k === 'officer.revoke')) {
          errors.push(src.problem(at(i, ['kind']), 'no earlier piv.enroll or officer.revoke step: the roster would not change'));
        }
        break;
      }
      case 'manual.confirm':
        step.params.record.forEach((r, j) => {
          if (r.pattern === undefined) return;
          let re: RegExp;
          try {
            re = new RegExp(`^(?:${r.pattern})$`);
          } catch {
            errors.push(src.problem(at(i, ['params', 'record', j, 'pattern']), 'is not a valid regular expression'));
            return;
          }
          if (r.example !== undefined && !re.test(r.example)) {
            errors.push(src.problem(at(i, ['params', 'record', j, 'example']), `does not match pattern /${r.pattern}/`));
          }
        });
        break;
      default:
        break;
    }
  });

  // Dual control of an existing token: somebody must activate it, and exactly one place says who. With
  // hsm.init-token that is the init step (it sets the PINs); without it, the script's site.pin_holders.
  const initIndex = kinds.indexOf('hsm.init-token');
  const usesHsm = kinds.some(usesToken);
  if (evidenceKeyAt === undefined && steps.length > 0 && !kinds.includes(undefined)) {
    // Without an evidence key nothing signs the packet; with no HSM step at all there is nowhere to make one.
    const first = usesHsm ? kinds.findIndex(usesToken) : 0;
    const why = usesHsm ? '' : ' (the script uses no HSM, where the key would live)';
    warnings.push(src.problem(['steps', first, 'kind'], `no evidence.init-key or evidence.use-key step: the evidence will not be signed and \`officiant verify\` will refuse the packet${why}`));
  }

  steps.forEach((step, i) => {
    // Only when every backup.split could be read: one that failed the schema may well name the key.
    if (step?.kind !== 'hsm.generate-key' || !step.params.backup || kinds.some((k, j) => (k === undefined || k === 'backup.split') && steps[j] === undefined)) return;
    const label = step.params.label;
    if (!steps.some((s, j) => j > i && s?.kind === 'backup.split' && s.params.keys.includes(label))) {
      warnings.push(src.problem(at(i, ['params', 'backup']), `key "${label}" is made extractable for backup, but no later backup.split backs it up`));
    }
  });

  if (site?.pin_holders && initIndex >= 0) {
    errors.push(src.problem(['site', 'pin_holders'], `must not be set when steps[${initIndex}] initialises the token: its params.pin_holders hold the PINs`, 'key'));
  } else if (site?.pin_holders) {
    const { role: roleId, people } = site.pin_holders;
    checkRole(['site', 'pin_holders', 'role'], roleId);
    const role = roles?.[roleId];
    if (role && people > role.people) {
      errors.push(src.problem(['site', 'pin_holders', 'people'], `needs ${people} people in role "${roleId}" but the role has ${role.people}`));
    }
  } else if (site && usesHsm && initIndex < 0 && !kinds.includes(undefined)) {
    errors.push(
      src.problem(['site', 'pin_holders'], 'is required when no step initialises the token: the script names the 2 people who split its user PIN', 'key'),
    );
  }

  // Whether a role takes part is known only when every step (and the site) was readable.
  if (roles && site && steps.length > 0 && !steps.includes(undefined)) {
    const known = steps as Step[];
    for (const [roleId, role] of Object.entries(roles)) {
      const used = site.pin_holders?.role === roleId || known.some((s) => roleRefs(s).some((r) => r.role === roleId));
      if (!used) warnings.push(src.problem(['roles', roleId], `role "${roleId}" (${role.title}) takes part in no step`, 'key'));
    }
  }

  return { errors: sortProblems(errors), warnings: sortProblems(warnings) };
}
