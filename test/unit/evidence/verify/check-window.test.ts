// The signing window's record against the plan the ceremony started with: what an insider who rewrites the
// journal would try (a signature over budget, a second window under one approval, a key the window did not find,
// a renumbered or dropped signature, a window with no approval of this plan, window entries in another step).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { p1363ToDer } from '../../../../src/evidence/cms.js';
import { describe, expect, it } from 'vitest';
import { Group } from '../../../../src/evidence/verify/check-context.js';
import { checkWindow } from '../../../../src/evidence/verify/check-window.js';
import { sha256Hex } from '../../../../src/record/digest.js';
import type { NewEntry } from '../../../../src/record/journal.js';
import { loadScript } from '../../../../src/inputs/script.js';
import { MemoryInputFiles } from '../../inputs/memory-input-files.js';
import { createWindowWorld } from '../../steps/fakes/window-world.js';
import { writeJournal } from './journal-text.js';

const SCRIPT = loadScript(new MemoryInputFiles().file('/a.yaml', readFileSync(new URL('../../../../ceremonies/android-release-signing.yaml', import.meta.url), 'utf8')), '/a.yaml').value!.script;
const w = createWindowWorld({ avb: 1, payload: 2 });
const STEP = 'signing-window';
const statement = (sha = w.subject.sha256, step = 'approve-plan'): NewEntry => ({ type: 'step.event', actor: 'system', step, data: { what: 'approval-statement', statement: { approve: { what: 'step', step: { id: STEP }, plan: { sha256: sha } } } } });
const completed = (step: string): NewEntry => ({ type: 'step.completed', actor: 'system', step, data: {} });
/** The approval step's statement naming this plan (or `sha`), then its completion. */
const approval = (sha = w.subject.sha256): NewEntry[] => [statement(sha), completed('approve-plan')];
const keyOf = (key: 'avb' | 'payload') => (key === 'avb' ? w.avb : w.payload);
const opened = (): NewEntry => ({
  type: 'step.event',
  actor: 'system',
  step: STEP,
  data: { what: 'window-opened', plan_sha256: w.subject.sha256, closes_at: '2026-11-26T12:30:00.000Z', keys: (['avb', 'payload'] as const).map((k) => ({ label: `${k}-2026`, spki_sha256: w.spki(keyOf(k)), spki: keyOf(k).spki.toString('base64') })) },
});
const withOpened = (data: Record<string, unknown>): NewEntry => ({ ...opened(), data: { ...opened().data, ...data } as NewEntry['data'] });
/** A real signature by the fake token's key over the digest of `seq`, as the window journals it. */
const made = new Map<number, string>();
const sig = (seq: number, kind: string, key: 'avb' | 'payload', over: Record<string, unknown> = {}): NewEntry => {
  const digest = createHash('sha256').update(`d${seq}`).digest();
  const rec = keyOf(key);
  const [raw] = w.session.signDigests({ label: rec.label, id: rec.id }, [digest]);
  const signature = key === 'payload' ? p1363ToDer(raw) : raw;
  made.set(seq, sha256Hex(signature));
  return {
    type: 'step.event',
    actor: 'system',
    step: STEP,
    data: { what: 'window-signature', seq, kind, algorithm: kind === 'avb' ? 'SHA256_RSA4096' : 'SHA256_ECDSA_P256', key: `${key}-2026`, spki_sha256: w.spki(rec), digest: digest.toString('hex'), signature_sha256: sha256Hex(signature), signature: signature.toString('base64'), ...over },
  };
};
const closed = (n: number, list?: string[]): NewEntry => ({ type: 'step.event', actor: 'system', step: STEP, data: { what: 'window-closed', signatures: n, signatures_sha256: sha256Hex((list ?? Array.from({ length: n }, (_, i) => made.get(i + 1)!)).join('\n')) } });

