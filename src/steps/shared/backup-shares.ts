// What backup.split, backup.restore and backup.reshare share: making sealed shares of a wrap key for the
// roster's custodians, writing a backup set from its journaled record, and a custodian opening their share
// with their own token and PIN (checked against its commitment, then a receipt signed with their 9a key).
// Contract: shares and wrap keys exist only as Secrets inside these functions or the caller's effect, and are
// wiped before they return; the journal and files get only commitments, ciphertexts and check values.
import { X509Certificate, randomBytes } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import {
  MANIFEST_FILE,
  SHARE_FILE_FORMAT,
  canonicalBytes,
  checkReceipt,
  receiptFor,
  sha256,
  shareFile,
  type BackupCustodian,
  type BackupKey,
  type BackupManifest,
  type ShareFile,
  type ShareReceipt,
} from '../../custody/backup-manifest.js';
import type { Json, JsonObject } from '../../record/journal.js';
import type { Person, Secret } from '../../engine/ports.js';
import { checkShare, openShare, sealShare, shareCommitment, splitSecret } from '../../custody/shares.js';
import type { RosterOfficer } from '../../custody/roster.types.js';
import { deviceChoices, withPivPin } from './piv-officer.js';
import type { StepContext } from '../../engine/step-kind.types.js';

/** A backup as its effect journals it: the manifest and every file of the set (base64), all public-safe. */
export interface MadeBackup {
  manifest: BackupManifest;
  files: Record<string, string>;
}

function spkiOfCertificate(pem: string): Buffer {
  return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
}

/**
 * Splits `wrapKey` m-of-n among `custodians` (in order: share index i+1 goes to custodians[i]) and seals each
 * share to the custodian's 9d key. Returns the manifest's custodian entries and the share files.
 */
export async function sealShares(
  wrapKey: Secret,
  custodians: RosterOfficer[],
  opts: { threshold: number; ceremonyId: string; kcv: string },
): Promise<{ custodians: BackupCustodian[]; files: Record<string, string> }> {
  const shares = await splitSecret(wrapKey, custodians.length, opts.threshold);
  const files: Record<string, string> = {};
  const entries: BackupCustodian[] = [];
  try {
    custodians.forEach((o, i) => {
      const index = i + 1;
      const salt = randomBytes(16);
      const commitment = shareCommitment(shares[i], salt);
      const sealed = sealShare(shares[i], spkiOfCertificate(o.keys['9d']!.certificate), { custodian: o.id, index, ceremonyId: opts.ceremonyId });
      const file: ShareFile = {
        file_format: SHARE_FILE_FORMAT,
        ...sealed,
        name: o.name,
        device_serial: o.device.serial,
        threshold: opts.threshold,
        of: custodians.length,
        commitment,
        commitment_salt: salt.toString('hex'),
        backup_kcv: opts.kcv,
      };
      const bytes = Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
      const rel = shareFile(o.id);
      files[rel] = bytes.toString('base64');
      entries.push({
        officer: o.id,
        name: o.name,
        device_serial: o.device.serial,
        index,
        recipient_spki_sha256: sealed.recipient_spki_sha256,
        commitment,
        commitment_salt: salt.toString('hex'),
        share_file: rel,
        share_sha256: sha256(bytes),
      });
    });
  } finally {
    for (const s of shares) s.wipe();
  }
  return { custodians: entries, files };
}

/** Writes the backup set (every file of the journaled record, then the manifest) under outputs/. */
export async function writeBackupSet(ctx: StepContext, made: MadeBackup): Promise<void> {
  for (const [rel, b64] of Object.entries(made.files)) await ctx.writeOutput(`outputs/${rel}`, Buffer.from(b64, 'base64'));
  await ctx.writeOutput(`outputs/${MANIFEST_FILE}`, `${JSON.stringify(made.manifest, null, 2)}\n`);
}

/** The person who opens custodian c's share: as checked in, or as the roster names them. */
function custodianPerson(ctx: StepContext, c: BackupCustodian): Person {
  return ctx.people().find((p) => p.officer === c.officer) ?? { name: c.name, role: 'custodian', officer: c.officer, device: c.device_serial };
}

/** Parses a share file and checks it is custodian c's of this backup; problems name the custodian and file. */
export function readShareFile(c: BackupCustodian, bytes: Buffer, kcv: string): ShareFile {
  if (sha256(bytes) !== c.share_sha256) {
    throw new OfficiantError('ceremony.step-failed', `share file ${c.share_file} of ${c.name} is not the one recorded in the backup (SHA-256 ${sha256(bytes).slice(0, 16)}…, recorded ${c.share_sha256.slice(0, 16)}…): corrupted or replaced`);
  }
  const file = JSON.parse(bytes.toString('utf8')) as ShareFile;
  if (file.custodian !== c.officer || file.index !== c.index || file.backup_kcv !== kcv) {
    throw new OfficiantError('ceremony.step-failed', `share file ${c.share_file} is not share ${c.index} of ${c.name} for this backup`);
  }
  return file;
}

