// A backup set for the loaders' tests, with real crypto: P-256 keys whose SPKI SHA-256 the manifest records,
// random wrapped-key blobs with their SHA-256, and share entries with their file digests, laid out under `dir`
// as a backup step writes them (backup/manifest.json, backup/*.wrapped, shares/*.share.json).
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BACKUP_FORMAT, blobFile, MANIFEST_FILE, shareFile, type BackupManifest } from '../../../src/custody/backup-manifest.js';
import type { MemoryInputFiles } from './memory-input-files.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface TestBackupSet {
  manifest: BackupManifest;
  blobs: Record<string, Buffer>;
}

export function createBackupSet(labels: string[] = ['release-root', 'release-sub']): TestBackupSet {
  const blobs: Record<string, Buffer> = {};
  const keys = labels.map((label, i) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const blob = randomBytes(40);
    blobs[blobFile(label)] = blob;
    return {
      label,
      id: `0${i + 1}`,
      algorithm: 'EC-P256',
      purpose: label,
      spki_sha256: sha256(publicKey.export({ type: 'spki', format: 'der' })),
      public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      certificate: null,
      blob_file: blobFile(label),
      blob_sha256: sha256(blob),
      mechanism: 'CKM_AES_KEY_WRAP_PAD' as const,
      attributes: null,
    };
  });
  const custodians = ['custodian-1', 'custodian-2', 'custodian-3'].map((officer, i) => ({
    officer,
    name: `Officer ${officer}`,
    device_serial: String(20000001 + i),
    index: i + 1,
    recipient_spki_sha256: sha256(randomBytes(32)),
    commitment: sha256(randomBytes(32)),
    commitment_salt: randomBytes(16).toString('hex'),
    share_file: shareFile(officer),
    share_sha256: sha256(randomBytes(32)),
  }));
  const manifest = {
    format: BACKUP_FORMAT,
    ceremony: { script_id: 'release-authority-init', ceremony_id: 'init-2026-01', script_sha256: 'ab'.repeat(32) },
    step_id: 'backup-root-key',
    created_at: '2026-01-15T10:00:00.000Z',
    threshold: 2,
    wrap_key: { bits: 256, kcv: randomBytes(16).toString('hex'), hsm: { label: 'wrap', session_object: true, use: 'wrap', destroyed_after_use: true, transport: null } },
    custodians,
    keys,
    supersedes: null,
  } as unknown as BackupManifest;
  return { manifest, blobs };
}

/** Writes the set under `dir`: the manifest (as given, or any text) and every blob. */
export function placeBackupSet(files: MemoryInputFiles, dir: string, set: TestBackupSet, manifestText = `${JSON.stringify(set.manifest, null, 2)}\n`): MemoryInputFiles {
  files.file(join(dir, MANIFEST_FILE), manifestText);
  for (const [rel, bytes] of Object.entries(set.blobs)) files.file(join(dir, rel), bytes);
  return files;
}
