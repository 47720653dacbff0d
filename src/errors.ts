// Typed errors. Every error Officiant raises on purpose is an OfficiantError with a code from this union;
// the CLI maps the code's family to an exit code (see cli/main.ts and README "Exit codes").
// Messages are short lowercase facts. They never contain a secret: callers pass labels and counts, not values.

export type InputCode =
  | 'input.script-invalid'
  | 'input.answers-invalid'
  | 'input.site-invalid'
  | 'input.out-dir-used'
  | 'input.file-exists'
  | 'input.not-a-ceremony'
  | 'input.script-changed'
  | 'input.missing-answer'
  | 'input.roster-missing'
  | 'input.roster-invalid'
  | 'input.backup-missing'
  | 'input.backup-invalid'
  | 'input.request-invalid'
  | 'input.not-a-bundle'
  | 'input.not-a-manifest'
  | 'input.manifest-draft'
  | 'input.signing-plan'
  | 'input.no-such-directory';

export type EnvironmentCode =
  | 'env.module-load'
  | 'env.token-missing'
  | 'env.token-label-used'
  | 'env.key-label-used'
  | 'env.no-free-slot'
  | 'env.permission'
  | 'env.sandbox-missing'
  | 'env.token-mismatch'
  | 'env.out-dir-locked'
  | 'env.signing-log-locked'
  | 'env.hsm'
  | 'env.fs'
  | 'env.piv-absent'
  | 'env.roster'
  | 'env.evidence-key'
  | 'env.no-window';

export type CeremonyCode =
  | 'ceremony.step-failed'
  | 'ceremony.aborted'
  | 'ceremony.journal-corrupt'
  | 'ceremony.already-finished'
  | 'ceremony.reconcile'
  | 'ceremony.approval-refused'
  | 'ceremony.quorum-not-met';

export type HsmCode =
  | 'hsm.pin-incorrect'
  | 'hsm.pin-locked'
  | 'hsm.pin-invalid'
  | 'hsm.not-logged-in'
  | 'hsm.key-not-found'
  | 'hsm.mechanism'
  | 'hsm.device'
  | 'hsm.general';

export type InterruptCode = 'interrupt.paused';

export type ErrorCode = InputCode | EnvironmentCode | CeremonyCode | HsmCode | InterruptCode;

export class OfficiantError extends Error {
  readonly code: ErrorCode;
  /** Extra lines (e.g. one per validation problem) printed under the message. */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OfficiantError';
    this.code = code;
    this.details = options.details ?? [];
  }
}

export function isOfficiantError(err: unknown, code?: ErrorCode): err is OfficiantError {
  return err instanceof OfficiantError && (code === undefined || err.code === code);
}

export type ExitCode = 0 | 1 | 2 | 3 | 130;

/** Exit codes: 0 done, 1 ceremony failed/aborted, 2 bad input, 3 environment, 130 interrupted. */
export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof OfficiantError)) return 1;
  const family = err.code.slice(0, err.code.indexOf('.'));
  switch (family) {
    case 'input':
      return 2;
    case 'env':
      return 3;
    case 'interrupt':
      return 130;
    default:
      return 1;
  }
}
