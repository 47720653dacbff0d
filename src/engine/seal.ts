// Sealing a finished ceremony (completed or aborted): packet.pdf (signed, journaled), then a `ceremony.sealed`
// entry, then manifest.json and its detached signature. The manifest lists the final journal, so it is
// written after the last entry and carries no result entry of its own: it is rebuilt from the files whenever
// it is missing or stale, which makes a crash at any point of sealing harmless. It lists only files the
// ceremony wrote: a stranger in the directory stops the seal rather than being signed.
import { fingerprintOf } from '../record/fingerprint.js';
import { pemToDer } from '../custody/pem.js';
import { OfficiantError } from '../errors.js';
import { detachedCms } from '../evidence/cms.js';
import type { PacketDocument, PacketManifest } from '../evidence/packet.types.js';
import { inputCopies } from './input-copies.js';
import { BACKUP_COPY, EVIDENCE_CERT_PATH, JOURNAL, MANIFEST, MANIFEST_SIG, PACKET, PACKET_FORMAT, OUTPUTS_DIR, REHEARSAL_POINTER, ROSTER_COPY, SCRIPT_COPY, SITE_COPY, stepPagePath } from '../evidence/packet-files.js';
import { sha256Hex } from '../record/digest.js';
import { headWords } from '../record/digest-words.js';
import type { JournalEntry, JsonObject } from '../record/journal.js';
import { COUNTERSIGN_EVENT, countersignThreshold } from '../custody/countersign.js';
import type { RosterBody } from '../custody/roster.types.js';
import { CEREMONY_STEP, effectOutputs, finalEntry, isStepCompleted, startedEntry } from '../record/ledger.js';
import type { CeremonyCore } from './ceremony-core.types.js';
import { evidenceKey, evidenceKeySession, evidenceSignature } from './evidence-signature.js';
import type { OutputStore } from './ports.js';
import { pageSha } from './step-pages.js';

/** Every file of a packet but the manifest and its signature (and never locks or temp files), sorted. */
export function listPacketFiles(store: OutputStore, rel = ''): string[] {
  const out: string[] = [];
  for (const name of store.list(rel)) {
    const path = rel === '' ? name : `${rel}/${name}`;
    if (name.startsWith('.') || (rel === '' && (name === MANIFEST || name === MANIFEST_SIG))) continue;
    if (store.isDirectory(path)) out.push(...listPacketFiles(store, path));
    else out.push(path);
  }
  return out.sort();
}

function packetDocument(c: CeremonyCore, outcome: 'completed' | 'aborted'): PacketDocument {
  const { script, store } = c.deps;
  const started = startedEntry(c.entries)!;
  const final = finalEntry(c.entries)!;
  const key = evidenceKey(c.entries);
  const abortedAt = outcome === 'aborted' ? script.steps.findIndex((s) => s.id === final.step) : -1;
  const steps = script.steps.map((s, i) => {
    const sha = pageSha(c, i);
    const rel = stepPagePath(i, s.id);
    const done = isStepCompleted(c.entries, s.id);
    return {
      number: i + 1,
      id: s.id,
      title: s.title,
      kind: s.kind,
      outcome: done ? ('completed' as const) : i === abortedAt ? ('aborted' as const) : ('not reached' as const),
      page: sha !== undefined && store.exists(rel) ? { path: rel, sha256: sha, pdf: store.read(rel) } : undefined,
    };
  });
  const appendix = store
    .list(OUTPUTS_DIR)
    .filter((n) => n.endsWith('.pem'))
    .map((n) => {
      const pem = store.read(`${OUTPUTS_DIR}/${n}`).toString('utf8');
      // The fingerprint people compare: of the DER certificate or public key, not of the PEM file's bytes.
      return { title: n.endsWith('.cert.pem') ? `Certificate ${n.replace(/\.cert\.pem$/, '')}` : `Public key ${n.replace(/\.pub\.pem$/, '')}`, path: `${OUTPUTS_DIR}/${n}`, sha256: fingerprintOf(pemToDer(pem)), pem };
    });
  return {
    rehearsal: c.deps.rehearsal,
    ceremony: { id: script.id, title: script.title, version: script.version, authority: script.authority, scriptSha256: String(started.data.scriptSha256), ceremonyId: c.ceremonyId },
    outcome,
    abortReason: outcome === 'aborted' ? `${final.actor}: ${String(final.data.reason)}` : undefined,
    startedAt: started.time,
    endedAt: final.time,
    participants: c.people().map((p) => ({ name: p.name, role: p.role, roleTitle: script.roles[p.role]?.title ?? p.role })),
    journalHead: final.hash,
    journalHeadWords: headWords(final.hash),
    course: {
      deviations: c.entries.filter((e) => e.type === 'deviation').length,
      pauses: c.entries.filter((e) => e.type === 'ceremony.paused').length,
      absences: c.entries.filter((e) => e.type === 'step.event' && e.data.what === 'custodian-absent').length,
    },
    countersign: countersignOf(c.entries, final, c.deps.roster?.body),
    leftBehind: outcome === 'aborted' ? leftBehind(c) : null,
    evidenceKey: key ? { subject: key.subject, certificateSha256: key.sha256, pem: key.pem } : null,
    steps,
    appendix,
    footer: c.deps.footer,
  };
}

