// What a ceremony is started with besides its script, checked by inputs/ before the engine sees them: the
// officer roster, the officers' PIV site and an existing backup set.
import type { BackupManifest } from '../custody/backup-manifest.js';
import type { ReleaseBundleReader } from '../custody/release-bundle-reader.types.js';
import type { RosterBody } from '../custody/roster.types.js';
import type { PivReader, ReleaseFiles, RoomProbe, SigningWindowServer } from './ports.js';

export interface LoadedBackup {
  /** The directory holding backup/manifest.json, backup/*.wrapped and shares/*.share.json. */
  dir: string;
  bytes: Buffer;
  manifest: BackupManifest;
  /** SHA-256 of the manifest file's bytes. */
  sha256: string;
  /** A file of the backup set by its path relative to dir (as the manifest names it). */
  read(rel: string): Buffer;
}

export interface PivSite {
  module: string;
  /** PEM certificates (vendor roots; the sandbox's simulated CA in rehearsals). */
  attestationRoots: string[];
  open: () => PivReader;
}

export interface LoadedRoster {
  bytes: Buffer;
  body: RosterBody;
  /** payload_sha256 of the roster document: what a later roster names as previous_sha256. */
  sha256: string;
}

/** A file a ceremony was started with, copied into the packet (evidence/packet-files.ts INPUT_COPIES). */
export interface InputDocument {
  bytes: Buffer;
  sha256: string;
}

/**
 * A release signing session's inputs, checked by inputs/ before the engine sees them: the request, the signed
 * policy and the authority's certificate (each copied into the packet), where the requested artifacts are,
 * the session's staging directory, where the bundle goes, and the authority's signing log (site file).
 */
export interface ReleaseInputs {
  request: InputDocument;
  policy: InputDocument;
  certificate: InputDocument;
  artifactsDir: string;
  staging: string;
  bundle: string;
  signingLog: string;
  files: ReleaseFiles;
}

/**
 * A manifest signing session's inputs, checked by inputs/ before the engine sees them: the manifest draft and the
 * pinned release authority certificate (each copied into the packet), the release bundles the targets come from
 * (read where they are: only their verification is recorded), and the manifest authority's signing log.
 */
export interface ManifestInputs {
  draft: InputDocument;
  releaseCertificate: InputDocument;
  /** The bundle directories, resolved, in the order given. */
  releases: string[];
  signingLog: string;
  files: ReleaseFiles;
  openBundle(dir: string): ReleaseBundleReader;
}

/**
 * An Android signing window's inputs: the signing plan the officers approve (copied into the packet), where the
 * window's socket is made (the session's directory) and the server that listens there.
 */
/** The ceremony laptop as the site file describes it (its `room` section), checked by room.preflight. */
export interface RoomSite {
  /** The boot medium (block device or image file, absolute) and its SHA-256 from the paper log. */
  bootMedium?: { path: string; sha256: string; bytes?: number };
  /** USB devices (vendor:product) that may be attached. */
  usbAllowlist: string[];
  /** The SHA-256 of Officiant's installed files this laptop must run. */
  officiantSha256?: string;
}

/** What room.preflight looks at: the site's description (if any) and the probe of the laptop itself. */
export interface RoomInputs {
  site?: RoomSite;
  probe: RoomProbe;
}

export interface SigningWindowInputs {
  plan: InputDocument;
  socket: string;
  server: SigningWindowServer;
}
