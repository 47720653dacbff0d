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
import { OfficiantError } from '../../errors.js';
import { signsManifest } from '../../inputs/manifest.js';
import { orThrow } from '../input-error.js';
import { ceremonyBanner, MANIFEST_RUN_NOT_YET } from '../messages.js';
import { ceremonyDeps, checkTemplates, defaultOut, pivSite } from '../compose.js';
import { inputFiles, loadBackup, loadScript } from './input-files.js';
import { prompterFor } from './prompter.js';
import type { CeremonySession } from './session.js';

export interface RunFlags extends SiteFlags, ReleaseFlags {
  out?: string;
  answers?: string;
  roster?: string;
  backup?: string;
}

export function siteJson(site: HsmSite | undefined): string {
  return `${JSON.stringify(site ?? null, null, 2)}\n`;
}

export async function composeRun(file: string, flags: RunFlags, print: (l: string) => void): Promise<CeremonySession> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  if (signsManifest(script)) throw new OfficiantError('input.request-invalid', MANIFEST_RUN_NOT_YET);
  const { hsm: site, piv } = orThrow(loadSite(inputFiles, script, flags));
  const roster = flags.roster ? orThrow(loadPinnedRoster(inputFiles, flags.roster, { siteFile: flags.site, piv })) : undefined;
  await checkTemplates();
  const { prompter, problems } = await prompterFor(script, flags.answers, print);
  const out = flags.out ?? defaultOut(script);
  const backup = flags.backup ? loadBackup(flags.backup, { blobs: needsBlobs(script) }) : undefined;
  const release = signsRelease(script) ? orThrow(loadRelease(inputFiles, script, flags, { site, roster: roster?.body, out, now: new Date(), releaseFiles: fsReleaseFiles })) : undefined;
  const policyDraft = adoptsPolicy(script) ? orThrow(loadPolicyDraft(inputFiles, flags)) : undefined;
  const deps = ceremonyDeps({ script, text, site, rehearsal: false, prompter, out, roster, piv: piv ? pivSite(piv) : undefined, backup, release, policyDraft });
  return {
    out,
    banner: [ceremonyBanner(script, out)],
    run: (bind) => startCeremony(deps, { scriptFile: file, extraFiles: { [SITE_COPY]: siteJson(site) }, extra: { answers: problems }, onCeremony: bind }),
  };
}
