// The manifest keyring a roster implies, and how a keyring that is not exactly that differs from it.
import { X509Certificate } from 'node:crypto';
import { canonicalJson } from '../record/canonical-json.js';
import { counts, who } from './roster-common.js';
import { officerById } from './roster-lookup.js';
import { KEYRING_TYPE, type KeyringBody, type KeyringKey, type RosterBody } from './roster.types.js';

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The manifest keyring a roster implies: the 9c key of every active officer, sorted by officer id (code-unit
 * order, never locale order, so every machine derives the same bytes), and the roster's signing threshold as
 * the number of distinct keys an OTA manifest needs. Throws if a 9c certificate does not
 * parse; verifyRosterFile reports that as a problem first.
 */
export function keyringBody(roster: RosterBody, rosterSha256: string): KeyringBody {
  const keys: KeyringKey[] = roster.officers
    .filter((o) => o.status === 'active' && o.keys['9c'] !== undefined)
    .sort((a, b) => byCodeUnit(a.id, b.id))
    .map((o) => {
      const k = o.keys['9c']!;
      return {
        officer: o.id,
        name: o.name,
        device_serial: o.device.serial,
        certificate: k.certificate,
        certificate_sha256: k.certificate_sha256,
        spki_sha256: k.spki_sha256,
        public_key: new X509Certificate(k.certificate).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    });
  return {
    format: KEYRING_TYPE,
    authority: 'manifest',
    roster_version: roster.version,
    roster_sha256: rosterSha256,
    issued_at: roster.issued_at,
    rehearsal: roster.rehearsal,
    manifest_threshold: roster.signing_policy.threshold,
    keys,
  };
}

/**
 * The keyring a roster implies, in the form `actual` was signed in: a keyring signed before keyrings carried
 * manifest_threshold stays exactly what its officers signed (still valid; a manifest checker refuses it).
 */
export function expectedKeyring(roster: RosterBody, rosterSha256: string, actual: KeyringBody | undefined): KeyringBody {
  const derived = keyringBody(roster, rosterSha256);
  if (actual === undefined || actual.manifest_threshold !== undefined) return derived;
  const { manifest_threshold: _, ...legacy } = derived;
  return legacy;
}

export function compareKeyring(actual: KeyringBody, expected: KeyringBody, roster: RosterBody, problems: string[]): void {
  if (canonicalJson(actual) === canonicalJson(expected)) return;
  const before = problems.length;
  for (const field of ['roster_version', 'roster_sha256', 'issued_at', 'rehearsal', 'manifest_threshold'] as const) {
    if (actual[field] !== expected[field]) problems.push(`keyring ${field} is ${JSON.stringify(actual[field])}, the roster gives ${JSON.stringify(expected[field])}`);
  }
  const listed = new Map(actual.keys.map((k) => [k.officer, k]));
  for (const want of expected.keys) {
    const o = officerById(roster, want.officer)!;
    const got = listed.get(want.officer);
    if (!got) {
      problems.push(`keyring omits the 9c key of ${who(o)}`);
      continue;
    }
    const fields = (Object.keys(want) as Array<keyof KeyringKey>).filter((f) => got[f] !== want[f]);
    if (fields.length > 0) problems.push(`keyring key of ${who(o)} differs from the roster: ${fields.join(', ')}`);
  }
  const wanted = new Set(expected.keys.map((k) => k.officer));
  for (const [id, k] of counts(actual.keys.map((k) => k.officer))) if (k > 1) problems.push(`keyring lists ${id} ${k} times`);
  for (const k of actual.keys) {
    if (wanted.has(k.officer)) continue;
    const o = officerById(roster, k.officer);
    problems.push(o ? `keyring lists ${who(o)}, who has no active 9c key in the roster` : `keyring lists ${k.officer}, who is not an officer of the roster`);
  }
  if (problems.length === before) problems.push('keyring keys are not in officer id order');
}
