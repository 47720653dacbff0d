// The export archive: every packet's files byte for byte under its folder, UNVERIFIED.txt beside a packet that
// did not verify (included on request), and the index files (index.csv, index.json, compliance.csv) in one zip,
// streamed: only one packet's files are in memory at a time, however many packets are exported.
import { Zip, ZipDeflate } from 'fflate';
import { complianceCsvRecords, COMPLIANCE_COLUMNS, csvRecords, indexCsvRecords, INDEX_COLUMNS } from './csv.js';
import type { CeremonySummary as PacketSummary, PacketIndex } from './packet-index.types.js';

export const EXPORT_FORMAT = 'officiant-export/1';

export interface ExportPacket {
  /** Folder of the packet inside the archive: script id, date, ceremony run (see exportFolder). */
  folder: string;
  /** Where the packet was read from, as the person named it. */
  source: string;
  /** The packet's file paths. */
  paths: readonly string[];
  summary: PacketSummary;
}

/**
 * Where the index rows wait until every packet is in the archive (a temp directory the caller owns): what is
 * appended under a name is read back in chunks, in order.
 */
export interface ArchiveSpool {
  append(name: string, text: string): void;
  chunks(name: string): Iterable<Uint8Array>;
}

const SAFE = /[^A-Za-z0-9._-]+/g;

/**
 * A packet's folder in the archive, readable in a file list: `<script-id>_<date the ceremony started>_<run id>`
 * (each part reduced to letters, digits, dot, dash and underscore), so folders sort by script then date.
 */
export function exportFolder(summary: { scriptId: string; startedAt: string | null; ceremonyId: string }): string {
  const part = (x: string, fallback: string) => x.replace(SAFE, '-').replace(/^[-.]+|-+$/g, '') || fallback;
  const date = summary.startedAt && /^\d{4}-\d{2}-\d{2}/.test(summary.startedAt) ? summary.startedAt.slice(0, 10) : 'undated';
  return `${part(summary.scriptId, 'script')}_${date}_${part(summary.ceremonyId, 'run')}`;
}

function unverifiedText(p: ExportPacket, index: PacketIndex, exportedAt: Date): string {
  const problems = index.summary.problems;
  return [
    'THIS PACKET DID NOT VERIFY.',
    '',
    `It was included on request (officiant export --include-unverified) at ${exportedAt.toISOString()}.`,
    `Ceremony: ${index.summary.ceremonyId}; read from: ${p.source}`,
    `The other files of this folder are that directory's files, unchanged; this file is not part of the packet.`,
    '',
    `Problems found by verify (${problems.length}):`,
    ...problems.map((x) => `- ${x}`),
    '',
  ].join('\n');
}

/**
 * Streams the archive to `sink`: every packet's files under `<folder>/` byte for byte, loaded by `load` one
 * packet at a time with its index, UNVERIFIED.txt where needed, then index.csv, compliance.csv and index.json
 * from the rows spooled meanwhile. Memory holds one packet and the packets' summaries, never all their files
 * or rows. Returns the number of index events and archive entries.
 */
export function streamExportArchive(
  packets: readonly ExportPacket[],
  exportedAt: Date,
  load: (p: ExportPacket) => { files: ReadonlyMap<string, Buffer>; index: PacketIndex },
  io: { sink: (chunk: Uint8Array) => void; spool: ArchiveSpool },
): { events: number; entries: number } {
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else io.sink(chunk);
  });
  const names = new Set<string>();
  /** One archive entry from its parts, pushed as they come. */
  const add = (path: string, parts: Iterable<Uint8Array | string>) => {
    if (names.has(path)) throw new Error(`two archive entries named ${path}`);
    names.add(path);
    const file = new ZipDeflate(path, { level: 6 });
    file.mtime = exportedAt;
    zip.add(file);
    for (const part of parts) file.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
    file.push(new Uint8Array(0), true);
    if (failure) throw failure;
  };
  let events = 0;
  let compliance = 0;
  for (const p of packets) {
    const { files, index } = load(p);
    for (const path of [...p.paths].sort()) add(`${p.folder}/${path}`, [files.get(path)!]);
    if (!index.summary.verified) {
      // A packet may itself hold a stray UNVERIFIED.txt; the marker then sits beside the folder.
      const marker = p.paths.includes('UNVERIFIED.txt') ? `${p.folder}.UNVERIFIED.txt` : `${p.folder}/UNVERIFIED.txt`;
      add(marker, [unverifiedText(p, index, exportedAt)]);
    }
    io.spool.append('index.csv', indexCsvRecords(index.events));
    io.spool.append('compliance.csv', complianceCsvRecords(index.compliance));
    io.spool.append('events.json', index.events.map((e) => `${events++ === 0 ? '' : ',\n'}    ${JSON.stringify(e)}`).join(''));
    io.spool.append('compliance.json', index.compliance.map((c) => `${compliance++ === 0 ? '' : ',\n'}    ${JSON.stringify(c)}`).join(''));
  }
  const ceremonies = packets.map((p) => ({ folder: p.folder, source: p.source, ...p.summary }));
  add('index.csv', [csvRecords([INDEX_COLUMNS]), ...io.spool.chunks('index.csv')]);
  add('compliance.csv', [csvRecords([COMPLIANCE_COLUMNS]), ...io.spool.chunks('compliance.csv')]);
  const head = JSON.stringify({ format: EXPORT_FORMAT, exportedAt: exportedAt.toISOString(), ceremonies }, null, 2).replace(/\n}$/, '');
  add('index.json', [head, ',\n  "events": [\n', ...io.spool.chunks('events.json'), '\n  ],\n  "compliance": [\n', ...io.spool.chunks('compliance.json'), '\n  ]\n}\n']);
  zip.end();
  if (failure) throw failure;
  return { events, entries: names.size };
}
