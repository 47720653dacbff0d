// officiant run | rehearse | resume: compose the ceremony (cli/compose/) and run it.
import { composeRehearsal, type RehearseFlags } from '../compose/rehearse.js';
import { composeResume } from '../compose/resume.js';
import { composeRun, type RunFlags } from '../compose/run.js';
import { runSession } from '../compose/session.js';
import { inputFiles } from '../compose/input-files.js';
import { sealedAlready } from '../../inputs/resume-plan.js';

type Print = (l: string) => void;

export async function runCommand(file: string, flags: RunFlags, print: Print): Promise<number> {
  return runSession(await composeRun(file, flags, print), print);
}

export async function rehearseCommand(file: string, flags: RehearseFlags, print: Print): Promise<number> {
  return runSession(await composeRehearsal(file, flags, print), print);
}

export async function resumeCommand(outDir: string, flags: { answers?: string; backup?: string }, print: Print): Promise<number> {
  // A sealed ceremony has nothing to resume: said plainly, exit 0, before any banner, prompt or HSM.
  const sealed = sealedAlready(inputFiles, outDir);
  if (sealed) {
    print(sealed);
    return 0;
  }
  return runSession(await composeResume(outDir, flags, print), print);
}
