// Script -> xstate machine configuration, as plain data. Each step becomes a state that invokes the actor
// named after the step kind; a failed step goes to a state that invokes `decideFailure` (retry with a reason,
// or abort). Actors and guards are only named here; the runner provides them (and tests swap them with
// machine.provide()). The machine starts at `route`, which jumps to the first step the journal has not
// completed, or to its failure decision when a failure was journaled but not decided: the journal, not a
// persisted xstate snapshot, is the truth about what already happened.
import type { Script } from './schema.js';

export interface CompiledCeremony {
  id: string;
  initial: 'route';
  states: Record<string, unknown>;
}

export const stepState = (i: number) => `step-${i + 1}`;
const failedState = (i: number) => `failed-${i + 1}`;

export function compileScript(script: Script): CompiledCeremony {
  const n = script.steps.length;
  const states: Record<string, unknown> = {
    route: {
      always: [
        ...script.steps.map((_, i) => ({ guard: { type: 'startsAt', params: { index: i } }, target: stepState(i) })),
        ...script.steps.map((_, i) => ({ guard: { type: 'startsAtFailure', params: { index: i } }, target: failedState(i) })),
        { target: 'closing' },
      ],
    },
  };
  const onError = (target: string) => [
    { guard: 'interrupted', target: 'paused' },
    { guard: 'halted', target: 'halted' },
    { target },
  ];
  script.steps.forEach((step, i) => {
    const next = i + 1 < n ? stepState(i + 1) : 'closing';
    states[stepState(i)] = {
      meta: { stepId: step.id, kind: step.kind },
      invoke: { src: step.kind, input: { index: i }, onDone: next, onError: onError(failedState(i)) },
    };
    states[failedState(i)] = {
      meta: { stepId: step.id },
      invoke: {
        src: 'decideFailure',
        input: { index: i },
        onDone: [{ guard: 'retryChosen', target: stepState(i) }, { target: 'aborting' }],
        onError: onError('halted'),
      },
    };
  });
  states.closing = { invoke: { src: 'completeCeremony', input: {}, onDone: 'done', onError: onError('halted') } };
  states.aborting = { invoke: { src: 'abortCeremony', input: {}, onDone: 'aborted', onError: onError('halted') } };
  states.done = { type: 'final' };
  states.aborted = { type: 'final' };
  states.paused = { type: 'final' };
  states.halted = { type: 'final' };
  return { id: script.id, initial: 'route', states };
}