const GOOD = (): NewEntry[] => [...approval(), opened(), sig(1, 'avb', 'avb'), sig(2, 'payload', 'payload'), closed(2)];
const ROWS: Array<[string, () => NewEntry[], RegExp | null, (Record<string, unknown> | null)?]> = [
  ['the window as the step records it', GOOD, null],
  ['a signature over the budget', () => [...approval(), opened(), sig(1, 'avb', 'avb'), sig(2, 'avb', 'avb'), closed(2)], /key avb-2026's avb signature 2, over the plan's budget of 1/],
  ['a second window under one approval', () => [...GOOD(), opened(), closed(0)], /a second signing window under the approval at journal.jsonl line 2/],
  ['a window with no approval of this plan', () => [...approval('f'.repeat(64)), opened(), closed(0)], /a signing window opened without the completed approval of step signing-window naming the signing plan/],
  ['a key the window did not find on the token', () => [...approval(), opened(), sig(1, 'payload', 'payload', { spki_sha256: 'e'.repeat(64) }), closed(1)], /not the one the window found on the token/],
  ['a signature dropped from the journal', () => [...approval(), opened(), sig(2, 'payload', 'payload'), closed(2)], /window signature number 2, where 1 comes next[\s\S]*closed naming 2 signature\(s\); the journal holds 1/],
  ['a closing list that is not the signatures journaled', () => [...approval(), opened(), sig(1, 'avb', 'avb'), closed(1, ['other'])], /the window's signature list SHA-256 .* is not that of the signatures journaled/],
  ['a kind the plan does not name', () => [...approval(), opened(), sig(1, 'apk', 'avb'), closed(1)], /of kind apk, which the plan does not name/],
  ['a signature that does not verify over its digest', () => [...approval(), opened(), sig(1, 'avb', 'avb', { digest: 'ab'.repeat(32) }), closed(1)], /window signature 1 does not verify over its digest under key avb-2026/],
  ['a signature swapped for another (its hash kept)', () => [...approval(), opened(), sig(1, 'avb', 'avb', { signature: Buffer.from('x').toString('base64') }), closed(1)], /the recorded signature does not hash to its signature_sha256/],
  ['a window opened under an approval statement copied into its own step (never checked as an approval)', () => [statement(w.subject.sha256, STEP), opened(), closed(0)], /opened without the completed approval of step signing-window/],
  ['a window whose keys are not of the plan\'s algorithm (the payload key listed as the avb key)', () => [...approval(), withOpened({ keys: [{ label: 'avb-2026', spki_sha256: w.spki(w.payload), spki: w.payload.spki.toString('base64') }, { label: 'payload-2026', spki_sha256: w.spki(w.payload), spki: w.payload.spki.toString('base64') }] }), closed(0)], /the window's key avb-2026 is not RSA-4096, as the plan says/],
  ['a window key other than the one this ceremony generated under that label', () => [{ type: 'result', actor: 'system', step: 'gen', data: { op: 'hsm.generate-key', intent: 1, ok: true, output: { label: 'payload-2026', spkiSha256: 'e'.repeat(64) } } }, ...approval(), opened(), closed(0)], /the window's key payload-2026 is not the key this ceremony generated under that label/],
  ['a window open longer than the plan allows', () => [...approval(), withOpened({ closes_at: '2026-11-27T12:00:00.000Z' }), closed(0)], /later than the plan's 30 minutes allow/],
  ['a signature after the time limit', () => [...approval(), withOpened({ closes_at: '2026-11-26T11:00:00.000Z' }), sig(1, 'avb', 'avb'), closed(1)], /window signature 1 made at .*, after the window's time limit/],
  ['a signature journaled a moment after the limit it was checked against (within the minute the window needs)', () => [...approval(), withOpened({ closes_at: '2026-11-26T12:00:00.000Z' }), sig(1, 'avb', 'avb'), sig(2, 'payload', 'payload'), closed(2)], null],
  ['a window step that completed with its window open', () => [...approval(), opened(), sig(1, 'avb', 'avb'), completed(STEP)], /step signing-window completed with its signing window never closed/],
  ['window entries in another step', () => [...approval(), { ...opened(), step: 'close' }], /outside step signing-window \(in close\)/],
  ['window entries in a ceremony with no plan', GOOD, /5 signing window entries in a ceremony that started with no signing plan|4 signing window entries in a ceremony that started with no signing plan/, null],
];

describe('checkWindow', () => {
  it('refuses a plan recorded at the start that is not the plan the packet holds (what the officers saw)', () => {
    const { entries } = writeJournal([{ type: 'ceremony.started', actor: 'system', data: { signing_plan: { ...(w.subject as unknown as Record<string, never>), time_limit_minutes: 600 } } }, ...GOOD()]);
    const g = new Group('ceremony');
    checkWindow(g, { files: new Map([['inputs/signing-plan.json', w.planBytes]]), entries, started: entries[0], script: SCRIPT });
    expect(g.problems.join('\n')).toMatch(/the signing plan it records \(what the officers approved\) is not the plan in inputs\/signing-plan.json/);
  });

  it('never throws on a malformed plan record: named, not an internal error', () => {
    const { entries } = writeJournal([{ type: 'ceremony.started', actor: 'system', data: { signing_plan: { keys: 'x' } as unknown as Record<string, never> } }, ...GOOD()]);
    const g = new Group('ceremony');
    expect(() => checkWindow(g, { files: new Map([['inputs/signing-plan.json', w.planBytes]]), entries, started: entries[0], script: SCRIPT })).not.toThrow();
    expect(g.problems.join('\n')).toMatch(/is not the plan in inputs\/signing-plan.json/);
  });

  it.each(ROWS)('%s', (_, make, problem, started) => {
    const { entries } = writeJournal([{ type: 'ceremony.started', actor: 'system', data: started === null ? {} : { signing_plan: w.subject as unknown as Record<string, never> } }, ...make()]);
    const g = new Group('ceremony');
    checkWindow(g, { files: new Map([['inputs/signing-plan.json', w.planBytes]]), entries, started: entries[0], script: SCRIPT });
    if (problem) expect(g.problems.join('\n')).toMatch(problem);
    else {
      expect(g.problems).toEqual([]);
      expect(g.notes.join('\n')).toMatch(/2 signature\(s\) \(avb-2026: avb 1, payload 0; payload-2026: avb 0, payload 1\), list SHA-256 [0-9a-f]{64}, each within the plan's budgets/);
    }
  });
});
