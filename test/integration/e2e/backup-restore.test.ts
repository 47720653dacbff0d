// Backup, restore and re-share of the release root key, end to end on real SoftHSM tokens and simulated PIV
// tokens, driven through the built CLI as a person runs it: five officers are enrolled, the release authority is
// initialised and its root key backed up 3 of 5 to the custodians; the backup is restored into a fresh token
// (the restored key's proof statement is checked by openssl under the ORIGINAL root certificate) and re-shared
// to a new wrap key. Each failure drill works on its own copy of the backup set and checks the exact refusal:
// a tampered wrapped key (the ceremony halts before any share is opened, nothing is unwrapped), a corrupted share
// (the restore goes on with the next custodians, the journal records who opened), altered ciphertext behind a
// manifest edited to match (the AEAD refuses it), one share too few (quorum not met, naming everyone), another
// custodian's share (as is, re-pointed, or relabelled), and the old shares against the re-shared backup.
// Finally the test itself opens the shares with the officers' tokens, rebuilds both wrap keys (their check values
// must match the manifests), unwraps both blobs with OpenSSL's AES key wrap (same root key; the old wrap key
// opens only the old blob), and scans every byte the ceremonies left (files, decompressed PDF streams, PDF text,
// CLI output) for the wrap keys, the share plaintexts, the root private key and every PIN the simulated people
// hold, as raw bytes, hex and base64 at every alignment. Positive controls show the scan finds what is there.
import { inFours } from '../../../src/record/fingerprint.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { createDecipheriv, createHash, createPrivateKey, X509Certificate, type JsonWebKey } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11PivReader } from '../../../src/adapters/piv/pkcs11-piv-reader.js';
import { SimulatedPivFleet } from '../../../src/adapters/piv/simulated-piv-fleet.js';
import { SOFTHSM_MODULE } from '../../../src/adapters/pkcs11/softhsm-sandbox.js';
import type { Answers } from '../../../src/inputs/answers.js';
import { officerSecrets } from '../../../src/adapters/prompts/rehearsal-people.js';
import { loadRoster } from '../../../src/cli/compose.js';
import { checkReceipt, type BackupCustodian, type BackupManifest, type ShareFile, type ShareReceipt } from '../../../src/custody/backup-manifest.js';
import { parseJournal, verifyChain, type JournalEntry } from '../../../src/record/journal.js';
import type { Secret } from '../../../src/engine/ports.js';
import { secretFromString } from '../../../src/custody/secret.js';
import { checkShare, combineShares, keyCheckValue, openShare } from '../../../src/custody/shares.js';
import type { RosterBody } from '../../../src/custody/roster.types.js';
import { ROOT } from '../../helpers/cli.js';
import { corruptCiphertext, shareFileBytes } from '../../helpers/share-files.js';
import { rehearsalWorkspace, type Run } from '../../helpers/rehearsal-workspace.js';

const ENROLLMENT = join(ROOT, 'ceremonies/officer-enrollment.yaml');
const INIT = join(ROOT, 'ceremonies/release-authority-init.yaml');
const RESTORE = join(ROOT, 'ceremonies/release-authority-restore.yaml');
const RESHARE = join(ROOT, 'ceremonies/backup-reshare.yaml');
const KEY = 'release-root-2026';
const WRAPPED = `outputs/backup/${KEY}.wrapped`;
const MANIFEST = 'outputs/backup/manifest.json';
const ROOT_CERT = `outputs/${KEY}.cert.pem`;

const ws = rehearsalWorkspace('officiant-backup-');
const { work, env, transcripts, dir, cli, rehearse, expectCompleted, expectVerified, copyOf } = ws;
const scratch = join(work, 'scratch');
mkdirSync(scratch);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The journal of a run, read back and checked: every line hash-chained to the one before, none torn. */
function journalOf(name: string): JournalEntry[] {
  const parsed = parseJournal(readFileSync(join(dir(name), 'journal.jsonl'), 'utf8'));
  expect(parsed.torn).toBeUndefined();
  expect(verifyChain(parsed.entries)).toEqual([]);
  return parsed.entries;
}

function eventsOf(entries: JournalEntry[], what: string): JournalEntry['data'][] {
  return entries.filter((e) => e.type === 'step.event' && e.data.what === what).map((e) => e.data);
}

/** Which share indices the ceremony's custodians opened (receipt signed and verified) for the backup `kcv`. */
function receiptIndices(entries: JournalEntry[], kcv: string): number[] {
  return eventsOf(entries, 'share-receipt')
    .filter((d) => d.kcv === kcv)
    .map((d) => Number(d.index));
}

function ceremonyIdOf(entries: JournalEntry[]): string {
  expect(entries[0].type).toBe('ceremony.started');
  return String(entries[0].data.ceremonyId);
}

function writeManifest(name: string, m: BackupManifest): void {
  writeFileSync(join(dir(name), MANIFEST), `${JSON.stringify(m, null, 2)}\n`);
}

