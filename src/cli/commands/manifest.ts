// officiant manifest verify <manifest> --keyring <keyring.json> [--keyring-sha256 <sha256>] [--previous <manifest>]
// [--channel <c>] [--device <family>] [--now <time>] [--production] [--json]: an OTA manifest checked by a device
// or an OTA service (custody/verify-ota-manifest.ts): one line per check (`ok   <check>`, or `FAIL <check>:
// <problem>` with the check's other problems under it), the notes, then the last line (cli/messages.ts
// manifestVerifiedLine: `verified: ...` when the keyring is pinned, `verified, keyring NOT PINNED: ...` when it
// is not) or `FAILED: N problem(s)`. Exit 0 all hold, 1 any fails, 2 a file that cannot be read, is too large or
// is not JSON, or a malformed flag, every one listed (cli/manifest-inputs.ts).
import { verifyManifest } from '../../custody/verify-ota-manifest.js';
import { readManifestInputs, type ManifestInputFlags } from '../manifest-inputs.js';
import { checkLines, manifestVerifiedLine, terminalSafe } from '../messages.js';

export interface ManifestVerifyFlags extends ManifestInputFlags {
  channel?: string;
  device?: string;
  production?: boolean;
  json?: boolean;
}

export function manifestVerifyCommand(path: string, flags: ManifestVerifyFlags, print: (l: string) => void): number {
  const { manifest, keyring, previous, now } = readManifestInputs(path, flags);
  const report = verifyManifest(manifest, keyring, { now, previous, channel: flags.channel, device: flags.device, production: flags.production === true });
  if (flags.json) {
    print(terminalSafe(JSON.stringify(report, null, 2)));
    return report.ok ? 0 : 1;
  }
  checkLines(report.checks).forEach(print);
  for (const n of report.notes) print(terminalSafe(`note: ${n}`));
  print(report.ok ? terminalSafe(manifestVerifiedLine(report)) : `FAILED: ${report.problems} problem(s)`);
  return report.ok ? 0 : 1;
}
