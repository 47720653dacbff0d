// officiant run | rehearse | resume: compose the adapters and run the ceremony engine.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isOfficiantError, OfficiantError } from '../../errors.js';
import { ceremonyMode, resumeCeremony, startCeremony, SCRIPT_COPY, type RunResult } from '../../engine/runner.js';
import { parseJournal } from '../../engine/journal.js';
import { enableFailpoints } from '../../failpoints.js';
import type { Prompter } from '../../engine/ports.js';
import type { HsmSite } from '../../steps/step.types.js';
import { missingAnswers, parseAnswers, type Answers } from '../../adapters/prompts/answers.js';
import { InquirerPrompter } from '../../adapters/prompts/inquirer-prompter.js';
import { ScriptedPrompter } from '../../adapters/prompts/scripted-prompter.js';
import { simulatePeople } from '../../adapters/prompts/rehearsal-people.js';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../../adapters/pkcs11/softhsm-sandbox.js';
import { parseScript } from '../../script/rules.js';
import type { Script } from '../../script/schema.js';
import { ceremonyDeps, checkTemplates, defaultOut, loadScript, pauseOnSigint, readInput, resolveSite, summary, type SiteFlags } from '../compose.js';

type Print = (l: string) => void;

const SITE_COPY = 'site.json';
const REHEARSAL_POINTER = 'rehearsal.json';

function exitFor(result: RunResult): number {
  return result.outcome === 'done' ? 0 : result.outcome === 'aborted' ? 1 : 130;
}

function prompterFor(script: Script, answersFile: string | undefined, print: Print): { prompter: Prompter; problems: string[] } {
  if (answersFile) {
    const { answers, warnings } = parseAnswers(answersFile, readInput(answersFile, 'answers file'));
    for (const w of warnings) print(`warning: ${w}`);
    return { prompter: new ScriptedPrompter(answers, print), problems: missingAnswers(script, answers) };
  }
  if (!process.stdin.isTTY) {
    throw new OfficiantError('input.missing-answer', 'standard input is not a terminal: give --answers <file> for a non-interactive run');
  }
  return { prompter: new InquirerPrompter((l) => process.stdout.write(`${l}\n`), (r) => script.roles[r]?.title ?? r), problems: [] };
}

async function execute(run: (bind: (c: { requestPause(): void }) => void) => Promise<RunResult>, out: string, print: Print): Promise<number> {
  const sigint = pauseOnSigint();
  try {
    const result = await run(sigint.bind);
    summary(result, out, print);
    return exitFor(result);
  } catch (err) {
    if (existsSync(join(out, 'journal.jsonl')) && isOfficiantError(err) && (err.code === 'interrupt.paused' || err.code.startsWith('input.missing') || err.code.startsWith('env.'))) {
      print(`Paused; what is recorded is kept. To continue: officiant resume ${resolve(out)}`);
    }
    throw err;
  } finally {
    sigint.release();
  }
}

function readJson<T>(path: string, what: string): T {
  const text = readInput(path, what);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new OfficiantError('input.not-a-ceremony', `${path}: the ${what} is not valid JSON`);
  }
}

function siteJson(site: HsmSite | undefined): string {
  return `${JSON.stringify(site ?? null, null, 2)}\n`;
}

export async function runCommand(file: string, opts: SiteFlags & { out?: string; answers?: string }, print: Print): Promise<number> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  const site = resolveSite(script, opts);
  await checkTemplates();
  const { prompter, problems } = prompterFor(script, opts.answers, print);
  const out = opts.out ?? defaultOut(script);
  const deps = ceremonyDeps({ script, text, site, rehearsal: false, prompter, out });
  print(`Ceremony: ${script.title} (${script.id} v${script.version}) → ${resolve(out)}`);
  return execute((bind) => startCeremony(deps, { scriptFile: file, extraFiles: { [SITE_COPY]: siteJson(site) }, extra: { answers: problems }, onCeremony: bind }), out, print);
}

