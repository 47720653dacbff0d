// The pure backup module (custody/backup-manifest.ts) with real crypto: custodians resolved against a roster whose officers
// have real P-256 keys in 9a/9c/9d and certificates from an enrollment CA (test/helpers/roster-fixture.ts);
// receipts signed with a custodian's 9a key and checked against the roster; manifest consistency; and the pure
// path of a backup end to end with custody/shares.ts: split, seal to each custodian's 9d key as the roster
// certifies it, open with ECDH by that key, check commitments, combine and compare key check values.
// (Shamir, commitments and sealing on their own are covered by shares.test.ts.)
import { createPublicKey, diffieHellman, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKUP_FORMAT,
  blobFile,
  canonicalBytes,
  checkQuorumShape,
  checkReceipt,
  manifestProblems,
  RECEIPT_TYPE,
  receiptFor,
  resolveCustodians,
  sha256,
  shareFile,
  type BackupCustodian,
  type BackupManifest,
  type ShareReceipt,
} from '../../../src/custody/backup-manifest.js';
import type { Secret } from '../../../src/engine/ports.js';
import type { CeremonyRef } from '../../../src/custody/quorum.js';
import { secretFromBytes } from '../../../src/custody/secret.js';
import { checkShare, combineShares, keyCheckValue, openShare, sealShare, shareCommitment, splitSecret, type SealedShare } from '../../../src/custody/shares.js';
import type { RosterBody } from '../../../src/custody/roster.types.js';
import { caught } from '../../helpers/caught.js';
import { createIssuer, createOfficer, createRosterBody, type RosterWorld, type TestOfficer } from '../../helpers/roster-fixture.js';

const CEREMONY: CeremonyRef = { script_id: 'release-authority-init', ceremony_id: 'init-2026-01', script_sha256: 'ab'.repeat(32) };
const RESTORE: CeremonyRef = { script_id: 'release-authority-restore', ceremony_id: 'restore-2026-02', script_sha256: 'cd'.repeat(32) };

const bytes = (s: Secret) => s.use((b) => Buffer.from(b));

/** The SPKI (DER) of an officer's 9d key, read from the certificate on the roster, as the split step reads it. */
const spki9d = (o: TestOfficer) => new X509Certificate(o.officer.keys['9d']!.certificate).publicKey.export({ type: 'spki', format: 'der' });

/** ECDH with the officer's 9d private key, as PivToken.deriveSharedSecret('9d', ...) does it on the device. */
const ecdh9d = (o: TestOfficer) => (ephemeralSpki: Buffer) =>
  diffieHellman({ privateKey: o.keys['9d'] as KeyObject, publicKey: createPublicKey({ key: ephemeralSpki, format: 'der', type: 'spki' }) });

/** What the custodian's token makes over a receipt: ECDSA-SHA256 (DER) with the 9a key, base64. */
const sign9a = (o: TestOfficer, receipt: ShareReceipt) => sign('sha256', canonicalBytes(receipt), o.keys['9a']!).toString('base64');

/** All k-element subsets of [0, n). */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first <= n - k; first++) for (const rest of subsets(n - first - 1, k - 1)) out.push([first, ...rest.map((i) => i + first + 1)]);
  return out;
}

let world: RosterWorld;
let custodians: TestOfficer[];
let revokedCustodian: TestOfficer;
let plainOfficer: TestOfficer;
let no9d: TestOfficer;
let roster: RosterBody;

beforeAll(async () => {
  const ca = await createIssuer('CN=Officiant enrollment CA (test), O=Example Org');
  const root = await createIssuer('CN=Officiant simulated PIV attestation CA (rehearsal only)');
  const ctx = { ca, root };
  custodians = [];
  for (let i = 1; i <= 5; i++) {
    custodians.push(await createOfficer({ id: `custodian-${i}`, serial: String(20000000 + i), roles: ['crypto-officer', 'custodian'], slots: ['9a', '9c', '9d'] }, ctx));
  }
  revokedCustodian = await createOfficer({ id: 'custodian-gone', serial: '20000009', roles: ['custodian'], status: 'revoked', slots: ['9a', '9d'] }, ctx);
  plainOfficer = await createOfficer({ id: 'officer-x', serial: '20000010', roles: ['crypto-officer'], slots: ['9a', '9d'] }, ctx);
  no9d = await createOfficer({ id: 'custodian-no9d', serial: '20000011', roles: ['custodian'], slots: ['9a', '9c'] }, ctx);
  world = { ca, root, rootSimulated: true, officers: [...custodians, revokedCustodian, plainOfficer, no9d] };
  roster = createRosterBody(world);
});