export type OpenOutcome = { ok: true; share?: Secret; person: Person } | { ok: false; reason: string; person: Person };

/**
 * Custodian c (or whoever holds the device picked) opens their sealed share with their token and PIN. The
 * share must open (only the device it was sealed to can) and match its commitment; the device then signs a
 * receipt with its 9a key, checked against the roster. With `keep` the share is returned for combining (the
 * caller wipes it); otherwise it is wiped at once. Every outcome is journaled: share-receipt or share-refused.
 */
export async function openCustodianShare(
  ctx: StepContext,
  manifest: BackupManifest,
  c: BackupCustodian,
  fileBytes: Buffer,
  purpose: ShareReceipt['purpose'],
  keep: boolean,
): Promise<OpenOutcome> {
  const roster = ctx.roster();
  const person = custodianPerson(ctx, c);
  const kcv = manifest.wrap_key.kcv;
  const base = { officer: c.officer, name: c.name, index: c.index, kcv };
  const refuse = (reason: string, device?: string): OpenOutcome => {
    ctx.event('share-refused', { ...base, ...(device ? { device } : {}), reason }, person);
    ctx.prompter.say(`  refused: ${reason}`);
    return { ok: false, reason, person };
  };
  // A person at the keyboard who picked the wrong token may pick again once (no PIN was asked yet).
  const picks = ctx.prompter.interactive ? 2 : 1;
  let serial = '';
  for (let pick = 1; pick <= picks; pick++) {
    serial = await ctx.prompter.chooseDevice(
      { stepId: ctx.step.id, id: `custodian-${c.officer}`, message: `Custodian ${c.name}: share ${c.index} of ${manifest.custodians.length}`, suggested: c.device_serial },
      deviceChoices(ctx, roster),
    );
    if (serial === c.device_serial) break;
    const owner = roster.officers.find((o) => o.device.serial === serial);
    const reason = `device ${serial}${owner ? ` (${owner.name}'s)` : ''} is not the device share ${c.index} is sealed to: it opens only with ${c.name}'s device ${c.device_serial}`;
    if (pick === picks) return refuse(reason, serial);
    ctx.event('share-device-refused', { ...base, device: serial, reason }, person);
    ctx.prompter.say(`  ${reason}. ${c.name}, insert your own token and pick it.`);
  }
  let file: ShareFile;
  try {
    file = readShareFile(c, fileBytes, kcv);
  } catch (err) {
    return refuse(err instanceof Error ? err.message : String(err), serial);
  }
  // Before anyone types a PIN: the share must be sealed to the 9d key the roster has for this custodian.
  const enrolled = roster.officers.find((o) => o.id === c.officer)?.keys['9d']?.certificate;
  const recipientSpki = enrolled ? spkiOfCertificate(enrolled) : undefined;
  if (!recipientSpki || sha256(recipientSpki) !== file.recipient_spki_sha256 || file.recipient_spki_sha256 !== c.recipient_spki_sha256) {
    return refuse(`share ${c.index} in ${c.share_file} is not sealed to ${c.name}'s enrolled key-management key (slot 9d)`, serial);
  }
  const receipt = receiptFor(manifest, c, purpose, ctx.ceremonyRef(), ctx.step.id);
  let share: Secret | undefined;
  let signature: string;
  try {
    signature = await withPivPin(ctx, person, serial, (token, pin) => {
      const opened = openShare(file, (ephemeral) => token.deriveSharedSecret('9d', pin, ephemeral), { custodian: c.officer, index: c.index, ceremonyId: manifest.ceremony.ceremony_id, recipientSpki });
      if (!checkShare(opened, Buffer.from(c.commitment_salt, 'hex'), c.commitment)) {
        opened.wipe();
        throw new OfficiantError('ceremony.step-failed', `share ${c.index} of ${c.name} opened but does not match the commitment recorded at the backup`);
      }
      share = opened;
      return token.sign('9a', pin, canonicalBytes(receipt)).toString('base64');
    });
  } catch (err) {
    share?.wipe();
    if (err instanceof OfficiantError && (err.code === 'ceremony.step-failed' || err.code === 'hsm.general')) return refuse(`${c.name}'s share ${c.index}: ${err.message}`, serial);
    // A wrong PIN refuses this custodian's share for now; the next custodian can stand in (restore), or the step
    // is retried (backup): it does not end the step for everyone else.
    if (err instanceof OfficiantError && (err.code === 'hsm.pin-incorrect' || err.code === 'hsm.pin-locked')) return refuse(`${c.name}'s device refused the PIN: ${err.message}`, serial);
    throw err;
  }
  const check = checkReceipt(roster, receipt, signature);
  if (!check.ok) {
    share?.wipe();
    return refuse(check.reason, serial);
  }
  ctx.event('share-receipt', { ...base, device: serial, receipt: receipt as unknown as JsonObject, signature, certificate_sha256: check.officer.keys['9a']!.certificate_sha256 }, person);
  ctx.prompter.say(`  ${c.name} opened share ${c.index}: matches its commitment; receipt signed and verified`);
  if (!keep) {
    share?.wipe();
    return { ok: true, person };
  }
  return { ok: true, share, person };
}

/** Journal events of this step with `what`, for the backup with this key check value. */
export function backupEvents(ctx: StepContext, what: string, kcv: string): JsonObject[] {
  return ctx
    .entries()
    .filter((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === what && e.data.kcv === kcv)
    .map((e) => e.data as JsonObject);
}

/** Who speaks for the room: the person who checked everyone in (the check-in step's performer). */
export function administrator(ctx: StepContext): Person {
  return ctx.people(ctx.script.steps[0].perform)[0] ?? ctx.people()[0];
}

/**
 * Whether custodian c is here: the person who checked everyone in (the check-in step's performer) confirms.
 * Scripted answers may say no per custodian: confirm["<step id>#present:<officer id>"] = false.
 */
export async function custodianPresent(ctx: StepContext, c: BackupCustodian): Promise<boolean> {
  return ctx.prompter.confirm(administrator(ctx), `Is ${c.name} (custodian of share ${c.index}) here to open their share with their token?`, { stepId: `${ctx.step.id}#present:${c.officer}` });
}

/**
 * Every custodian of a new backup opens their share at once. Custodians with a receipt (from before an
 * interruption) are not asked again; up to `absentAllowed` may be recorded absent (a deviation: they verify
 * later). The step fails, naming them, while any other share is unverified.
 */
export async function takeReceipts(ctx: StepContext, made: MadeBackup, purpose: 'split' | 'reshare', absentAllowed: number): Promise<void> {
  const { manifest } = made;
  const kcv = manifest.wrap_key.kcv;
  const received = new Set(backupEvents(ctx, 'share-receipt', kcv).map((e) => String(e.officer)));
  const absent = new Set(backupEvents(ctx, 'custodian-absent', kcv).map((e) => String(e.officer)));
  const unverified: string[] = [];
  for (const c of manifest.custodians) {
    if (received.has(c.officer) || absent.has(c.officer)) continue;
    if (!(await custodianPresent(ctx, c))) {
      if (absent.size < absentAllowed) {
        absent.add(c.officer);
        // A share refused earlier in this step stays on record: the absence does not hide it.
        const refused = backupEvents(ctx, 'share-refused', kcv).filter((e) => e.officer === c.officer).map((e) => String(e.reason));
        const earlier = refused.length > 0 ? ` (earlier in this step their share was refused: ${refused.join('; ')})` : '';
        const deviation = `${c.name} was not present to open share ${c.index}${earlier}; they must open it and sign a receipt at a later backup verification`;
        ctx.event('custodian-absent', { officer: c.officer, name: c.name, index: c.index, kcv, deviation }, administrator(ctx));
        ctx.prompter.say(`  deviation: ${c.name} is absent; share ${c.index} is unverified until they open it`);
        continue;
      }
      unverified.push(`${c.name} (share ${c.index}): not present, and ${absentAllowed} absence(s) already used`);
      continue;
    }
    const outcome = await openCustodianShare(ctx, manifest, c, Buffer.from(made.files[c.share_file], 'base64'), purpose, false);
    if (outcome.ok) received.add(c.officer);
    else unverified.push(`${c.name} (share ${c.index}): ${outcome.reason}`);
  }
  if (unverified.length > 0) {
    throw new OfficiantError('ceremony.step-failed', `${unverified.length} share(s) not verified by their custodian: ${unverified.join('; ')}`);
  }
}

/**
 * Before any custodian is asked: the administrator types the whole wrap key check value (32 hex characters)
 * from the paper record of the ceremony that made the backup (everyone wrote it on their plan). Officiant does not
 * show it first. A backup set made by someone else (its own wrap key, shares sealed to the custodians' public
 * keys) has another check value and is refused here. Once confirmed for this step, it is not asked again on resume.
 */
export async function confirmBackupOnPaper(ctx: StepContext, m: BackupManifest): Promise<void> {
  const kcv = m.wrap_key.kcv;
  const done = ctx.entries().some((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === 'backup-check-value-confirmed' && e.data.kcv === kcv);
  if (done) return;
  const admin = administrator(ctx);
  const typed = (
    await ctx.prompter.record(admin, {
      stepId: ctx.step.id,
      id: 'backup-check-value',
      label: `the wrap key check value written on the plans of ceremony ${m.ceremony.ceremony_id} (${m.ceremony.script_id}, ${m.created_at.slice(0, 10)}), all 32 characters`,
      pattern: '[0-9a-fA-F]{32}',
    })
  )
    .trim()
    .toLowerCase();
  if (typed !== kcv) {
    ctx.event('backup-check-value-refused', { kcv, typed }, admin);
    throw new OfficiantError('ceremony.step-failed', `the check value typed from paper does not match this backup's: read the paper record of ceremony ${m.ceremony.ceremony_id} again; if it still differs, this is not that backup set: stop`);
  }
  ctx.event('backup-check-value-confirmed', { kcv, typed }, admin);
  ctx.prompter.say(`  Check value ${kcv}: matches the paper record`);
}

/**
 * Before any custodian is asked: for each key with a certificate, the administrator confirms that the
 * certificate fingerprint shown is the published one. Each answer is journaled; "no" stops the step.
 */
export async function confirmCertificates(ctx: StepContext, keys: readonly BackupKey[]): Promise<void> {
  const admin = administrator(ctx);
  for (const k of keys) {
    if (!k.certificate) continue;
    const fingerprint = new X509Certificate(k.certificate).fingerprint256;
    const confirmed = ctx.entries().some((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === 'certificate-fingerprint-confirmed' && e.data.key === k.label && e.data.sha256 === fingerprint);
    if (confirmed) continue;
    const same = await ctx.prompter.confirm(admin, `The backup's certificate of ${k.label} has SHA-256 ${fingerprint}. Is that the published fingerprint?`, { stepId: `${ctx.step.id}#fingerprint:${k.label}` });
    if (!same) {
      ctx.event('certificate-fingerprint-refused', { key: k.label, sha256: fingerprint }, admin);
      throw new OfficiantError('ceremony.step-failed', `the backup's certificate of ${k.label} (SHA-256 ${fingerprint}) is not the published one: stop and find the right backup set`);
    }
    ctx.event('certificate-fingerprint-confirmed', { key: k.label, sha256: fingerprint }, admin);
  }
}

/** Result rows of a backup (split or re-share). */
export function backupResults(ctx: StepContext, made: MadeBackup): void {
  const m = made.manifest;
  ctx.result('Wrap key check value', `${m.wrap_key.kcv} (HMAC-SHA256 of a fixed label under the 256-bit wrap key; a wrong rebuild gives another value)`);
  ctx.result('Wrap key in the HSM', `from the HSM's random generator; imported as a session object (in the HSM's memory, never stored), wrap-only, sensitive, non-extractable; destroyed after wrapping`);
  const t = m.wrap_key.hsm.transport;
  if (t) {
    ctx.result('Transport key', `generated in the HSM by the security officer as CKA_TRUSTED (the only kind of key a CKA_WRAP_WITH_TRUSTED key can leave under); each key left the token under it, was unwrapped at once into a session copy, wrapped under the wrap key, and the copy destroyed; the transport key was destroyed after use (label ${t.label})`);
  }
  ctx.result('Threshold', `${m.threshold} of ${m.custodians.length} custodians`);
  for (const k of m.keys) {
    ctx.result(`Backed-up key ${k.label}`, `${k.algorithm}, public key SHA-256 ${k.spki_sha256}; wrapped with CKM_AES_KEY_WRAP_PAD to ${k.blob_file} (SHA-256 ${k.blob_sha256})`);
    if (k.attributes) {
      ctx.result(
        `Attributes of ${k.label}`,
        `sensitive=${k.attributes.sensitive}, extractable=${k.attributes.extractable}, wrap-with-trusted=${k.attributes.wrapWithTrusted}, never-extractable=${k.attributes.neverExtractable}: a backed-up key is NOT NEVER_EXTRACTABLE; it leaves the HSM only wrapped under a key the SO marked trusted`,
      );
    }
  }
  const receipts = backupEvents(ctx, 'share-receipt', m.wrap_key.kcv);
  for (const c of m.custodians) {
    const r = receipts.find((e) => e.officer === c.officer);
    const absent = backupEvents(ctx, 'custodian-absent', m.wrap_key.kcv).find((e) => e.officer === c.officer);
    ctx.result(
      `Share ${c.index}: ${c.name}`,
      `device ${c.device_serial}, ${c.share_file} (SHA-256 ${c.share_sha256.slice(0, 16)}…), commitment ${c.commitment.slice(0, 16)}…; ${r ? `opened and receipt signed (verified): ${String(r.signature)}` : absent ? 'DEVIATION: absent, unverified until a later backup verification' : 'not verified'}`,
    );
  }
}

export function asJson(made: MadeBackup): Json {
  return made as unknown as Json;
}
