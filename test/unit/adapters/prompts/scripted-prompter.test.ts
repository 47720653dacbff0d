// ScriptedPrompter's decision when a step fails: the answers file's decision in order; without one, abort, and the
// reason says why: a step the script lets retry lacked a decision, an abort-only step needed none.
import { describe, expect, it } from 'vitest';
import { ScriptedPrompter } from '../../../../src/adapters/prompts/scripted-prompter.js';
import { parseAnswers } from '../../../../src/inputs/answers.js';

const carol = { name: 'Carol Officer', role: 'crypto-officer' };
const prompter = (yaml: string) => new ScriptedPrompter(parseAnswers('answers.yaml', yaml, {}).answers, () => {});

describe('ScriptedPrompter.onFailure', () => {
  it.each<[string, string, boolean, { action: string; reason: string }]>([
    ['a retry-able step without a decision', 'confirm: true\n', true, { action: 'abort', reason: 'no decision in the answers file for failure: boom' }],
    ['an abort-only step', 'confirm: true\n', false, { action: 'abort', reason: 'the script aborts when this step fails: boom' }],
    ['a decision to retry', 'confirm: true\nfailures:\n  gen: [{ action: retry, reason: reseated the token }]\n', true, { action: 'retry', reason: 'reseated the token' }],
    ['a retry the script does not allow', 'confirm: true\nfailures:\n  gen: [{ action: retry, reason: again }]\n', false, { action: 'abort', reason: 'the script does not allow retrying this step (again)' }],
  ])('%s', async (_, yaml, allowRetry, decision) => {
    expect(await prompter(yaml).onFailure('gen', 'boom', carol, allowRetry, 0)).toEqual({ ...decision, by: carol });
  });
});
