// InquirerPrompter: the interactive Prompter, and the only module that imports inquirer. It says whose turn
// it is, shows the instructions, masks every secret (asked twice where the script wants a confirmation) and
// turns Ctrl-C at a prompt into a clean pause (interrupt.paused), never a stack trace.
import { wrapped } from '../../evidence/pdf/format.js';
import { confirm, input, password, select } from '@inquirer/prompts';
import { OfficiantError } from '../../errors.js';
import { secretFromString } from '../../custody/secret.js';
import type { DeviceChoice, FailureDecision, Person, Prompter, Secret, Turn } from '../../engine/ports.js';
import { TypedSecrets } from './typed-secrets.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

const IN_CLEAR = 'Not a PIN prompt: what you type next is recorded in clear, on the evidence.';
const LOOKS_LIKE_A_PIN = 'this holds a PIN typed a moment ago: never type a PIN here (it would be recorded in clear)';

async function ask<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OfficiantError) throw err;
    if ((err as Error)?.name === 'ExitPromptError' || (err as Error)?.name === 'AbortPromptError') {
      throw new OfficiantError('interrupt.paused', 'paused by the operator at a prompt');
    }
    throw err;
  }
}

export class InquirerPrompter implements Prompter {
  readonly interactive = true;
  private readonly typed = new TypedSecrets();
  /** A secret was the last thing asked: the next free-text prompt gets a heading saying it is not one. */
  private afterSecret = false;

  constructor(
    private readonly out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
    private readonly roleTitle: (role: string) => string = (r) => r,
  ) {}

  announce(turn: Turn): void {
    const who = (ps: Person[]) => (ps.length === 0 ? '(nobody checked in yet)' : ps.map((p) => p.name).join(', '));
    this.out('');
    this.out(bold(`── Step ${turn.index} of ${turn.total}: ${turn.title} ──`));
    this.out(`Performed by: ${who(turn.perform)}${turn.witness.length > 0 ? `   Witnessed by: ${who(turn.witness)}` : ''}`);
    this.out('');
    // Paragraphs as the script means them, wrapped to the terminal (the script's own line breaks are for its file).
    const width = Math.max(40, Math.min(100, (process.stdout.columns ?? 100) - 4));
    for (const line of wrapped(turn.instructions, width)) this.out(line === '' ? '' : `  ${line}`);
    this.out('');
  }

  /** After a PIN prompt, a heading before free text: nobody types a PIN half into a field recorded in clear. */
  private clearTextFollows(): void {
    if (!this.afterSecret) return;
    this.afterSecret = false;
    this.out('');
    this.out(bold(`── ${IN_CLEAR} ──`));
  }

  /**
   * A free-text answer's validation, refusing one that holds a secret typed in this session. A third refusal
   * pauses the ceremony (journaled): a person who slipped is stopped once; someone probing for another's half
   * through the refusals gets no further.
   */
  private refusals = 0;
  private probing?: AbortController;
  private inClear(check: (v: string) => string | true): (v: string) => string | true {
    return (v) => {
      if (!this.typed.within(v)) return check(v);
      if (++this.refusals >= 3) this.probing?.abort();
      return LOOKS_LIKE_A_PIN;
    };
  }

  /** A free-text prompt: refused PIN-like answers counted, the third one ends it as a pause. */
  private async text(config: Parameters<typeof input>[0]): Promise<string> {
    this.probing = new AbortController();
    try {
      return await input(config, { signal: this.probing.signal });
    } catch (err) {
      if (this.refusals >= 3 && (err as Error)?.name === 'AbortPromptError') throw new OfficiantError('interrupt.paused', 'paused: an answer holding a PIN typed earlier was refused three times; nothing of it was recorded');
      throw err;
    }
  }

  async checkIn(role: { id: string; title: string }, count: number, taken?: (name: string) => string | undefined): Promise<string[]> {
    this.clearTextFollows();
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = await ask(() =>
        this.text({
          message: `${role.title}${count > 1 ? ` ${i + 1} of ${count}` : ''}: full name`,
          validate: this.inClear((v) => (v.trim() === '' ? 'a name is required' : names.some((n) => n.toLowerCase() === v.trim().toLowerCase()) ? `${v.trim()} is already checked in` : (taken?.(v.trim()) ?? true))),
        }),
      );
      names.push(name.trim());
    }
    return names;
  }

  async record(person: Person, field: { label: string; pattern?: string; example?: string }): Promise<string> {
    const re = field.pattern === undefined ? undefined : new RegExp(`^(?:${field.pattern})$`);
    this.clearTextFollows();
    return ask(() =>
      this.text({
        message: `${person.name}, type ${field.label}${field.example !== undefined ? ` (e.g. ${field.example})` : ''}:`,
        validate: this.inClear((v) => (v.trim() === '' ? 'a value is required' : re && !re.test(v.trim()) ? (field.example !== undefined ? `expected the form of ${field.example}` : `expected the form /${field.pattern}/`) : true)),
      }),
    );
  }

  async confirm(person: Person, question: string): Promise<boolean> {
    return ask(() => confirm({ message: `${person.name} (${this.roleTitle(person.role)}): ${question}`, default: false }));
  }

  async secret(person: Person, purpose: { label: string; minLength: number; repeat: boolean }): Promise<Secret> {
    this.out(`  ${bold(person.name)}, please take the keyboard. Others look away.`);
    for (;;) {
      const first = await ask(() =>
        password({
          message: `${person.name}, enter your ${purpose.label}:`,
          mask: '*',
          // Never offer to reveal a PIN on a screen the witnesses can see.
          toggleMask: false,
          validate: (v) => (v.length < purpose.minLength ? `at least ${purpose.minLength} characters` : true),
        }),
      );
      this.typed.remember(first);
      this.afterSecret = true;
      if (!purpose.repeat) return secretFromString(first);
      const again = await ask(() => password({ message: `${person.name}, enter it again:`, mask: '*', toggleMask: false }));
      if (again === first) return secretFromString(first);
      this.typed.remember(again);
      this.out('  The two entries differ. Please enter it again.');
    }
  }

  async chooseDevice(pick: { message: string; suggested?: string }, devices: DeviceChoice[]): Promise<string> {
    if (devices.length === 0) throw new OfficiantError('env.piv-absent', 'no PIV token is inserted');
    return ask(() =>
      select<string>({
        message: `${pick.message} — insert your token and pick it:`,
        default: pick.suggested,
        choices: devices.map((d) => ({ name: `device ${d.serial} · ${d.model}${d.owner ? ` · ${d.owner}` : ''}`, value: d.serial })),
      }),
    );
  }

  async onFailure(_stepId: string, message: string, decider: Person, allowRetry: boolean): Promise<FailureDecision> {
    this.afterSecret = false;
    this.out('');
    this.out(bold('── The step failed: a decision ──'));
    this.out(`  ${decider.name} decides. ${IN_CLEAR}`);
    const action = allowRetry
      ? await ask(() =>
          select<'retry' | 'abort'>({
            message: `${decider.name}, retry the step or abort the ceremony?`,
            choices: [
              { name: 'Retry (the reason is recorded as a deviation)', value: 'retry' },
              { name: 'Abort the ceremony', value: 'abort' },
            ],
          }),
        )
      : 'abort';
    const reason = await ask(() =>
      this.text({ message: `${decider.name}, reason for the ${action === 'retry' ? 'retry' : 'abort'} (recorded in clear):`, validate: this.inClear((v) => (v.trim().length < 5 ? 'please state a reason' : true)) }),
    );
    return { action, reason: reason.trim(), by: decider };
  }

  say(line: string): void {
    this.out(line);
  }
}
