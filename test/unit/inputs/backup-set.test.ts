// Backup sets as restore, re-share and verification load them: the manifest's shape, each key's public key and
// certificate against its recorded SHA-256, and (when the wrapped keys are needed) each blob present with its
// recorded SHA-256. Every key's problems at once, each naming the file and the manifest field.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadBackup } from '../../../src/inputs/backup-set.js';
import { isOfficiantError } from '../../../src/errors.js';
import { createBackupSet, placeBackupSet } from './backup-fixture.js';
import { MemoryInputFiles } from './memory-input-files.js';

const DIR = '/b/outputs';
const MANIFEST = `${DIR}/backup/manifest.json`;

describe('loadBackup', () => {
  it('loads a sound set: the manifest bytes and their SHA-256, and reads files of the set only', () => {
    const set = createBackupSet();
    const files = placeBackupSet(new MemoryInputFiles(), DIR, set);
    const loaded = loadBackup(files, `${DIR}/`, { blobs: true });
    expect(loaded.problems).toEqual([]);
    const backup = loaded.value!;
    expect(backup.dir).toBe(DIR);
    expect(backup.sha256).toBe(createHash('sha256').update(files.read(MANIFEST)).digest('hex'));
    expect(backup.read('backup/release-sub.wrapped').equals(set.blobs['backup/release-sub.wrapped'])).toBe(true);
    let refused: unknown;
    try {
      backup.read('../secrets.txt');
    } catch (err) {
      refused = err;
    }
    expect(isOfficiantError(refused, 'input.backup-invalid') && refused.message).toBe('../secrets.txt: outside the backup directory');
  });

  it('reports every inconsistent key and every missing or changed wrapped key at once', () => {
    const set = createBackupSet(['k1', 'k2', 'k3']);
    // k1: another key's public key under its recorded SHA-256; k2: its blob gone; k3: its blob changed.
    set.manifest.keys[0].public_key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const files = placeBackupSet(new MemoryInputFiles(), DIR, set).remove(`${DIR}/backup/k2.wrapped`).file(`${DIR}/backup/k3.wrapped`, 'damaged');
    const loaded = loadBackup(files, DIR, { blobs: true });
    expect(loaded.value).toBeUndefined();
    const actual = createHash('sha256').update('damaged').digest('hex');
    expect(loaded.problems.map((p) => [p.code, p.file, p.field, p.message])).toEqual([
      ['input.backup-invalid', MANIFEST, 'keys[0].spki_sha256', `${MANIFEST}: the public key and certificate of "k1" do not match its recorded SHA-256: the manifest is not consistent`],
      ['input.backup-invalid', `${DIR}/backup/k2.wrapped`, 'keys[1].blob_file', `the wrapped key backup/k2.wrapped of "k2" is missing from ${DIR}`],
      [
        'input.backup-invalid',
        `${DIR}/backup/k3.wrapped`,
        'keys[2].blob_sha256',
        `the wrapped key backup/k3.wrapped of "k3" is not the one the backup recorded (SHA-256 ${actual.slice(0, 16)}…, recorded ${set.manifest.keys[2].blob_sha256.slice(0, 16)}…): tampered or damaged`,
      ],
    ]);
    // Share verification needs no wrapped keys: only the manifest's own problem remains.
    expect(loadBackup(files, DIR, { blobs: false }).problems.map((p) => p.field)).toEqual(['keys[0].spki_sha256']);
  });

  it('names a key whose public key cannot be read', () => {
    const set = createBackupSet(['k1']);
    set.manifest.keys[0].public_key = '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n';
    const loaded = loadBackup(placeBackupSet(new MemoryInputFiles(), DIR, set), DIR, { blobs: false });
    expect(loaded.problems.map((p) => [p.field, p.message])).toEqual([['keys[0].public_key', `${MANIFEST}: the public key or certificate of "k1" cannot be read`]]);
  });

  it('lists every shape problem of the manifest under one headline (its keys are not read)', () => {
    const set = createBackupSet();
    const broken = { ...set.manifest, format: 'other/1', threshold: 9, keys: [] };
    const loaded = loadBackup(placeBackupSet(new MemoryInputFiles(), DIR, set, JSON.stringify(broken)), DIR, { blobs: true });
    expect(loaded.problems.map((p) => p.message)).toEqual(['format is other/1, not officiant-backup/1', 'threshold 9 does not fit 3 custodians', 'it backs up no keys']);
    expect(new Set(loaded.problems.map((p) => p.group))).toEqual(new Set([`${MANIFEST}: not a usable backup manifest (3 problem(s))`]));
  });

  it.each([
    ['holds no manifest', new MemoryInputFiles().dir(DIR), DIR, 'backup/manifest.json', `${DIR} holds no backup/manifest.json: give the directory a backup step wrote (its outputs/ directory), with the custodians' share files in shares/`],
    ['has a manifest that is not JSON', new MemoryInputFiles().file(MANIFEST, '{'), MANIFEST, '(file)', `${MANIFEST}: not valid JSON`],
  ])('a directory that %s is one problem', (_, files, file, field, message) => {
    expect(loadBackup(files, DIR, { blobs: true }).problems).toEqual([{ code: 'input.backup-invalid', file, field, message }]);
  });
});
