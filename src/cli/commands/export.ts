// officiant export <dir>... --out <file.zip> [--include-unverified] [--trust <cert.pem|sha256>]...
// [--trust-file <file>] [--allow-unpinned]: reads and verifies every packet, then writes one archive for
// compliance (layout: buildExportArchive). A packet that does not verify is refused (exit 1, nothing written)
// unless --include-unverified, and then marked. A packet whose evidence key is not among the keys the exporter
// trusts (--trust, once per key, or --trust-file) is refused the same way unless --allow-unpinned, and then
// marked unpinned in index.csv and compliance.csv. A
// directory that is not a packet, or an --out that exists, is bad input (exit 2); the archive appears whole or
// not at all, and an existing file is never replaced.
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { exportFolder, streamExportArchive, type ArchiveSpool, type ExportPacket } from '../../evidence/export/archive.js';
import type { PacketIndex } from '../../evidence/export/packet-index.types.js';
import { sha256Hex } from '../../record/digest.js';
import { buildPacketIndex } from '../../evidence/export-index.js';
import { verifyPacket, type PacketReport } from '../../evidence/verify-packet.js';
import { readPacketDir, readTrustSet } from '../read-packet.js';
import { writeNewFileWith } from '../write-new-file.js';

export interface ExportFlags {
  out: string;
  includeUnverified?: boolean;
  trust?: string[];
  trustFile?: string;
  allowUnpinned?: boolean;
}

/** How many of a refused packet's problems are printed under it (all of them are in UNVERIFIED.txt). */
const SHOWN_PROBLEMS = 5;

type Exported = ExportPacket & { dir: string; digests: Map<string, string>; report: PacketReport };

/**
 * A packet's files read again for the archive, with its index: exactly the bytes verified in the first pass,
 * or the export stops (someone changed the packet meanwhile) and nothing is written.
 */
function reread(p: Exported): { files: ReadonlyMap<string, Buffer>; index: PacketIndex } {
  const files = readPacketDir(p.dir);
  const changed = [...p.digests].filter(([path, sha]) => files.get(path) === undefined || sha256Hex(files.get(path)!) !== sha).map(([path]) => path);
  const added = [...files.keys()].filter((path) => !p.digests.has(path));
  if (changed.length + added.length > 0) throw new OfficiantError('input.not-a-ceremony', `${p.dir} changed while it was being exported (${[...changed, ...added].slice(0, 3).join(', ')}); nothing written: export again`);
  return { files, index: buildPacketIndex(files, p.report) };
}

/** Index rows waiting in a private temp directory until every packet is in the archive. */
function tempSpool(): ArchiveSpool & { remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'officiant-export-'));
  const file = (name: string) => join(dir, name);
  return {
    append: (name, text) => appendFileSync(file(name), text, { mode: 0o600 }),
    *chunks(name) {
      if (!existsSync(file(name))) return;
      const fd = openSync(file(name), 'r');
      try {
        const buf = Buffer.alloc(1 << 20);
        for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) yield Buffer.from(buf.subarray(0, n));
      } finally {
        closeSync(fd);
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function exportCommand(dirs: string[], flags: ExportFlags, print: (l: string) => void): number {
  // Refused before any packet is read: an archive people may already have handed on is never replaced.
  if (existsSync(flags.out)) throw new OfficiantError('input.file-exists', `${flags.out} already exists`);
  const trusted = readTrustSet(flags.trust ?? [], flags.trustFile);
  // First pass: each packet read, verified and indexed; only its index and file digests are kept, so memory
  // does not grow with the packets' files.
  const packets: Exported[] = [];
  const folders = new Map<string, string>();
  for (const dir of dirs) {
    const files = readPacketDir(dir);
    const report = verifyPacket(files);
    const pinned = report.ok && report.evidenceKeySha256 !== undefined && trusted.has(report.evidenceKeySha256);
    const pinnedReport = { ...report, pinned: { ...report.pinned, evidenceKey: pinned } };
    const { summary } = buildPacketIndex(files, pinnedReport);
    const folder = exportFolder(summary);
    const twin = folders.get(folder);
    if (twin !== undefined) throw new OfficiantError('input.not-a-ceremony', `${twin} and ${dir} are the same ceremony (${folder}); export each packet once`);
    folders.set(folder, dir);
    const digests = new Map([...files].map(([path, bytes]) => [path, sha256Hex(bytes)]));
    packets.push({ dir, folder, source: dir, paths: [...files.keys()], digests, summary, report: pinnedReport });
  }

  const failing = packets.filter((p) => !p.summary.verified);
  if (failing.length > 0 && !flags.includeUnverified) {
    for (const p of failing) {
      const problems = p.summary.problems;
      print(`refused ${p.dir}: does not verify (${problems.length} problem(s))`);
      for (const x of problems.slice(0, SHOWN_PROBLEMS)) print(`  ${x}`);
      if (problems.length > SHOWN_PROBLEMS) print(`  ... ${problems.length - SHOWN_PROBLEMS} more (officiant verify ${p.dir})`);
    }
    print(`FAILED: ${failing.length} of ${packets.length} packet(s) do not verify; nothing written (--include-unverified includes them, marked)`);
    return 1;
  }

  const unpinned = packets.filter((p) => p.summary.verified && !p.summary.pinned);
  if (unpinned.length > 0 && !flags.allowUnpinned) {
    for (const p of unpinned) print(`refused ${p.dir}: its evidence key ${p.summary.evidenceKeySha256} is not pinned (compare it out of band, then pass --trust <sha256> or a --trust-file)`);
    print(`FAILED: ${unpinned.length} of ${packets.length} packet(s) have an evidence key you did not pin; nothing written (--allow-unpinned includes them, marked)`);
    return 1;
  }

  // Second pass: the archive streamed to a temp file beside --out, one packet's files in memory at a time.
  let archive = { events: 0, entries: 0 };
  const spool = tempSpool();
  try {
    writeNewFileWith(flags.out, (sink) => {
      archive = streamExportArchive(packets, new Date(), (p) => reread(p as Exported), { sink, spool });
    });
  } finally {
    spool.remove();
  }
  for (const p of packets) {
    const s = p.summary;
    print(`included ${p.dir} as ${p.folder} (${s.verified ? (s.pinned ? 'verified, evidence key pinned' : 'verified, evidence key NOT pinned') : `UNVERIFIED: ${s.problems.length} problems`})`);
  }
  print(`wrote ${flags.out}: ${packets.length} packets, ${archive.events} events`);
  return 0;
}
