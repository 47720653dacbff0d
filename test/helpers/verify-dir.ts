// The auditor's check of a packet directory, run inside the test process: the same reading (every file, nothing
// skipped) and the same pure verifier `officiant verify` calls, without starting a CLI process for it. The
// drills verify hundreds of packets; the verify command itself (flags, output, exit codes) is tested in the
// integration tier.
import { readPacketDir } from '../../src/cli/read-packet.js';
import { verifyPacket, type PacketPins, type PacketReport } from '../../src/evidence/verify-packet.js';

/** The verifier's report on the packet in `dir`, and its problems as lines for an assertion's message. */
export function verifyDir(dir: string, pins: PacketPins = {}): PacketReport & { failing: string } {
  const report = verifyPacket(readPacketDir(dir), pins);
  const failing = report.groups
    .filter((g) => !g.ok)
    .map((g) => `${g.name}: ${g.problems.join('; ')}`)
    .join('\n');
  return { ...report, failing };
}
