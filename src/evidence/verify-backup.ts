// Backup evidence, recomputed from the journal, the packet's files and the roster. Pure: it is handed the data
// and believes none of the journal's own verdicts. Contract:
// - a backup (backup.split or backup.reshare) is its journaled 'backup.split' result: the manifest and every
//   file of the set; each file must be in the packet byte for byte, the manifest's blob, public key and share
//   hashes must match those bytes, and each share file must be the custodian's, sealed to their roster 9d key;
// - every receipt is rebuilt from the manifest (only the signature is taken as recorded) and checked against
//   the custodian's enrolled 9a certificate with custody/backup-manifest.ts, the function the runner used; a completed
//   step needs a receipt or a recorded absence for every custodian, and no more absences than the script allows;
// - a restore or re-share names its source manifest (backup-source.json, its SHA-256 recorded at the start);
//   its custodians' receipts are checked the same way, and each restored key's proof signature is checked
//   against the original certificate (or public key) the source manifest holds;
// - problems are short lowercase facts naming the step, file and custodian; notes summarise what verified.
import { fingerprintOf, normalizeFingerprint } from '../record/fingerprint.js';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { checkReceipt, manifestProblems, receiptFor, sha256, type BackupManifest, type ShareFile, type ShareReceipt } from '../custody/backup-manifest.js';
import type { JournalEntry, JsonObject } from '../record/journal.js';
import type { CeremonyRef } from '../custody/quorum.js';
import type { Script } from '../script/schema.js';
import { canonicalJson } from '../record/canonical-json.js';
import type { RosterBody } from '../custody/roster.types.js';
import { BACKUP_COPY, BACKUP_MANIFEST_OUTPUT, OUTPUTS_DIR, RESTORE_OUTPUTS } from './packet-files.js';

export interface BackupEvidenceInput {
  entries: JournalEntry[];
  script: Script;
  roster: RosterBody | undefined;
  /** Packet files by packet-relative path. */
  files: ReadonlyMap<string, Buffer>;
}

function okResults(entries: JournalEntry[], stepId: string, op: (o: string) => boolean): { intent: JournalEntry; output: JsonObject }[] {
  const intents = new Map(entries.filter((e) => e.type === 'intent' && e.step === stepId && op(String(e.data.op))).map((e) => [e.seq, e]));
  return entries
    .filter((e) => e.type === 'result' && e.step === stepId && e.data.ok === true && intents.has(e.data.intent as number))
    .map((e) => ({ intent: intents.get(e.data.intent as number)!, output: e.data.output as JsonObject }));
}

function events(entries: JournalEntry[], stepId: string, what: string, kcv: string): JsonObject[] {
  return entries.filter((e) => e.type === 'step.event' && e.step === stepId && e.data.what === what && e.data.kcv === kcv).map((e) => e.data as JsonObject);
}

