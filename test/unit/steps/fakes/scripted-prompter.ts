// A Prompter for unit tests that answers from a table and records what it was asked, so tests assert who was
// asked what. A question without an answer fails the test with the key it looked for (no silent defaults except
// confirm, which says yes unless told otherwise, as an answers file does).
import { secretFromString } from '../../../../src/custody/secret.js';
import type { DeviceChoice, FailureDecision, Person, Prompter, Secret, Turn } from '../../../../src/engine/ports.js';

export interface Answers {
  /** Names typed per role id. */
  people?: Record<string, string[]>;
  /** Values typed, by "<stepId>.<field id>". */
  records?: Record<string, string>;
  /** Answers by "<stepId>" (the context stepId) or by a question fragment; default yes. */
  confirm?: Array<[match: string, answer: boolean]>;
  /** Secrets by "<person name>.<purpose id>"; a list gives successive entries (a person re-entering a slip). */
  secrets?: Record<string, string | string[]>;
  /** Devices by "<stepId>.<pick id>"; default: the suggested device. A list gives successive picks. */
  devices?: Record<string, string | string[]>;
  /**
   * As a person at the keyboard: a typed name the step calls taken is refused and the next name of the role's
   * list is typed instead (the refusals are kept in `refusedNames`).
   */
  interactive?: boolean;
}

export interface Asked {
  kind: 'checkIn' | 'record' | 'confirm' | 'secret' | 'chooseDevice';
  person?: string;
  what: string;
}

export class TablePrompter implements Prompter {
  readonly interactive: boolean;
  readonly said: string[] = [];
  readonly refusedNames: string[] = [];
  private readonly turns = new Map<string, number>();
  readonly asked: Asked[] = [];
  readonly offered: DeviceChoice[][] = [];

  constructor(private readonly answers: Answers = {}) {
    this.interactive = answers.interactive === true;
  }

  /** The next of successive answers under a key (the last one repeats). */
  private next(key: string, value: string | string[] | undefined): string | undefined {
    if (!Array.isArray(value)) return value;
    const n = this.turns.get(key) ?? 0;
    this.turns.set(key, n + 1);
    return value[Math.min(n, value.length - 1)];
  }

  announce(_turn: Turn): void {}

  async checkIn(role: { id: string; title: string }, count: number, taken?: (name: string) => string | undefined): Promise<string[]> {
    this.asked.push({ kind: 'checkIn', what: role.id });
    const names = this.answers.people?.[role.id];
    if (!names) throw new Error(`test prompter: no people for role ${role.id} (${count} needed)`);
    if (!this.interactive || !taken) return names;
    const kept: string[] = [];
    for (const name of names) {
      const problem = taken(name.trim());
      if (problem !== undefined) this.refusedNames.push(problem);
      else if (kept.length < count) kept.push(name);
    }
    return kept;
  }

  async record(person: Person, field: { stepId: string; id: string; label: string }): Promise<string> {
    const key = `${field.stepId}.${field.id}`;
    this.asked.push({ kind: 'record', person: person.name, what: key });
    const value = this.answers.records?.[key];
    if (value === undefined) throw new Error(`test prompter: no record ${key}`);
    return value;
  }

  async confirm(person: Person, question: string, context: { stepId: string }): Promise<boolean> {
    this.asked.push({ kind: 'confirm', person: person.name, what: question });
    const hit = this.answers.confirm?.find(([m]) => m === context.stepId || question.includes(m));
    return hit ? hit[1] : true;
  }

  async secret(person: Person, purpose: { stepId: string; id: string; label: string }): Promise<Secret> {
    const key = `${person.name}.${purpose.id}`;
    this.asked.push({ kind: 'secret', person: person.name, what: key });
    const value = this.next(`secret:${key}`, this.answers.secrets?.[key]);
    if (value === undefined) throw new Error(`test prompter: no secret ${key}`);
    return secretFromString(value);
  }

  async chooseDevice(pick: { stepId: string; id: string; message: string; suggested?: string }, devices: DeviceChoice[]): Promise<string> {
    const key = `${pick.stepId}.${pick.id}`;
    this.asked.push({ kind: 'chooseDevice', what: key });
    this.offered.push(devices);
    const serial = this.next(`device:${key}`, this.answers.devices?.[key]) ?? pick.suggested;
    if (serial === undefined) throw new Error(`test prompter: no device ${key}`);
    return serial;
  }

  async onFailure(): Promise<FailureDecision> {
    throw new Error('test prompter: onFailure is the runner\'s, not a step kind\'s');
  }

  say(line: string): void {
    this.said.push(line);
  }
}