export async function rehearseCommand(file: string, opts: { out?: string }, print: Print): Promise<number> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  await checkTemplates();
  const out = opts.out ?? defaultOut(script);
  if (existsSync(join(out, 'journal.jsonl'))) {
    throw new OfficiantError('input.out-dir-used', `${resolve(out)} already holds a ceremony journal; resume it with \`officiant resume ${out}\` or choose another --out`);
  }
  enableFailpoints();
  const sandbox = SoftHsmSandbox.create(out);
  sandbox.activate();
  const people = simulatePeople(script);
  sandbox.savePeople(people);
  const site: HsmSite | undefined = script.site.hsm ? { profile: script.site.hsm, module: SOFTHSM_MODULE, tokenLabel: `rehearsal-${script.site.hsm}`.slice(0, 32) } : undefined;
  const deps = ceremonyDeps({ script, text, site, rehearsal: true, prompter: new ScriptedPrompter(people, print), out });
  print(`Rehearsal: ${script.title} (${script.id} v${script.version}) → ${resolve(out)}`);
  print(`Sandbox HSM: ${sandbox.dir} (throwaway SoftHSM; simulated people and their PINs stay there)`);
  let started = false;
  return execute(
    async (bind) => {
      try {
        return await startCeremony(deps, {
          scriptFile: file,
          extraFiles: { [SITE_COPY]: siteJson(site), [REHEARSAL_POINTER]: `${JSON.stringify({ sandbox: sandbox.dir }, null, 2)}\n` },
          onCeremony: (c) => {
            started = true;
            bind(c);
          },
        });
      } catch (err) {
        if (!started) sandbox.remove();
        throw err;
      }
    },
    out,
    print,
  );
}

export async function resumeCommand(outDir: string, opts: { answers?: string }, print: Print): Promise<number> {
  const out = resolve(outDir);
  if (!existsSync(join(out, 'journal.jsonl')) || statSync(join(out, 'journal.jsonl')).size === 0) {
    const why = existsSync(join(out, SCRIPT_COPY)) ? ' (it stopped before its first journal entry: delete it and start again)' : '';
    throw new OfficiantError('input.not-a-ceremony', `${out} holds no ceremony journal${why}`);
  }
  const text = readInput(join(out, SCRIPT_COPY), 'script copy');
  const check = parseScript(join(out, SCRIPT_COPY), text);
  if (!check.script) throw new OfficiantError('input.script-invalid', `${join(out, SCRIPT_COPY)} no longer parses`);
  const script = check.script;
  const siteCopy = readJson<HsmSite | null>(join(out, SITE_COPY), 'site copy');
  await checkTemplates();
  // The journal, not the files around it, says whether this is a rehearsal and which module gets the PINs:
  // site.json is only a copy, and a changed copy (another module path) is refused before anyone types a PIN.
  const entries = parseJournal(readInput(join(out, 'journal.jsonl'), 'journal')).entries;
  const mode = ceremonyMode(entries);
  const recorded = (entries[0]?.data.site ?? null) as (Omit<HsmSite, 'slot'> & { slot: number | null }) | null;
  const site: HsmSite | null = recorded ? { ...recorded, slot: recorded.slot ?? undefined } : null;
  const normal = (x: HsmSite | null) => JSON.stringify(x ? { profile: x.profile, module: x.module, tokenLabel: x.tokenLabel, slot: x.slot ?? null } : null);
  if (normal(site) !== normal(siteCopy)) {
    throw new OfficiantError('input.site-invalid', `${join(out, SITE_COPY)} differs from the site recorded when the ceremony started; refusing to load a module it names`);
  }
  let prompter: Prompter;
  const rehearsal = mode === 'rehearsal';
  if (rehearsal) {
    if (!existsSync(join(out, REHEARSAL_POINTER))) throw new OfficiantError('env.sandbox-missing', `${out} is a rehearsal but ${REHEARSAL_POINTER} (where its sandbox is) is missing`);
    const { sandbox: dir } = readJson<{ sandbox: string }>(join(out, REHEARSAL_POINTER), 'rehearsal pointer');
    const sandbox = SoftHsmSandbox.open(dir);
    sandbox.activate();
    enableFailpoints();
    prompter = new ScriptedPrompter(sandbox.loadPeople<Answers>(), print);
  } else {
    prompter = prompterFor(script, opts.answers, print).prompter;
  }
  const deps = ceremonyDeps({ script, text, site: site ?? undefined, rehearsal, prompter, out });
  print(`Resuming ${script.title} (${script.id} v${script.version}) in ${out}`);
  return execute((bind) => resumeCeremony(deps, { onCeremony: bind }), out, print);
}
