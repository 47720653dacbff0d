// officiant run | rehearse | resume: compose the adapters and run the ceremony engine.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isOfficiantError, OfficiantError } from '../../errors.js';
import { ceremonyMode, resumeCeremony, startCeremony, type RunResult } from '../../engine/runner.js';
import { sha256Hex } from '../../record/digest.js';
import { parseJournal } from '../../record/journal.js';
import { enableFailpoints } from '../../failpoints.js';
import type { Prompter } from '../../engine/ports.js';
import type { HsmSite } from '../../engine/step-kind.types.js';
import { missingAnswers, parseAnswers, type Answers } from '../../inputs/answers.js';
import { InquirerPrompter } from '../../adapters/prompts/inquirer-prompter.js';
import { ScriptedPrompter } from '../../adapters/prompts/scripted-prompter.js';
import { officerSecrets, simulatePeople, type RehearsalOfficers } from '../../adapters/prompts/rehearsal-people.js';
import { SimulatedPivFleet } from '../../adapters/piv/simulated-piv-fleet.js';
import type { LoadedBackup, LoadedRoster } from '../../engine/runner.js';
import { randomBytes } from 'node:crypto';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../../adapters/pkcs11/softhsm-sandbox.js';
import { parseScript } from '../../script/rules.js';
import type { Script } from '../../script/schema.js';
import { ceremonyDeps, checkTemplates, defaultOut, loadBackup, loadRoster, needsBlobs, usesPiv, loadScript, pauseOnSigint, pivSite, readInput, resolvePiv, resolveSite, summary, type SiteFlags } from '../compose.js';

type Print = (l: string) => void;

import { REHEARSAL_POINTER, ROSTER_COPY, ROSTER_OUTPUT, SCRIPT_COPY, SITE_COPY, JOURNAL } from '../../evidence/packet-files.js';

function exitFor(result: RunResult): number {
  return result.outcome === 'done' ? 0 : result.outcome === 'aborted' ? 1 : 130;
}

