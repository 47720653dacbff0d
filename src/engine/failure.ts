// How the engine sorts a thrown error: input and environment problems (and a damaged journal) halt the run,
// to be resumed once fixed; anything else is a step failure that offers retry or abort. errorData() is the
// form an error takes in the journal: its code and message, never a stack or a secret.
import { isOfficiantError } from '../errors.js';
import type { JsonObject } from '../record/journal.js';

export function isHalting(err: unknown): boolean {
  if (!isOfficiantError(err)) return true;
  return err.code.startsWith('input.') || err.code.startsWith('env.') || err.code === 'ceremony.journal-corrupt';
}

export function errorData(err: unknown): JsonObject {
  if (isOfficiantError(err)) return { code: err.code, message: err.message };
  return { code: 'internal', message: (err as Error)?.message ?? String(err) };
}
