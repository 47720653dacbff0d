// The compliance export, as pure data over packets already read and verified (format: evidence/README.md).
// From one packet's files and its verifyPacket() report, buildPacketIndex() makes: one index row per journal
// entry (who, in which role, did what, with what result, and which signed file shows it); one compliance row
// per requirement of CA/B Forum BR 6.1.1.1, 5.2.2, 5.4.1, 5.4.3 and the WebTrust key-generation script contents
// (../shared/DOMAIN.md), each `satisfied`, `missing` or `not applicable` with the packet files and journal seqs
// that decide it; and the ceremony's retention date. export/archive.ts lays the packets, byte for byte, and the
// index files into one zip. Nothing here reads a file, and nothing here believes a claim it can recompute:
// statuses come from the journal and the files, never from what a page or the manifest says about itself.
import { JOURNAL, MANIFEST, SCRIPT_COPY as SCRIPT } from './packet-files.js';
import type { PacketReport } from './verify-packet.js';
import type { Ctx } from './export/export-context.js';
import { indexRows } from './export/journal-rows.js';
import type { PacketIndex } from './export/packet-index.types.js';
import { createResolver } from './export/people.js';
import { readEntries, readManifest, readScript } from './export/read-packet.js';
import { str } from './json-shape.js';
import { complianceRows } from './export/requirements.js';
import { retentionOf } from './export/retention.js';

/** Index rows, compliance rows and summary of one packet, from its files and its verifyPacket() report. */
export function buildPacketIndex(files: ReadonlyMap<string, Buffer>, report: PacketReport): PacketIndex {
  const entries = readEntries(files.get(JOURNAL));
  const script = readScript(files.get(SCRIPT));
  const manifest = readManifest(files.get(MANIFEST));
  const started = entries.find((e) => e.type === 'ceremony.started');
  const final = [...entries].reverse().find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
  const sealed = [...entries].reverse().find((e) => e.type === 'ceremony.sealed');
  const ceremonyId = str(started?.data.ceremonyId) ?? str(manifest?.ceremonyId) ?? 'unknown';
  const scriptId = str(started?.data.scriptId) ?? script?.id ?? 'unknown';
  const verified = report.ok;
  const ctx: Ctx = { files, report, entries, script, started, final, sealed, who: createResolver(entries, script), retention: retentionOf(files) };
  const pinned = verified && report.pinned.evidenceKey;
  const rehearsal = report.rehearsal;
  const events = indexRows(ctx, ceremonyId, scriptId, verified).map((r) => ({ ...r, pinned, rehearsal }));
  const compliance = complianceRows(ctx, ceremonyId, verified).map((r) => ({ ...r, pinned, rehearsal }));

  return {
    summary: {
      ceremonyId,
      scriptId,
      scriptVersion: typeof started?.data.scriptVersion === 'number' ? started.data.scriptVersion : (script?.version ?? null),
      scriptSha256: str(started?.data.scriptSha256) ?? null,
      outcome: final?.type === 'ceremony.completed' ? 'completed' : final?.type === 'ceremony.aborted' ? 'aborted' : 'unfinished',
      rehearsal: report.rehearsal,
      verified,
      pinned,
      problems: report.groups.flatMap((g) => g.problems),
      evidenceKeySha256: report.evidenceKeySha256 ?? null,
      startedAt: started?.time ?? null,
      endedAt: final?.time ?? null,
      events: events.length,
      retainUntil: ctx.retention.retainUntil,
      retainBasis: ctx.retention.basis,
    },
    events,
    compliance,
  };
}
