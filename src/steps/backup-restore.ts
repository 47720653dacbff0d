// backup.restore: restores backed-up keys into this ceremony's token. Before any PIN: the backup's blobs must
// be the ones its manifest records. Custodians, in the manifest's order, open their shares with their tokens
// until the threshold is met (each share checked against its commitment; who is absent or refused is
// journaled and named); the shares are combined and the result must give the backup's key check value before
// the HSM sees it; the wrap key becomes a session object that only unwraps; each key is unwrapped (sensitive,
// non-extractable) and must match its recorded public key; then each restored key signs a statement naming
// this ceremony, checked against the original certificate. The wrap key and shares are wiped; the session
// copy of the wrap key is destroyed. Re-entered after a crash, keys already on the token are not unwrapped again.
import { inFours } from '../record/fingerprint.js';
import { fingerprintOf } from '../record/fingerprint.js';
import { createPublicKey, randomBytes, verify, X509Certificate } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import { canonicalBytes, sha256, RESTORE_PROOF_TYPE, type BackupKey, type BackupManifest, type RestoreProof } from '../custody/backup-manifest.js';
import type { Json, JsonObject } from '../record/journal.js';
import type { HsmSession, Secret } from '../engine/ports.js';
import type { KeyAlgorithm } from '../script/schema.js';
import type { LoadedBackup } from '../engine/ceremony-inputs.types.js';
import { combineShares, keyCheckValue } from '../custody/shares.js';
import { p1363ToDer } from '../evidence/cms.js';
import { RESTORE_OUTPUTS } from '../evidence/packet-files.js';
import { confirmBackupOnPaper, confirmCertificates } from './shared/backup-confirmations.js';
import { administrator, custodianPresent, openCustodianShare } from './shared/custodian-shares.js';
import type { StepContext, StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

function failed(message: string): OfficiantError {
  return new OfficiantError('ceremony.step-failed', message);
}

/** The manifest's keys by label (all when `labels` is undefined); a label it does not back up is refused. */
export function backedUpKeys(manifest: BackupManifest, labels: readonly string[] | undefined): BackupKey[] {
  return (labels ?? manifest.keys.map((k) => k.label)).map((label) => {
    const k = manifest.keys.find((x) => x.label === label);
    if (!k) throw failed(`the backup (ceremony ${manifest.ceremony.ceremony_id}) holds no key "${label}"; it holds ${manifest.keys.map((x) => x.label).join(', ')}`);
    return k;
  });
}

/** Each key's blob, refused (naming the file) when it is not the one the manifest records. */
export function readBlobs(backup: LoadedBackup, keys: BackupKey[]): Buffer[] {
  return keys.map((k) => {
    let blob: Buffer;
    try {
      blob = backup.read(k.blob_file);
    } catch {
      throw new OfficiantError('input.backup-invalid', `the wrapped key ${k.blob_file} of "${k.label}" is missing from ${backup.dir}`);
    }
    if (sha256(blob) !== k.blob_sha256) {
      throw new OfficiantError('input.backup-invalid', `the wrapped key ${k.blob_file} of "${k.label}" is not the one the backup recorded (SHA-256 ${sha256(blob).slice(0, 16)}…, recorded ${k.blob_sha256.slice(0, 16)}…): tampered or damaged`);
    }
    return blob;
  });
}

/**
 * Custodians open shares until the backup's threshold is met. Returns the shares (the caller wipes them);
 * throws ceremony.quorum-not-met naming who opened and why others did not.
 */
export async function collectShares(ctx: StepContext, backup: LoadedBackup, purpose: 'restore' | 'reshare'): Promise<Secret[]> {
  const m = backup.manifest;
  const shares: Secret[] = [];
  const opened: string[] = [];
  const missing: string[] = [];
  try {
    for (const c of m.custodians) {
      if (shares.length >= m.threshold) break;
      if (!(await custodianPresent(ctx, c))) {
        ctx.event('custodian-not-present', { officer: c.officer, name: c.name, index: c.index, kcv: m.wrap_key.kcv }, administrator(ctx));
        ctx.prompter.say(`  ${c.name} is not here: the next custodian is asked`);
        missing.push(`${c.name}: not present`);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = backup.read(c.share_file);
      } catch {
        ctx.event('share-refused', { officer: c.officer, name: c.name, index: c.index, kcv: m.wrap_key.kcv, reason: `share file ${c.share_file} is missing` });
        missing.push(`${c.name}: share file ${c.share_file} is missing`);
        continue;
      }
      const o = await openCustodianShare(ctx, m, c, bytes, purpose, true);
      if (o.ok) {
        shares.push(o.share!);
        opened.push(c.name);
      } else {
        missing.push(`${c.name}: ${o.reason}`);
      }
    }
  } catch (err) {
    for (const s of shares) s.wipe();
    throw err;
  }
  if (shares.length < m.threshold) {
    for (const s of shares) s.wipe();
    throw new OfficiantError(
      'ceremony.quorum-not-met',
      `the wrap key needs ${m.threshold} shares, ${shares.length} opened (${opened.join(', ') || 'none'}); not opened: ${missing.join('; ')}`,
    );
  }
  return shares;
}

/** Combines the shares and checks the result against the backup's key check value; the caller wipes it. */
export async function rebuildWrapKey(shares: Secret[], manifest: BackupManifest): Promise<Secret> {
  const key = await combineShares(shares);
  const kcv = keyCheckValue(key);
  if (kcv !== manifest.wrap_key.kcv) {
    key.wipe();
    throw failed(`the rebuilt wrap key has check value ${kcv}, the backup's is ${manifest.wrap_key.kcv}: the shares do not belong together (each matched its own commitment, so the manifest and the shares disagree)`);
  }
  return key;
}

export function oldWrapKeyRef(manifest: BackupManifest): { label: string; id: string } {
  return { label: 'officiant-backup-unwrap', id: manifest.wrap_key.kcv.slice(0, 16) };
}

function restoredRecord(session: HsmSession, k: BackupKey): JsonObject | undefined {
  const found = session.findKeys(k.label).find((r) => r.id === k.id && sha256(r.spki) === k.spki_sha256);
  return found ? { label: found.label, id: found.id, algorithm: found.algorithm, spki_sha256: sha256(found.spki), attributes: found.attributes as unknown as JsonObject } : undefined;
}

function verifyProof(k: BackupKey, bytes: Buffer, signature: Buffer): { ok: boolean; against: string } {
  const against = k.certificate ? 'the original certificate' : 'the recorded public key';
  const key = k.certificate ? new X509Certificate(k.certificate).publicKey : createPublicKey(k.public_key);
  const ok = key.asymmetricKeyType === 'ec' ? verify('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }, signature) : verify('sha256', bytes, key, signature);
  return { ok, against };
}

export const backupRestore: StepHandler<'backup.restore'> = {
  kind: 'backup.restore',
  needs: STEP_NEEDS['backup.restore'],
  async run(ctx) {
    const backup = ctx.backup();
    const m = backup.manifest;
    const keys = backedUpKeys(m, ctx.step.params.keys);
    const blobs = readBlobs(backup, keys);
    ctx.prompter.say(`  Backup of ceremony ${m.ceremony.ceremony_id} (${m.ceremony.script_id}): ${m.threshold} of ${m.custodians.length} custodians`);
    await confirmBackupOnPaper(ctx, m);
    await confirmCertificates(ctx, keys);
    const session = await ctx.session();
    const ref = oldWrapKeyRef(m);
    let restored = keys.map((k) => restoredRecord(session, k));
    if (restored.some((r) => r === undefined)) {
      const shares = await collectShares(ctx, backup, 'restore');
      try {
        const out = await ctx.effect<Json>(
          'backup.restore',
          { keys: keys.map((k) => k.label), kcv: m.wrap_key.kcv, wrap_key: ref },
          {
            run: async () => {
              const wrapKey = await rebuildWrapKey(shares, m);
              try {
                session.destroyObjects(ref, { sessionOnly: true });
                session.importWrapKey(ref, wrapKey, { session: true, use: 'unwrap' });
                try {
                  return keys.map((k, i) => {
                    const have = restoredRecord(session, k);
                    if (have) return have;
                    const r = session.unwrapKey(ref, blobs[i], { label: k.label, id: k.id, algorithm: k.algorithm as KeyAlgorithm, spki: createPublicKey(k.public_key).export({ type: 'spki', format: 'der' }) });
                    return { label: r.label, id: r.id, algorithm: r.algorithm, spki_sha256: sha256(r.spki), attributes: r.attributes as unknown as JsonObject };
                  });
                } finally {
                  session.destroyObjects(ref, { sessionOnly: true });
                }
              } finally {
                wrapKey.wipe();
              }
            },
            // Observes only: every key already on the token with its recorded public key means it happened.
            reconcile: () => {
              const have = keys.map((k) => restoredRecord(session, k));
              return have.every((h) => h !== undefined) ? (have as JsonObject[]) : undefined;
            },
          },
          ctx.people(ctx.step.perform)[0],
        );
        restored = out as unknown as JsonObject[];
      } finally {
        for (const s of shares) s.wipe();
      }
    }
    ctx.setToken(session.token());
    ctx.result('Backup', `ceremony ${m.ceremony.ceremony_id} (${m.ceremony.script_id}), manifest SHA-256 ${backup.sha256}`);
    ctx.result('Wrap key check value', `${inFours(m.wrap_key.kcv)}: typed from the paper record before anyone opened a share; the rebuilt key matched it before it reached the HSM, where it was a session object that only unwraps, destroyed after use`);
    for (const [i, k] of keys.entries()) {
      const r = restored[i]!;
      const a = r.attributes as unknown as Record<string, boolean>;
      if (k.certificate) ctx.result(`Original certificate of ${k.label}`, `SHA-256 ${fingerprintOf(new X509Certificate(k.certificate).raw)}, confirmed as the published fingerprint`);
      ctx.result(`Restored ${k.label}`, `${k.algorithm}, CKA_ID ${k.id}, public key SHA-256 ${String(r.spki_sha256)} (same as recorded at the backup)`);
      ctx.result(`Attributes of ${k.label}`, `sensitive=${a.sensitive}, extractable=${a.extractable}, local=${a.local}, never-extractable=${a.neverExtractable}: a restored key was not generated here (LOCAL false) and was once extractable`);
      // The proof: the restored key signs a statement that names this ceremony; checked against the original.
      const nonce = randomBytes(16).toString('hex');
      const proof = await ctx.effect<Json>(`backup.prove:${k.label}`, { key: k.label, nonce }, {
        run: () => {
          const statement: RestoreProof = { type: RESTORE_PROOF_TYPE, ceremony: ctx.ceremonyRef(), step: { id: ctx.step.id }, key: { label: k.label, spki_sha256: k.spki_sha256 }, backup: { ceremony_id: m.ceremony.ceremony_id, kcv: m.wrap_key.kcv }, nonce };
          const bytes = canonicalBytes(statement);
          const raw = session.sign(k, bytes);
          const check = verifyProof(k, bytes, raw);
          if (!check.ok) throw failed(`the restored key "${k.label}" signed the proof statement, but the signature does not verify with ${check.against}`);
          const der = k.algorithm.startsWith('EC') ? p1363ToDer(raw) : raw;
          return { statement: bytes.toString('utf8'), signature: der.toString('base64'), against: check.against };
        },
      });
      const p = proof as { statement: string; signature: string; against: string };
      await ctx.writeOutput(`${RESTORE_OUTPUTS}/${k.label}.statement.json`, p.statement);
      await ctx.writeOutput(`${RESTORE_OUTPUTS}/${k.label}.statement.sig`, Buffer.from(p.signature, 'base64'));
      if (k.certificate) await ctx.writeOutput(`${RESTORE_OUTPUTS}/${k.label}.cert.pem`, k.certificate.endsWith('\n') ? k.certificate : `${k.certificate}\n`);
      ctx.result(`Proof by ${k.label}`, `signed a statement naming this ceremony; the signature verifies with ${p.against} (openssl dgst -sha256 -verify: see ${RESTORE_OUTPUTS}/)`);
    }
  },
};