function prompterFor(script: Script, answersFile: string | undefined, print: Print): { prompter: Prompter; problems: string[] } {
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
    if (existsSync(join(out, JOURNAL)) && isOfficiantError(err) && (err.code === 'interrupt.paused' || err.code.startsWith('input.missing') || err.code.startsWith('env.'))) {
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

export async function runCommand(file: string, opts: SiteFlags & { out?: string; answers?: string; roster?: string; backup?: string }, print: Print): Promise<number> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  const site = resolveSite(script, opts);
  const piv = resolvePiv(opts);
  const roster = opts.roster ? loadRoster(opts.roster, { production: true, trustedRoots: piv?.attestationRoots ?? [] }) : undefined;
  if (roster) {
    // A roster that verifies on its own may still be an old one (before a revocation) or someone else's: the
    // site pins the current one.
    if (!piv?.rosterSha256) throw new OfficiantError('input.roster-invalid', `the site file must pin the current roster: add piv.roster_sha256 (the roster SHA-256 on the evidence page of the ceremony that signed it)`);
    if (roster.sha256 !== piv.rosterSha256) {
      throw new OfficiantError('input.roster-invalid', `${opts.roster} is roster version ${roster.body.version} (${roster.sha256}), not the one the site file pins (${piv.rosterSha256}): use the current roster, or update the site file after the ceremony that replaced it`);
    }
  }
  await checkTemplates();
  const { prompter, problems } = prompterFor(script, opts.answers, print);
  const out = opts.out ?? defaultOut(script);
  const backup = opts.backup ? loadBackup(opts.backup, { blobs: needsBlobs(script) }) : undefined;
  const deps = ceremonyDeps({ script, text, site, rehearsal: false, prompter, out, roster, piv: piv ? pivSite(piv) : undefined, backup });
  print(`Ceremony: ${script.title} (${script.id} v${script.version}) → ${resolve(out)}`);
  return execute((bind) => startCeremony(deps, { scriptFile: file, extraFiles: { [SITE_COPY]: siteJson(site) }, extra: { answers: problems }, onCeremony: bind }), out, print);
}

interface RehearsalPointer {
  sandbox: string;
  /** The simulated people of this rehearsal (a sandbox can serve several rehearsals); default people.json. */
  people?: string;
  /** People answer at the keyboard (rehearse --interactive); resume asks them again. */
  interactive?: boolean;
}

/**
 * The rehearsal whose roster and virtual tokens a later rehearsal uses: an enrollment (its outputs/roster.json),
 * or with `from`, any rehearsal started with officers (the roster copy it ran with).
 */
function rehearsalOfficers(dir: string, from = false): { sandbox: SoftHsmSandbox; roster: LoadedRoster; officers: RehearsalOfficers } {
  const pointerFile = join(dir, REHEARSAL_POINTER);
  if (!existsSync(pointerFile)) throw new OfficiantError('input.not-a-ceremony', `${resolve(dir)} is not a rehearsal output directory (no ${REHEARSAL_POINTER})`);
  const pointer = readJson<RehearsalPointer>(pointerFile, 'rehearsal pointer');
  const sandbox = SoftHsmSandbox.open(pointer.sandbox);
  const rosterFile = from ? join(dir, ROSTER_COPY) : join(dir, ROSTER_OUTPUT);
  if (!existsSync(rosterFile)) {
    throw new OfficiantError(
      'input.not-a-ceremony',
      from ? `${resolve(dir)} holds no ${ROSTER_COPY}: --from takes a rehearsal run with officers (rehearse … --officers)` : `${resolve(dir)} holds no outputs/roster.json: rehearse an enrollment (ceremonies/officer-enrollment.yaml) to the end first`,
    );
  }
  const roster = loadRoster(rosterFile, { production: false });
  return { sandbox, roster, officers: { roster: roster.body, secrets: officerSecrets(sandbox.loadPeople<Answers>(pointer.people)) } };
}

export async function rehearseCommand(file: string, opts: { out?: string; officers?: string; interactive?: boolean; from?: string }, print: Print): Promise<number> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  await checkTemplates();
  const out = opts.out ?? defaultOut(script);
  if (existsSync(join(out, JOURNAL))) {
    throw new OfficiantError('input.out-dir-used', `${resolve(out)} already holds a ceremony journal; resume it with \`officiant resume ${out}\` or choose another --out`);
  }
  enableFailpoints();
  // With --officers the rehearsal joins the enrollment rehearsal's sandbox: the officers' virtual tokens live
  // there, and the new HSM token is added next to them under a label of its own.
  if (opts.from && opts.officers) throw new OfficiantError('input.not-a-ceremony', '--from already brings the officers of that rehearsal: give --from or --officers, not both');
  // With --from the rehearsal restores or re-shares the backup a rehearsed ceremony made, with its officers.
  const backup = opts.from ? loadBackup(join(opts.from, 'outputs'), { blobs: needsBlobs(script) }) : undefined;
  const officersDir = opts.from ?? opts.officers;
  const from = officersDir ? rehearsalOfficers(officersDir, opts.from !== undefined) : undefined;
  const sandbox = from?.sandbox ?? SoftHsmSandbox.create(out);
  sandbox.activate();
  const fleet = usesPiv(script) ? SimulatedPivFleet.open(sandbox.dir) : undefined;
  const newDevices = fleet ? script.steps.filter((s) => s.kind === 'piv.enroll').map(() => fleet.createDevice().serial) : [];
  const people = simulatePeople(script, { officers: from?.officers, newDevices });
  // The simulated administrator "reads" the backup's check value off the paper record of the rehearsed backup.
  for (const step of script.steps) {
    if (backup && (step.kind === 'backup.restore' || step.kind === 'backup.reshare' || step.kind === 'backup.verify')) {
      (people.records[step.id] ??= {})['backup-check-value'] = backup.manifest.wrap_key.kcv;
    }
  }
  const peopleFile = from ? `people-${randomBytes(4).toString('hex')}.json` : undefined;
  sandbox.savePeople(people, peopleFile);
  // A shared sandbox may already hold a token of this profile (another rehearsal from the same officers): a
  // ceremony that initialises its token gets a label of its own; one that uses an existing token finds it.
  const initialises = script.steps.some((s) => s.kind === 'hsm.init-token');
  const label = from && initialises ? `rehearsal-${script.site.hsm}-${randomBytes(3).toString('hex')}` : `rehearsal-${script.site.hsm}`;
  const site: HsmSite | undefined = script.site.hsm ? { profile: script.site.hsm, module: SOFTHSM_MODULE, tokenLabel: label.slice(0, 32) } : undefined;
  const piv = fleet ? pivSite({ module: SOFTHSM_MODULE, attestationRoots: [fleet.attestationRoot().pem] }, fleet) : undefined;
  // An interactive rehearsal is a dry run for the people: they type names, PINs and answers themselves on
  // simulated hardware; the sandbox still holds the devices, and the evidence is still marked REHEARSAL.
  const prompter = opts.interactive ? prompterFor(script, undefined, print).prompter : new ScriptedPrompter(people, print);
  const deps = ceremonyDeps({ script, text, site, rehearsal: true, prompter, out, roster: from?.roster, piv, backup });
  print(`Rehearsal: ${script.title} (${script.id} v${script.version}) → ${resolve(out)}`);
  print(`Sandbox HSM: ${sandbox.dir} (throwaway SoftHSM; simulated people and their PINs stay there)`);
  if (newDevices.length > 0) print(`Simulated PIV tokens: ${newDevices.join(', ')} (attested by the sandbox's SIMULATED attestation CA)`);
  if (from) print(`Officers: roster version ${from.roster.body.version} from ${resolve(officersDir!)} (simulated tokens)`);
  if (backup) print(`Backup: ${backup.dir} (ceremony ${backup.manifest.ceremony.ceremony_id})`);
  let started = false;
  const pointer: RehearsalPointer = { sandbox: sandbox.dir, ...(peopleFile ? { people: peopleFile } : {}), ...(opts.interactive ? { interactive: true } : {}) };
  return execute(
    async (bind) => {
      try {
        return await startCeremony(deps, {
          scriptFile: file,
          extraFiles: { [SITE_COPY]: siteJson(site), [REHEARSAL_POINTER]: `${JSON.stringify(pointer, null, 2)}\n` },
          onCeremony: (c) => {
            started = true;
            bind(c);
          },
        });
      } catch (err) {
        if (!started && !from) sandbox.remove();
        throw err;
      }
    },
    out,
    print,
  );
}

