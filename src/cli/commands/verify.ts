// officiant verify <dir> [--trust <cert.pem|sha256>] [--head <hex|words>] [--roster <file|sha256>] [--json]:
// reads every file of a packet directory (nothing skipped, so a stray file is seen), hands them and the pins to
// verifyPacket, prints one line per check group, the notes, and a last line (cli/messages.ts verifiedLine):
// `verified: ...` when the evidence key is pinned (--trust), `verified, evidence key NOT PINNED: ...` naming
// what to compare when it is not, or `FAILED`. Exit 0 all hold, 1 any fails, 2 not a packet or a bad pin.
import { verifyPacket } from '../../evidence/verify-packet.js';
import { readPacketDir, readRosterPin, readTrust } from '../read-packet.js';
import { verifiedLine } from '../messages.js';

export interface VerifyFlags {
  trust?: string;
  head?: string;
  roster?: string;
  json?: boolean;
}

export function verifyCommand(dir: string, flags: VerifyFlags, print: (l: string) => void): number {
  const files = readPacketDir(dir);
  const report = verifyPacket(files, { trust: readTrust(flags.trust), head: flags.head, roster: readRosterPin(flags.roster) });
  if (flags.json) {
    print(JSON.stringify({ ...report, pinned: report.pinned.evidenceKey, pins: report.pinned }, null, 2));
    return report.ok ? 0 : 1;
  }
  for (const g of report.groups) {
    if (g.ok) {
      print(`ok   ${g.name}`);
      continue;
    }
    print(`FAIL ${g.name}: ${g.problems[0]}`);
    for (const p of g.problems.slice(1)) print(`       ${p}`);
  }
  for (const g of report.groups) for (const n of g.notes) print(`note: ${n}`);
  const problems = report.groups.reduce((n, g) => n + g.problems.length, 0);
  if (report.ok) {
    print(verifiedLine(files.size, report));
    return 0;
  }
  print(`FAILED: ${problems} problem(s)`);
  return 1;
}