/** A real backup of a fresh 32-byte wrap key among custodians[0..4], 3 of 5, with the manifest a split would write. */
async function makeBackup(threshold = 3) {
  const wrapKey = secretFromBytes(randomBytes(32));
  const kcv = keyCheckValue(wrapKey);
  const shares = await splitSecret(wrapKey, custodians.length, threshold);
  const sealed: SealedShare[] = [];
  const entries: BackupCustodian[] = [];
  custodians.forEach((c, i) => {
    const index = i + 1;
    const salt = randomBytes(32);
    const box = sealShare(shares[i], spki9d(c), { custodian: c.officer.id, index, ceremonyId: CEREMONY.ceremony_id });
    sealed.push(box);
    const file = Buffer.from(JSON.stringify(box));
    entries.push({
      officer: c.officer.id,
      name: c.officer.name,
      device_serial: c.officer.device.serial,
      index,
      recipient_spki_sha256: box.recipient_spki_sha256,
      commitment: shareCommitment(shares[i], salt),
      commitment_salt: salt.toString('hex'),
      share_file: shareFile(c.officer.id),
      share_sha256: sha256(file),
    });
  });
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    ceremony: CEREMONY,
    step_id: 'backup-root-key',
    created_at: '2026-01-15T10:00:00.000Z',
    threshold,
    wrap_key: { bits: 256, kcv, hsm: { label: 'officiant-wrap-init-2026-01', session_object: true, use: 'wrap', destroyed_after_use: true, transport: null } },
    custodians: entries,
    keys: [
      {
        label: 'release-root-2026',
        id: '01',
        algorithm: 'EC-P256',
        purpose: 'release root',
        spki_sha256: 'ef'.repeat(32),
        public_key: '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n',
        certificate: null,
        blob_file: blobFile('release-root-2026'),
        blob_sha256: '12'.repeat(32),
        mechanism: 'CKM_AES_KEY_WRAP_PAD',
        attributes: { local: true, neverExtractable: false, alwaysSensitive: true, extractable: true, sensitive: true, wrapWithTrusted: true },
      },
    ],
    supersedes: null,
  };
  return { wrapKey, kcv, shares, sealed, manifest };
}

describe('resolveCustodians', () => {
  it('gives the roster officers in the order the script names them', () => {
    const ids = ['custodian-3', 'custodian-1', 'custodian-5'];
    const out = resolveCustodians(roster, ids);
    expect(out.map((o) => o.id)).toEqual(ids);
    expect(out[0]).toBe(roster.officers.find((o) => o.id === 'custodian-3'));
    expect(out.every((o) => o.keys['9d'] !== undefined)).toBe(true);
  });

  it.each([
    ['an id named twice', ['custodian-1', 'custodian-2', 'custodian-1'], 'custodians: custodian-1 is named twice: each custodian holds one share'],
    ['an id not on the roster', ['custodian-1', 'nobody'], 'custodians: nobody is not on the roster (version 1)'],
    ['a revoked officer', ['custodian-1', 'custodian-gone'], 'custodians: Officer custodian-gone (custodian-gone) is revoked'],
    [
      'an officer without the role custodian',
      ['officer-x', 'custodian-1'],
      'custodians: Officer officer-x (officer-x) does not hold the role custodian on the roster (roles: crypto-officer)',
    ],
    [
      'a custodian without a 9d key',
      ['custodian-1', 'custodian-no9d'],
      'custodians: Officer custodian-no9d (custodian-no9d) has no key-management key (slot 9d) to seal a share to: enroll 9d',
    ],
  ])('refuses %s, naming it', (_what, ids, message) => {
    const err = caught(() => resolveCustodians(roster, ids));
    expect(err.code).toBe('ceremony.step-failed');
    expect(err.message).toBe(message);
  });

  it('names every problem in one error, in the order of the ids', () => {
    const err = caught(() => resolveCustodians(roster, ['custodian-no9d', 'custodian-1', 'nobody', 'custodian-gone', 'custodian-1', 'officer-x', 'custodian-2']));
    expect(err.code).toBe('ceremony.step-failed');
    expect(err.message).toBe(
      'custodians: ' +
        [
          'Officer custodian-no9d (custodian-no9d) has no key-management key (slot 9d) to seal a share to: enroll 9d',
          'nobody is not on the roster (version 1)',
          'Officer custodian-gone (custodian-gone) is revoked',
          'custodian-1 is named twice: each custodian holds one share',
          'Officer officer-x (officer-x) does not hold the role custodian on the roster (roles: crypto-officer)',
        ].join('; '),
    );
  });

  it('names the roster version an id is missing from', () => {
    expect(caught(() => resolveCustodians({ ...roster, version: 7 }, ['custodian-1', 'ghost'])).message).toBe('custodians: ghost is not on the roster (version 7)');
  });
});

