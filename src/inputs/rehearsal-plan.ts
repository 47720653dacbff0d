// What a rehearsal brings from earlier rehearsals, checked before any sandbox is touched. With --officers, an
// enrollment rehearsal's output directory: its roster (outputs/roster.json) and, through its rehearsal pointer,
// the sandbox holding its officers' simulated tokens. With --from, a rehearsed ceremony that made a backup: its
// backup set (outputs/), the roster copy it ran with and its sandbox. Every problem at once.
import { join, resolve } from 'node:path';
import type { LoadedBackup, LoadedRoster } from '../engine/ceremony-inputs.types.js';
import { JOURNAL, OUTPUTS_DIR, REHEARSAL_POINTER, ROSTER_COPY, ROSTER_OUTPUT } from '../evidence/packet-files.js';
import type { Script } from '../script/schema.js';
import { loadBackup } from './backup-set.js';
import { kindNeeds } from '../script/step-needs.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, type InputProblem, type Loaded } from './problems.js';
import { loadRoster } from './roster.js';
import { needsBlobs } from './script.js';
import { COMMAND_LINE } from './site.js';
import { readRehearsalPointer, type RehearsalPointer } from './rehearsal-pointer.js';

export interface RehearsalFlags {
  out: string;
  officers?: string;
  from?: string;
}

export interface RehearsalOfficersPlan {
  /** The earlier rehearsal's output directory (--officers or --from). */
  dir: string;
  pointer: RehearsalPointer;
  roster: LoadedRoster;
}

export interface RehearsalPlan {
  officers?: RehearsalOfficersPlan;
  /** With --from: the backup set the rehearsed ceremony made. */
  backup?: LoadedBackup;
}

export function planRehearsal(files: InputFiles, script: Script, flags: RehearsalFlags): Loaded<RehearsalPlan> {
  const problems: InputProblem[] = [];
  if (files.exists(join(flags.out, JOURNAL))) {
    problems.push(
      inputProblem('input.out-dir-used', join(flags.out, JOURNAL), '--out', `${resolve(flags.out)} already holds a ceremony journal; resume it with \`officiant resume ${flags.out}\` or choose another --out`),
    );
  }
  if (flags.from && flags.officers) {
    problems.push(inputProblem('input.not-a-ceremony', COMMAND_LINE, '--from', '--from already brings the officers of that rehearsal: give --from or --officers, not both'));
  }
  let backup: LoadedBackup | undefined;
  // --from brings the officers (and their sandbox) of the rehearsed ceremony, and its backup to a script that works from one.
  if (flags.from && script.steps.some((s) => kindNeeds(s.kind, 'backup'))) {
    const loadedBackup = loadBackup(files, join(flags.from, OUTPUTS_DIR), { blobs: needsBlobs(script) });
    problems.push(...loadedBackup.problems);
    backup = loadedBackup.value;
  }
  const dir = flags.from ?? flags.officers;
  const officers = dir === undefined ? undefined : rehearsalOfficers(files, dir, flags.from !== undefined, problems);
  return loaded({ officers, backup }, problems);
}

/**
 * The rehearsal whose roster and virtual tokens a later rehearsal uses: an enrollment (its outputs/roster.json),
 * or with `from`, any rehearsal started with officers (the roster copy it ran with).
 */
function rehearsalOfficers(files: InputFiles, dir: string, from: boolean, problems: InputProblem[]): RehearsalOfficersPlan | undefined {
  const pointer = readRehearsalPointer(files, dir, problems, (file) => inputProblem('input.not-a-ceremony', file, '(file)', `${resolve(dir)} is not a rehearsal output directory (no ${REHEARSAL_POINTER})`));
  const rosterFile = from ? join(dir, ROSTER_COPY) : join(dir, ROSTER_OUTPUT);
  if (!files.exists(rosterFile)) {
    problems.push(
      inputProblem(
        'input.not-a-ceremony',
        rosterFile,
        from ? '--from' : '--officers',
        from ? `${resolve(dir)} holds no ${ROSTER_COPY}: --from takes a rehearsal run with officers (rehearse … --officers)` : `${resolve(dir)} holds no ${ROSTER_OUTPUT}: rehearse an enrollment (ceremonies/officer-enrollment.yaml) to the end first`,
      ),
    );
    return undefined;
  }
  const roster = loadRoster(files, rosterFile, { production: false });
  problems.push(...roster.problems);
  return pointer && roster.value ? { dir, pointer, roster: roster.value } : undefined;
}