/** What an aborted ceremony leaves: every key it generated on the token, every file it wrote to outputs/. */
function leftBehind(c: CeremonyCore): PacketDocument['leftBehind'] {
  const keys = effectOutputs(c.entries, 'hsm.generate-key').map((k) => ({ label: String(k.label), algorithm: String(k.algorithm), purpose: String(k.purpose), spkiSha256: String(k.spkiSha256) }));
  const files = c.entries
    .filter((e) => e.type === 'result' && e.data.ok === true && typeof (e.data.output as { path?: unknown } | null)?.path === 'string')
    .map((e) => String((e.data.output as { path: string }).path))
    .filter((p) => p.startsWith(`${OUTPUTS_DIR}/`));
  return { token: c.deps.site?.tokenLabel ?? '', keys, files: [...new Set(files)].sort() };
}

/** Who countersigned the closing entry (after it, under the ceremony's step); null when nobody was asked. */
function countersignOf(entries: readonly JournalEntry[], final: JournalEntry, roster: RosterBody | undefined): PacketDocument['countersign'] {
  const after = entries.slice(entries.indexOf(final) + 1).filter((e) => e.type === 'step.event' && e.step === CEREMONY_STEP);
  if (!roster || !after.some((e) => e.data.what === COUNTERSIGN_EVENT.statement)) return null;
  const signers = after.filter((e) => e.data.what === COUNTERSIGN_EVENT.signed).map((e) => ({ name: String(e.data.name), device: String(e.data.device) }));
  return { threshold: countersignThreshold(roster), signers };
}

export async function sealCeremony(c: CeremonyCore): Promise<void> {
  const final = finalEntry(c.entries);
  if (!final) return;
  const outcome = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
  const packet = await c.effect(CEREMONY_STEP, `seal:${PACKET}`, { path: PACKET }, {
    run: async () => {
      const signature = await evidenceSignature(c, CEREMONY_STEP, `Sealed evidence packet of ceremony ${c.ceremonyId} (${outcome})`);
      const pdf = await c.deps.renderer.renderPacket(packetDocument(c, outcome), signature);
      c.deps.store.write(PACKET, pdf);
      return { path: PACKET, sha256: sha256Hex(pdf), bytes: pdf.length, signed: signature !== undefined };
    },
  });
  // Signing the manifest needs the token; activating it is journaled, so it happens before the seal entry,
  // which must stay the journal's last (after a crash here, a resumed seal records the seal entry again).
  const key = evidenceKey(c.entries);
  if (key) await evidenceKeySession(c, key, CEREMONY_STEP);
  if (c.entries[c.entries.length - 1].type !== 'ceremony.sealed') {
    c.record('ceremony.sealed', CEREMONY_STEP, { outcome, packet: packet as JsonObject, journalHead: final.hash });
  }
  await writeManifest(c, outcome, final.hash);
}

/** Every file a ceremony writes: the fixed ones and each path a journaled write or page operation names. */
function expectedFiles(c: CeremonyCore): Set<string> {
  const files = new Set([JOURNAL, SCRIPT_COPY, SITE_COPY, PACKET]);
  if (c.deps.rehearsal) files.add(REHEARSAL_POINTER);
  if (c.deps.roster) files.add(ROSTER_COPY);
  if (c.deps.backup) files.add(BACKUP_COPY);
  for (const [rel] of inputCopies(c.deps)) files.add(rel);
  for (const e of c.entries) {
    if (e.type === 'result' && e.data.ok === true) {
      const out = e.data.output as { path?: unknown } | null;
      if (out && typeof out.path === 'string') files.add(out.path);
    }
  }
  return files;
}

async function writeManifest(c: CeremonyCore, outcome: 'completed' | 'aborted', journalHead: string): Promise<void> {
  const { store } = c.deps;
  const started = startedEntry(c.entries)!;
  const key = evidenceKey(c.entries);
  const present = listPacketFiles(store);
  const expected = expectedFiles(c);
  const strangers = present.filter((p) => !expected.has(p));
  if (strangers.length > 0) {
    // The manifest signs what the ceremony wrote, never whatever else lies in the directory.
    throw new OfficiantError('env.fs', `the output directory holds file(s) the ceremony did not write: ${strangers.join(', ')}; move them elsewhere, then resume to seal`);
  }
  const files = present.map((path) => {
    const bytes = store.read(path);
    return { path, bytes: bytes.length, sha256: sha256Hex(bytes) };
  });
  const manifest: PacketManifest = {
    format: PACKET_FORMAT,
    ceremonyId: c.ceremonyId,
    scriptId: String(started.data.scriptId),
    scriptSha256: String(started.data.scriptSha256),
    outcome,
    rehearsal: c.deps.rehearsal,
    journalHead,
    evidenceCertificate: key && store.exists(EVIDENCE_CERT_PATH) ? { path: EVIDENCE_CERT_PATH, sha256: sha256Hex(store.read(EVIDENCE_CERT_PATH)) } : null,
    files,
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (store.exists(MANIFEST) && store.read(MANIFEST).toString('utf8') === text && (!key || store.exists(MANIFEST_SIG))) return;
  if (key) {
    const signature = await evidenceSignature(c, CEREMONY_STEP, 'manifest');
    store.write(MANIFEST_SIG, await detachedCms(Buffer.from(text, 'utf8'), signature!.key, signature!.signingTime));
  }
  store.write(MANIFEST, text);
  c.deps.prompter.say(`  sealed: ${PACKET}, ${MANIFEST}${key ? ` and ${MANIFEST_SIG}` : ''} (${files.length} files)`);
}
