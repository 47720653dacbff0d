// An OTA manifest (docs/ota-manifests.md): what the OTA Manifest Signing Authority signs for one channel and
// its device families, and what devices and OTA services check before they take a file. Laid out as TUF lays
// out metadata: `signed` (the body; its canonical JSON is what is signed) and `signatures` (detached, one per
// officer's 9c key).
import type { AUTHORITY_KINDS } from './release-request.js';

export const MANIFEST_TYPE = 'officiant-ota-manifest';
/** The one spec version this checker reads; a newer one is refused, never half understood. */
export const MANIFEST_SPEC_VERSION = 1;

/** A file the manifest lets a device take. */
export interface ManifestTarget {
  /** A file name, never a path. */
  name: string;
  /** Its size in bytes. */
  length: number;
  sha256: string;
  /** What the release authority signed it as. */
  kind: (typeof AUTHORITY_KINDS.release)[number];
  /** SHA-256 of release.json of the verified release bundle the file comes from. */
  release_sha256: string;
}

export interface ManifestBody {
  type: typeof MANIFEST_TYPE;
  spec_version: number;
  /** Only goes up per channel: a device refuses a manifest below the one it trusts. */
  version: number;
  /** UTC, `2026-12-31T00:00:00Z`: after it the manifest is refused (a freeze attack stops here). */
  expires: string;
  channel: string;
  /** The device families the manifest is for. */
  devices: string[];
  targets: ManifestTarget[];
}

export interface ManifestSignature {
  /** SHA-256 of the signing key's SubjectPublicKeyInfo (DER): a keyring key's spki_sha256. */
  keyid: string;
  /** The PIV device holding the key, as the keyring lists it. */
  device_serial: string;
  /** base64 DER ECDSA P-256 signature with SHA-256 over manifestSigningBytes(signed). */
  sig: string;
}

export interface OtaManifest {
  signed: ManifestBody;
  signatures: ManifestSignature[];
}
