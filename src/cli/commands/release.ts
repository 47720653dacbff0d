// officiant release verify <bundle> --trust <cert.pem|sha256> [--json]: a release bundle checked by whoever
// receives it, outside the trust boundary (custody/verify-release-bundle.ts): one line per check (`ok   <check>`,
// or `FAIL <check>: <problem>` with the check's other problems under it), then the last line
// (cli/messages.ts releaseVerifiedLine) or `FAILED: N problem(s)`. Exit 0 all hold, 1 any fails, 2 no such
// directory, not a bundle at all, or a malformed --trust (compose/release-bundle.ts).
import { openReleaseBundle, readReleaseTrust } from '../compose/release-bundle.js';
import { verifyReleaseBundle } from '../../custody/verify-release-bundle.js';
import { checkLines, releaseVerifiedLine, terminalSafe } from '../messages.js';

export interface ReleaseVerifyFlags {
  trust: string;
  json?: boolean;
}

export function releaseVerifyCommand(dir: string, flags: ReleaseVerifyFlags, print: (l: string) => void): number {
  const trust = readReleaseTrust(flags.trust);
  const report = verifyReleaseBundle(openReleaseBundle(dir), trust);
  if (flags.json) {
    print(terminalSafe(JSON.stringify(report, null, 2)));
    return report.ok ? 0 : 1;
  }
  checkLines(report.checks).forEach(print);
  print(report.ok && report.summary ? terminalSafe(releaseVerifiedLine(report.summary)) : `FAILED: ${report.problems} problem(s)`);
  return report.ok ? 0 : 1;
}
