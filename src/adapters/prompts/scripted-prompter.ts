// ScriptedPrompter: the Prompter for non-interactive runs. It answers from an Answers object (an answers file
// or a rehearsal's simulated people) and narrates each turn to `out`. A missing answer is an input error that
// names what is missing; secrets are handed out as fresh Secret copies and never printed.
import { OfficiantError } from '../../errors.js';
import { secretFromString } from '../../custody/secret.js';
import type { DeviceChoice, FailureDecision, Person, Prompter, Secret, Turn } from '../../engine/ports.js';
import type { Answers } from '../../inputs/answers.js';

export class ScriptedPrompter implements Prompter {
  readonly interactive = false;

  constructor(
    private readonly answers: Answers,
    private readonly out: (line: string) => void,
  ) {}

  announce(turn: Turn): void {
    const who = turn.perform.length === 0 ? '(people check in now)' : turn.perform.map((p) => p.name).join(', ');
    this.out(`[step ${turn.index} of ${turn.total}] ${turn.title} — performed by ${who}`);
  }

  async checkIn(role: { id: string; title: string }, count: number): Promise<string[]> {
    const names = this.answers.people[role.id] ?? [];
    if (names.length < count) {
      throw new OfficiantError('input.missing-answer', `answers: people.${role.id} lists ${names.length} of ${count} ${role.title} names`);
    }
    return names.slice(0, count);
  }

  async record(person: Person, field: { stepId: string; id: string; label: string }): Promise<string> {
    const value = this.answers.records[field.stepId]?.[field.id];
    if (value === undefined) throw new OfficiantError('input.missing-answer', `answers: no records.${field.stepId}.${field.id} (${field.label})`);
    this.out(`  ${person.name} records ${field.label}: ${value}`);
    return value;
  }

  async confirm(person: Person, question: string, context: { stepId: string }): Promise<boolean> {
    const c = this.answers.confirm;
    const yes = typeof c === 'boolean' ? c : (c[context.stepId] ?? true);
    this.out(`  ${person.name}: ${question} ${yes ? 'yes' : 'no'}`);
    return yes;
  }

  async secret(person: Person, purpose: { stepId: string; id: string; label: string }): Promise<Secret> {
    const value = this.answers.secrets[person.name]?.[purpose.id];
    if (value === undefined) {
      throw new OfficiantError('input.missing-answer', `answers: no secrets["${person.name}"].${purpose.id} (${purpose.label})`);
    }
    this.out(`  ${person.name} enters ${purpose.label} (hidden)`);
    return secretFromString(value);
  }

  async chooseDevice(pick: { stepId: string; id: string; message: string; suggested?: string }, devices: DeviceChoice[]): Promise<string> {
    const serial = this.answers.devices[pick.stepId]?.[pick.id] ?? pick.suggested;
    if (serial === undefined) throw new OfficiantError('input.missing-answer', `answers: no devices.${pick.stepId}.${pick.id} (${pick.message})`);
    const d = devices.find((x) => x.serial === serial);
    this.out(`  ${pick.message}: device ${serial}${d ? ` (${d.model}${d.owner ? `, ${d.owner}` : ''})` : ' (not inserted)'}`);
    return serial;
  }

  async onFailure(stepId: string, message: string, decider: Person, allowRetry: boolean, earlier: number): Promise<FailureDecision> {
    // The journal counts the decisions already taken, so a resumed run continues the list, never replays it.
    const d = (this.answers.failures[stepId] ?? [])[earlier];
    // An abort-only step needs no decision: saying one was missing would send people looking for an answer.
    if (!d) return { action: 'abort', reason: allowRetry ? `no decision in the answers file for failure: ${message}` : `the script aborts when this step fails: ${message}`, by: decider };
    if (d.action === 'retry' && !allowRetry) return { action: 'abort', reason: `the script does not allow retrying this step (${d.reason})`, by: decider };
    this.out(`  ${decider.name} decides to ${d.action}: ${d.reason}`);
    return { action: d.action, reason: d.reason, by: decider };
  }

  say(line: string): void {
    this.out(line);
  }
}
