// A release signing session's inputs, checked before the ceremony starts so that a bad request is refused with
// every problem and exit 2, and nothing recorded: the request (--request), the signed policy (--policy), the
// authority's certificate and signing log (the site file's hsm.<profile>.release_authority), where the
// artifacts are (--artifacts, by default the request's directory), the staging directory and the bundle
// (--staging, --bundle; by default beside the output directory). The same checks run again at request.load.
// A policy ceremony's draft (--policy, unsigned) is read here too.
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { InputDocument, ReleaseInputs } from '../engine/ceremony-inputs.types.js';
import type { ReleaseFiles } from '../engine/ports.js';
import type { HsmSite } from '../engine/step-kind.types.js';
import type { RosterBody } from '../custody/roster.types.js';
import { parseSigningLog } from '../record/signing-log.js';
import type { Script } from '../script/schema.js';
import { kindNeeds } from '../script/step-needs.js';
import { openReleaseFrom } from '../steps/shared/release-session.js';
import { sessionProblems } from '../steps/request-load.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, type InputProblem, type Loaded } from './problems.js';
import { COMMAND_LINE } from './site.js';

export interface ReleaseFlags {
  request?: string;
  policy?: string;
  artifacts?: string;
  staging?: string;
  bundle?: string;
}

export function signsRelease(script: Script): boolean {
  return script.steps.some((s) => kindNeeds(s.kind, 'release'));
}

export function adoptsPolicy(script: Script): boolean {
  return script.steps.some((s) => kindNeeds(s.kind, 'policyDraft'));
}

function document(files: InputFiles, path: string, what: string, flag: string, problems: InputProblem[]): InputDocument | undefined {
  const read = readBytes(files, path, what);
  if (read.problem) {
    problems.push({ ...read.problem, code: 'input.request-invalid', field: flag });
    return undefined;
  }
  if (read.bytes.length > 64 * 1024 * 1024) {
    problems.push(inputProblem('input.request-invalid', path, flag, `${path} is ${read.bytes.length} bytes: over the 64 MiB a ${what} may be`));
    return undefined;
  }
  return { bytes: read.bytes, sha256: createHash('sha256').update(read.bytes).digest('hex') };
}

/** The unsigned policy a policy ceremony adopts. */
export function loadPolicyDraft(files: InputFiles, flags: ReleaseFlags): Loaded<InputDocument | undefined> {
  const problems: InputProblem[] = [];
  if (!flags.policy) problems.push(inputProblem('input.request-invalid', COMMAND_LINE, '--policy', 'this ceremony adopts a release policy: give --policy <draft.json>'));
  const doc = flags.policy ? document(files, flags.policy, 'policy draft', '--policy', problems) : undefined;
  return loaded(doc, problems);
}

/**
 * The session's inputs and every reason to refuse them now: missing flags or files, the policy (signatures by
 * the roster's threshold, expiry), the request (shape, kinds, limits, age, replay, version, builder signature)
 * and the certificate against the policy's key.
 */
export function loadRelease(
  files: InputFiles,
  script: Script,
  flags: ReleaseFlags,
  ctx: { site: HsmSite | undefined; roster: RosterBody | undefined; out: string; now: Date; releaseFiles: ReleaseFiles },
): Loaded<ReleaseInputs | undefined> {
  const problems: InputProblem[] = [];
  if (!flags.request) problems.push(inputProblem('input.request-invalid', COMMAND_LINE, '--request', 'this ceremony signs a release: give --request <request.json>'));
  if (!flags.policy) problems.push(inputProblem('input.request-invalid', COMMAND_LINE, '--policy', 'this ceremony signs under a policy: give --policy <policy.json> (the outputs/policy.json of the policy ceremony)'));
  const authority = ctx.site?.releaseAuthority;
  if (!authority) {
    problems.push(inputProblem('input.site-invalid', COMMAND_LINE, '--site', `the site file names no release authority for HSM profile "${script.site.hsm}" (hsm.${script.site.hsm}.release_authority: certificate, certificate_sha256, signing_log)`));
  }
  const request = flags.request ? document(files, flags.request, 'signing request', '--request', problems) : undefined;
  const policy = flags.policy ? document(files, flags.policy, 'signed policy', '--policy', problems) : undefined;
  if (!request || !policy || !authority || !ctx.roster) return loaded(undefined, problems);
  const out = resolve(ctx.out);
  const inputs: ReleaseInputs = {
    request,
    policy,
    certificate: { bytes: authority.certificatePem, sha256: createHash('sha256').update(authority.certificatePem).digest('hex') },
    artifactsDir: resolve(flags.artifacts ?? dirname(resolve(flags.request!))),
    staging: resolve(flags.staging ?? `${out}.staging`),
    bundle: resolve(flags.bundle ?? `${dirname(out)}/${basename(out)}.release`),
    signingLog: authority.signingLog,
    files: ctx.releaseFiles,
  };
  if (files.exists(inputs.bundle)) problems.push(inputProblem('input.out-dir-used', inputs.bundle, '--bundle', `${inputs.bundle} already exists: a release bundle is written once; choose another --bundle`));
  if (files.exists(inputs.staging)) problems.push(inputProblem('input.out-dir-used', inputs.staging, '--staging', `${inputs.staging} already exists: a session stages into a new directory; choose another --staging`));
  const opened = openReleaseFrom(inputs, ctx.roster, ctx.now, script);
  for (const p of opened.problems) problems.push(inputProblem('input.request-invalid', p.startsWith('policy') ? flags.policy! : flags.request!, p.split(':')[0], p));
  if (!opened.release) return loaded(undefined, problems);
  // Each artifact where the request says, a regular file of the listed size (its bytes are hashed at staging).
  for (const a of opened.release.request.artifacts) {
    const size = ctx.releaseFiles.regularSize(join(inputs.artifactsDir, a.name));
    if (size === undefined) problems.push(inputProblem('input.request-invalid', join(inputs.artifactsDir, a.name), '--artifacts', `${a.name}: no such regular file in ${inputs.artifactsDir} (give --artifacts <dir>)`));
    else if (size !== a.size) problems.push(inputProblem('input.request-invalid', join(inputs.artifactsDir, a.name), '--artifacts', `${a.name}: ${size} bytes, the request says ${a.size}: not the artifact that was requested`));
  }
  const log = parseSigningLog(ctx.releaseFiles.readLog(inputs.signingLog));
  if (log.problem) problems.push(inputProblem('env.fs', inputs.signingLog, 'signing log', `the signing log is damaged: ${log.problem}`));
  for (const p of sessionProblems(opened.release, script, log.entries, ctx.now)) problems.push(inputProblem('input.request-invalid', flags.request!, 'request', p));
  return loaded(inputs, problems);
}
