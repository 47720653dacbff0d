// A backup set's files: sealing m-of-n shares of a wrap key to the custodians' 9d keys, reading a custodian's
// share file back (checked against the manifest), and writing the set from its journaled record. Contract:
// shares exist only as Secrets inside sealShares and are wiped before it returns; the files and the journal
// get only commitments, ciphertexts and check values.
import { X509Certificate, randomBytes } from 'node:crypto';
import { OfficiantError } from '../../errors.js';
import { SHARE_FILE_FORMAT, sha256, shareFile, type BackupCustodian, type BackupManifest, type ShareFile } from '../../custody/backup-manifest.js';
import type { Secret } from '../../engine/ports.js';
import { shareCommitment, sealShare, splitSecret } from '../../custody/shares.js';
import type { RosterOfficer } from '../../custody/roster.types.js';
import type { StepContext } from '../../engine/step-kind.types.js';
import { BACKUP_MANIFEST_OUTPUT, OUTPUTS_DIR } from '../../evidence/packet-files.js';

/** A backup as its effect journals it: the manifest and every file of the set (base64), all public-safe. */
export interface MadeBackup {
  manifest: BackupManifest;
  files: Record<string, string>;
}

export function spkiOfCertificate(pem: string): Buffer {
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
  for (const [rel, b64] of Object.entries(made.files)) await ctx.writeOutput(`${OUTPUTS_DIR}/${rel}`, Buffer.from(b64, 'base64'));
  await ctx.writeOutput(BACKUP_MANIFEST_OUTPUT, `${JSON.stringify(made.manifest, null, 2)}\n`);
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
