// The officers' countersignature of a ceremony record, as pure functions: the runner uses them when the
// ceremony ends and `officiant verify` uses the same ones over a finished journal. Contract:
// - the statement binds the ceremony, how it ended, the hash of the entry that ended it (the journal head
//   people write on the paper log) and the number of entries up to it, the hash of the entry just before the
//   statement (the whole record so far), and a fresh nonce;
// - a countersignature counts only if its device is on the roster and not revoked, its officer checked in to
//   this ceremony (in a role the roster gives them), has not countersigned already, and their enrolled 9a
//   certificate verifies the signature over the statement's canonical bytes;
// - a completed ceremony needs the roster's own threshold (`signing_policy.threshold`) of distinct officers:
//   rewriting the record then takes that many officers' tokens and PINs, not only the evidence key.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../record/canonical-json.js';
import { checkOfficerSignature, type CeremonyRef, type OfficerCheck } from './quorum.js';
import { officerByDevice } from './roster.js';
import type { RosterBody } from './roster.types.js';

export const COUNTERSIGN_TYPE = 'officiant-countersign/1';

/** What the journal calls the countersign's events (all under the ceremony's own step). */
export const COUNTERSIGN_EVENT = {
  statement: 'countersign-statement',
  signed: 'countersignature',
  refused: 'countersign-refused',
  declined: 'countersign-declined',
  closed: 'countersign-closed',
} as const;

export interface CountersignStatement {
  type: typeof COUNTERSIGN_TYPE;
  ceremony: CeremonyRef;
  outcome: 'completed' | 'aborted';
  /** Hash of the `ceremony.completed` or `ceremony.aborted` entry. */
  journal_head: string;
  /** Entries up to and including that one. */
  entries: number;
  /**
   * Hash of the entry just before this statement, and the entries up to it: what was recorded after the closing
   * entry (an aborted step's page) is countersigned too, and nothing can be slipped in before the statement.
   */
  record_head: string;
  record_entries: number;
  nonce: string;
}

export function countersignBytes(s: CountersignStatement): Buffer {
  return Buffer.from(canonicalJson(s), 'utf8');
}

export function countersignDigest(s: CountersignStatement): string {
  return createHash('sha256').update(countersignBytes(s)).digest('hex');
}

/** How many distinct officers must countersign: the roster's own signing threshold. */
export function countersignThreshold(roster: RosterBody): number {
  return roster.signing_policy.threshold;
}

/**
 * Checks one countersignature. `checkedIn` maps officer id to the role they checked in as; `signedBy` holds
 * the officers already counted.
 */
export function checkCountersignature(
  roster: RosterBody,
  statement: CountersignStatement,
  record: { device_serial: string; statement_sha256: string; signature: string },
  ctx: { checkedIn: ReadonlyMap<string, string>; signedBy: readonly string[] },
): OfficerCheck {
  const owner = officerByDevice(roster, record.device_serial);
  if (!owner) return { ok: false, reason: `device ${record.device_serial} is not on the roster (version ${roster.version})` };
  if (ctx.signedBy.includes(owner.id)) return { ok: false, reason: `${owner.name} has already countersigned: countersignatures count distinct people` };
  const role = ctx.checkedIn.get(owner.id);
  if (role === undefined) return { ok: false, reason: `${owner.name} (device ${record.device_serial}) is not checked in to this ceremony` };
  if (record.statement_sha256 !== countersignDigest(statement)) return { ok: false, reason: `the countersignature from device ${record.device_serial} is over a different statement` };
  return checkOfficerSignature(roster, { device_serial: record.device_serial, role, roleTitle: role, bytes: countersignBytes(statement), signature: record.signature });
}
