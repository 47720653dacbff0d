// officiant resume <out>: what the output directory holds, checked against the journal (inputs/resume-plan),
// then the adapters the ceremony started with: a rehearsal's sandbox and its simulated people, or the keyboard
// or an answers file for a production ceremony.
import { SimulatedPivFleet } from '../../adapters/piv/simulated-piv-fleet.js';
import { showingRehearsalPins } from '../../adapters/prompts/rehearsal-pins.js';
import { INTERACTIVE_HALVES } from './rehearsal-evidence-token.js';
import { SoftHsmSandbox } from '../../adapters/pkcs11/softhsm-sandbox.js';
import type { Prompter } from '../../engine/ports.js';
import { resumeCeremony } from '../../engine/runner.js';
import { fsReleaseFiles } from '../../adapters/fs/release-files.js';
import { unixSocketWindow } from '../../adapters/window/unix-socket-window.js';
import { WINDOW_SOCKET } from '../../evidence/packet-files.js';
import { enableFailpoints } from '../../failpoints.js';
import type { Answers } from '../../inputs/answers.js';
import { planResume } from '../../inputs/resume-plan.js';
import { orThrow } from '../input-error.js';
import { resumeBanner } from '../messages.js';
import { ceremonyDeps, checkTemplates, pivSite } from '../compose.js';
import { basename, join } from 'node:path';
import { inputFiles } from './input-files.js';
import { openReleaseBundle } from './release-bundle.js';
import { keyboardPrompter, prompterFor, scriptedPrompter } from './prompter.js';
import type { CeremonySession } from './session.js';

export async function composeResume(outDir: string, flags: { answers?: string; backup?: string }, print: (l: string) => void): Promise<CeremonySession> {
  // A signing window's socket a killed session left behind is no file of the record: gone before anything reads it.
  await unixSocketWindow.removeStale(join(outDir, WINDOW_SOCKET));
  const plan = orThrow(planResume(inputFiles, outDir, { backup: flags.backup }));
  await checkTemplates();
  let prompter: Prompter;
  let fleet: SimulatedPivFleet | undefined;
  if (plan.rehearsal) {
    const pointer = plan.pointer!;
    const sandbox = SoftHsmSandbox.open(pointer.sandbox);
    sandbox.activate();
    enableFailpoints({ out: outDir, sandbox: sandbox.dir });
    const people = sandbox.loadPeople<Answers>(pointer.people);
    prompter = pointer.interactive ? showingRehearsalPins(await keyboardPrompter(plan.script), people.secrets, (l) => process.stdout.write(`${l}\n`), INTERACTIVE_HALVES) : scriptedPrompter(people, print);
    if (plan.piv) fleet = SimulatedPivFleet.open(sandbox.dir);
  } else {
    prompter = (await prompterFor(plan.script, flags.answers, print)).prompter;
  }
  const { script, text, site, rehearsal, roster, backup, out, policyDraft, signingPlan } = plan;
  // A rehearsal's manifest signing log lives in its officers' sandbox: where the pointer says the sandbox is now.
  const log = plan.manifest && plan.rehearsal && plan.pointer ? join(plan.pointer.sandbox, basename(plan.manifest.signingLog)) : plan.manifest?.signingLog;
  const manifest = plan.manifest ? { ...plan.manifest, signingLog: log!, files: fsReleaseFiles, openBundle: openReleaseBundle } : undefined;
  const release = plan.release ? { ...plan.release, files: fsReleaseFiles } : undefined;
  const deps = ceremonyDeps({ script, text, site, rehearsal, prompter, out, roster, piv: plan.piv ? pivSite(plan.piv, fleet) : undefined, backup, release, policyDraft, manifest, signingPlan, room: plan.room });
  return { out, banner: resumeBanner(script, out, plan.standing), run: (bind) => resumeCeremony(deps, { onCeremony: bind }) };
}
