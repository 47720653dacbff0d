// Pure auditor logic over a sealed evidence packet (format: evidence/README.md). verifyPacket() is handed the
// packet's files as bytes and knows nothing about where they came from. It recomputes whatever it can instead
// of believing the packet: every hash, every CMS signature (parsed with pkijs/asn1js, checked with node:crypto
// against the evidence certificate, never against what a PDF or CMS says about itself), the journal's hash
// chain, and the links between journal, pages, outputs, packet.pdf and manifest.json. It never throws on bad
// data: every problem is reported, each naming the packet file and what is wrong. This file only orders the
// checks; each check group lives in verify/check-*.ts.
import { JOURNAL } from './packet-files.js';
import { checkBackups } from './verify/check-backups.js';
import { checkInputs } from './verify/check-inputs.js';
import { checkReleaseOutput } from './verify/check-release-output.js';
import { checkOtaManifest } from './verify/check-ota-manifest.js';
import { checkWindow } from './verify/check-window.js';
import { checkCeremony } from './verify/check-ceremony.js';
import { Group, type Context } from './verify/check-context.js';
import { checkEvidenceKey, loadEvidenceCert } from './verify/check-evidence-key.js';
import { checkJournal, readJournal } from './verify/check-journal.js';
import { checkManifest } from './verify/check-manifest.js';
import { checkOfficers } from './verify/check-officers.js';
import { checkOutputs } from './verify/check-outputs.js';
import { checkOutputKeys } from './verify/check-output-keys.js';
import { checkPageChain } from './verify/check-page-chain.js';
import { checkPdfSignatures } from './verify/check-pdf-signatures.js';
import { checkScript } from './verify/check-script.js';
import type { PacketPins, PacketReport } from './verify/packet-report.types.js';
import { checkHeadPin } from './verify/check-pins.js';

export type { PacketCheckGroup, PacketPins, PacketReport, PacketTrust } from './verify/packet-report.types.js';
export { normalizeFingerprint } from './verify/check-evidence-key.js';

export const CHECK_GROUPS = ['manifest', 'journal', 'script', 'ceremony', 'pdf signatures', 'chain', 'outputs', 'evidence key', 'officers', 'backup', 'rehearsal'] as const;

/**
 * Verifies an evidence packet completely offline. `files` maps packet-relative paths ('journal.jsonl',
 * 'steps/01-check-in.pdf', ...) to their bytes and must hold every file of the directory, so that a stray file
 * is seen. `trust` pins the evidence certificate (PEM or SHA-256 of its DER); without it the report's notes
 * carry the fingerprint to compare out of band.
 */
export function verifyPacket(files: ReadonlyMap<string, Buffer>, options: PacketPins = {}): PacketReport {
  const journalBytes = files.get(JOURNAL);
  const read = journalBytes ? readJournal(journalBytes) : undefined;
  const entries = read?.entries ?? [];
  const ctx: Context = {
    files,
    entries,
    started: entries[0]?.type === 'ceremony.started' ? entries[0] : undefined,
    final: entries.find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted'),
    sealed: [...entries].reverse().find((e) => e.type === 'ceremony.sealed'),
    headPinned: options.head !== undefined,
  };
  const groups = Object.fromEntries(CHECK_GROUPS.map((n) => [n, new Group(n)])) as Record<(typeof CHECK_GROUPS)[number], Group>;
  const run = (g: Group, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      // A bug in verify must not pass a packet: it is reported as a failed check.
      g.fail(`(verify) internal error while checking ${g.name}: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  run(groups['evidence key'], () => loadEvidenceCert(groups['evidence key'], ctx));
  run(groups.manifest, () => checkManifest(groups.manifest, ctx));
  run(groups.journal, () => checkJournal(groups.journal, ctx, read));
  if (options.head !== undefined) run(groups.journal, () => checkHeadPin(groups.journal, ctx, options.head!));
  run(groups.script, () => checkScript(groups.script, ctx));
  run(groups.ceremony, () => checkCeremony(groups.ceremony, ctx));
  run(groups['pdf signatures'], () => checkPdfSignatures(groups['pdf signatures'], ctx));
  run(groups.chain, () => checkPageChain(groups.chain, ctx));
  run(groups.outputs, () => checkOutputs(groups.outputs, ctx));
  run(groups['evidence key'], () => checkEvidenceKey(groups['evidence key'], ctx, options.trust));
  run(groups.officers, () => checkOfficers(groups.officers, ctx, options.roster));
  // After the officers check: certificates of officers who joined a live roster are issued by its enrollment CA.
  run(groups.outputs, () => checkOutputKeys(groups.outputs, ctx));
  run(groups.backup, () => checkBackups(groups.backup, ctx));
  run(groups.outputs, () => checkInputs(groups.outputs, ctx));
  run(groups.outputs, () => checkReleaseOutput(groups.outputs, ctx));
  run(groups.outputs, () => checkOtaManifest(groups.outputs, ctx));
  run(groups.ceremony, () => checkWindow(groups.ceremony, ctx));
  const rehearsal = ctx.started?.data.mode === 'rehearsal';
  if (rehearsal) groups.rehearsal.note('rehearsal: made on a throwaway SoftHSM with simulated people; not production evidence');
  else if (ctx.started?.data.mode === 'production') groups.rehearsal.note('production ceremony (not a rehearsal)');
  else if (ctx.started) groups.rehearsal.fail(`${JOURNAL}: line 1: mode ${JSON.stringify(ctx.started.data.mode)} is neither rehearsal nor production`);
  const result = CHECK_GROUPS.map((n) => groups[n].done());
  const ok = result.every((g) => g.ok);
  const pinned = { evidenceKey: ok && options.trust !== undefined, head: ok && options.head !== undefined, roster: ok && options.roster !== undefined };
  const outcome = ctx.final?.type === 'ceremony.aborted' ? 'aborted' : ctx.final ? 'completed' : undefined;
  return { groups: result, ok, evidenceKeySha256: ctx.cert?.sha256, rehearsal, outcome, pinned, countersigned: ok && ctx.countersigned === true };
}
