// Backups of authority keys, as data and pure checks: the backup manifest a split writes (what restore and
// re-share read), the share file a custodian keeps, the receipt statement a custodian signs when their share
// opened, and the checks of custodians against the roster. The steps (steps/backup-*.ts) and `officiant
// verify` use the same functions. Contract: no I/O, no secrets: everything here is public-safe data
// (commitments, ciphertexts, key check values, public keys); failures name custodians and files, never bytes.
import { canonicalJson } from '../record/canonical-json.js';
import type { RosterBody, RosterOfficer } from './roster.types.js';
import { OfficiantError } from '../errors.js';
import type { KeyAttributes } from './key-attributes.types.js';
import { checkOfficerSignature, type CeremonyRef, type OfficerCheck } from './quorum.js';
import type { SealedShare } from './shares.js';

export const BACKUP_FORMAT = 'officiant-backup/1';
export const SHARE_FILE_FORMAT = 'officiant-share-file/1';
export const RECEIPT_TYPE = 'officiant-share-receipt/1';
export const RESTORE_PROOF_TYPE = 'officiant-restore-proof/1';
/** The roster role custodians hold. */
export const CUSTODIAN_ROLE = 'custodian';

export const MANIFEST_FILE = 'backup/manifest.json';
export const blobFile = (label: string) => `backup/${label}.wrapped`;
export const publicKeyFile = (label: string) => `backup/${label}.pub.pem`;
export const shareFile = (officer: string) => `shares/${officer}.share.json`;

export interface BackupCustodian {
  officer: string;
  name: string;
  device_serial: string;
  index: number;
  /** SHA-256 of the 9d key's SPKI the share is sealed to. */
  recipient_spki_sha256: string;
  /** Salted SHA-256 commitment to the plaintext share (custody/shares.ts), and its salt (hex). */
  commitment: string;
  commitment_salt: string;
  share_file: string;
  share_sha256: string;
}

export interface BackupKey {
  label: string;
  id: string;
  algorithm: string;
  purpose: string;
  spki_sha256: string;
  public_key: string;
  /** The key's certificate (PEM) when the ceremony issued one before the backup: restore proves against it. */
  certificate: string | null;
  blob_file: string;
  blob_sha256: string;
  mechanism: 'CKM_AES_KEY_WRAP_PAD';
  /** As the HSM reported them when the key was made (a backed-up key is extractable, never NEVER_EXTRACTABLE). */
  attributes: KeyAttributes | null;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  ceremony: CeremonyRef;
  step_id: string;
  created_at: string;
  threshold: number;
  wrap_key: {
    bits: 256;
    /** custody/shares.ts keyCheckValue: first 16 bytes of HMAC-SHA256(wrap key, "officiant wrap key check value v1"). */
    kcv: string;
    /**
     * How the wrap key was held in the HSM while it wrapped: a wrap-only session object (never stored), destroyed
     * after use; and, for keys stored with CKA_WRAP_WITH_TRUSTED, the SO's trusted transport key they left the
     * token under (generated in the HSM, destroyed after use).
     */
    hsm: {
      label: string;
      session_object: boolean;
      use: 'wrap';
      destroyed_after_use: boolean;
      transport: { label: string; trusted: boolean; generated_in_hsm: boolean; destroyed_after_use: boolean } | null;
    };
  };
  custodians: BackupCustodian[];
  keys: BackupKey[];
  /** The backup this one replaces (re-share); its shares open nothing in this one. */
  supersedes: { ceremony_id: string; kcv: string; manifest_sha256: string } | null;
}

/** What a custodian keeps: their sealed share with what identifies it. Safe to store anywhere. */
export interface ShareFile extends SealedShare {
  file_format: typeof SHARE_FILE_FORMAT;
  name: string;
  device_serial: string;
  threshold: number;
  of: number;
  commitment: string;
  commitment_salt: string;
  backup_kcv: string;
}

/** What a custodian's 9a key signs when their share opened and matched its commitment. */
export interface ShareReceipt {
  type: typeof RECEIPT_TYPE;
  /** split/reshare: proven readable the day it was made; verify: proven readable later; restore: released for a restore. */
  purpose: 'split' | 'reshare' | 'verify' | 'restore';
  ceremony: CeremonyRef;
  step: { id: string };
  backup: { ceremony_id: string; kcv: string };
  custodian: string;
  device_serial: string;
  index: number;
  commitment: string;
}

/** What a restored key signs, checked against its original certificate or public key. */
export interface RestoreProof {
  type: typeof RESTORE_PROOF_TYPE;
  ceremony: CeremonyRef;
  step: { id: string };
  key: { label: string; spki_sha256: string };
  backup: { ceremony_id: string; kcv: string };
  nonce: string;
}

export function canonicalBytes(value: ShareReceipt | RestoreProof): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

export { sha256Hex as sha256 } from '../record/digest.js';

function failed(message: string): OfficiantError {
  return new OfficiantError('ceremony.step-failed', message);
}

/**
 * The roster officers the script names as custodians, in the script's order. Refused, naming each: an id twice,
 * an id not on the roster, a revoked officer, an officer without the custodian role or without a 9d key.
 */
