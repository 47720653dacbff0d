// The ceremony's course recomputed from a real crash-drill journal (test/fixtures/fuzz/), changed as an insider
// would change it: each change breaks the rule it names, and the untouched journal breaks none.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../../src/record/journal.js';
import { parseScript } from '../../../../src/script/rules.js';
import { checkActors, checkParticipants, checkPinHalves } from '../../../../src/evidence/verify/rules-people.js';
import { checkSignOffs, checkStepCourse } from '../../../../src/evidence/verify/rules-steps.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/fuzz/packet-${name}`, import.meta.url), 'utf8');
const script = parseScript('script.yaml', fixture('script.yaml')).script!;
const journal = fixture('journal.jsonl').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry);

function problems(entries: JournalEntry[]): string[] {
  const out: string[] = [];
  const r = { fail: (m: string) => out.push(m) };
  checkStepCourse(entries, script, r);
  checkParticipants(entries, script, r);
  checkActors(entries, script, r);
  checkPinHalves(entries, script, r);
  checkSignOffs(entries, script, r);
  return out;
}

/** The journal with `extra` entries inserted before the first entry matching `at`. */
function inserted(at: (e: JournalEntry) => boolean, extra: (before: JournalEntry) => Array<Record<string, unknown>>): JournalEntry[] {
  const i = journal.findIndex(at);
  return [...journal.slice(0, i), ...extra(journal[i]).map((x) => ({ ...journal[i], ...x }) as unknown as JournalEntry), ...journal.slice(i)];
}
const startOf = (step: string) => (e: JournalEntry) => e.type === 'step.started' && e.step === step;

describe('ceremony rules over a real journal', () => {
  it('the journal as written breaks no rule', () => {
    expect(problems(journal)).toEqual([]);
  });

  it.each<[string, JournalEntry[], RegExp]>([
    [
      'a failed run started again without a retry decision',
      inserted(startOf('generate'), (s) => [{ type: 'step.started', data: s.data }, { type: 'step.failed', data: { code: 'ceremony.step-failed', message: 'x' } }]),
      /^steps: line \d+: step 4 generate started again after it failed \(line \d+\) without a recorded retry decision \(deviation\)$/,
    ],
    [
      'a step started out of the script\'s order',
      inserted(startOf('init-token'), () => [{ type: 'step.started', step: 'generate', data: { number: 4, kind: 'hsm.generate-key', title: 'x' } }]),
      /^steps: line \d+: step 4 generate started before step 2 init-token completed \(out of the script's order\)$/,
    ],
    [
      'an action by someone never checked in',
      inserted(startOf('generate'), (s) => [{ type: 'step.event', step: 'init-token', actor: 'Mallory (Crypto Officer)', data: { what: 'confirmed', answer: true } }, { ...s }].slice(0, 1)),
      /^people: line \d+: step\.event confirmed by Mallory \(Crypto Officer\), who is not checked in$/,
    ],
  ])('%s', (_what, entries, rule) => {
    expect(problems(entries).filter((p) => rule.test(p)), problems(entries).join('\n')).toHaveLength(1);
  });

  it('a retry after a recorded decision is the runner\'s own course', () => {
    const retried = inserted(startOf('generate'), (s) => [
      { type: 'step.started', data: s.data },
      { type: 'step.failed', data: { code: 'ceremony.step-failed', message: 'x' } },
      { type: 'deviation', actor: 'Ceremony Administrator 1 (rehearsal) (Ceremony Administrator)', data: { action: 'retry', reason: 'cable', failure: 'x' } },
    ]);
    expect(problems(retried).filter((p) => p.startsWith('steps:'))).toEqual([]);
  });
});