function spkiSha256OfCertificate(pem: string): string | undefined {
  try {
    return sha256(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return undefined;
  }
}

/** Receipts of `manifest` journaled at step `stepId`: each rebuilt and checked; returns the officers with a valid one. */
function checkReceipts(
  out: { problems: string[]; notes: string[] },
  input: BackupEvidenceInput,
  ref: CeremonyRef,
  stepId: string,
  manifest: BackupManifest,
  purpose: ShareReceipt['purpose'],
): Set<string> {
  const valid = new Set<string>();
  for (const r of events(input.entries, stepId, 'share-receipt', manifest.wrap_key.kcv)) {
    const c = manifest.custodians.find((x) => x.officer === r.officer);
    if (!c) {
      out.problems.push(`${stepId}: a receipt names ${String(r.officer)}, who holds no share of this backup`);
      continue;
    }
    const rebuilt = receiptFor(manifest, c, purpose, ref, stepId);
    if (canonicalJson(rebuilt) !== canonicalJson(r.receipt)) {
      out.problems.push(`${stepId}: the receipt of ${c.name} (share ${c.index}) is not the statement the backup implies`);
      continue;
    }
    if (!input.roster) {
      out.problems.push(`${stepId}: receipts cannot be checked without the roster`);
      return valid;
    }
    const check = checkReceipt(input.roster, rebuilt, String(r.signature));
    // A custodian may open their share in more than one attempt of a step (a retry re-opens every share): each
    // receipt must verify; they count once.
    if (!check.ok) out.problems.push(`${stepId}: receipt of ${c.name} (share ${c.index}): ${check.reason}`);
    else valid.add(c.officer);
  }
  return valid;
}

function checkMadeBackup(
  out: { problems: string[]; notes: string[] },
  input: BackupEvidenceInput,
  ref: CeremonyRef,
  stepId: string,
  kind: string,
  made: { manifest: BackupManifest; files: Record<string, string> },
  completed: boolean,
  source?: { manifest: BackupManifest; sha256: string },
): void {
  const m = made.manifest;
  const where = `${stepId}`;
  for (const p of manifestProblems(m)) out.problems.push(`${where}: backup manifest: ${p}`);
  if (m.ceremony?.ceremony_id !== ref.ceremony_id || m.step_id !== stepId) out.problems.push(`${where}: the backup manifest names another ceremony or step`);
  // Every file of the set is in the packet, byte for byte, and the manifest's hashes are of those bytes.
  const bytesOf = (rel: string): Buffer | undefined => {
    const recorded = made.files[rel];
    const inPacket = input.files.get(`${OUTPUTS_DIR}/${rel}`);
    if (recorded === undefined) {
      out.problems.push(`${where}: ${rel} is named by the manifest but not in the journaled backup`);
      return undefined;
    }
    const b = Buffer.from(recorded, 'base64');
    if (!inPacket) out.problems.push(`${where}: ${OUTPUTS_DIR}/${rel} is missing from the packet`);
    else if (!inPacket.equals(b)) out.problems.push(`${where}: ${OUTPUTS_DIR}/${rel} differs from the backup the journal recorded`);
    return b;
  };
  const manifestFile = input.files.get(BACKUP_MANIFEST_OUTPUT);
  if (!manifestFile) out.problems.push(`${where}: ${BACKUP_MANIFEST_OUTPUT} is missing from the packet`);
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifestFile.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (canonicalJson(parsed) !== canonicalJson(m)) out.problems.push(`${where}: ${BACKUP_MANIFEST_OUTPUT} differs from the manifest the journal recorded`);
  }
  for (const k of m.keys ?? []) {
    const blob = bytesOf(k.blob_file);
    if (blob && sha256(blob) !== k.blob_sha256) out.problems.push(`${where}: ${k.blob_file}: SHA-256 is not the one the manifest records`);
    try {
      if (sha256(createPublicKey(k.public_key).export({ type: 'spki', format: 'der' })) !== k.spki_sha256) out.problems.push(`${where}: the public key of ${k.label} does not have the recorded SHA-256`);
    } catch {
      out.problems.push(`${where}: the public key of ${k.label} is not a public key`);
    }
  }
  for (const c of m.custodians ?? []) {
    const bytes = bytesOf(c.share_file);
    if (!bytes) continue;
    if (sha256(bytes) !== c.share_sha256) out.problems.push(`${where}: ${c.share_file}: SHA-256 is not the one the manifest records for ${c.name}`);
    let file: ShareFile | undefined;
    try {
      file = JSON.parse(bytes.toString('utf8')) as ShareFile;
    } catch {
      out.problems.push(`${where}: ${c.share_file} is not valid JSON`);
    }
    if (file && (file.custodian !== c.officer || file.index !== c.index || file.commitment !== c.commitment || file.backup_kcv !== m.wrap_key.kcv || file.recipient_spki_sha256 !== c.recipient_spki_sha256)) {
      out.problems.push(`${where}: ${c.share_file} does not carry ${c.name}'s share ${c.index} of this backup`);
    }
    const officer = input.roster?.officers.find((o) => o.id === c.officer);
    if (!officer) out.problems.push(`${where}: custodian ${c.name} (${c.officer}) is not on the roster`);
    else if (officer.device.serial !== c.device_serial || !officer.keys['9d'] || spkiSha256OfCertificate(officer.keys['9d'].certificate) !== c.recipient_spki_sha256) {
      out.problems.push(`${where}: share ${c.index} is not sealed to ${c.name}'s enrolled device and 9d key`);
    }
  }
  checkAgainstScript(out, input, stepId, m, source?.manifest, source?.sha256);
  const valid = checkReceipts(out, input, ref, stepId, m, kind === 'backup.reshare' ? 'reshare' : 'split');
  const absent = new Set(events(input.entries, stepId, 'custodian-absent', m.wrap_key.kcv).map((e) => String(e.officer)));
  const step = input.script.steps.find((s) => s.id === stepId);
  const allowed = step && (step.kind === 'backup.split' || step.kind === 'backup.reshare') ? step.params.absent_allowed : 0;
  if (absent.size > allowed) out.problems.push(`${where}: ${absent.size} custodians recorded absent, the script allows ${allowed}`);
  const unverified = (m.custodians ?? []).filter((c) => !valid.has(c.officer) && !absent.has(c.officer));
  if (completed && unverified.length > 0) out.problems.push(`${where}: completed with share(s) nobody verified: ${unverified.map((c) => `${c.name} (share ${c.index})`).join(', ')}`);
  out.notes.push(
    `${where}: backup of ${(m.keys ?? []).map((k) => k.label).join(', ')}, ${m.threshold} of ${m.custodians?.length ?? 0}, wrap key check value ${m.wrap_key?.kcv}; ${valid.size} receipt(s) verified${absent.size > 0 ? `, ${absent.size} custodian(s) absent (deviation: to verify later)` : ''}`,
  );
  if (m.supersedes) out.notes.push(`${where}: supersedes the backup with check value ${m.supersedes.kcv} (manifest ${m.supersedes.manifest_sha256})`);
}

