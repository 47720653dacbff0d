// officiant manifest draft --channel <c> --version <n> --expires <time|30d> --device <family>... --release
// <bundle>... --trust <release cert.pem|sha256> --out <manifest.json>: the unsigned OTA manifest the release
// pipeline prepares (inputs/manifest-draft.ts). Each bundle is verified against the pinned release authority
// first, as `release verify` does; its artifacts become the targets. Every problem is listed and nothing is
// written (exit 2); an existing --out is refused.
import { existsSync } from 'node:fs';
import { verifiedStatement } from '../../custody/manifest-gates.js';
import { verifyReleaseBundle } from '../../custody/verify-release-bundle.js';
import { isOfficiantError } from '../../errors.js';
import { draftManifest, type DraftRelease, type ManifestDraftFlags } from '../../inputs/manifest-draft.js';
import { openReleaseBundle, readReleaseTrust } from '../compose/release-bundle.js';
import { orThrow } from '../input-error.js';
import { manifestDraftLines } from '../messages.js';
import { writeNewFile } from '../write-new-file.js';

export function manifestDraftCommand(flags: ManifestDraftFlags, print: (l: string) => void): number {
  const trust = readReleaseTrust(flags.trust);
  const releases = flags.release.map((dir): DraftRelease => {
    try {
      const reader = openReleaseBundle(dir);
      const report = verifyReleaseBundle(reader, trust);
      return { dir, report, statement: verifiedStatement(reader, report) };
    } catch (err) {
      if (isOfficiantError(err)) return { dir, unreadable: err.message.replace(`${dir}: `, '') };
      throw err;
    }
  });
  const draft = orThrow(draftManifest(flags, releases, new Date(), existsSync(flags.out)));
  writeNewFile(flags.out, draft.bytes);
  for (const line of manifestDraftLines(draft, flags.out)) print(line);
  return 0;
}
