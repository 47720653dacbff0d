// A backup set made with real crypto for step-kind unit tests: three custodians on a roster (9a, 9c and 9d
// keys from the roster fixture), a 256-bit wrap key split 2-of-3 with the real sealShares, each share sealed
// to a custodian's 9d key, and one backed-up EC key whose wrapped blob is random bytes (its unwrapping is the
// HSM's, not faked here).
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { BACKUP_FORMAT, blobFile, publicKeyFile, sha256, type BackupManifest } from '../../../../src/custody/backup-manifest.js';
import { secretFromBytes } from '../../../../src/custody/secret.js';
import { keyCheckValue } from '../../../../src/custody/shares.js';
import type { LoadedBackup, LoadedRoster } from '../../../../src/engine/ceremony-inputs.types.js';
import { sealShares, type MadeBackup } from '../../../../src/steps/shared/backup-set.js';
import { createOfficer, createRosterBody, createRosterWorld, type TestOfficer } from '../../../helpers/roster-fixture.js';
import type { Person } from '../../../../src/engine/ports.js';
import { CEREMONY } from './step-context.js';

export interface BackupWorld {
  custodians: TestOfficer[];
  roster: LoadedRoster;
  made: MadeBackup;
  backup: LoadedBackup;
  kcv: string;
  /** The custodians as checked in (crypto officers by token). */
  people: Person[];
}

export async function createBackupWorld(): Promise<BackupWorld> {
  const world = await createRosterWorld({ officers: 0 });
  const custodians: TestOfficer[] = [];
  for (let i = 1; i <= 3; i++) custodians.push(await createOfficer({ id: `custodian-${i}`, serial: String(20000000 + i), roles: ['crypto-officer', 'custodian'], slots: ['9a', '9c', '9d'] }, world));
  const body = createRosterBody(world, {}, custodians);
  const roster: LoadedRoster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
  const wrapKey = secretFromBytes(randomBytes(32));
  const kcv = keyCheckValue(wrapKey);
  const sealed = await sealShares(wrapKey, custodians.map((c) => c.officer), { threshold: 2, ceremonyId: 'backup-ceremony', kcv });
  wrapKey.wipe();
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const blob = randomBytes(64);
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    ceremony: { ...CEREMONY, ceremony_id: 'backup-ceremony' },
    step_id: 'split',
    created_at: '2026-01-02T10:00:00.000Z',
    threshold: 2,
    wrap_key: { bits: 256, kcv, hsm: { label: 'officiant-backup-wrap-split', session_object: true, use: 'wrap', destroyed_after_use: true, transport: null } },
    custodians: sealed.custodians,
    keys: [
      {
        label: 'signing',
        id: 'aa'.repeat(8),
        algorithm: 'EC-P256',
        purpose: 'manifest signing',
        spki_sha256: createHash('sha256').update(spki).digest('hex'),
        public_key: pem,
        certificate: null,
        blob_file: blobFile('signing'),
        blob_sha256: sha256(blob),
        mechanism: 'CKM_AES_KEY_WRAP_PAD',
        attributes: null,
      },
    ],
    supersedes: null,
  };
  const files = { ...sealed.files, [blobFile('signing')]: blob.toString('base64'), [publicKeyFile('signing')]: Buffer.from(pem).toString('base64') };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const backup: LoadedBackup = {
    dir: '/unit/backup',
    bytes,
    manifest,
    sha256: sha256(bytes),
    read: (rel) => {
      const b64 = files[rel];
      if (b64 === undefined) throw new Error(`no ${rel}`);
      return Buffer.from(b64, 'base64');
    },
  };
  const people = custodians.map((c) => ({ name: c.officer.name, role: 'crypto-officer', officer: c.officer.id, device: c.officer.device.serial }));
  return { custodians, roster, made: { manifest, files }, backup, kcv, people };
}
