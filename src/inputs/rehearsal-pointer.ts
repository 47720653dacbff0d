// rehearsal.json in a rehearsal's output directory: where its sandbox is (the sandbox is outside the packet).
// Read by the rehearsal plan (a later rehearsal using this one's officers or backup) and the resume plan; each
// says in its own words what a missing pointer means, so the caller names that problem.
import { join } from 'node:path';
import { REHEARSAL_POINTER } from '../evidence/packet-files.js';
import type { InputFiles } from './input-files.types.js';
import { readJson, type InputProblem } from './problems.js';

export interface RehearsalPointer {
  sandbox: string;
  /** The simulated people of this rehearsal (a sandbox can serve several rehearsals); default people.json. */
  people?: string;
  /** People answer at the keyboard (rehearse --interactive); resume asks them again. */
  interactive?: boolean;
}

/** The pointer in `dir`; when it is not there, the problem `missing(file)` is recorded instead. */
export function readRehearsalPointer(files: InputFiles, dir: string, problems: InputProblem[], missing: (file: string) => InputProblem): RehearsalPointer | undefined {
  const file = join(dir, REHEARSAL_POINTER);
  if (!files.exists(file)) {
    problems.push(missing(file));
    return undefined;
  }
  const read = readJson<RehearsalPointer>(files, file, 'rehearsal pointer');
  if (read.problem) problems.push(read.problem);
  return read.value;
}
