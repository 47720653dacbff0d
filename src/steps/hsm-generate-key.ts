// hsm.generate-key: generates a key pair inside the token: sensitive and non-extractable (with backup: true,
// extractable only wrapped under an SO-trusted key, for a later backup.split), CKA_ID drawn from
// the token's RNG and journaled in the intent before the call. A crash after the call is reconciled by
// looking for exactly that label and CKA_ID, so resume never makes a second key; an existing key with the
// label is refused. Writes the public key as PEM.
import { createHash, createPublicKey } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import type { KeyRecord } from '../engine/ports.js';
import type { GeneratedKey, StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export function spkiPem(spki: Buffer): string {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
}

export function spkiSha256(spki: Buffer): string {
  return createHash('sha256').update(spki).digest('hex');
}

export function keyRecordJson(k: KeyRecord, purpose: string): GeneratedKey {
  return { label: k.label, id: k.id, algorithm: k.algorithm, purpose, spkiPem: spkiPem(k.spki), spkiSha256: spkiSha256(k.spki) };
}

export function publicKeyPath(label: string): string {
  return `outputs/${label}.pub.pem`;
}

export const hsmGenerateKey: StepHandler<'hsm.generate-key'> = {
  kind: 'hsm.generate-key',
  needs: STEP_NEEDS['hsm.generate-key'],
  async run(ctx) {
    const { label, algorithm, purpose, backup } = ctx.step.params;
    const session = await ctx.session();
    const id = session.random(16).toString('hex');
    const key = await ctx.effect(
      'hsm.generate-key',
      { label, algorithm, id, ...(backup ? { backup: true } : {}) },
      {
        run: () => {
          // Logged in, so private objects count too (the pre-flight check before any PIN sees only public ones).
          if (session.labelInUse(label)) throw new OfficiantError('env.key-label-used', `a key labelled "${label}" already exists on token "${ctx.site!.tokenLabel}"`);
          return keyRecordJson(session.generateKeyPair({ label, id, algorithm, backup }), purpose);
        },
        reconcile: (intent) => {
          const found = session.findKeys(label);
          const mine = found.find((k) => k.id === intent.id);
          if (mine) return keyRecordJson(mine, purpose);
          if (found.length > 0) throw new OfficiantError('env.key-label-used', `a key labelled "${label}" with another CKA_ID appeared on the token`);
          return undefined;
        },
      },
      ctx.people(ctx.step.perform)[0],
    );
    ctx.setToken(session.token());
    ctx.result('Key label', key.label);
    ctx.result('Algorithm', key.algorithm);
    ctx.result('CKA_ID', key.id);
    ctx.result('Purpose', key.purpose);
    if (backup) {
      ctx.result('Backup', 'marked for backup: sensitive, CKA_EXTRACTABLE true and CKA_WRAP_WITH_TRUSTED true. It can leave the HSM only wrapped under a wrap key the SO marked trusted, and it is NOT NEVER_EXTRACTABLE.');
    }
    ctx.result('Public key SHA-256 (SPKI)', key.spkiSha256);
    await ctx.writeOutput(publicKeyPath(label), key.spkiPem);
  },
};
