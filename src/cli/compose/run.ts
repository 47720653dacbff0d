// officiant run: the script, the site, the pinned roster and the backup set from the files people name, the
// prompter (keyboard or answers file), and the adapters: a production ceremony ready to start.
import { startCeremony } from '../../engine/runner.js';
import { SITE_COPY } from '../../evidence/packet-files.js';
import { loadPinnedRoster } from '../../inputs/roster.js';
import { needsBlobs } from '../../inputs/script.js';
import { loadSite, type SiteFlags } from '../../inputs/site.js';
import { adoptsPolicy, loadPolicyDraft, loadRelease, signsRelease, type ReleaseFlags } from '../../inputs/release.js';
import { fsReleaseFiles } from '../../adapters/fs/release-files.js';
import type { HsmSite } from '../../engine/step-kind.types.js';
import { loadManifest, signsManifest, type ManifestFlags } from '../../inputs/manifest.js';
import { orThrow } from '../input-error.js';
import { loadSigningPlan, opensSigningWindow, type SigningPlanFlags } from '../../inputs/signing-plan.js';
import { ceremonyBanner, noManifestAuthority } from '../messages.js';
import { openReleaseBundle } from './release-bundle.js';
import { ceremonyDeps, checkTemplates, defaultOut, pivSite } from '../compose.js';
import { inputFiles, loadBackup, loadScript } from './input-files.js';
import { prompterFor } from './prompter.js';
import type { CeremonySession } from './session.js';

export interface RunFlags extends SiteFlags, ReleaseFlags, ManifestFlags, SigningPlanFlags {
  out?: string;
  answers?: string;
  roster?: string;
  backup?: string;
}

/**
 * A manifest session's inputs, pinned as the site file pins them: the release authority certificate and the
 * manifest authority's own signing log (never a bundle's own authority.pem). A missing section is named unless
 * the site file's own problems (reported with them) may be why it was not read.
 */
function loadManifestInputs(flags: RunFlags, site: ReturnType<typeof loadSite>) {
  const authority = site.value?.manifestAuthority;
  // Named missing only when it is: a site file that did not parse, or whose section has problems of its own
  // (reported with the site's), is not said to lack it.
  const missing = !flags.site || (site.sections !== undefined && !site.sections.manifestAuthority);
  const manifestProblems = loadManifest(inputFiles, flags, {
    certificatePem: authority?.releaseCertificatePem,
    certificateSource: authority?.releaseCertificateFile ?? flags.site ?? '--site',
    noCertificate: missing ? noManifestAuthority(flags.site) : null,
    signingLog: authority?.signingLog ?? '',
    releaseFiles: fsReleaseFiles,
    openBundle: openReleaseBundle,
  });
  // The missing section is the site file's problem (its hint), not the draft's.
  return { ...manifestProblems, problems: manifestProblems.problems.map((p) => (p.message === noManifestAuthority(flags.site) ? { ...p, code: 'input.site-invalid' as const } : p)) };
}

export function siteJson(site: HsmSite | undefined): string {
  return `${JSON.stringify(site ?? null, null, 2)}\n`;
}

export async function composeRun(file: string, flags: RunFlags, print: (l: string) => void): Promise<CeremonySession> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  const siteLoaded = loadSite(inputFiles, script, flags);
  const manifestLoaded = signsManifest(script) ? loadManifestInputs(flags, siteLoaded) : undefined;
  // The site's problems and the manifest's together: every problem of what was named at once.
  const { hsm: site, piv, room } = orThrow({ ...siteLoaded, problems: [...siteLoaded.problems, ...(manifestLoaded?.problems ?? [])] });
  const manifest = manifestLoaded ? orThrow(manifestLoaded) : undefined;
  const roster = flags.roster ? orThrow(loadPinnedRoster(inputFiles, flags.roster, { siteFile: flags.site, piv })) : undefined;
  await checkTemplates();
  const { prompter, problems } = await prompterFor(script, flags.answers, print);
  const out = flags.out ?? defaultOut(script);
  const backup = flags.backup ? loadBackup(flags.backup, { blobs: needsBlobs(script) }) : undefined;
  const release = signsRelease(script) ? orThrow(loadRelease(inputFiles, script, flags, { site, roster: roster?.body, out, now: new Date(), releaseFiles: fsReleaseFiles })) : undefined;
  const policyDraft = adoptsPolicy(script) ? orThrow(loadPolicyDraft(inputFiles, flags)) : undefined;
  const signingPlan = opensSigningWindow(script) ? orThrow(loadSigningPlan(inputFiles, flags)) : undefined;
  const deps = ceremonyDeps({ script, text, site, rehearsal: false, prompter, out, roster, piv: piv ? pivSite(piv) : undefined, backup, release, policyDraft, manifest, signingPlan, room });
  return {
    out,
    banner: [ceremonyBanner(script, out)],
    run: (bind) => startCeremony(deps, { scriptFile: file, extraFiles: { [SITE_COPY]: siteJson(site) }, extra: { answers: problems }, onCeremony: bind }),
  };
}