describe('checkQuorumShape', () => {
  it.each([
    [5, 1, 'backup: a threshold of 1 lets one person restore; at least 2'],
    [5, 0, 'backup: a threshold of 0 lets one person restore; at least 2'],
    [3, 4, 'backup: a threshold of 4 with 3 custodians can never be met'],
    [3, 3, 'backup: 3 of 3 leaves no spare: losing one custodian would lose the keys (need n - m >= 1)'],
    [2, 2, 'backup: 2 of 2 leaves no spare: losing one custodian would lose the keys (need n - m >= 1)'],
  ])('refuses n=%i m=%i', (n, m, message) => {
    const err = caught(() => checkQuorumShape(n, m));
    expect(err.code).toBe('ceremony.step-failed');
    expect(err.message).toBe(message);
  });

  it.each([
    [5, 3],
    [3, 2],
    [5, 4],
  ])('accepts n=%i m=%i', (n, m) => {
    expect(() => checkQuorumShape(n, m)).not.toThrow();
  });
});

describe('receipts: receiptFor, canonicalBytes, checkReceipt', () => {
  let manifest: BackupManifest;
  beforeAll(async () => {
    manifest = (await makeBackup()).manifest;
  });

  it('receiptFor states exactly which share of which backup, in which ceremony and step', () => {
    const c = manifest.custodians[1];
    expect(receiptFor(manifest, c, 'restore', RESTORE, 'restore')).toEqual({
      type: RECEIPT_TYPE,
      purpose: 'restore',
      ceremony: RESTORE,
      step: { id: 'restore' },
      backup: { ceremony_id: CEREMONY.ceremony_id, kcv: manifest.wrap_key.kcv },
      custodian: 'custodian-2',
      device_serial: '20000002',
      index: 2,
      commitment: c.commitment,
    });
  });

  it('canonicalBytes is sorted-key JSON, the same whatever the key order', () => {
    const receipt = receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key');
    const reordered = Object.fromEntries(Object.entries(receipt).reverse()) as unknown as ShareReceipt;
    expect(canonicalBytes(reordered).equals(canonicalBytes(receipt))).toBe(true);
    const text = canonicalBytes(receipt).toString('utf8');
    expect(JSON.parse(text)).toEqual(receipt);
    expect(Object.keys(JSON.parse(text))).toEqual(['backup', 'ceremony', 'commitment', 'custodian', 'device_serial', 'index', 'purpose', 'step', 'type']);
    expect(text).not.toMatch(/\s/);
  });

  it('accepts a receipt signed by the custodian\'s own 9a key (whatever the key order it is read back in)', () => {
    manifest.custodians.forEach((c, i) => {
      const receipt = receiptFor(manifest, c, 'split', CEREMONY, 'backup-root-key');
      const check = checkReceipt(roster, receipt, sign9a(custodians[i], receipt));
      expect(check.ok).toBe(true);
      expect(check.ok && check.officer.id).toBe(c.officer);
    });
    const receipt = receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key');
    const reread = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(receipt).reverse()))) as ShareReceipt;
    expect(checkReceipt(roster, reread, sign9a(custodians[0], receipt)).ok).toBe(true);
  });

  it('refuses a receipt signed by another officer\'s key', () => {
    const receipt = receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key');
    expect(checkReceipt(roster, receipt, sign9a(custodians[1], receipt))).toEqual({
      ok: false,
      reason: "the signature from device 20000001 does not verify with Officer custodian-1's enrolled 9a certificate",
    });
    // signed with the custodian's own 9d (key-management) key: not the 9a key either
    const with9d = sign('sha256', canonicalBytes(receipt), custodians[0].keys['9d']!).toString('base64');
    expect(checkReceipt(roster, receipt, with9d)).toEqual({
      ok: false,
      reason: "the signature from device 20000001 does not verify with Officer custodian-1's enrolled 9a certificate",
    });
  });

  it('refuses a receipt claiming another custodian for the device, though the device signed it', () => {
    const receipt: ShareReceipt = { ...receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key'), custodian: 'custodian-2' };
    expect(checkReceipt(roster, receipt, sign9a(custodians[0], receipt))).toEqual({
      ok: false,
      reason: 'device 20000001 belongs to Officer custodian-1, not to custodian custodian-2',
    });
  });

  it('refuses a receipt from a revoked officer, with the reason of the revocation', () => {
    const receipt = receiptFor(manifest, manifest.custodians[2], 'restore', RESTORE, 'restore');
    const signature = sign9a(custodians[2], receipt);
    expect(checkReceipt(roster, receipt, signature).ok).toBe(true);
    const later: RosterBody = {
      ...roster,
      version: 2,
      officers: roster.officers.map((o) => (o.id === 'custodian-3' ? { ...o, status: 'revoked', revoked: { at: '2026-02-01T09:00:00.000Z', reason: 'token lost', ceremony_id: 'revoke-2' } } : o)),
    };
    expect(checkReceipt(later, receipt, signature)).toEqual({ ok: false, reason: 'device 20000003 of Officer custodian-3 is revoked (token lost)' });
  });

  it('refuses a receipt from a device not on the roster, or from an officer who is not a custodian', () => {
    const receipt = receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key');
    const stranger: ShareReceipt = { ...receipt, device_serial: '99999999' };
    expect(checkReceipt(roster, stranger, sign9a(custodians[0], stranger))).toEqual({ ok: false, reason: 'device 99999999 is not on the roster (version 1)' });
    const byOfficer: ShareReceipt = { ...receipt, custodian: 'officer-x', device_serial: '20000010' };
    expect(checkReceipt(roster, byOfficer, sign9a(plainOfficer, byOfficer))).toEqual({
      ok: false,
      reason: 'Officer officer-x (device 20000010) is not a custodian on the roster (roles: crypto-officer)',
    });
  });

  it.each<[string, (r: ShareReceipt) => ShareReceipt]>([
    ['index', (r) => ({ ...r, index: r.index + 1 })],
    ['commitment', (r) => ({ ...r, commitment: `${r.commitment.slice(0, 63)}${r.commitment.endsWith('0') ? '1' : '0'}` })],
    ['backup check value', (r) => ({ ...r, backup: { ...r.backup, kcv: '0'.repeat(32) } })],
    ['purpose', (r) => ({ ...r, purpose: 'restore' })],
    ['step', (r) => ({ ...r, step: { id: 'another-step' } })],
  ])('refuses a receipt whose %s was changed after it was signed', (_what, change) => {
    const receipt = receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key');
    const signature = sign9a(custodians[0], receipt);
    expect(checkReceipt(roster, receipt, signature).ok).toBe(true);
    expect(checkReceipt(roster, change(receipt), signature)).toEqual({
      ok: false,
      reason: "the signature from device 20000001 does not verify with Officer custodian-1's enrolled 9a certificate",
    });
  });

  it('refuses a signature that is not one', () => {
    const receipt = receiptFor(manifest, manifest.custodians[0], 'split', CEREMONY, 'backup-root-key');
    for (const signature of ['', 'not base64 !', Buffer.alloc(72).toString('base64')]) {
      expect(checkReceipt(roster, receipt, signature)).toEqual({
        ok: false,
        reason: "the signature from device 20000001 does not verify with Officer custodian-1's enrolled 9a certificate",
      });
    }
  });
});

