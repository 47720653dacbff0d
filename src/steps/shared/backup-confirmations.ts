// What the administrator checks against paper before any custodian is asked: the backup's wrap key check
// value, typed from the plans of the ceremony that made it, and each backed-up certificate's published
// fingerprint. Each answer is journaled; a mismatch or a "no" stops the step before any share is opened.
import { fingerprintOf, inFours, normalizeFingerprint } from '../../record/fingerprint.js';
import { X509Certificate } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import type { BackupKey, BackupManifest } from '../../custody/backup-manifest.js';
import { administrator } from './custodian-shares.js';
import type { StepContext } from '../../engine/step-kind.types.js';

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
      label: `the wrap key check value written on the plans of ceremony ${m.ceremony.ceremony_id} (${m.ceremony.script_id}, ${m.created_at.slice(0, 10)}), all 32 characters (spaces between the groups of four are fine)`,
      pattern: '(?:[0-9a-fA-F]{4} ?){7}[0-9a-fA-F]{4}',
      example: inFours('0123456789abcdef0123456789abcdef'),
    })
  )
    .replace(/\s+/g, '')
    .toLowerCase();
  if (typed !== kcv) {
    ctx.event('backup-check-value-refused', { kcv, typed }, admin);
    throw new OfficiantError('ceremony.step-failed', `the check value typed from paper does not match this backup's: read the paper record of ceremony ${m.ceremony.ceremony_id} again; if it still differs, this is not that backup set: stop`);
  }
  ctx.event('backup-check-value-confirmed', { kcv, typed }, admin);
  ctx.prompter.say(`  Check value ${inFours(kcv)}: matches the paper record`);
}

/**
 * Before any custodian is asked: for each key with a certificate, the administrator confirms that the
 * certificate fingerprint shown is the published one. Each answer is journaled; "no" stops the step.
 */
export async function confirmCertificates(ctx: StepContext, keys: readonly BackupKey[]): Promise<void> {
  const admin = administrator(ctx);
  for (const k of keys) {
    if (!k.certificate) continue;
    const fingerprint = fingerprintOf(new X509Certificate(k.certificate).raw);
    const confirmed = ctx.entries().some((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === 'certificate-fingerprint-confirmed' && e.data.key === k.label && normalizeFingerprint(String(e.data.sha256)) === fingerprint);
    if (confirmed) continue;
    const same = await ctx.prompter.confirm(admin, `The backup's certificate of ${k.label} has SHA-256 ${fingerprint}. Is that the published fingerprint?`, { stepId: `${ctx.step.id}#fingerprint:${k.label}` });
    if (!same) {
      ctx.event('certificate-fingerprint-refused', { key: k.label, sha256: fingerprint }, admin);
      throw new OfficiantError('ceremony.step-failed', `the backup's certificate of ${k.label} (SHA-256 ${fingerprint}) is not the published one: stop and find the right backup set`);
    }
    ctx.event('certificate-fingerprint-confirmed', { key: k.label, sha256: fingerprint }, admin);
  }
}
