// Hints for people, by error code: what to do next. The library's messages state facts; these say how to
// get unstuck. Shown under the error by cli/main.ts.
import type { ErrorCode } from '../errors.js';

export const HINTS: Partial<Record<ErrorCode, string>> = {
  'input.script-invalid': 'fix the lines above; `officiant validate <script>` re-checks without touching any HSM',
  'input.answers-invalid': 'fix the answers file; secrets belong in environment variables referenced as ${NAME}',
  'input.missing-answer': 'add the missing answers, then run `officiant resume <out> --answers <file>` (what is recorded is kept)',
  'input.out-dir-used': 'each ceremony needs its own output directory',
  'input.file-exists': 'choose another file name; Officiant never overwrites a file',
  'input.script-changed': 'a ceremony resumes only with the exact script it started with',
  'input.site-invalid': 'give the HSM profile with --site <file> or --module and --token-label',
  'env.module-load': 'check the PKCS#11 module path (--module or the site file); for SoftHSM run ./scripts/setup.sh',
  'env.token-missing': 'connect the HSM / insert the token, then resume; `pkcs11-tool --module <path> -L` lists tokens',
  'env.token-label-used': 'this ceremony creates that token; pick another token_label in the site file or use a fresh HSM',
  'env.key-label-used': 'key labels are never reused; remove the old key under a witnessed procedure or use another label',
  'env.no-free-slot': 'the HSM has no uninitialised slot for a new token',
  'env.sandbox-missing': 'the throwaway rehearsal token store is gone; start a new rehearsal with another --out',
  'env.permission': 'check the permissions of the output directory',
  'ceremony.journal-corrupt': 'the journal is damaged beyond a torn last line; keep the directory as evidence and contact the ceremony administrator',
  'hsm.pin-incorrect': 'each PIN holder re-enters their half; a wrong entry counts against the token\'s retry limit',
  'hsm.pin-locked': 'the token PIN is locked; it needs the SO to unblock it under a witnessed procedure',
  'interrupt.paused': 'the ceremony is paused; continue with `officiant resume <out>`',
};
