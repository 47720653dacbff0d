// The input loaders wired to the local file system, throwing their problems as one OfficiantError: what the
// commands and the composition root call.
import { FsInputFiles } from '../../adapters/fs/fs-input-files.js';
import type { LoadedBackup, LoadedRoster } from '../../engine/ceremony-inputs.types.js';
import { loadBackup as loadBackupSet } from '../../inputs/backup-set.js';
import { readBytes } from '../../inputs/problems.js';
import { loadRoster as loadRosterFile, type RosterOptions } from '../../inputs/roster.js';
import { loadScript as loadScriptFile } from '../../inputs/script.js';
import type { Script } from '../../script/schema.js';
import { orThrow, problemsError } from '../input-error.js';

export const inputFiles = new FsInputFiles();

/** A file's size and SHA-256 in one streaming pass (signing requests). */
export { hashFile } from '../../adapters/fs/hash-file.js';

/** Reads a file a person named: missing or not a file is bad input (2); unreadable is the environment (3). */
export function readInput(path: string, what: string): string {
  const read = readBytes(inputFiles, path, what);
  if (read.problem) throw problemsError([read.problem]);
  return read.bytes.toString('utf8');
}

export function loadScript(path: string): { script: Script; text: string; warnings: string[] } {
  const loaded = orThrow(loadScriptFile(inputFiles, path));
  return { ...loaded, warnings: loaded.warnings.map((w) => `warning: ${w}`) };
}

/** An officer roster file, verified the way an auditor would (every problem listed). */
export function loadRoster(path: string, opts: RosterOptions): LoadedRoster {
  return orThrow(loadRosterFile(inputFiles, path, opts));
}

/** A backup set under `dir`; with `blobs`, every wrapped key present with its recorded SHA-256. */
export function loadBackup(dir: string, opts: { blobs: boolean }): LoadedBackup {
  return orThrow(loadBackupSet(inputFiles, dir, opts));
}