const notRecorded = (c: BackupCustodian, actual: Buffer | string) =>
  `share file ${c.share_file} of ${c.name} is not the one recorded in the backup (SHA-256 ${sha256(actual).slice(0, 16)}…, recorded ${c.share_sha256.slice(0, 16)}…): corrupted or replaced`;
const doesNotOpen = (c: BackupCustodian) => `${c.name}'s share ${c.index}: sealed share ${c.index} for ${c.officer} does not open: wrong device key or altered contents`;

/** The RSA public key of a certificate, as a PEM file openssl reads (extracted by openssl itself). */
function publicKeyFileOf(certPath: string, name: string): string {
  const out = join(scratch, `${name}.pub.pem`);
  writeFileSync(out, execFileSync('openssl', ['x509', '-in', certPath, '-pubkey', '-noout'], { encoding: 'utf8' }));
  return out;
}

function opensslVerify(pub: string, sig: string, data: string): { code: number | null; out: string } {
  const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, data], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The restored key's proof from a restore rehearsal, checked by openssl under the original root certificate. */
function expectProofVerifies(restoreDir: string): void {
  const rootPub = publicKeyFileOf(join(dir('I'), ROOT_CERT), `root-${restoreDir}`);
  const base = join(dir(restoreDir), 'outputs/restore', KEY);
  const ok = opensslVerify(rootPub, `${base}.statement.sig`, `${base}.statement.json`);
  expect(ok.out.trim()).toBe('Verified OK');
  expect(ok.code).toBe(0);
  // The same check fails for a statement changed by one byte: the "Verified OK" above means something.
  const altered = join(scratch, `${restoreDir}-altered.statement.json`);
  writeFileSync(altered, readFileSync(`${base}.statement.json`, 'utf8').replace('"restore"', '"restorf"'));
  const bad = opensslVerify(rootPub, `${base}.statement.sig`, altered);
  expect(bad.code).toBe(1);
  expect(bad.out).toContain('Verification failure');
  // The certificate the restore wrote is the original root certificate.
  expect(readFileSync(`${base}.cert.pem`).equals(readFileSync(join(dir('I'), ROOT_CERT)))).toBe(true);
}

interface Pointer {
  sandbox: string;
  people?: string;
}

