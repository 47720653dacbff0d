// Who answers the ceremony's questions: people at the keyboard (inquirer), or an answers file (scripted).
import { ScriptedPrompter } from '../../adapters/prompts/scripted-prompter.js';
import type { Prompter } from '../../engine/ports.js';
import { OfficiantError } from '../../errors.js';
import { missingAnswers, parseAnswers } from '../../inputs/answers.js';
import { usesPiv } from '../../inputs/script.js';
import type { Script } from '../../script/schema.js';
import { readInput } from './input-files.js';

type Print = (l: string) => void;

/** With an answers file, also what it lacks for the script (recorded by pre-flight, before the HSM is touched). */
export async function prompterFor(script: Script, answersFile: string | undefined, print: Print): Promise<{ prompter: Prompter; problems: string[] }> {
  if (answersFile) {
    // An answers file would let one operator type every officer's PIN and approval: officers' tokens are used
    // by the officers at the keyboard, in person. Rehearsals automate them on simulated tokens instead.
    if (usesPiv(script)) {
      throw new OfficiantError('input.answers-invalid', `${script.id} uses officers' PIV tokens (check-in, approvals or enrollment): officers type their own PINs and approvals, so it runs only at the keyboard; use officiant rehearse to automate it on simulated tokens`);
    }
    const { answers, warnings } = parseAnswers(answersFile, readInput(answersFile, 'answers file'));
    for (const w of warnings) print(`warning: ${w}`);
    return { prompter: new ScriptedPrompter(answers, print), problems: missingAnswers(script, answers) };
  }
  return { prompter: await keyboardPrompter(script), problems: [] };
}

/** People at the keyboard. inquirer is loaded only here: runs from answers, rehearsals and resumes without a terminal never load it. */
export async function keyboardPrompter(script: Script): Promise<Prompter> {
  if (!process.stdin.isTTY) {
    throw new OfficiantError('input.missing-answer', 'standard input is not a terminal: give --answers <file> for a non-interactive run');
  }
  const { InquirerPrompter } = await import('../../adapters/prompts/inquirer-prompter.js');
  return new InquirerPrompter((l) => process.stdout.write(`${l}\n`), (r) => script.roles[r]?.title ?? r);
}

export function scriptedPrompter(answers: ConstructorParameters<typeof ScriptedPrompter>[0], print: Print): Prompter {
  return new ScriptedPrompter(answers, print);
}