export function resolveCustodians(roster: RosterBody, ids: readonly string[]): RosterOfficer[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const out: RosterOfficer[] = [];
  for (const id of ids) {
    if (seen.has(id)) {
      problems.push(`${id} is named twice: each custodian holds one share`);
      continue;
    }
    seen.add(id);
    const o = roster.officers.find((x) => x.id === id);
    if (!o) problems.push(`${id} is not on the roster (version ${roster.version})`);
    else if (o.status !== 'active') problems.push(`${o.name} (${id}) is revoked`);
    else if (!o.roles.includes(CUSTODIAN_ROLE)) problems.push(`${o.name} (${id}) does not hold the role ${CUSTODIAN_ROLE} on the roster (roles: ${o.roles.join(', ')})`);
    else if (!o.keys['9d']) problems.push(`${o.name} (${id}) has no key-management key (slot 9d) to seal a share to: enroll 9d`);
    else out.push(o);
  }
  if (problems.length > 0) throw failed(`custodians: ${problems.join('; ')}`);
  return out;
}

/** m-of-n rules every split and re-share obeys (validate checks them on the script too). */
export function checkQuorumShape(n: number, m: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(m)) throw failed(`backup: m and n must be whole numbers, got m=${m} n=${n}`);
  if (m < 2) throw failed(`backup: a threshold of ${m} lets one person restore; at least 2`);
  if (m > n) throw failed(`backup: a threshold of ${m} with ${n} custodians can never be met`);
  if (n - m < 1) throw failed(`backup: ${m} of ${n} leaves no spare: losing one custodian would lose the keys (need n - m >= 1)`);
}

/** The receipt statement for custodian `c` of `manifest`, made in ceremony `ceremony` at step `stepId`. */
export function receiptFor(manifest: BackupManifest, c: BackupCustodian, purpose: ShareReceipt['purpose'], ceremony: CeremonyRef, stepId: string): ShareReceipt {
  return {
    type: RECEIPT_TYPE,
    purpose,
    ceremony,
    step: { id: stepId },
    backup: { ceremony_id: manifest.ceremony.ceremony_id, kcv: manifest.wrap_key.kcv },
    custodian: c.officer,
    device_serial: c.device_serial,
    index: c.index,
    commitment: c.commitment,
  };
}

/** Whether `signature` over `receipt` was made by the custodian's enrolled 9a key (and the device is theirs). */
export function checkReceipt(roster: RosterBody, receipt: ShareReceipt, signature: string): OfficerCheck {
  const check = checkOfficerSignature(roster, { device_serial: receipt.device_serial, role: CUSTODIAN_ROLE, roleTitle: 'custodian', bytes: canonicalBytes(receipt), signature });
  if (check.ok && check.officer.id !== receipt.custodian) {
    return { ok: false, reason: `device ${receipt.device_serial} belongs to ${check.officer.name}, not to custodian ${receipt.custodian}` };
  }
  return check;
}

/** Problems with a manifest's own shape and consistency (not its files): empty when it is sound. */
export function manifestProblems(m: BackupManifest): string[] {
  // A manifest read from a file may be any JSON: its shape is checked before anything is read from it.
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return ['it is not a JSON object'];
  const lists = [m.custodians === undefined || Array.isArray(m.custodians) ? undefined : 'custodians is not a list', m.keys === undefined || Array.isArray(m.keys) ? undefined : 'keys is not a list'].filter((x): x is string => x !== undefined);
  if (lists.length > 0) return lists;
  const objects = [...(m.custodians ?? []), ...(m.keys ?? [])].every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
  if (!objects) return ['a custodian or key entry is not a JSON object'];
  const p: string[] = [];
  if (m.format !== BACKUP_FORMAT) p.push(`format is ${String(m.format)}, not ${BACKUP_FORMAT}`);
  if (!/^[0-9a-f]{32}$/.test(m.wrap_key?.kcv ?? '')) p.push('the wrap key check value is missing or malformed');
  const n = m.custodians?.length ?? 0;
  if (!Number.isInteger(m.threshold) || m.threshold < 2 || m.threshold > n) p.push(`threshold ${String(m.threshold)} does not fit ${n} custodians`);
  const ids = new Set(m.custodians?.map((c) => c.officer));
  if (ids.size !== n) p.push('a custodian is listed twice');
  const idx = new Set(m.custodians?.map((c) => c.index));
  if (idx.size !== n) p.push('a share index is listed twice');
  if (!m.keys || m.keys.length === 0) p.push('it backs up no keys');
  if (typeof m.ceremony?.ceremony_id !== 'string' || typeof m.ceremony?.script_id !== 'string' || typeof m.created_at !== 'string') p.push('it does not name the ceremony that made it and when');
  for (const [i, c] of (m.custodians ?? []).entries()) {
    if (typeof c?.officer !== 'string' || typeof c?.share_file !== 'string' || !/^[0-9a-f]{64}$/.test(c?.share_sha256 ?? '')) p.push(`custodian ${i + 1} lacks its officer, share file or share SHA-256`);
  }
  for (const [i, k] of (m.keys ?? []).entries()) {
    if (typeof k?.label !== 'string' || typeof k?.blob_file !== 'string' || typeof k?.public_key !== 'string' || !/^[0-9a-f]{64}$/.test(k?.spki_sha256 ?? '')) p.push(`key ${i + 1} lacks its label, wrapped-key file, public key or its SHA-256`);
  }
  return p;
}
