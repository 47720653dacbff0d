// The export archive streamed packet by packet: what a zip reader finds in it (every file byte for byte under
// its folder, the index files whole and parseable, UNVERIFIED.txt where it belongs), with the index rows
// spooled in small appends and read back in small chunks as the CLI's temp files would be; folder names.
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { exportFolder, streamExportArchive, type ArchiveSpool, type ExportPacket } from '../../../../src/evidence/export/archive.js';
import type { CeremonySummary, IndexRow, PacketIndex } from '../../../../src/evidence/export/packet-index.types.js';

function summary(n: number, verified: boolean): CeremonySummary {
  return {
    ceremonyId: `run-${n}`,
    scriptId: 'drill',
    scriptVersion: 1,
    scriptSha256: null,
    outcome: 'completed',
    rehearsal: true,
    verified,
    pinned: false,
    problems: verified ? [] : ['manifest: manifest.json: signature does not verify'],
    evidenceKeySha256: null,
    startedAt: `2026-12-0${n}T10:00:00.000Z`,
    endedAt: null,
    events: 2,
    retainUntil: 'unknown',
    retainBasis: 'none',
  };
}

function row(n: number, seq: number): IndexRow {
  return { ceremonyId: `run-${n}`, scriptId: 'drill', seq, stepId: 'check-in', stepNumber: 1, time: 't', person: '=HYPERLINK("x")', role: 'r', roleTitle: 'R', action: 'a', entry: 'step.event a', result: 'ok', evidenceFile: 'journal.jsonl', entryHash: `h${seq}`, verified: true, pinned: false, rehearsal: true };
}

/** A spool in memory that hands data back in 7-byte chunks, as a file read in pieces would. */
function memorySpool(): ArchiveSpool {
  const parts = new Map<string, string>();
  return {
    append: (name, text) => parts.set(name, (parts.get(name) ?? '') + text),
    *chunks(name) {
      const bytes = Buffer.from(parts.get(name) ?? '', 'utf8');
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    },
  };
}

describe('streamExportArchive', () => {
  const packets: ExportPacket[] = [1, 2, 3].map((n) => ({ folder: exportFolder(summary(n, n !== 2)), source: `/p/${n}`, paths: ['journal.jsonl', 'steps/01-check-in.pdf'], summary: summary(n, n !== 2) }));
  const load = (p: ExportPacket): { files: Map<string, Buffer>; index: PacketIndex } => {
    const n = Number(p.summary.ceremonyId.slice(4));
    return { files: new Map(p.paths.map((path) => [path, Buffer.from(`${path} of ${n} ${'x'.repeat(n * 1000)}`)])), index: { summary: p.summary, events: [row(n, 1), row(n, 2)], compliance: [] } };
  };
  const chunks: Uint8Array[] = [];
  const loaded: string[] = [];
  const result = streamExportArchive(packets, new Date('2026-12-04T00:00:00Z'), (p) => (loaded.push(p.folder), load(p)), { sink: (c) => chunks.push(c), spool: memorySpool() });
  const zip = unzipSync(Buffer.concat(chunks));
  const text = (p: string) => Buffer.from(zip[p]).toString('utf8');

  it('loads each packet once, in order, and holds every file byte for byte under its folder', () => {
    expect(loaded).toEqual(packets.map((p) => p.folder));
    for (const p of packets) for (const [path, bytes] of load(p).files) expect(Buffer.from(zip[`${p.folder}/${path}`]).equals(bytes)).toBe(true);
    expect(result).toEqual({ events: 6, entries: 3 * 2 + 1 + 3 });
  });

  it('marks only the packet that did not verify', () => {
    expect(Object.keys(zip).filter((k) => k.endsWith('UNVERIFIED.txt'))).toEqual([`${packets[1].folder}/UNVERIFIED.txt`]);
    expect(text(`${packets[1].folder}/UNVERIFIED.txt`)).toContain('- manifest: manifest.json: signature does not verify');
  });

  it('index.csv and index.json hold every row, whole, with formula-like cells neutralised', () => {
    const csv = text('index.csv').split('\r\n');
    expect(csv[0]).toMatch(/^ceremony id,script id,seq,/);
    expect(csv.filter((l) => l.startsWith('run-'))).toHaveLength(6);
    expect(csv[1]).toContain(`"'=HYPERLINK(""x"")"`);
    const json = JSON.parse(text('index.json')) as { format: string; ceremonies: Array<{ folder: string }>; events: IndexRow[]; compliance: unknown[] };
    expect(json.format).toBe('officiant-export/1');
    expect(json.ceremonies.map((c) => c.folder)).toEqual(packets.map((p) => p.folder));
    expect(json.events.map((e) => `${e.ceremonyId}#${e.seq}`)).toEqual(['run-1#1', 'run-1#2', 'run-2#1', 'run-2#2', 'run-3#1', 'run-3#2']);
    expect(json.compliance).toEqual([]);
    expect(text('compliance.csv')).toMatch(/^ceremony id,requirement,/);
  });

  it('stops when a packet cannot be loaded again: the caller then writes nothing', () => {
    const boom = () => streamExportArchive(packets, new Date(), () => {
      throw new Error('changed while it was being exported');
    }, { sink: () => undefined, spool: memorySpool() });
    expect(boom).toThrow('changed while it was being exported');
  });
});

describe('exportFolder', () => {
  it.each([
    [{ scriptId: 'release-authority-init', startedAt: '2026-12-04T21:51:53.645Z', ceremonyId: 'f7439f24-a6f8-40fc-a081-b3dda2536856' }, 'release-authority-init_2026-12-04_f7439f24-a6f8-40fc-a081-b3dda2536856'],
    [{ scriptId: '../x y', startedAt: null, ceremonyId: '' }, 'x-y_undated_run'],
    [{ scriptId: 'a', startedAt: 'not a date', ceremonyId: 'r/../../etc' }, 'a_undated_r-..-..-etc'],
  ])('%j -> %s', (s, folder) => {
    expect(exportFolder(s)).toBe(folder);
  });
});
