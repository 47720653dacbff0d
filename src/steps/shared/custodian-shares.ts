// A custodian opening their share of a backup with their own token and PIN, and who in the room answers for
// custodians (presence, absence). Contract: the share must open (only the device it was sealed to can) and
// match its commitment before the device signs a receipt, checked against the roster; every outcome is
// journaled (share-receipt or share-refused); a share not kept for combining is wiped before returning.
import { OfficiantError } from '../../errors.js';
import { canonicalBytes, checkReceipt, receiptFor, sha256, type BackupCustodian, type BackupManifest, type ShareFile, type ShareReceipt } from '../../custody/backup-manifest.js';
import type { JsonObject } from '../../record/journal.js';
import type { Person, Secret } from '../../engine/ports.js';
import { checkShare, openShare } from '../../custody/shares.js';
import { deviceChoices, withPivPin } from '../../engine/piv-officer.js';
import { readShareFile, spkiOfCertificate, type MadeBackup } from './backup-set.js';
import type { StepContext } from '../../engine/step-kind.types.js';

/** The person who opens custodian c's share: as checked in, or as the roster names them. */
function custodianPerson(ctx: StepContext, c: BackupCustodian): Person {
  return ctx.people().find((p) => p.officer === c.officer) ?? { name: c.name, role: 'custodian', officer: c.officer, device: c.device_serial };
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
  const checkIn = ctx.script.steps.find((s) => s.kind === 'participants.check-in') ?? ctx.script.steps[0];
  return ctx.people(checkIn.perform)[0] ?? ctx.people()[0];
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
