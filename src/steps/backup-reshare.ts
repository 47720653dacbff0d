// backup.reshare: when custodians change. The current custodians open their shares of the old backup (--backup)
// until its threshold is met; the old wrap key is rebuilt and checked against the old check value. Then, in
// one journaled operation (newBackup): a new wrap key, SO-trusted on the token; the old wrap key as a session
// object that only unwraps; each old blob unwrapped into a session copy (matched to its recorded public key),
// wrapped again under the new key, and the copy destroyed; the new wrap key split among the new custodians.
// Every new share is opened by its custodian at once. The new manifest names the old backup as superseded:
// old shares rebuild only the old wrap key, which opens none of the new blobs.
import { inFours } from '../record/fingerprint.js';
import { createPublicKey } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import type { KeyAttributes } from '../engine/ports.js';
import type { KeyAlgorithm } from '../script/schema.js';
import { backupResults } from './shared/backup-results.js';
import { confirmBackupOnPaper, confirmCertificates } from './shared/backup-confirmations.js';
import { takeReceipts } from './shared/custodian-shares.js';
import { writeBackupSet } from './shared/backup-set.js';
import { copyRef, newBackup } from './backup-split.js';
import { backedUpKeys, collectShares, oldWrapKeyRef, readBlobs, rebuildWrapKey } from './backup-restore.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export const backupReshare: StepHandler<'backup.reshare'> = {
  kind: 'backup.reshare',
  needs: STEP_NEEDS['backup.reshare'],
  async run(ctx) {
    const { custodians, threshold, absent_allowed } = ctx.step.params;
    const backup = ctx.backup();
    const old = backup.manifest;
    const keys = backedUpKeys(old, undefined);
    const blobs = readBlobs(backup, keys);
    ctx.prompter.say(`  Old backup of ceremony ${old.ceremony.ceremony_id}: ${old.threshold} of ${old.custodians.length} custodians`);
    await confirmBackupOnPaper(ctx, old);
    await confirmCertificates(ctx, keys);
    const split = ctx.entries().filter((e) => e.step === ctx.step.id && e.type === 'intent' && e.data.op === 'backup.split').map((e) => e.seq);
    const done = ctx.entries().some((e) => e.type === 'result' && e.data.ok === true && split.includes(e.data.intent as number));
    // Before the new backup exists, the old custodians open their shares; once it is journaled they are not needed again.
    const shares = done ? [] : await collectShares(ctx, backup, 'reshare');
    try {
      const made = await newBackup(ctx, {
        keys: keys.map((k) => ({ label: k.label, id: k.id, algorithm: k.algorithm, purpose: k.purpose, spkiPem: k.public_key, spkiSha256: k.spki_sha256, certificate: k.certificate })),
        custodians,
        threshold,
        supersedes: { ceremony_id: old.ceremony.ceremony_id, kcv: old.wrap_key.kcv, manifest_sha256: backup.sha256 },
        // Stored keys are never touched: each old blob is unwrapped into a session copy under its own label, wrapped
        // under the new wrap key and destroyed. No transport key is needed: a copy carries no CKA_WRAP_WITH_TRUSTED.
        transport: false,
        wrap: async (newRef) => {
          if (shares.length === 0) throw new OfficiantError('ceremony.step-failed', 're-share interrupted before its new backup was recorded: retry the step so the custodians open their shares again');
          const session = await ctx.session();
          const oldRef = oldWrapKeyRef(old);
          const oldKey = await rebuildWrapKey(shares, old);
          const out: Buffer[] = [];
          const attributes: (KeyAttributes | null)[] = [];
          try {
            session.destroyObjects(oldRef, { sessionOnly: true });
            session.importWrapKey(oldRef, oldKey, { session: true, use: 'unwrap' });
            for (const [i, k] of keys.entries()) {
              const copy = copyRef(k);
              try {
                session.destroyObjects(copy, { sessionOnly: true });
                session.unwrapKey(oldRef, blobs[i], { ...copy, algorithm: k.algorithm as KeyAlgorithm, spki: createPublicKey(k.public_key).export({ type: 'spki', format: 'der' }), session: true });
                out.push(session.wrapKey(newRef, copy));
                attributes.push(k.attributes);
              } finally {
                session.destroyObjects(copy, { sessionOnly: true });
              }
            }
          } finally {
            session.destroyObjects(oldRef, { sessionOnly: true });
            oldKey.wipe();
          }
          return { blobs: out, attributes };
        },
      });
      ctx.setToken((await ctx.session()).token());
      await writeBackupSet(ctx, made);
      ctx.prompter.say(`  New wrap key check value: ${inFours(made.manifest.wrap_key.kcv)}: read it aloud; everyone writes it on their plan.`);
      await takeReceipts(ctx, made, 'reshare', absent_allowed);
      ctx.result('Supersedes', `the backup of ceremony ${old.ceremony.ceremony_id} (wrap key check value ${old.wrap_key.kcv}, manifest SHA-256 ${backup.sha256}): its shares open nothing in this backup`);
      backupResults(ctx, made);
    } finally {
      for (const s of shares) s.wipe();
    }
  },
};
