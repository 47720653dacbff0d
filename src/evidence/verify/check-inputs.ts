// The inputs a release session or a policy ceremony started with (evidence/packet-files.ts INPUT_COPIES): each
// copy in the packet must be byte for byte the file whose SHA-256 the journal's first entry records, and the
// packet holds no copy the ceremony did not start with.
import { INPUT_COPIES, JOURNAL } from '../packet-files.js';
import { sha256Hex } from '../../record/digest.js';
import { isObject } from '../json-shape.js';
import type { Context, Group } from './check-context.js';

export function checkInputs(g: Group, ctx: Context): void {
  const started = ctx.started?.data ?? {};
  const release = isObject(started.release) ? started.release : undefined;
  const draft = isObject(started.policy_draft) ? started.policy_draft : undefined;
  const manifest = isObject(started.manifest) ? started.manifest : undefined;
  const plan = isObject(started.signing_plan) ? started.signing_plan : undefined;
  const recorded: Array<[string, unknown]> = [
    [INPUT_COPIES.request, release?.request_sha256],
    [INPUT_COPIES.policy, release?.policy_sha256],
    [INPUT_COPIES.certificate, release?.certificate_sha256],
    [INPUT_COPIES.policyDraft, draft?.sha256],
    [INPUT_COPIES.manifestDraft, manifest?.draft_sha256],
    [INPUT_COPIES.releaseCertificate, manifest?.release_certificate_sha256],
    [INPUT_COPIES.signingPlan, plan?.sha256],
  ];
  for (const [path, sha] of recorded) {
    const copy = ctx.files.get(path);
    if (sha === undefined) {
      if (copy) g.fail(`${path}: the ceremony did not start with it (${JOURNAL} line 1), yet the packet holds it`);
      continue;
    }
    if (!copy) g.fail(`${path}: missing (the ceremony started with it, ${JOURNAL} line 1)`);
    else if (sha256Hex(copy) !== sha) g.fail(`${path}: SHA-256 ${sha256Hex(copy)} is not the ${String(sha)} recorded when the ceremony started`);
    else g.note(`${path}: the file the ceremony started with (SHA-256 ${String(sha)})`);
  }
}
