// request.load: the signing request and the policy in force, checked again at the step (the CLI checked them
// before the ceremony started, and refused with exit 2): the policy's signatures by the roster's threshold and
// its expiry, the request's shape, the signing key's certificate against the policy's key, and the request
// against the policy and the authority's signing log (kinds, limits, age, not-after, replay, version, builder
// signature). What was loaded is journaled (release-request) for the later steps, the approval and the page.
import { OfficiantError } from '../errors.js';
import { artifactsDigest } from '../record/signing-log.js';
import { builderSigners, requestProblems } from '../custody/release-check.js';
import { deniedKey } from '../custody/deny-list.js';
import { statementWords } from '../custody/quorum.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { openRelease, RELEASE_REQUEST, signingLog, totalBytes, type OpenRelease } from './shared/release-session.js';
import type { SigningLogEntry } from '../record/signing-log.js';
import type { Script } from '../script/schema.js';

/** Every reason to refuse the session's request before anything is staged. */
export function sessionProblems(r: OpenRelease, script: Script, log: readonly SigningLogEntry[], now: Date): string[] {
  const problems = requestProblems({ request: r.request, policy: r.policy, keyLabel: r.keyLabel, log, now });
  // The policy says how many approvals of which role a release needs; the script's approval must ask for them.
  const signStep = script.steps.find((s) => s.kind === 'hsm.sign-artifacts');
  const approval = script.steps.find((s) => s.kind === 'quorum.approve' && s.params.approve === signStep?.id);
  const need = r.policy.body.approvals;
  if (!approval || approval.kind !== 'quorum.approve') problems.push(`the script has no quorum.approve step approving ${signStep?.id ?? 'the signing step'}: the policy needs ${need.threshold} approvals by ${need.role}`);
  else if (approval.params.role !== need.role || approval.params.threshold < need.threshold) {
    problems.push(`step ${approval.id} asks ${approval.params.threshold} approvals by ${approval.params.role}; the policy needs at least ${need.threshold} by ${need.role}`);
  }
  const key = r.policy.body.keys.find((k) => k.label === r.keyLabel);
  if (key && key.spki_sha256 !== r.certificate.spkiSha256) {
    problems.push(`the authority's certificate (${r.certificate.subject}) holds the key ${r.certificate.spkiSha256}, not the policy's key "${key.label}" (${key.spki_sha256})`);
  }
  const denied = deniedKey(r.policy.denied, r.certificate.spkiSha256);
  if (denied) problems.push(`the signing key is the test key ${denied.name} (${denied.source}): it never signs a release`);
  return problems;
}

export const requestLoad: StepHandler<'request.load'> = {
  kind: 'request.load',
  needs: STEP_NEEDS['request.load'],
  async run(ctx) {
    const r = openRelease(ctx);
    const log = signingLog(r);
    const problems = sessionProblems(r, ctx.script, log, ctx.now());
    if (problems.length > 0) throw new OfficiantError('ceremony.step-failed', `the signing request is refused: ${problems.length} problem(s): ${problems.join('; ')}`, { details: problems });
    const q = r.request;
    const kinds = [...new Set(q.artifacts.map((a) => a.kind))].sort();
    const head = log.length > 0 ? log[log.length - 1].hash : null;
    ctx.event(RELEASE_REQUEST, {
      request_id: q.requestId,
      request_sha256: r.inputs.request.sha256,
      build_id: q.buildId,
      source_revision: q.sourceRevision,
      channel: q.channel,
      version: q.version,
      artifacts: q.artifacts.length,
      bytes: totalBytes(q),
      kinds,
      artifacts_sha256: artifactsDigest(q.artifacts),
      policy: { version: r.policy.body.version, sha256: r.policySha256 },
      key: { label: r.keyLabel, spki_sha256: r.certificate.spkiSha256 },
      certificate_sha256: r.certificate.sha256,
      builder_signers: builderSigners(q, r.policy),
      signing_log: { lines: log.length, head },
    });
    ctx.prompter.say(`  Release ${q.buildId}, channel ${q.channel}, version ${q.version}: ${q.artifacts.length} artifacts (${kinds.join(', ')})`);
    ctx.result('Request', `${q.requestId} (file SHA-256 ${r.inputs.request.sha256})`);
    ctx.result('Build', `${q.buildId} at ${q.sourceRevision}`);
    ctx.result('Channel and version', `${q.channel}, version ${q.version}`);
    ctx.result('Artifacts', `${q.artifacts.length} (${kinds.join(', ')}), ${totalBytes(q)} bytes; list SHA-256 ${artifactsDigest(q.artifacts)}`);
    ctx.result('Made and valid until', `${q.createdAt} to ${q.notAfter}`);
    ctx.result('Policy', `version ${r.policy.body.version}, SHA-256 ${r.policySha256} (words: ${statementWords(r.policySha256).join(' ')}), expires ${r.policy.body.expires_at}`);
    ctx.result('Signing key', `${r.keyLabel}, SPKI SHA-256 ${r.certificate.spkiSha256}`);
    ctx.result('Builder signature', q.envelope ? `DSSE, verified by builder key(s): ${builderSigners(q, r.policy).join(', ') || 'none of the policy'} (provenance, not an approval)` : 'none (unsigned request)');
    ctx.result('Signing log', head ? `${log.length} line(s), head ${head}` : 'empty (first session of this authority)');
  },
};
