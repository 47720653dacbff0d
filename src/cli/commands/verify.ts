// officiant verify <dir> [--trust <cert.pem|sha256>] [--json]: reads every file of a packet directory (nothing
// skipped, so a stray file is seen), hands them to verifyPacket, prints one line per check group, the notes,
// and a last line starting with `verified` or `FAILED`. Exit 0 all hold, 1 any fails, 2 not a packet.
import { verifyPacket } from '../../evidence/verify-packet.js';
import { readPacketDir, readTrust } from '../read-packet.js';

export interface VerifyFlags {
  trust?: string;
  json?: boolean;
}

export function verifyCommand(dir: string, flags: VerifyFlags, print: (l: string) => void): number {
  const files = readPacketDir(dir);
  const trust = readTrust(flags.trust);
  const report = verifyPacket(files, { trust });
  if (flags.json) {
    print(JSON.stringify(report, null, 2));
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
    print(`verified: ${files.size} files, evidence key ${report.evidenceKeySha256}${report.rehearsal ? ' (rehearsal)' : ''}`);
    return 0;
  }
  print(`FAILED: ${problems} problem(s)`);
  return 1;
}
