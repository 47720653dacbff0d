// OTA manifests made with real P-256 keys, for tests: a body for channel stable and its device families, signed
// the way the manifest ceremony will sign it (ECDSA P-256 with SHA-256 over the canonical JSON of the body, DER),
// by officers' 9c keys from test/helpers/roster-fixture.ts or by any other key a test brings.
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { spkiSha256 } from '../../src/custody/deny-list.js';
import { manifestSigningBytes } from '../../src/custody/ota-manifest.js';
import { MANIFEST_TYPE, type ManifestBody, type ManifestTarget } from '../../src/custody/ota-manifest.types.js';
import type { TestOfficer } from './roster-fixture.js';

export interface ManifestSigner {
  keyid: string;
  device_serial: string;
  key: KeyObject;
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** An officer's 9c key, as the keyring lists it. */
export function officerSigner(o: TestOfficer): ManifestSigner {
  return { keyid: o.officer.keys['9c']!.spki_sha256, device_serial: o.officer.device.serial, key: o.keys['9c']! };
}

/** Any private key, named by its own SPKI SHA-256 (a key that is not in the keyring). */
export function keySigner(key: KeyObject, device_serial: string): ManifestSigner {
  return { keyid: spkiSha256(createPublicKey(key)), device_serial, key };
}

export function manifestTargets(n: number): ManifestTarget[] {
  return Array.from({ length: n }, (_, i) => ({ name: `oriole-ota-${i}.zip`, length: 1_000_000 + i, sha256: hex(`target ${i}`), kind: 'ota-package' as const, release_sha256: hex('release.json') }));
}

export function manifestBody(overrides: Partial<ManifestBody> = {}): ManifestBody {
  return { type: MANIFEST_TYPE, spec_version: 1, version: 42, expires: '2026-12-31T00:00:00Z', channel: 'stable', devices: ['oriole', 'raven'], targets: manifestTargets(3), ...overrides };
}

/** The manifest file: the body and one signature per signer (repeats allowed), pretty-printed as a service might. */
export function signManifest(body: ManifestBody, signers: ManifestSigner[]): Buffer {
  const bytes = manifestSigningBytes(body);
  const signatures = signers.map((s) => ({ keyid: s.keyid, device_serial: s.device_serial, sig: sign('sha256', bytes, s.key).toString('base64') }));
  return Buffer.from(`${JSON.stringify({ signed: body, signatures }, null, 2)}\n`);
}
