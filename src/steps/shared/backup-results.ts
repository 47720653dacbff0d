// The evidence rows of a new backup (backup.split, backup.reshare): how the wrap key was made and kept, each
// backed-up key and its attributes, and each custodian's share with its receipt or recorded absence.
import { inFours } from '../../record/fingerprint.js';
import { backupEvents } from './custodian-shares.js';
import type { MadeBackup } from './backup-set.js';
import type { StepContext } from '../../engine/step-kind.types.js';

/** Result rows of a backup (split or re-share). */
export function backupResults(ctx: StepContext, made: MadeBackup): void {
  const m = made.manifest;
  ctx.result('Wrap key check value', `${inFours(m.wrap_key.kcv)} (HMAC-SHA256 of a fixed label under the 256-bit wrap key; a wrong rebuild gives another value)`);
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
