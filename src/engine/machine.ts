// The ceremony as an xstate machine: the states come from compileScript() (plain data); here they get named
// implementations. Each step kind is an actor of that name (all of them run a step by its index), plus
// decideFailure, completeCeremony and abortCeremony; guards route the start and sort failures (a pause
// request ends in `paused`, input/environment errors in `halted`, anything else goes to the failure
// decision). Tests swap the actors with machine.provide({ actors }). The machine holds no memory of what
// happened: a restored snapshot would restart an invocation, so the runner starts it fresh at the step the
// journal says is next, and the journal decides whether an effect already happened.
import { assign, createActor, fromPromise, setup, toPromise, type PromiseActorLogic } from 'xstate';
import { isOfficiantError } from '../errors.js';
import { compileScript } from '../script/compile.js';
import type { Script, StepKind } from '../script/schema.js';
import { isHalting } from './failure.js';
import type { FailureDecision } from './ports.js';

export interface MachineInput {
  /** Index of the step to start at (the script's length: start at closing). */
  startAt: number;
  /** The start step's failure is journaled but not decided: start at its decision, not at the step. */
  undecided: boolean;
}

export interface MachineContext extends MachineInput {
  /** The error that ended the run in `paused` or `halted`. */
  error?: unknown;
}

/** What the machine's actors do; the runner implements it over a Ceremony. */
export interface CeremonyActions {
  runStep(index: number): Promise<void>;
  decideFailure(index: number): Promise<FailureDecision>;
  completeCeremony(): Promise<void>;
  abortCeremony(): Promise<void>;
}

export type EndState = 'done' | 'aborted' | 'paused' | 'halted';

const notProvided: CeremonyActions = {
  runStep: () => Promise.reject(new Error('runStep not provided')),
  decideFailure: () => Promise.reject(new Error('decideFailure not provided')),
  completeCeremony: () => Promise.reject(new Error('completeCeremony not provided')),
  abortCeremony: () => Promise.reject(new Error('abortCeremony not provided')),
};

type StepInput = { index: number };

export function createCeremonyMachine(script: Script, kinds: readonly StepKind[], actions: CeremonyActions = notProvided) {
  const stepActors = Object.fromEntries(kinds.map((kind) => [kind, fromPromise<void, StepInput>(({ input }) => actions.runStep(input.index))])) as Record<
    StepKind,
    PromiseActorLogic<void, StepInput>
  >;
  const compiled = compileScript(script);
  const states = {
    ...compiled.states,
    paused: { type: 'final', entry: 'keepError' },
    halted: { type: 'final', entry: 'keepError' },
  };
  return setup({
    types: { input: {} as MachineInput, context: {} as MachineContext },
    actors: {
      ...stepActors,
      decideFailure: fromPromise<FailureDecision, StepInput>(({ input }) => actions.decideFailure(input.index)),
      completeCeremony: fromPromise<void, object>(() => actions.completeCeremony()),
      abortCeremony: fromPromise<void, object>(() => actions.abortCeremony()),
    },
    actions: {
      keepError: assign({ error: ({ event }) => (event as { error?: unknown }).error }),
    },
    guards: {
      startsAt: ({ context }, params: { index: number }) => context.startAt === params.index && !context.undecided,
      startsAtFailure: ({ context }, params: { index: number }) => context.startAt === params.index && context.undecided,
      interrupted: ({ event }) => isOfficiantError((event as { error?: unknown }).error, 'interrupt.paused'),
      halted: ({ event }) => isHalting((event as { error?: unknown }).error),
      retryChosen: ({ event }) => (event as unknown as { output: FailureDecision }).output.action === 'retry',
    },
  }).createMachine({ ...compiled, states, context: ({ input }: { input: MachineInput }) => ({ ...input }) } as never);
}

export type CeremonyMachine = ReturnType<typeof createCeremonyMachine>;

/** Runs the machine to a final state; the error that ended a paused or halted run comes with it. */
export async function runCeremonyMachine(machine: CeremonyMachine, input: MachineInput): Promise<{ state: EndState; error?: unknown }> {
  const actor = createActor(machine, { input });
  const finished = toPromise(actor);
  actor.start();
  await finished;
  const snapshot = actor.getSnapshot();
  return { state: String(snapshot.value) as EndState, error: (snapshot.context as MachineContext).error };
}