/** The objects on a rehearsal's HSM token, listed by pkcs11-tool with the token's user PIN (its two holders' halves). */
function tokenObjects(name: string): string {
  const pointer = readJson<Pointer>(join(dir(name), 'rehearsal.json'));
  const people = readJson<Answers>(join(pointer.sandbox, pointer.people ?? 'people.json'));
  const [a, b] = people.people['crypto-officer'];
  const userPin = `${people.secrets[a]['user-pin-half']}${people.secrets[b]['user-pin-half']}`;
  const { tokenLabel } = readJson<{ tokenLabel: string }>(join(dir(name), 'site.json'));
  return execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', tokenLabel, '--login', '--pin', userPin, '--list-objects'], {
    env: { ...env, SOFTHSM2_CONF: join(pointer.sandbox, 'softhsm2.conf') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const ROOT_PRIVATE_KEY = new RegExp(`Private Key Object; RSA\\s*\\n\\s+label:\\s+${KEY}\\n`);

let roster: RosterBody;
let manifestI: BackupManifest;
let manifestBytesI: Buffer;
let custodians: BackupCustodian[];
let kcvI: string;
let ceremonyI: string;

beforeAll(() => {
  expectCompleted(rehearse(ENROLLMENT, 'E', {}), 14);
  expectCompleted(rehearse(INIT, 'I', { officers: 'E' }), 14);
  roster = loadRoster(join(dir('I'), 'roster.json'), { production: false }).body;
  manifestBytesI = readFileSync(join(dir('I'), MANIFEST));
  manifestI = JSON.parse(manifestBytesI.toString('utf8')) as BackupManifest;
  custodians = manifestI.custodians;
  kcvI = manifestI.wrap_key.kcv;
  ceremonyI = ceremonyIdOf(journalOf('I'));
}, 120_000);

describe('backup at initialisation, and restore into a fresh token', () => {
  it('backs the root key up 3 of 5, and a restore proves the same key under the original certificate', () => {
    expectVerified('I');

    // The manifest.
    const m = manifestI;
    expect(m.format).toBe('officiant-backup/1');
    expect(m.ceremony.ceremony_id).toBe(ceremonyI);
    expect(m.threshold).toBe(3);
    expect(m.custodians).toHaveLength(5);
    expect(m.wrap_key.kcv).toMatch(/^[0-9a-f]{32}$/);
    // The wrap key was a wrap-only session object; the root key left the token under the SO's transport key.
    expect(m.wrap_key.hsm).toEqual({
      label: 'officiant-backup-wrap-backup-root-key',
      session_object: true,
      use: 'wrap',
      destroyed_after_use: true,
      transport: { label: 'officiant-backup-transport-backup-root-key', trusted: true, generated_in_hsm: true, destroyed_after_use: true },
    });
    expect(m.supersedes).toBeNull();
    expect(m.keys.map((k) => k.label)).toEqual([KEY]);
    const [key] = m.keys;
    expect(key.blob_file).toBe(`backup/${KEY}.wrapped`);
    expect(key.blob_sha256).toBe(sha256(readFileSync(join(dir('I'), WRAPPED))));
    expect(key.certificate?.trim()).toBe(readFileSync(join(dir('I'), ROOT_CERT), 'utf8').trim());
    const rootSpki = new X509Certificate(readFileSync(join(dir('I'), ROOT_CERT))).publicKey.export({ type: 'spki', format: 'der' });
    expect(key.spki_sha256).toBe(sha256(rootSpki));
    expect(readFileSync(join(dir('I'), 'outputs/backup', `${KEY}.pub.pem`), 'utf8')).toBe(key.public_key);

    // Custodians: the roster's active custodians, in roster order, shares 1..5.
    const rosterCustodians = roster.officers.filter((o) => o.status === 'active' && o.roles.includes('custodian'));
    expect(rosterCustodians).toHaveLength(5);
    expect(m.custodians.map((c) => c.officer)).toEqual(rosterCustodians.map((o) => o.id));
    expect(m.custodians.map((c) => c.index)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(m.custodians.map((c) => c.commitment)).size).toBe(5);

    // Each share file names its custodian, index, recipient key and commitment, and is the file recorded.
    for (const c of m.custodians) {
      const officer = rosterCustodians.find((o) => o.id === c.officer)!;
      const recipient = sha256(new X509Certificate(officer.keys['9d']!.certificate).publicKey.export({ type: 'spki', format: 'der' }));
      expect(c.share_file).toBe(`shares/${c.officer}.share.json`);
      const bytes = readFileSync(join(dir('I'), 'outputs', c.share_file));
      expect(sha256(bytes)).toBe(c.share_sha256);
      const file = JSON.parse(bytes.toString('utf8')) as ShareFile;
      expect(file).toMatchObject({
        file_format: 'officiant-share-file/1',
        format: 'officiant-sealed-share/1',
        custodian: c.officer,
        name: officer.name,
        device_serial: officer.device.serial,
        index: c.index,
        ceremony_id: ceremonyI,
        recipient_spki_sha256: recipient,
        commitment: c.commitment,
        commitment_salt: c.commitment_salt,
        threshold: 3,
        of: 5,
        backup_kcv: kcvI,
      });
      expect(c.recipient_spki_sha256).toBe(recipient);
      expect(c.device_serial).toBe(officer.device.serial);
    }
    expect(readdirSync(join(dir('I'), 'outputs/shares')).sort()).toEqual(m.custodians.map((c) => `${c.officer}.share.json`).sort());

    // Every custodian opened their share at the backup: five receipts, each signed by their 9a key.
    const entriesI = journalOf('I');
    const receipts = eventsOf(entriesI, 'share-receipt');
    expect(receipts).toHaveLength(5);
    expect(receipts.map((d) => d.officer)).toEqual(m.custodians.map((c) => c.officer));
    for (const d of receipts) {
      const receipt = d.receipt as unknown as ShareReceipt;
      expect(receipt).toMatchObject({ purpose: 'split', backup: { ceremony_id: ceremonyI, kcv: kcvI }, custodian: d.officer, index: d.index });
      expect(checkReceipt(roster, receipt, String(d.signature)).ok).toBe(true);
    }
    expect(eventsOf(entriesI, 'share-refused')).toEqual([]);

    // Restore into a fresh token.
    const r = rehearse(RESTORE, 'R', { from: 'I' });
    expectCompleted(r, 9);
    expect(r.stdout).toContain(`  Wrap key check value: ${inFours(kcvI)}: typed from the paper record before anyone opened a share; the rebuilt key matched it before it reached the HSM`);
    const entriesR = journalOf('R');
    expect(receiptIndices(entriesR, kcvI)).toEqual([1, 2, 3]);
    for (const d of eventsOf(entriesR, 'share-receipt')) {
      const receipt = d.receipt as unknown as ShareReceipt;
      expect(receipt.purpose).toBe('restore');
      expect(checkReceipt(roster, receipt, String(d.signature)).ok).toBe(true);
    }
    expect(eventsOf(entriesR, 'share-refused')).toEqual([]);

    expectProofVerifies('R');
    const statement = readJson<Record<string, unknown>>(join(dir('R'), 'outputs/restore', `${KEY}.statement.json`));
    expect(statement).toMatchObject({
      type: 'officiant-restore-proof/1',
      ceremony: { ceremony_id: ceremonyIdOf(entriesR), script_id: 'release-authority-restore' },
      step: { id: 'restore' },
      key: { label: KEY, spki_sha256: key.spki_sha256 },
      backup: { ceremony_id: ceremonyI, kcv: kcvI },
    });
    // The new token holds the restored private key (seen by pkcs11-tool, outside Officiant).
    expect(tokenObjects('R')).toMatch(ROOT_PRIVATE_KEY);
    expectVerified('R');
  });

  it('refuses a tampered wrapped key before the ceremony starts, naming the file', () => {
    const copy = copyOf('I', 'N2');
    const blob = readFileSync(join(copy, WRAPPED));
    blob[blob.length >> 1] ^= 0x01;
    writeFileSync(join(copy, WRAPPED), blob);

    const r = rehearse(RESTORE, 'R2', { from: 'N2' });
    const message = `the wrapped key backup/${KEY}.wrapped of "${KEY}" is not the one the backup recorded (SHA-256 ${sha256(blob).slice(0, 16)}…, recorded ${manifestI.keys[0].blob_sha256.slice(0, 16)}…): tampered or damaged`;
    // A damaged backup set is bad input (exit 2), refused before anyone checks in, types a PIN or touches a token.
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`officiant: ${message}`);
    expect(r.stdout).not.toContain('[step 1 of 8]');
    expect(existsSync(join(dir('R2'), 'journal.jsonl'))).toBe(false);
  });
});

describe('custodians and their share files', () => {
  it('refuses a corrupted share file and restores with the next three custodians', () => {
    const [c1] = custodians;
    const copy = copyOf('I', 'N3');
    const corrupted = corruptCiphertext(join(copy, 'outputs', c1.share_file));

    const r = rehearse(RESTORE, 'R3', { from: 'N3' });
    expectCompleted(r, 9);
    const reason = notRecorded(c1, corrupted);
    expect(r.stdout).toContain(`  refused: ${reason}\n`);
    const entries = journalOf('R3');
    expect(eventsOf(entries, 'share-refused')).toEqual([{ what: 'share-refused', officer: c1.officer, name: c1.name, index: 1, kcv: kcvI, device: c1.device_serial, reason }]);
    expect(receiptIndices(entries, kcvI)).toEqual([2, 3, 4]);
    expect(eventsOf(entries, 'share-receipt').map((d) => d.officer)).toEqual(custodians.slice(1, 4).map((c) => c.officer));
    expectProofVerifies('R3');
  });

  it('refuses altered ciphertext even when the manifest is edited to record the altered file (the AEAD does not open)', () => {
    const [c1] = custodians;
    const copy = copyOf('I', 'N3b');
    const corrupted = corruptCiphertext(join(copy, 'outputs', c1.share_file));
    writeManifest('N3b', { ...manifestI, custodians: custodians.map((c) => (c === c1 ? { ...c, share_sha256: sha256(corrupted) } : c)) });

    const r = rehearse(RESTORE, 'R3b', { from: 'N3b' });
    expectCompleted(r, 9);
    expect(r.stdout).toContain(`  refused: ${doesNotOpen(c1)}\n`);
    const entries = journalOf('R3b');
    expect(eventsOf(entries, 'share-refused').map((d) => [d.officer, d.reason])).toEqual([[c1.officer, doesNotOpen(c1)]]);
    expect(receiptIndices(entries, kcvI)).toEqual([2, 3, 4]);
  });

  it('fails with one share too few (m-1), naming who opened and why the others did not', () => {
    const [c1, c2, c3, c4, c5] = custodians;
    const copy = copyOf('I', 'N4');
    const corrupted = [c1, c2, c3].map((c) => corruptCiphertext(join(copy, 'outputs', c.share_file)));

    const r = rehearse(RESTORE, 'R4', { from: 'N4' });
    expect(r.code).toBe(1);
    const message = `the wrap key needs 3 shares, 2 opened (${c4.name}, ${c5.name}); not opened: ${[c1, c2, c3].map((c, i) => `${c.name}: ${notRecorded(c, corrupted[i])}`).join('; ')}`;
    expect(r.stdout).toContain(`  step failed: ${message}\n`);
    expect(r.stdout).toMatch(/Ceremony [0-9a-f-]{36} ABORTED: /);

    const entries = journalOf('R4');
    const failed = entries.filter((e) => e.type === 'step.failed');
    expect(failed.map((e) => [e.step, e.data.code, e.data.message])).toEqual([['restore', 'ceremony.quorum-not-met', message]]);
    expect(entries.some((e) => e.type === 'ceremony.aborted')).toBe(true);
    expect(receiptIndices(entries, kcvI)).toEqual([4, 5]);
    expect(eventsOf(entries, 'share-refused').map((d) => d.index)).toEqual([1, 2, 3]);
    // Two shares never reached the HSM: no restore effect, nothing unwrapped.
    expect(entries.filter((e) => e.type === 'intent' && e.data.op === 'backup.restore')).toEqual([]);
    expect(existsSync(join(dir('R4'), 'outputs/restore'))).toBe(false);
    expect(tokenObjects('R4')).not.toContain(KEY);
  });

  it("refuses another custodian's share file put in custodian 1's place", () => {
    const [c1, c2] = custodians;
    const copy = copyOf('I', 'N5');
    const theirs = readFileSync(join(copy, 'outputs', c2.share_file));
    writeFileSync(join(copy, 'outputs', c1.share_file), theirs);

    const r = rehearse(RESTORE, 'R5', { from: 'N5' });
    expectCompleted(r, 9);
    const reason = notRecorded(c1, theirs);
    expect(reason).toContain(`recorded ${c1.share_sha256.slice(0, 16)}`);
    expect(r.stdout).toContain(`  refused: ${reason}\n`);
    const entries = journalOf('R5');
    expect(eventsOf(entries, 'share-refused').map((d) => [d.officer, d.reason])).toEqual([[c1.officer, reason]]);
    expect(receiptIndices(entries, kcvI)).toEqual([2, 3, 4]);
  });

  it("refuses another custodian's share file when the manifest is edited to record it", () => {
    const [c1, c2] = custodians;
    const copy = copyOf('I', 'N5b');
    const theirs = readFileSync(join(copy, 'outputs', c2.share_file));
    writeFileSync(join(copy, 'outputs', c1.share_file), theirs);
    writeManifest('N5b', { ...manifestI, custodians: custodians.map((c) => (c === c1 ? { ...c, share_sha256: sha256(theirs) } : c)) });

    const r = rehearse(RESTORE, 'R5b', { from: 'N5b' });
    expectCompleted(r, 9);
    const reason = `share file ${c1.share_file} is not share 1 of ${c1.name} for this backup`;
    expect(r.stdout).toContain(`  refused: ${reason}\n`);
    expect(eventsOf(journalOf('R5b'), 'share-refused').map((d) => [d.officer, d.reason])).toEqual([[c1.officer, reason]]);
  });

  it("refuses another custodian's share relabelled as custodian 1's: it was sealed to another device", () => {
    const [c1, c2] = custodians;
    const copy = copyOf('I', 'N5c');
    const theirs = JSON.parse(readFileSync(join(copy, 'outputs', c2.share_file), 'utf8')) as ShareFile;
    const relabelled = shareFileBytes({ ...theirs, custodian: c1.officer, index: c1.index, name: c1.name, device_serial: c1.device_serial });
    writeFileSync(join(copy, 'outputs', c1.share_file), relabelled);
    writeManifest('N5c', { ...manifestI, custodians: custodians.map((c) => (c === c1 ? { ...c, share_sha256: sha256(relabelled) } : c)) });

    const r = rehearse(RESTORE, 'R5c', { from: 'N5c' });
    expectCompleted(r, 9);
    // Refused before custodian 1 types a PIN: the file names custodian 2's 9d key, not custodian 1's enrolled one.
    const reason = `share ${c1.index} in ${c1.share_file} is not sealed to ${c1.name}'s enrolled key-management key (slot 9d)`;
    expect(r.stdout).toContain(`  refused: ${reason}\n`);
    const beforeRefusal = r.stdout.slice(r.stdout.indexOf(`Custodian ${c1.name}: share ${c1.index}`), r.stdout.indexOf(`  refused: ${reason}`));
    expect(beforeRefusal).not.toContain('enters PIV PIN');
    const entries = journalOf('R5c');
    expect(eventsOf(entries, 'share-refused').map((d) => [d.officer, d.reason])).toEqual([[c1.officer, reason]]);
    expect(receiptIndices(entries, kcvI)).toEqual([2, 3, 4]);
  });
});

describe('re-share', () => {
  it('moves the backup to a new wrap key; the new set restores; the old shares open nothing in it', () => {
    const s = rehearse(RESHARE, 'S', { from: 'I' });
    expectCompleted(s, 9);
    const entriesS = journalOf('S');
    const ceremonyS = ceremonyIdOf(entriesS);
    const m = readJson<BackupManifest>(join(dir('S'), MANIFEST));
    const [oldKey] = manifestI.keys;
    const [key] = m.keys;
    expect(m.ceremony.ceremony_id).toBe(ceremonyS);
    expect(m.wrap_key.kcv).toMatch(/^[0-9a-f]{32}$/);
    expect(m.wrap_key.kcv).not.toBe(kcvI);
    expect(m.supersedes).toEqual({ ceremony_id: ceremonyI, kcv: kcvI, manifest_sha256: sha256(manifestBytesI) });
    expect(m.threshold).toBe(3);
    expect(m.custodians.map((c) => c.officer)).toEqual(custodians.map((c) => c.officer));
    expect(key.blob_sha256).toBe(sha256(readFileSync(join(dir('S'), WRAPPED))));
    expect(key.blob_sha256).not.toBe(oldKey.blob_sha256);
    expect(key.spki_sha256).toBe(oldKey.spki_sha256);
    expect(key.certificate).toBe(oldKey.certificate);
    for (const c of m.custodians) {
      expect(sha256(readFileSync(join(dir('S'), 'outputs', c.share_file)))).toBe(c.share_sha256);
      const old = custodians.find((o) => o.officer === c.officer)!;
      expect(c.commitment).not.toBe(old.commitment);
      expect(c.share_sha256).not.toBe(old.share_sha256);
    }
    // Three old custodians opened their old shares; all five opened their new ones.
    expect(receiptIndices(entriesS, kcvI)).toEqual([1, 2, 3]);
    expect(receiptIndices(entriesS, m.wrap_key.kcv)).toEqual([1, 2, 3, 4, 5]);
    for (const d of eventsOf(entriesS, 'share-receipt')) {
      const receipt = d.receipt as unknown as ShareReceipt;
      expect(receipt.purpose).toBe('reshare');
      expect(checkReceipt(roster, receipt, String(d.signature)).ok).toBe(true);
    }
    expect(s.stdout).toContain(`  Supersedes: the backup of ceremony ${ceremonyI} (wrap key check value ${kcvI}, manifest SHA-256 ${sha256(manifestBytesI)}): its shares open nothing in this backup`);
    expectVerified('S');

    // The new backup restores, and the restored key proves itself under the original root certificate.
    expectCompleted(rehearse(RESTORE, 'RS', { from: 'S' }), 9);
    const entriesRS = journalOf('RS');
    expect(receiptIndices(entriesRS, m.wrap_key.kcv)).toEqual([1, 2, 3]);
    expectProofVerifies('RS');
    const statement = readJson<{ backup: unknown; ceremony: { ceremony_id: string } }>(join(dir('RS'), 'outputs/restore', `${KEY}.statement.json`));
    expect(statement.backup).toEqual({ ceremony_id: ceremonyS, kcv: m.wrap_key.kcv });
    expect(statement.ceremony.ceremony_id).toBe(ceremonyIdOf(entriesRS));
    expectVerified('RS');

    // The old share files, put where the new ones belong, are refused one by one: quorum not met.
    const copy = copyOf('S', 'N6');
    for (const c of custodians) cpSync(join(dir('I'), 'outputs', c.share_file), join(copy, 'outputs', c.share_file));
    const r = rehearse(RESTORE, 'R6', { from: 'N6' });
    expect(r.code).toBe(1);
    const reasons = m.custodians.map((c) => `${c.name}: ${notRecorded(c, readFileSync(join(dir('I'), 'outputs', c.share_file)))}`);
    expect(r.stdout).toContain(`  step failed: the wrap key needs 3 shares, 0 opened (none); not opened: ${reasons.join('; ')}\n`);
    const entriesR6 = journalOf('R6');
    expect(eventsOf(entriesR6, 'share-receipt')).toEqual([]);
    expect(eventsOf(entriesR6, 'share-refused').map((d) => d.index)).toEqual([1, 2, 3, 4, 5]);
    expect(existsSync(join(dir('R6'), 'outputs/restore'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The secrets scan.

interface Needle {
  what: string;
  how: string;
  bytes: Buffer;
}

/** Every way a secret's bytes could show up: raw, hex in either case, base64 and base64url at each alignment. */
function needlesOf(what: string, secret: Buffer, opts: { text?: boolean } = {}): Needle[] {
  const out: Needle[] = [
    { what, how: opts.text ? 'text' : 'raw', bytes: Buffer.from(secret) },
    { what, how: 'hex', bytes: Buffer.from(secret.toString('hex'), 'latin1') },
    { what, how: 'HEX', bytes: Buffer.from(secret.toString('hex').toUpperCase(), 'latin1') },
  ];
  for (let k = 0; k < 3; k++) {
    // The base64 characters made only of the secret's bits, when it starts k bytes into an encoded stream.
    const enc = Buffer.concat([Buffer.alloc(k), secret]).toString('base64');
    const inner = enc.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + secret.length)) / 6));
    out.push({ what, how: `base64@${k}`, bytes: Buffer.from(inner, 'latin1') });
    out.push({ what, how: `base64url@${k}`, bytes: Buffer.from(inner.replace(/\+/g, '-').replace(/\//g, '_'), 'latin1') });
  }
  return out;
}

const WINDOW = 8;
const BASE = 0x01000193;

function windowHash(buf: Buffer, at: number): number {
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (Math.imul(h, BASE) + buf[at + i]) | 0;
  return h;
}

/**
 * Where any needle occurs in any haystack: one pass per haystack with a rolling hash of its first 8 bytes
 * (Rabin-Karp), each candidate compared in full. Exact, and fast enough for every byte of every ceremony.
 */
function scan(haystacks: Array<{ where: string; bytes: Buffer }>, needles: Needle[]): string[] {
  const byHash = new Map<number, Needle[]>();
  for (const n of needles) {
    expect(n.bytes.length, `${n.what} (${n.how}) is too short to scan for`).toBeGreaterThanOrEqual(WINDOW);
    const h = windowHash(n.bytes, 0);
    byHash.set(h, [...(byHash.get(h) ?? []), n]);
  }
  let top = 1;
  for (let i = 0; i < WINDOW; i++) top = Math.imul(top, BASE);
  const found: string[] = [];
  for (const { where, bytes } of haystacks) {
    if (bytes.length < WINDOW) continue;
    let h = windowHash(bytes, 0);
    for (let i = 0; ; i++) {
      const candidates = byHash.get(h);
      if (candidates) {
        for (const n of candidates) {
          if (i + n.bytes.length <= bytes.length && bytes.compare(n.bytes, 0, n.bytes.length, i, i + n.bytes.length) === 0) found.push(`${n.what} (${n.how}) in ${where}`);
        }
      }
      if (i + WINDOW >= bytes.length) break;
      h = (Math.imul(h, BASE) - Math.imul(bytes[i], top) + bytes[i + WINDOW]) | 0;
    }
  }
  return [...new Set(found)];
}

function walk(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const compact = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/[\s]+/g, ''), 'latin1');

/** Every readable view of every ceremony directory: raw bytes, PDFs decompressed and as text, text without line breaks. */
function views(dirs: string[]): Array<{ where: string; bytes: Buffer }> {
  const out: Array<{ where: string; bytes: Buffer }> = [];
  const seen = new Set<string>();
  /** Adds a view unless the same bytes are already in; false when they were. */
  const add = (where: string, bytes: Buffer): boolean => {
    const digest = sha256(bytes);
    if (seen.has(digest)) return false;
    seen.add(digest);
    out.push({ where, bytes });
    return true;
  };
  let n = 0;
  for (const d of dirs) {
    for (const file of walk(d)) {
      const rel = relative(work, file);
      const bytes = readFileSync(file);
      // A file seen before (the copies of a ceremony directory) has had its views taken already.
      if (!add(rel, bytes)) continue;
      if (file.endsWith('.pdf')) {
        const qdf = join(scratch, `view-${n++}.qdf.pdf`);
        const q = spawnSync('qpdf', ['--qdf', '--object-streams=disable', file, qdf], { encoding: 'utf8' });
        // qpdf exits 3 for warnings and still writes the file; anything else means we could not look inside.
        expect(q.status === 0 || q.status === 3, `qpdf ${rel}: ${q.stderr}`).toBe(true);
        add(`${rel} (qpdf --qdf)`, readFileSync(qdf));
        rmSync(qdf);
        const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']);
        add(`${rel} (pdftotext)`, text);
        add(`${rel} (pdftotext, no whitespace)`, compact(text));
      } else {
        add(`${rel} (no whitespace)`, compact(bytes));
      }
    }
  }
  return out;
}

/** Opens each custodian's share of `m` in the ceremony directory `name` with their simulated token and PIN. */
function openShares(reader: Pkcs11PivReader, pins: Answers['secrets'], name: string, m: BackupManifest, which: BackupCustodian[]): Secret[] {
  return which.map((c) => {
    const file = readJson<ShareFile>(join(dir(name), 'outputs', c.share_file));
    const officer = roster.officers.find((o) => o.id === c.officer)!;
    const recipientSpki = new X509Certificate(officer.keys['9d']!.certificate).publicKey.export({ type: 'spki', format: 'der' });
    const pin = secretFromString(pins[c.name]['piv-pin']);
    const token = reader.open(c.device_serial);
    try {
      const share = openShare(file, (ephemeral) => token.deriveSharedSecret('9d', pin, ephemeral), { custodian: c.officer, index: c.index, ceremonyId: m.ceremony.ceremony_id, recipientSpki });
      expect(checkShare(share, Buffer.from(c.commitment_salt, 'hex'), c.commitment)).toBe(true);
      return share;
    } finally {
      token.close();
      pin.wipe();
    }
  });
}

const bytesOf = (s: Secret) => s.use((b) => Buffer.from(b));

/** RFC 5649 AES key wrap with padding (CKM_AES_KEY_WRAP_PAD), undone by OpenSSL: throws when the key is not the one. */
function unwrapPad(wrapKey: Buffer, blob: Buffer): Buffer {
  const d = createDecipheriv('id-aes256-wrap-pad', wrapKey, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([d.update(blob), d.final()]);
}

describe('secrets', () => {
  it('rebuilds the wrap keys from the shares, and finds no wrap key, share, private key or PIN in anything the ceremonies left', async () => {
    const pointer = readJson<Pointer>(join(dir('I'), 'rehearsal.json'));
    // SoftHSM reads SOFTHSM2_CONF once, when this process first loads the module (the fleet or a reader).
    process.env.SOFTHSM2_CONF = join(pointer.sandbox, 'softhsm2.conf');
    const people = readJson<Answers>(join(pointer.sandbox, pointer.people ?? 'people.json'));
    const pins = officerSecrets(people);
    expect(Object.keys(pins).sort()).toEqual(custodians.map((c) => c.name).sort());
    const fleet = SimulatedPivFleet.open(pointer.sandbox);
    const reader = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
    const toWipe: Secret[] = [];
    try {
      // I's backup: all five shares open; any three rebuild the key with the recorded check value, two do not.
      const sharesI = openShares(reader, pins, 'I', manifestI, custodians);
      toWipe.push(...sharesI);
      const wrapI = await combineShares(sharesI.slice(0, 3));
      const other = await combineShares([sharesI[2], sharesI[3], sharesI[4]]);
      const two = await combineShares(sharesI.slice(0, 2));
      toWipe.push(wrapI, other, two);
      expect(wrapI.length).toBe(32);
      expect(keyCheckValue(wrapI)).toBe(kcvI);
      expect(keyCheckValue(other)).toBe(kcvI);
      expect(keyCheckValue(two)).not.toBe(kcvI);

      // S's backup (the re-share), rebuilt the same way.
      const manifestS = readJson<BackupManifest>(join(dir('S'), MANIFEST));
      const sharesS = openShares(reader, pins, 'S', manifestS, manifestS.custodians);
      toWipe.push(...sharesS);
      const wrapS = await combineShares(sharesS.slice(2, 5));
      toWipe.push(wrapS);
      expect(keyCheckValue(wrapS)).toBe(manifestS.wrap_key.kcv);
      const keyI = bytesOf(wrapI);
      const keyS = bytesOf(wrapS);
      expect(keyI.equals(keyS)).toBe(false);

      // The wrap keys really are the keys: each unwraps its own blob to the root private key (that of the root
      // certificate), and the old one does not open the new blob.
      const rootCert = new X509Certificate(readFileSync(join(dir('I'), ROOT_CERT)));
      const pkcs8 = unwrapPad(keyI, readFileSync(join(dir('I'), WRAPPED)));
      const rootKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      expect(rootCert.checkPrivateKey(rootKey)).toBe(true);
      expect(() => unwrapPad(keyI, readFileSync(join(dir('S'), WRAPPED)))).toThrow();
      const pkcs8S = unwrapPad(keyS, readFileSync(join(dir('S'), WRAPPED)));
      expect(rootCert.checkPrivateKey(createPrivateKey({ key: pkcs8S, format: 'der', type: 'pkcs8' }))).toBe(true);
      const jwk = rootKey.export({ format: 'jwk' }) as JsonWebKey;

      const needles: Needle[] = [
        ...needlesOf('wrap key of the init backup', keyI),
        ...needlesOf('wrap key of the re-shared backup', keyS),
        ...sharesI.flatMap((s, i) => needlesOf(`init share ${i + 1}`, bytesOf(s))),
        ...sharesS.flatMap((s, i) => needlesOf(`re-share share ${i + 1}`, bytesOf(s))),
        ...needlesOf('root private key (PKCS#8)', pkcs8),
        ...(['d', 'p', 'q'] as const).flatMap((f) => needlesOf(`root private key ${f}`, Buffer.from(jwk[f]!, 'base64url'))),
      ];
      // Every PIN and PIN half any simulated person of any of these rehearsals holds (the sandbox keeps them).
      const pivPins = new Set<string>();
      const held = new Set<string>();
      for (const f of readdirSync(pointer.sandbox).filter((x) => /^people.*\.json$/.test(x))) {
        for (const secrets of Object.values(readJson<Answers>(join(pointer.sandbox, f)).secrets)) {
          for (const [k, v] of Object.entries(secrets)) {
            held.add(String(v));
            if (k === 'piv-pin') pivPins.add(String(v));
          }
        }
      }
      expect(pivPins).toEqual(new Set(Object.values(pins).map((s) => s['piv-pin'])));
      expect(pivPins.size).toBe(5);
      for (const v of held) needles.push(...needlesOf(pivPins.has(v) ? 'an officer PIV PIN' : 'a PIN half', Buffer.from(v, 'utf8'), { text: true }));

      const dirs = readdirSync(work)
        .filter((d) => d !== 'sandboxes' && d !== 'scratch')
        .sort();
      for (const d of ['E', 'I', 'R', 'S', 'RS']) expect(dirs).toContain(d);
      const haystacks = [
        ...views(dirs.map(dir)),
        ...transcripts.map((t) => ({ where: t.where, bytes: Buffer.from(t.text, 'utf8') })),
      ];

      // Positive controls: the scan finds public values where they are, through each kind of view and encoding.
      const blob = readFileSync(join(dir('I'), WRAPPED));
      const controls = scan(haystacks, [
        { what: 'kcv', how: 'text', bytes: Buffer.from(kcvI) },
        ...needlesOf('blob', blob),
        ...needlesOf('blob digest', Buffer.from(manifestI.keys[0].blob_sha256, 'hex')),
      ]);
      expect(controls).toContain(`kcv (text) in ${join('I', MANIFEST)}`);
      expect(controls.some((f) => /^kcv \(text\) in I\/steps\/\d+-backup-root-key\.pdf \(pdftotext/.test(f))).toBe(true);
      expect(controls).toContain(`blob (raw) in ${join('I', WRAPPED)}`);
      expect(controls).toContain('blob (base64@0) in I/journal.jsonl');
      expect(controls).toContain(`blob digest (hex) in ${join('I', MANIFEST)}`);

      expect(scan(haystacks, needles)).toEqual([]);
    } finally {
      for (const s of toWipe) s.wipe();
      reader.close();
    }
  });
});