/** Outputs of successful operations `op` in the journal, with their intents' parameters. */
function operations(entries: JournalEntry[], op: string): { params: JsonObject; output: JsonObject }[] {
  const intents = new Map(entries.filter((e) => e.type === 'intent' && e.data.op === op).map((e) => [e.seq, e]));
  return entries
    .filter((e) => e.type === 'result' && e.data.ok === true && intents.has(e.data.intent as number))
    .map((e) => ({ params: intents.get(e.data.intent as number)!.data.params as JsonObject, output: e.data.output as JsonObject }));
}

/**
 * The backup is the one the script asked for: its threshold, its custodians (as listed, or every active custodian
 * of the roster the ceremony started with), a spare share; for a split, the keys this ceremony generated with the
 * certificates it issued; for a re-share, the source backup's keys, and the source named as superseded.
 */
function checkAgainstScript(out: { problems: string[] }, input: BackupEvidenceInput, stepId: string, m: BackupManifest, source?: BackupManifest, sourceSha256?: string): void {
  const step = input.script.steps.find((s) => s.id === stepId);
  if (!step || (step.kind !== 'backup.split' && step.kind !== 'backup.reshare')) return;
  const p = step.params;
  const ids = (m.custodians ?? []).map((c) => c.officer);
  if (m.threshold !== p.threshold) out.problems.push(`${stepId}: the backup needs ${m.threshold} shares, the script says ${p.threshold}`);
  if (ids.length - m.threshold < 1) out.problems.push(`${stepId}: ${m.threshold} of ${ids.length} leaves no spare share`);
  const expected = Array.isArray(p.custodians)
    ? p.custodians
    : input.roster?.officers.filter((o) => o.status === 'active' && o.roles.includes('custodian')).map((o) => o.id);
  if (expected && canonicalJson(expected) !== canonicalJson(ids)) out.problems.push(`${stepId}: the backup's custodians (${ids.join(', ')}) are not the script's (${expected.join(', ')})`);
  if (!Array.isArray(p.custodians) && ids.length !== p.custodians.count) out.problems.push(`${stepId}: ${ids.length} custodians, the script says ${p.custodians.count}`);
  if (step.kind === 'backup.split') {
    const labels = (m.keys ?? []).map((k) => k.label);
    if (canonicalJson(labels) !== canonicalJson(step.params.keys)) out.problems.push(`${stepId}: the backup holds ${labels.join(', ')}, the script says ${step.params.keys.join(', ')}`);
    const generated = operations(input.entries, 'hsm.generate-key').map((o) => o.output);
    const certificates = operations(input.entries, 'hsm.sign-certificate');
    for (const k of m.keys ?? []) {
      const g = generated.find((x) => x.label === k.label);
      if (!g || g.spkiSha256 !== k.spki_sha256 || g.id !== k.id) out.problems.push(`${stepId}: key ${k.label} in the backup is not the key this ceremony generated`);
      const issued = certificates.filter((c) => c.params.key === k.label).map((c) => String(c.output.pem));
      if (k.certificate !== null && !issued.includes(k.certificate)) out.problems.push(`${stepId}: the certificate of ${k.label} in the backup is not one this ceremony issued`);
    }
  } else if (source) {
    const same = (x: BackupManifest) => canonicalJson((x.keys ?? []).map((k) => [k.label, k.id, k.spki_sha256, k.certificate]));
    if (same(m) !== same(source)) out.problems.push(`${stepId}: the new backup does not hold exactly the keys of the backup it re-shares`);
    if (m.supersedes?.ceremony_id !== source.ceremony.ceremony_id || m.supersedes?.kcv !== source.wrap_key.kcv || m.supersedes?.manifest_sha256 !== sourceSha256) {
      out.problems.push(`${stepId}: the new backup does not name the backup it re-shares as superseded`);
    }
  }
}

