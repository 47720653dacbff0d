// officiant export <dir>... --out <file.zip> [--include-unverified] [--trust <cert.pem|sha256>]: reads and
// verifies every packet, then writes one archive for compliance (layout: buildExportArchive). A packet that
// does not verify is refused (exit 1, nothing written) unless --include-unverified, and then marked. A
// directory that is not a packet, or an --out that exists, is bad input (exit 2); the archive appears whole or
// not at all, and an existing file is never replaced.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { buildExportArchive, type ExportPacket } from '../../evidence/export/archive.js';
import { buildPacketIndex } from '../../evidence/export-index.js';
import { verifyPacket } from '../../evidence/verify-packet.js';
import { readPacketDir, readTrust } from '../read-packet.js';
import { writeNewFile } from '../write-new-file.js';

export interface ExportFlags {
  out: string;
  includeUnverified?: boolean;
  trust?: string;
}

/** How many of a refused packet's problems are printed under it (all of them are in UNVERIFIED.txt). */
const SHOWN_PROBLEMS = 5;

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function folderFor(ceremonyId: string, dir: string): string {
  if (SAFE_NAME.test(ceremonyId)) return ceremonyId;
  const name = basename(resolve(dir));
  return SAFE_NAME.test(name) ? name : 'packet';
}

export function exportCommand(dirs: string[], flags: ExportFlags, print: (l: string) => void): number {
  // Refused before any packet is read: an archive people may already have handed on is never replaced.
  if (existsSync(flags.out)) throw new OfficiantError('input.file-exists', `${flags.out} already exists`);
  const trust = readTrust(flags.trust);
  const packets: Array<ExportPacket & { dir: string }> = [];
  for (const dir of dirs) {
    const files = readPacketDir(dir);
    const index = buildPacketIndex(files, verifyPacket(files, { trust }));
    const folder = folderFor(index.summary.ceremonyId, dir);
    const twin = packets.find((p) => p.folder === folder);
    if (twin) throw new OfficiantError('input.not-a-ceremony', `${twin.dir} and ${dir} are the same ceremony (${folder}); export each packet once`);
    packets.push({ dir, folder, source: dir, files, index });
  }

  const failing = packets.filter((p) => !p.index.summary.verified);
  if (failing.length > 0 && !flags.includeUnverified) {
    for (const p of failing) {
      const problems = p.index.summary.problems;
      print(`refused ${p.dir}: does not verify (${problems.length} problem(s))`);
      for (const x of problems.slice(0, SHOWN_PROBLEMS)) print(`  ${x}`);
      if (problems.length > SHOWN_PROBLEMS) print(`  ... ${problems.length - SHOWN_PROBLEMS} more (officiant verify ${p.dir})`);
    }
    print(`FAILED: ${failing.length} of ${packets.length} packet(s) do not verify; nothing written (--include-unverified includes them, marked)`);
    return 1;
  }

  const archive = buildExportArchive(packets, new Date());
  writeNewFile(flags.out, archive.zip);
  for (const p of packets) {
    const s = p.index.summary;
    print(`included ${p.dir} as ${p.folder} (${s.verified ? 'verified' : `UNVERIFIED: ${s.problems.length} problems`})`);
  }
  print(`wrote ${flags.out}: ${packets.length} packets, ${archive.events} events`);
  return 0;
}