describe('manifestProblems', () => {
  let sound: BackupManifest;
  beforeAll(async () => {
    sound = (await makeBackup()).manifest;
  });
  const broken = (change: (m: BackupManifest) => unknown) => {
    const m = structuredClone(sound);
    change(m);
    return manifestProblems(m);
  };

  it('finds nothing wrong with the manifest of a sound split', () => {
    expect(manifestProblems(sound)).toEqual([]);
    expect(manifestProblems(JSON.parse(JSON.stringify(sound)) as BackupManifest)).toEqual([]);
  });

  it.each<[string, (m: BackupManifest) => unknown, string[]]>([
    ['another format', (m) => ((m as { format: string }).format = 'officiant-backup/2'), ['format is officiant-backup/2, not officiant-backup/1']],
    ['no format', (m) => delete (m as Partial<BackupManifest>).format, ['format is undefined, not officiant-backup/1']],
    ['an upper-case KCV', (m) => (m.wrap_key.kcv = m.wrap_key.kcv.toUpperCase().replace(/^[0-9]/, 'A')), ['the wrap key check value is missing or malformed']],
    ['a short KCV', (m) => (m.wrap_key.kcv = m.wrap_key.kcv.slice(0, 30)), ['the wrap key check value is missing or malformed']],
    ['a KCV of a whole HMAC', (m) => (m.wrap_key.kcv = m.wrap_key.kcv.repeat(2)), ['the wrap key check value is missing or malformed']],
    ['no wrap key', (m) => delete (m as Partial<BackupManifest>).wrap_key, ['the wrap key check value is missing or malformed']],
    ['no creation time', (m) => delete (m as Partial<BackupManifest>).created_at, ['it does not name the ceremony that made it and when']],
    ['a custodian without share hash', (m) => (m.custodians[1].share_sha256 = 'x'), ['custodian 2 lacks its officer, share file or share SHA-256']],
    ['a key without public key', (m) => delete (m.keys[0] as Partial<BackupManifest['keys'][0]>).public_key, ['key 1 lacks its label, wrapped-key file, public key or its SHA-256']],
    ['a threshold of 1', (m) => (m.threshold = 1), ['threshold 1 does not fit 5 custodians']],
    ['a threshold above n', (m) => (m.threshold = 6), ['threshold 6 does not fit 5 custodians']],
    ['a fractional threshold', (m) => (m.threshold = 2.5), ['threshold 2.5 does not fit 5 custodians']],
    ['a threshold as text', (m) => ((m as unknown as { threshold: string }).threshold = '3'), ['threshold 3 does not fit 5 custodians']],
    ['a custodian listed twice', (m) => (m.custodians[4].officer = m.custodians[0].officer), ['a custodian is listed twice']],
    ['a share index listed twice', (m) => (m.custodians[4].index = m.custodians[1].index), ['a share index is listed twice']],
    ['no keys', (m) => (m.keys = []), ['it backs up no keys']],
    ['keys missing', (m) => delete (m as Partial<BackupManifest>).keys, ['it backs up no keys']],
    ['custodians missing', (m) => delete (m as Partial<BackupManifest>).custodians, ['threshold 3 does not fit 0 custodians']],
  ])('names %s', (_what, change, want) => {
    expect(broken(change)).toEqual(want);
  });

  it('names every problem at once', () => {
    expect(
      broken((m) => {
        (m as { format: string }).format = 'nope';
        m.wrap_key.kcv = '';
        m.threshold = 9;
        m.custodians[1].officer = m.custodians[0].officer;
        m.custodians[2].index = m.custodians[0].index;
        m.keys = [];
      }),
    ).toEqual([
      'format is nope, not officiant-backup/1',
      'the wrap key check value is missing or malformed',
      'threshold 9 does not fit 5 custodians',
      'a custodian is listed twice',
      'a share index is listed twice',
      'it backs up no keys',
    ]);
  });
});

