// The keyring a manifest is checked against (keyring.json, `officiant keyring export`), opened with the code
// that opens it inside a roster file (roster-document.ts: shape, payload type, payload_sha256, canonical JSON,
// body; roster-signatures.ts: each signature verifies over the payload). Alone, the signatures only show that
// whoever holds those certificates signed it: what makes a keyring the authority's is the pin, the keyring's
// payload_sha256 as `keyring export` printed it after checking the whole roster chain. Unpinned, the keyring
// is opened all the same and the caller says NOT PINNED. Pure; never throws.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { normalizeFingerprint } from '../record/fingerprint.js';
import { deniedKey, spkiSha256, type DeniedKey } from './deny-list.js';
import { openDocument } from './roster-document.js';
import { KeyringBodySchema } from './roster-schema.js';
import { checkSignatures } from './roster-signatures.js';
import { KEYRING_TYPE, type KeyringBody } from './roster.types.js';

/** keyring.json is a few KiB per officer; anything near this is not one. */
export const KEYRING_MAX_BYTES = 4 * 1024 * 1024;

export interface ManifestKey {
  officer: string;
  deviceSerial: string;
  key: KeyObject;
}

export interface ManifestKeyring {
  body?: KeyringBody;
  /** SHA-256 of the keyring's payload: its identity, what a device pins. */
  sha256?: string;
  /** Whether the payload is the one pinned (false when nothing is pinned or the pin is not it). */
  pinned: boolean;
  /** The usable P-256 keys, by SPKI SHA-256 (a manifest signature's keyid). */
  keys: Map<string, ManifestKey>;
  problems: string[];
  notes: string[];
}

export function openManifestKeyring(bytes: Uint8Array, opts: { pin?: string; production?: boolean; denyList: readonly DeniedKey[] }): ManifestKeyring {
  const out: ManifestKeyring = { pinned: false, keys: new Map(), problems: [], notes: [] };
  const { problems, notes } = out;
  if (bytes.length > KEYRING_MAX_BYTES) return { ...out, problems: [`keyring: ${bytes.length} bytes, more than the ${KEYRING_MAX_BYTES} a keyring may have`] };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return { ...out, problems: ['keyring: not JSON'] };
  }
  const opened = openDocument('keyring', raw, KEYRING_TYPE, KeyringBodySchema, problems);
  out.sha256 = opened.sha256;
  if (opened.doc && opened.bytes) {
    if (opened.doc.signatures.length === 0) problems.push('keyring carries no signatures');
    checkSignatures('keyring', opened.doc, opened.bytes, { kind: 'unknown' }, problems, notes);
  }
  if (opts.pin !== undefined) {
    const pin = normalizeFingerprint(opts.pin);
    if (!pin) problems.push(`--keyring-sha256: ${JSON.stringify(opts.pin.slice(0, 80))} is not a SHA-256 (64 hex digits)`);
    else if (out.sha256 !== undefined && out.sha256 !== pin) problems.push(`keyring payload_sha256 ${out.sha256} is not the pinned ${pin} (--keyring-sha256)`);
    else out.pinned = out.sha256 !== undefined;
  }
  const body = opened.body;
  if (!body) return out;
  out.body = body;
  if (body.rehearsal) {
    if (opts.production) problems.push(`keyring of roster version ${body.roster_version} is a rehearsal keyring (simulated devices): not valid in production`);
    else notes.push('rehearsal keyring: simulated devices, for rehearsals only');
  }
  for (const k of body.keys) {
    const at = `keyring key of ${k.officer} (device ${k.device_serial})`;
    let key: KeyObject;
    try {
      key = createPublicKey(k.public_key);
    } catch {
      problems.push(`${at}: public_key is not a PEM public key`);
      continue;
    }
    const sha = spkiSha256(key);
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') problems.push(`${at}: not an EC P-256 key`);
    else if (sha !== k.spki_sha256) problems.push(`${at}: public_key hashes to ${sha}, not its spki_sha256 ${k.spki_sha256}`);
    else if (out.keys.has(sha)) problems.push(`${at}: the key of ${out.keys.get(sha)!.officer} again`);
    else out.keys.set(sha, { officer: k.officer, deviceSerial: k.device_serial, key });
    const test = deniedKey(opts.denyList, sha);
    if (test) problems.push(`${at}: the test key ${test.name} (${test.source}), which must never sign a manifest`);
  }
  return out;
}