export function verifyBackupEvidence(input: BackupEvidenceInput): { problems: string[]; notes: string[] } {
  const out = { problems: [] as string[], notes: [] as string[] };
  const started = input.entries[0];
  if (!started || started.type !== 'ceremony.started') return out;
  const ref: CeremonyRef = { script_id: String(started.data.scriptId), ceremony_id: String(started.data.ceremonyId), script_sha256: String(started.data.scriptSha256) };
  const completedSteps = new Set(input.entries.filter((e) => e.type === 'step.completed').map((e) => e.step));
  const backupSteps = input.script.steps.filter((s) => s.kind.startsWith('backup.'));

  // The source of a restore or re-share.
  let source: BackupManifest | undefined;
  const recorded = (started.data.backup ?? null) as { manifest_sha256?: string; ceremony_id?: string; kcv?: string } | null;
  const copy = input.files.get(BACKUP_COPY);
  if (recorded) {
    if (!copy) out.problems.push(`${BACKUP_COPY}: missing (the ceremony started from a backup)`);
    else if (sha256(copy) !== recorded.manifest_sha256) out.problems.push(`${BACKUP_COPY}: SHA-256 is not the one recorded when the ceremony started`);
    else {
      source = JSON.parse(copy.toString('utf8')) as BackupManifest;
      for (const p of manifestProblems(source)) out.problems.push(`${BACKUP_COPY}: ${p}`);
      if (source.ceremony?.ceremony_id !== recorded.ceremony_id || source.wrap_key?.kcv !== recorded.kcv) {
        out.problems.push(`${BACKUP_COPY}: the ceremony and check value recorded when the ceremony started are not the manifest's`);
      }
    }
  } else if (copy) out.problems.push(`${BACKUP_COPY}: the ceremony started without a backup, yet the packet holds one`);
  const needsSource = backupSteps.filter((s) => s.kind !== 'backup.split' && completedSteps.has(s.id));
  if (!source && needsSource.length > 0) out.problems.push(`${needsSource[0].id}: completed, but the backup it worked from is not in the packet (${BACKUP_COPY})`);

  for (const step of backupSteps) {
    const completed = completedSteps.has(step.id);
    if (step.kind === 'backup.split' || step.kind === 'backup.reshare') {
      const made = okResults(input.entries, step.id, (o) => o === 'backup.split');
      if (made.length > 1) out.problems.push(`${step.id}: ${made.length} backups recorded; one step makes one`);
      if (made.length === 0) {
        if (completed) out.problems.push(`${step.id}: completed without a recorded backup`);
        continue;
      }
      checkMadeBackup(out, input, ref, step.id, step.kind, made[0].output as unknown as { manifest: BackupManifest; files: Record<string, string> }, completed, source && copy ? { manifest: source, sha256: sha256(copy) } : undefined);
    }
    if ((step.kind === 'backup.restore' || step.kind === 'backup.reshare' || step.kind === 'backup.verify') && source) {
      // The check value was typed from paper and matched before any share of the source was opened, and (restore,
      // re-share) every certificate fingerprint was confirmed as the published one.
      const mine = input.entries.filter((e) => e.step === step.id && e.type === 'step.event');
      const confirmedAt = mine.findIndex((e) => e.data.what === 'backup-check-value-confirmed' && e.data.kcv === source!.wrap_key.kcv);
      const firstShare = mine.findIndex((e) => (e.data.what === 'share-receipt' || e.data.what === 'share-refused') && e.data.kcv === source!.wrap_key.kcv);
      if (firstShare >= 0 && (confirmedAt < 0 || confirmedAt > firstShare)) out.problems.push(`${step.id}: shares of the backup were opened before its check value was confirmed from the paper record`);
      else if (completed && confirmedAt < 0) out.problems.push(`${step.id}: completed without the backup's check value confirmed from the paper record`);
      if (step.kind !== 'backup.verify') {
        const chosen = step.kind === 'backup.restore' ? step.params.keys : undefined;
        for (const k of source.keys.filter((x) => x.certificate && (!chosen || chosen.includes(x.label)))) {
          const fingerprint = fingerprintOf(new X509Certificate(k.certificate!).raw);
          const at = mine.findIndex((e) => e.data.what === 'certificate-fingerprint-confirmed' && e.data.key === k.label && normalizeFingerprint(String(e.data.sha256)) === fingerprint);
          if (completed && (at < 0 || (firstShare >= 0 && at > firstShare))) out.problems.push(`${step.id}: the certificate fingerprint of ${k.label} was not confirmed as the published one before shares were opened`);
        }
      }
    }
    if ((step.kind === 'backup.restore' || step.kind === 'backup.reshare') && source) {
      const opened = checkReceipts(out, input, ref, step.id, source, step.kind === 'backup.restore' ? 'restore' : 'reshare');
      if (completed && opened.size < source.threshold && okResults(input.entries, step.id, (o) => o === 'backup.split' || o === 'backup.restore').length > 0) {
        out.problems.push(`${step.id}: ${opened.size} custodian receipts for the source backup, its threshold is ${source.threshold}`);
      }
      out.notes.push(`${step.id}: ${opened.size} custodian(s) opened shares of the backup with check value ${source.wrap_key.kcv}`);
    }
    if (step.kind === 'backup.verify' && source) {
      const verified = checkReceipts(out, input, ref, step.id, source, 'verify');
      if (completed && verified.size === 0) out.problems.push(`${step.id}: completed without a verified receipt`);
      const names = source.custodians.filter((c) => verified.has(c.officer)).map((c) => `${c.name} (share ${c.index})`);
      out.notes.push(`${step.id}: ${verified.size} custodian(s) verified their share of the backup with check value ${source.wrap_key.kcv}${names.length > 0 ? `: ${names.join(', ')}` : ''}`);
    }
    if (step.kind === 'backup.restore' && source) {
      for (const { intent, output } of okResults(input.entries, step.id, (o) => o.startsWith('backup.prove:'))) {
        const label = String((intent.data.params as JsonObject).key);
        const k = source.keys.find((x) => x.label === label);
        if (!k) {
          out.problems.push(`${step.id}: a proof names key ${label}, which the backup does not hold`);
          continue;
        }
        const statement = Buffer.from(String(output.statement), 'utf8');
        const sig = Buffer.from(String(output.signature), 'base64');
        const key = k.certificate ? new X509Certificate(k.certificate).publicKey : createPublicKey(k.public_key);
        let parsed: { ceremony?: CeremonyRef; key?: { label?: string } } = {};
        try {
          parsed = JSON.parse(statement.toString('utf8'));
        } catch {
          // reported below
        }
        if (parsed.ceremony?.ceremony_id !== ref.ceremony_id || parsed.key?.label !== label) out.problems.push(`${step.id}: the proof statement of ${label} does not name this ceremony and key`);
        else if (!verify('sha256', statement, key, sig)) out.problems.push(`${step.id}: the proof signature of ${label} does not verify with ${k.certificate ? 'the original certificate' : 'the recorded public key'}`);
        else out.notes.push(`${step.id}: restored ${label} signed a statement naming this ceremony; verified with ${k.certificate ? 'the original certificate' : 'the recorded public key'}`);
        const written = input.files.get(`${RESTORE_OUTPUTS}/${label}.statement.sig`);
        if (written && !written.equals(sig)) out.problems.push(`${step.id}: ${RESTORE_OUTPUTS}/${label}.statement.sig differs from the journaled proof`);
      }
      if (completed && okResults(input.entries, step.id, (o) => o.startsWith('backup.prove:')).length === 0) out.problems.push(`${step.id}: completed without a proof by the restored key`);
    }
  }
  return out;
}
