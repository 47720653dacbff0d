// The export archive: every packet's files byte for byte under its folder, UNVERIFIED.txt beside a packet that
// did not verify (included on request), and the index files (index.csv, index.json, compliance.csv) in one zip.
import { zipSync, type Zippable } from 'fflate';
import { complianceCsv, indexCsv } from './csv.js';
import type { PacketIndex } from './packet-index.types.js';

export const EXPORT_FORMAT = 'officiant-export/1';

export interface ExportPacket {
  /** Folder of the packet inside the archive (the ceremony id, unless that is unusable as a name). */
  folder: string;
  /** Where the packet was read from, as the person named it. */
  source: string;
  files: ReadonlyMap<string, Buffer>;
  index: PacketIndex;
}

export interface ExportArchive {
  zip: Uint8Array;
  /** Archive path -> bytes, as zipped. */
  entries: Map<string, Buffer>;
  events: number;
}

function unverifiedText(p: ExportPacket, exportedAt: Date): string {
  const problems = p.index.summary.problems;
  return [
    'THIS PACKET DID NOT VERIFY.',
    '',
    `It was included on request (officiant export --include-unverified) at ${exportedAt.toISOString()}.`,
    `Ceremony: ${p.index.summary.ceremonyId}; read from: ${p.source}`,
    `The other files of this folder are that directory's files, unchanged; this file is not part of the packet.`,
    '',
    `Problems found by verify (${problems.length}):`,
    ...problems.map((x) => `- ${x}`),
    '',
  ].join('\n');
}

/** Every packet's files under `<folder>/` byte for byte, UNVERIFIED.txt where needed, index.csv/json, compliance.csv. */
export function buildExportArchive(packets: readonly ExportPacket[], exportedAt: Date): ExportArchive {
  const entries = new Map<string, Buffer>();
  const add = (path: string, bytes: Buffer) => {
    if (entries.has(path)) throw new Error(`two archive entries named ${path}`);
    entries.set(path, bytes);
  };
  const events = packets.flatMap((p) => p.index.events);
  const compliance = packets.flatMap((p) => p.index.compliance);
  const ceremonies = packets.map((p) => ({ folder: p.folder, source: p.source, ...p.index.summary }));
  add('index.csv', Buffer.from(indexCsv(events), 'utf8'));
  add('index.json', Buffer.from(`${JSON.stringify({ format: EXPORT_FORMAT, exportedAt: exportedAt.toISOString(), ceremonies, events, compliance }, null, 2)}\n`, 'utf8'));
  add('compliance.csv', Buffer.from(complianceCsv(compliance), 'utf8'));
  for (const p of packets) {
    for (const path of [...p.files.keys()].sort()) add(`${p.folder}/${path}`, p.files.get(path)!);
    if (!p.index.summary.verified) {
      // A packet may itself hold a stray UNVERIFIED.txt; the marker then sits beside the folder.
      const marker = p.files.has('UNVERIFIED.txt') ? `${p.folder}.UNVERIFIED.txt` : `${p.folder}/UNVERIFIED.txt`;
      add(marker, Buffer.from(unverifiedText(p, exportedAt), 'utf8'));
    }
  }
  const zippable: Zippable = {};
  for (const [path, bytes] of entries) zippable[path] = [bytes, { level: 6, mtime: exportedAt }];
  return { zip: zipSync(zippable), entries, events: events.length };
}
