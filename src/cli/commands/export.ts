// officiant export <dir>... --out <file.zip> [--include-unverified] [--trust <cert.pem|sha256>]...
// [--trust-file <file>] [--allow-unpinned]: reads and verifies every packet, then writes one archive for
// compliance (layout: buildExportArchive). A packet that does not verify is refused (exit 1, nothing written)
// unless --include-unverified, and then marked. A packet whose evidence key is not among the keys the exporter
// trusts (--trust, once per key, or --trust-file) is refused the same way unless --allow-unpinned, and then
// marked unpinned in index.csv and compliance.csv. A
// directory that is not a packet, or an --out that exists, is bad input (exit 2); the archive appears whole or
// not at all, and an existing file is never replaced.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { buildExportArchive, type ExportPacket } from '../../evidence/export/archive.js';
import { buildPacketIndex } from '../../evidence/export-index.js';
import { verifyPacket } from '../../evidence/verify-packet.js';
import { readPacketDir, readTrustSet } from '../read-packet.js';
import { writeNewFile } from '../write-new-file.js';

export interface ExportFlags {
  out: string;
  includeUnverified?: boolean;
  trust?: string[];
  trustFile?: string;
  allowUnpinned?: boolean;
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
  const trusted = readTrustSet(flags.trust ?? [], flags.trustFile);
  const packets: Array<ExportPacket & { dir: string }> = [];
  for (const dir of dirs) {
    const files = readPacketDir(dir);
    const report = verifyPacket(files);
    const pinned = report.ok && report.evidenceKeySha256 !== undefined && trusted.has(report.evidenceKeySha256);
    const index = buildPacketIndex(files, { ...report, pinned: { ...report.pinned, evidenceKey: pinned } });
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

  const unpinned = packets.filter((p) => p.index.summary.verified && !p.index.summary.pinned);
  if (unpinned.length > 0 && !flags.allowUnpinned) {
    for (const p of unpinned) print(`refused ${p.dir}: its evidence key ${p.index.summary.evidenceKeySha256} is not pinned (compare it out of band, then pass --trust <sha256> or a --trust-file)`);
    print(`FAILED: ${unpinned.length} of ${packets.length} packet(s) have an evidence key you did not pin; nothing written (--allow-unpinned includes them, marked)`);
    return 1;
  }

  const archive = buildExportArchive(packets, new Date());
  writeNewFile(flags.out, archive.zip);
  for (const p of packets) {
    const s = p.index.summary;
    print(`included ${p.dir} as ${p.folder} (${s.verified ? (s.pinned ? 'verified, evidence key pinned' : 'verified, evidence key NOT pinned') : `UNVERIFIED: ${s.problems.length} problems`})`);
  }
  print(`wrote ${flags.out}: ${packets.length} packets, ${archive.events} events`);
  return 0;
}
