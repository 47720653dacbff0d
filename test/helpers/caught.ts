// The OfficiantError a call throws, for tests that assert its code and message; anything else thrown (or
// nothing) fails the test.
import { OfficiantError } from '../../src/errors.js';

export function caught(fn: () => unknown): OfficiantError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OfficiantError) return err;
    throw err;
  }
  throw new Error('expected an OfficiantError');
}
