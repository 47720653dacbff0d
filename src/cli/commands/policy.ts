// officiant policy draft --authority release --certificate <cert.pem> --label <label> --kinds <k,k> [...] --out
// <draft.json>: writes the release policy draft people review and print before the policy ceremony
// (inputs/policy-draft.ts). Every problem the ceremony would find in it is listed and nothing is written (exit 2);
// an existing --out is refused.
import { inputFiles } from '../compose/input-files.js';
import { orThrow } from '../input-error.js';
import { policyDraftLines } from '../messages.js';
import { draftPolicy, type PolicyDraftFlags } from '../../inputs/policy-draft.js';
import { writeNewFile } from '../write-new-file.js';

export function policyDraftCommand(flags: PolicyDraftFlags, print: (l: string) => void): number {
  const draft = orThrow(draftPolicy(inputFiles, flags, new Date()));
  writeNewFile(flags.out, draft.bytes);
  for (const line of policyDraftLines(draft, flags.out)) print(line);
  return 0;
}
