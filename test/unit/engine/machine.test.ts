// The ceremony machine with its actors swapped by machine.provide(): which actors run in which order for a
// given start, and which end state each kind of error leads to. No HSM, no journal: the runner's decisions
// (where to start, whether a failure is undecided) arrive as the machine's input.
import { describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import { OfficiantError } from '../../../src/errors.js';
import { createCeremonyMachine, runCeremonyMachine, type MachineInput } from '../../../src/engine/machine.js';
import type { FailureDecision } from '../../../src/engine/ports.js';
import { Script, STEP_KINDS } from '../../../src/script/schema.js';

const confirm = (id: string, on_failure: 'retry' | 'abort' = 'retry') => ({
  id,
  kind: 'manual.confirm',
  title: `Step ${id}`,
  instructions: 'Do it.',
  perform: 'admin',
  on_failure,
  params: { confirm_by: 'admin' },
});

const script = Script.parse({
  id: 'machine-test',
  title: 'Machine test',
  version: 1,
  authority: 'release',
  roles: { admin: { title: 'Administrator', people: 1 } },
  steps: [confirm('one'), confirm('two'), confirm('three')],
});

const by = { name: 'alice', role: 'admin' };

/**
 * Fake actors: each step either succeeds or throws the next error queued for its index; decisions come from a
 * queue; every call is logged as `step:i`, `decide:i`, `complete`, `abort`.
 */
function harness(opts: { failures?: Record<number, unknown[]>; decisions?: Array<FailureDecision['action']>; completeError?: unknown } = {}) {
  const log: string[] = [];
  const failures = Object.fromEntries(Object.entries(opts.failures ?? {}).map(([k, v]) => [k, [...v]]));
  const decisions = [...(opts.decisions ?? [])];
  const machine = createCeremonyMachine(script, STEP_KINDS).provide({
    actors: {
      'manual.confirm': fromPromise<void, { index: number }>(async ({ input }) => {
        log.push(`step:${input.index}`);
        const err = failures[input.index]?.shift();
        if (err !== undefined) throw err;
      }),
      decideFailure: fromPromise<FailureDecision, { index: number }>(async ({ input }) => {
        log.push(`decide:${input.index}`);
        const action = decisions.shift();
        if (!action) throw new Error('no decision queued');
        return { action, reason: `${action} by test`, by };
      }),
      completeCeremony: fromPromise<void, object>(async () => {
        log.push('complete');
        if (opts.completeError !== undefined) throw opts.completeError;
      }),
      abortCeremony: fromPromise<void, object>(async () => {
        log.push('abort');
      }),
    },
  });
  return { log, run: (input: MachineInput = { startAt: 0, undecided: false }) => runCeremonyMachine(machine, input) };
}

const stepFailed = () => new OfficiantError('ceremony.step-failed', 'alice refused to sign off');

describe('ceremony machine', () => {
  it('runs three steps in order, then closes: done', async () => {
    const h = harness();
    expect(await h.run()).toEqual({ state: 'done', error: undefined });
    expect(h.log).toEqual(['step:0', 'step:1', 'step:2', 'complete']);
  });

  it('a failed step with retry chosen runs again, then the ceremony goes on', async () => {
    const h = harness({ failures: { 1: [stepFailed()] }, decisions: ['retry'] });
    expect((await h.run()).state).toBe('done');
    expect(h.log).toEqual(['step:0', 'step:1', 'decide:1', 'step:1', 'step:2', 'complete']);
  });

  it('a failed step may be retried more than once', async () => {
    const h = harness({ failures: { 0: [stepFailed(), stepFailed()] }, decisions: ['retry', 'retry'] });
    expect((await h.run()).state).toBe('done');
    expect(h.log).toEqual(['step:0', 'decide:0', 'step:0', 'decide:0', 'step:0', 'step:1', 'step:2', 'complete']);
  });

  it('abort chosen: the ceremony is aborted and no later step runs', async () => {
    const h = harness({ failures: { 1: [stepFailed()] }, decisions: ['abort'] });
    expect(await h.run()).toEqual({ state: 'aborted', error: undefined });
    expect(h.log).toEqual(['step:0', 'step:1', 'decide:1', 'abort']);
  });

  it('an operator pause ends in paused with its error, without a failure decision', async () => {
    const pause = new OfficiantError('interrupt.paused', 'paused by the operator');
    const h = harness({ failures: { 1: [pause] } });
    const end = await h.run();
    expect(end.state).toBe('paused');
    expect(end.error).toBe(pause);
    expect(h.log).toEqual(['step:0', 'step:1']);
  });

  it.each([
    ['input.missing-answer', new OfficiantError('input.missing-answer', 'no answer for bob')],
    ['env.hsm', new OfficiantError('env.hsm', 'module not found')],
    ['ceremony.journal-corrupt', new OfficiantError('ceremony.journal-corrupt', 'journal line 3: bad hash')],
    ['an error that is not an OfficiantError', new TypeError('x is undefined')],
  ])('%s halts the run with its error, without a failure decision', async (_, err) => {
    const h = harness({ failures: { 2: [err] } });
    const end = await h.run();
    expect(end.state).toBe('halted');
    expect(end.error).toBe(err);
    expect(h.log).toEqual(['step:0', 'step:1', 'step:2']);
  });

  it.each([
    ['ceremony.step-failed', stepFailed()],
    ['hsm.pin-incorrect', new OfficiantError('hsm.pin-incorrect', 'PIN incorrect (2 tries left)')],
  ])('%s is a step failure: it goes to the failure decision', async (_, err) => {
    const h = harness({ failures: { 0: [err] }, decisions: ['abort'] });
    expect((await h.run()).state).toBe('aborted');
    expect(h.log).toEqual(['step:0', 'decide:0', 'abort']);
  });

  it('starts at the step it is given', async () => {
    const h = harness();
    expect((await h.run({ startAt: 2, undecided: false })).state).toBe('done');
    expect(h.log).toEqual(['step:2', 'complete']);
  });

  it('starting past the last step goes straight to closing', async () => {
    const h = harness();
    expect((await h.run({ startAt: 3, undecided: false })).state).toBe('done');
    expect(h.log).toEqual(['complete']);
  });

  it('starting at an undecided failure asks for the decision before running the step again', async () => {
    const h = harness({ decisions: ['retry'] });
    expect((await h.run({ startAt: 1, undecided: true })).state).toBe('done');
    expect(h.log).toEqual(['decide:1', 'step:1', 'step:2', 'complete']);
  });

  it('starting at an undecided failure and aborting never runs the step', async () => {
    const h = harness({ decisions: ['abort'] });
    expect((await h.run({ startAt: 1, undecided: true })).state).toBe('aborted');
    expect(h.log).toEqual(['decide:1', 'abort']);
  });

  it('a pause while closing ends in paused; any other error while closing halts', async () => {
    const pause = new OfficiantError('interrupt.paused', 'paused by the operator');
    const paused = harness({ completeError: pause });
    expect(await paused.run()).toEqual({ state: 'paused', error: pause });
    const failure = stepFailed();
    const halted = harness({ completeError: failure });
    expect(await halted.run()).toEqual({ state: 'halted', error: failure });
  });

  it('an error in the failure decision halts (there is no decision about a decision)', async () => {
    const h = harness({ failures: { 0: [stepFailed()] }, decisions: [] });
    const end = await h.run();
    expect(end.state).toBe('halted');
    expect((end.error as Error).message).toBe('no decision queued');
  });
});