export async function resumeCommand(outDir: string, opts: { answers?: string; backup?: string }, print: Print): Promise<number> {
  const out = resolve(outDir);
  if (!existsSync(join(out, JOURNAL)) || statSync(join(out, JOURNAL)).size === 0) {
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
  const entries = parseJournal(readInput(join(out, JOURNAL), 'journal')).entries;
  const mode = ceremonyMode(entries);
  const recorded = (entries[0]?.data.site ?? null) as (Omit<HsmSite, 'slot'> & { slot: number | null }) | null;
  const site: HsmSite | null = recorded ? { ...recorded, slot: recorded.slot ?? undefined } : null;
  const normal = (x: HsmSite | null) => JSON.stringify(x ? { profile: x.profile, module: x.module, tokenLabel: x.tokenLabel, slot: x.slot ?? null } : null);
  if (normal(site) !== normal(siteCopy)) {
    throw new OfficiantError('input.site-invalid', `${join(out, SITE_COPY)} differs from the site recorded when the ceremony started; refusing to load a module it names`);
  }
  let prompter: Prompter;
  const rehearsal = mode === 'rehearsal';
  const recordedPiv = (entries[0]?.data.piv ?? null) as { module: string; attestationRoots: string[] } | null;
  const recordedRoster = (entries[0]?.data.roster ?? null) as { file_sha256: string } | null;
  let fleet: SimulatedPivFleet | undefined;
  if (rehearsal) {
    if (!existsSync(join(out, REHEARSAL_POINTER))) throw new OfficiantError('env.sandbox-missing', `${out} is a rehearsal but ${REHEARSAL_POINTER} (where its sandbox is) is missing`);
    const pointer = readJson<RehearsalPointer>(join(out, REHEARSAL_POINTER), 'rehearsal pointer');
    const sandbox = SoftHsmSandbox.open(pointer.sandbox);
    sandbox.activate();
    enableFailpoints();
    prompter = pointer.interactive ? prompterFor(script, undefined, print).prompter : new ScriptedPrompter(sandbox.loadPeople<Answers>(pointer.people), print);
    if (recordedPiv) fleet = SimulatedPivFleet.open(sandbox.dir);
  } else {
    prompter = prompterFor(script, opts.answers, print).prompter;
  }
  let roster: LoadedRoster | undefined;
  if (recordedRoster) {
    // The roster the ceremony started with, byte for byte: a changed copy is refused before any token is used.
    roster = loadRoster(join(out, ROSTER_COPY), { production: !rehearsal, trustedRoots: recordedPiv?.attestationRoots ?? [] });
    if (sha256Hex(roster.bytes) !== recordedRoster.file_sha256) throw new OfficiantError('env.roster', `${join(out, ROSTER_COPY)} differs from the roster the ceremony started with`);
  }
  const recordedBackup = (entries[0]?.data.backup ?? null) as { dir: string; manifest_sha256: string } | null;
  let backup: LoadedBackup | undefined;
  if (recordedBackup) {
    // The backup the ceremony started with, from where it was or where it is now (--backup): a changed manifest
    // is refused before any token is used.
    const dir = opts.backup ?? recordedBackup.dir;
    if (!existsSync(dir)) {
      throw new OfficiantError('input.backup-invalid', opts.backup ? `--backup ${dir}: no such directory` : `the backup set this ceremony started with is no longer at ${dir}: give its new place with --backup <dir>`);
    }
    backup = loadBackup(dir, { blobs: needsBlobs(script) });
    if (backup.sha256 !== recordedBackup.manifest_sha256) throw new OfficiantError('input.backup-invalid', `${dir}: the backup manifest differs from the one the ceremony started with`);
  }
  const deps = ceremonyDeps({ script, text, site: site ?? undefined, rehearsal, prompter, out, roster, piv: recordedPiv ? pivSite(recordedPiv, fleet) : undefined, backup });
  print(`Resuming ${script.title} (${script.id} v${script.version}) in ${out}`);
  return execute((bind) => resumeCeremony(deps, { onCeremony: bind }), out, print);
}
