// What a script needs, from the needs per kind it is handed: the engine hands its registry's, inputs hand the
// ceremony language's table; both give the same answer for the same script, a PIV role brings the roster and
// the tokens, and the needs come from the function given (not from a kind list of its own).
import { describe, expect, it } from 'vitest';
import { firstStepNeeding, scriptNeeds, type NeedsOf } from '../../../src/engine/needs.js';
import type { StepNeeds } from '../../../src/engine/step-kind.types.js';
import { Script, type StepKind } from '../../../src/script/schema.js';
import { STEP_NEEDS } from '../../../src/script/step-needs.js';
import { needsOnlyRegistry } from './fakes.js';

const step = (id: string, kind: string, params?: object, perform = 'admin') => ({ id, kind, title: id, instructions: 'Do it.', perform, ...(params ? { params } : {}) });
const checkIn = step('check-in', 'participants.check-in');
const confirm = step('confirm', 'manual.confirm', { confirm_by: 'admin', record: [] });
const generate = step('gen', 'hsm.generate-key', { label: 'k', algorithm: 'EC-P256', authority: 'release', purpose: 'test' });
const approve = step('approve', 'quorum.approve', { role: 'officer', threshold: 2, approve: 'record' });
const verify = step('verify', 'backup.verify');
const restore = step('restore', 'backup.restore');
const useEvidenceKey = step('evidence', 'evidence.use-key', { pin_holders: { role: 'admin', people: 2 } });

function script(steps: object[], roles: Record<string, object> = {}) {
  return Script.parse({
    id: 'needs-test',
    title: 'Needs test',
    version: 1,
    authority: 'release',
    site: { hsm: 'vault-hsm' },
    roles: { admin: { title: 'Administrator', people: 2 }, officer: { title: 'Crypto Officer', people: 2 }, ...roles },
    steps,
  });
}

const fromTable: NeedsOf = (kind) => STEP_NEEDS[kind];
const registry = needsOnlyRegistry();
const fromRegistry: NeedsOf = (kind) => registry[kind].needs;
const none = { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false, pivRoles: [] };

describe('scriptNeeds', () => {
  it.each([
    ['a check-in alone', [checkIn], {}, none],
    ['an HSM step', [checkIn, generate], {}, { ...none, hsm: true }],
    ['the evidence token', [checkIn, useEvidenceKey], {}, { ...none, evidenceToken: true }],
    ['an approval', [checkIn, approve], {}, { ...none, roster: true, piv: true }],
    ['a backup verify', [checkIn, verify], {}, { ...none, roster: true, piv: true, backup: true }],
    ['a restore', [checkIn, restore], {}, { ...none, hsm: true, roster: true, piv: true, backup: true, wrappedKeys: true }],
    ['a release signing step', [checkIn, step('load', 'request.load')], {}, { ...none, roster: true, piv: true, release: true }],
    ['a policy adoption', [checkIn, step('adopt', 'policy.adopt')], {}, { ...none, roster: true, piv: true, policyDraft: true }],
    ['a manifest signing', [checkIn, step('sign', 'manifest.sign')], {}, { ...none, roster: true, piv: true, manifest: true }],
    ['a role that checks in by PIV token', [checkIn], { officer: { title: 'Crypto Officer', people: 2, identity: 'piv' } }, { ...none, roster: true, piv: true, pivRoles: ['officer'] }],
  ])('%s', (_, steps, roles, want) => {
    const s = script(steps, roles);
    expect(scriptNeeds(s, fromTable)).toEqual(want);
    expect(scriptNeeds(s, fromRegistry)).toEqual(want);
  });

  it('takes each kind\'s needs from the function it is handed', () => {
    const asked: StepKind[] = [];
    const hsmConfirm: NeedsOf = (kind) => {
      asked.push(kind);
      return kind === 'manual.confirm' ? ({ ...STEP_NEEDS[kind], hsm: true } satisfies StepNeeds) : STEP_NEEDS[kind];
    };
    expect(scriptNeeds(script([checkIn, confirm]), hsmConfirm).hsm).toBe(true);
    expect(asked).toContain('manual.confirm');
  });
});

describe('firstStepNeeding', () => {
  it.each([
    ['backup', [checkIn, generate], undefined],
    ['backup', [checkIn, verify, restore], 'verify'],
    ['wrappedKeys', [checkIn, verify, restore], 'restore'],
    ['hsm', [checkIn, confirm, generate], 'gen'],
  ] as const)('the first step needing %s (case %#)', (need, steps, want) => {
    expect(firstStepNeeding(script([...steps]), fromTable, need)?.id).toBe(want);
  });
});