describe('a backup end to end, pure parts (split, seal to 9d, open, commitments, receipts, combine)', () => {
  it('seals each share to the 9d key the roster certifies, and the custodian\'s ECDH opens it', async () => {
    const { wrapKey, kcv, shares, sealed, manifest } = await makeBackup();
    expect(manifestProblems(manifest)).toEqual([]);
    expect(kcv).toBe(manifest.wrap_key.kcv);

    const opened: Secret[] = [];
    manifest.custodians.forEach((c, i) => {
      const o = custodians[i];
      // the share is sealed to the very key the roster names for the custodian's 9d slot
      expect(c.recipient_spki_sha256).toBe(o.officer.keys['9d']!.spki_sha256);
      expect(c.recipient_spki_sha256).not.toBe(o.officer.keys['9a']!.spki_sha256);
      const share = openShare(sealed[i], ecdh9d(o), { custodian: c.officer, index: c.index, ceremonyId: manifest.ceremony.ceremony_id, recipientSpki: spki9d(o) });
      expect(bytes(share).equals(bytes(shares[i]))).toBe(true);
      expect(checkShare(share, Buffer.from(c.commitment_salt, 'hex'), c.commitment)).toBe(true);
      // ... and the custodian's token signs the receipt, which the roster accepts
      const receipt = receiptFor(manifest, c, 'split', CEREMONY, manifest.step_id);
      expect(checkReceipt(roster, receipt, sign9a(o, receipt)).ok).toBe(true);
      opened.push(share);
    });
    // a share does not match another custodian's commitment
    const c0 = manifest.custodians[0];
    expect(checkShare(opened[1], Buffer.from(c0.commitment_salt, 'hex'), c0.commitment)).toBe(false);

    // any 3 of the 5 opened shares rebuild the wrap key: same bytes, same KCV
    for (const pick of subsets(5, 3)) {
      const rebuilt = await combineShares(pick.map((i) => opened[i]));
      expect(keyCheckValue(rebuilt)).toBe(manifest.wrap_key.kcv);
      expect(bytes(rebuilt).equals(bytes(wrapKey))).toBe(true);
    }
    // 2 of them combine without complaint into another key: only the KCV tells
    for (const pick of subsets(5, 2)) {
      const wrong = await combineShares(pick.map((i) => opened[i]));
      expect(wrong.length).toBe(32);
      expect(keyCheckValue(wrong)).not.toBe(manifest.wrap_key.kcv);
    }
  });

  it('a share sealed to custodian A does not open with custodian B\'s key, and the error names A\'s share', async () => {
    const { shares, sealed, manifest } = await makeBackup();
    const a = manifest.custodians[0];
    const expected = { custodian: a.officer, index: a.index, ceremonyId: manifest.ceremony.ceremony_id };
    // B's token does the ECDH: the share does not open
    const wrongKey = caught(() => openShare(sealed[0], ecdh9d(custodians[1]), expected));
    expect(wrongKey.code).toBe('ceremony.step-failed');
    expect(wrongKey.message).toBe('sealed share 1 for custodian-1 does not open: wrong device key or altered contents');
    // told B's public key, openShare refuses before asking B's token for anything
    let asked = false;
    const early = caught(() =>
      openShare(
        sealed[0],
        (eph) => {
          asked = true;
          return ecdh9d(custodians[1])(eph);
        },
        { ...expected, recipientSpki: spki9d(custodians[1]) },
      ),
    );
    expect(early.message).toBe('sealed share 1 for custodian-1 was sealed to another device');
    expect(asked).toBe(false);
    // B presenting A's share as their own: refused by the context
    const asB = caught(() => openShare(sealed[0], ecdh9d(custodians[1]), { custodian: 'custodian-2', index: 2, ceremonyId: manifest.ceremony.ceremony_id }));
    expect(asB.message).toBe('sealed share is for custodian "custodian-1", expected "custodian-2"; index 1, expected 2');
    // no message shows the share
    const raw = bytes(shares[0]).toString('hex');
    for (const m of [wrongKey.message, early.message, asB.message]) expect(m).not.toContain(raw.slice(0, 16));
    // A's own key opens it
    expect(bytes(openShare(sealed[0], ecdh9d(custodians[0]), expected)).equals(bytes(shares[0]))).toBe(true);
  });

  it('shares of a 3-of-5 backup do not rebuild another backup\'s wrap key (the KCV tells them apart)', async () => {
    const one = await makeBackup();
    const two = await makeBackup();
    expect(one.kcv).not.toBe(two.kcv);
    // Each split draws its own share x-coordinates: about once in a hundred, two shares of the mix share one,
    // and combining refuses them as duplicates. Either way the mix rebuilds neither key.
    const mixed = await combineShares([one.shares[0], one.shares[1], two.shares[2]]).catch((err: Error) => err);
    if (mixed instanceof Error) return void expect(mixed.message).toMatch(/^shares: 1 duplicate share\(s\) among 3$/);
    expect(keyCheckValue(mixed)).not.toBe(one.kcv);
    expect(keyCheckValue(mixed)).not.toBe(two.kcv);
  });
});
