// A manifest signing session's inputs, checked before the ceremony starts so that a bad draft is refused with
// every problem and exit 2, and nothing recorded: the manifest draft (--manifest, read by the ceremony's own
// reader), the release bundles its targets come from (--release, each a directory holding a bundle's own
// files), the pinned release authority certificate and the manifest authority's signing log (the caller's:
// a rehearsal's sandbox, later the site file). Whether the bundles verify, and the gates, are the step's: their
// outcome belongs in the evidence.
import { join, resolve } from 'node:path';
import type { ManifestInputs } from '../engine/ceremony-inputs.types.js';
import type { ReleaseFiles } from '../engine/ports.js';
import { parseManifestDraft, MANIFEST_LIMITS } from '../custody/ota-manifest.js';
import { BUNDLE } from '../custody/release-bundle.js';
import type { ReleaseBundleReader } from '../custody/release-bundle-reader.types.js';
import type { Script } from '../script/schema.js';
import { kindNeeds } from '../script/step-needs.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, WHOLE_FILE, type InputProblem, type Loaded } from './problems.js';
import { COMMAND_LINE } from './site.js';
import { sha256Hex } from '../record/digest.js';
import { pemCertificate } from '../custody/authority-certificate.js';

export interface ManifestFlags {
  manifest?: string;
  release?: string[];
}

export function signsManifest(script: Script): boolean {
  return script.steps.some((s) => kindNeeds(s.kind, 'manifest'));
}


export function loadManifest(
  files: InputFiles,
  flags: ManifestFlags,
  ctx: { certificatePem: Buffer | undefined; certificateSource: string; noCertificate?: string | null; signingLog: string; releaseFiles: ReleaseFiles; openBundle: (dir: string) => ReleaseBundleReader },
): Loaded<ManifestInputs | undefined> {
  const problems: InputProblem[] = [];
  if (!flags.manifest) problems.push(inputProblem('input.manifest-draft', COMMAND_LINE, '--manifest', 'this ceremony signs an OTA manifest: give --manifest <draft.json> (officiant manifest draft)'));
  const releases = (flags.release ?? []).map((dir) => resolve(dir));
  if (releases.length === 0) problems.push(inputProblem('input.manifest-draft', COMMAND_LINE, '--release', 'name the release bundles the targets come from: --release <bundle> for each'));
  for (const dir of releases) {
    if (!files.exists(join(dir, BUNDLE.statement))) problems.push(inputProblem('input.not-a-bundle', dir, '--release', `${dir}: not a release bundle (no ${BUNDLE.statement})`));
  }
  if (!ctx.certificatePem) {
    // null: why there is none is reported already (the site file's own problems).
    if (ctx.noCertificate !== null) problems.push(inputProblem('input.manifest-draft', ctx.certificateSource, WHOLE_FILE, ctx.noCertificate ?? `no release authority certificate to pin: ${ctx.certificateSource}`));
  }
  else if (!pemCertificate(ctx.certificatePem.toString('utf8'), false)) problems.push(inputProblem('input.manifest-draft', ctx.certificateSource, WHOLE_FILE, `${ctx.certificateSource}: not a PEM certificate, so no release authority certificate to pin`));
  let draft: ManifestInputs['draft'] | undefined;
  if (flags.manifest) {
    const read = readBytes(files, flags.manifest, 'manifest draft');
    if (read.problem) problems.push({ ...read.problem, code: 'input.manifest-draft', field: '--manifest' });
    else if (read.bytes.length > MANIFEST_LIMITS.bytes) problems.push(inputProblem('input.manifest-draft', flags.manifest, '--manifest', `${flags.manifest} is ${read.bytes.length} bytes: over the ${MANIFEST_LIMITS.bytes} a manifest may be`));
    else {
      const parsed = parseManifestDraft(read.bytes);
      const group = `${flags.manifest}: ${parsed.problems.length} problem(s)`;
      for (const p of parsed.problems) problems.push(inputProblem('input.manifest-draft', flags.manifest, '--manifest', p, group));
      draft = { bytes: read.bytes, sha256: sha256Hex(read.bytes) };
    }
  }
  if (problems.length > 0 || !draft) return { problems };
  if (!ctx.certificatePem) return { problems: [inputProblem('input.manifest-draft', ctx.certificateSource, WHOLE_FILE, `no release authority certificate to pin: ${ctx.certificateSource}`)] };
  return loaded({ draft, releaseCertificate: { bytes: ctx.certificatePem, sha256: sha256Hex(ctx.certificatePem) }, releases, signingLog: ctx.signingLog, files: ctx.releaseFiles, openBundle: ctx.openBundle }, []);
}
