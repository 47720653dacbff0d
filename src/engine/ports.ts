// The interfaces the engine needs from the outside world. engine/, steps/ and script/ talk only to these;
// adapters/ implement them (PKCS#11, the file system, inquirer, answers files, the rehearsal sandbox).
import type { KeyAlgorithm } from '../script/schema.js';
import type { Secret } from '../custody/secret.js';
import type { KeyAttributes } from '../custody/key-attributes.types.js';
import type { PivSlot } from '../custody/piv.types.js';
import type { Person } from '../record/person.types.js';
export type { Secret } from '../custody/secret.js';
export type { KeyAttributes } from '../custody/key-attributes.types.js';
export { PIV_DEFAULTS, PIV_SLOT_CKA_ID, type PivSlot } from '../custody/piv.types.js';
export type { Person } from '../record/person.types.js';
export type { Clock, JournalFile } from '../record/journal-file.types.js';

// ---------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------
// HSM port. Contract: every method either completes the operation on the token or throws an OfficiantError
// with an hsm.* / env.* code; nothing is half-done silently. Implementations never log or keep PINs.
export interface TokenIdentity {
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  hardwareVersion: string;
  firmwareVersion: string;
  slotId: number;
}


export interface KeyRecord {
  label: string;
  /** CKA_ID as lowercase hex. */
  id: string;
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer;
  attributes: KeyAttributes;
}

export interface Hsm {
  /** Module description (library, manufacturer, version) for the evidence. */
  describe(): { library: string; manufacturer: string; version: string };
  /** The initialised token with this label, if any. */
  findToken(label: string): TokenIdentity | undefined;
  /** Slot ids whose token is not initialised (where hsm.init-token may write). */
  freeSlots(): number[];
  /** C_InitToken: creates the token with its SO PIN (the user PIN comes next, in its own operation). */
  initToken(slotId: number, label: string, soPin: Secret): TokenIdentity;
  /** Whether the token's user PIN is initialised. */
  userPinInitialised(label: string): boolean;
  /** C_Login as SO + C_InitPIN: sets the user PIN of a freshly initialised token. */
  initUserPin(label: string, soPin: Secret, userPin: Secret): void;
  /** Which of `labels` name public objects on the token; needs no login (pre-flight, before any PIN). */
  labelsInUse(tokenLabel: string, labels: readonly string[]): string[];
  /** Opens a logged-in user session on the token. */
  openSession(label: string, userPin: Secret): HsmSession;
  /**
   * Opens a security-officer session (no user session of this process may be logged in to the token). Only
   * random() and importWrapKey(…, { trusted: true }) are meant for it: an SO sees public objects only.
   */
  openSoSession(label: string, soPin: Secret): HsmSession;
  close(): void;
}

/**
 * A wrap key as the token reports it after import (read back, not the template asked for). It is an AES-256
 * secret key that can only wrap and unwrap; `checkValue` is the token's CKA_CHECK_VALUE (lowercase hex, the
 * first 3 bytes of AES-ECB over a zero block) so people can confirm a recombined key before it is used.
 */
export interface WrapKeyRecord {
  label: string;
  /** CKA_ID as lowercase hex. */
  id: string;
  checkValue: string;
  attributes: {
    sensitive: boolean;
    extractable: boolean;
    neverExtractable: boolean;
    alwaysSensitive: boolean;
    local: boolean;
    wrap: boolean;
    unwrap: boolean;
    encrypt: boolean;
    decrypt: boolean;
    sign: boolean;
    verify: boolean;
    derive: boolean;
    modifiable: boolean;
    copyable: boolean;
    /** CKA_TRUSTED: SoftHSM lets only the SO set it, so a key imported in a user session reads false. */
    trusted: boolean;
  };
}

/** What a wrap key may do: wrap (make backups), unwrap (restore), or both. */
export type WrapKeyUse = 'wrap' | 'unwrap' | 'both';

export interface HsmSession {
  token(): TokenIdentity;
  random(bytes: number): Buffer;
  /** Whether any object (key, certificate, data; private ones included) carries this label. */
  labelInUse(label: string): boolean;
  /** Private keys with this label (normally 0 or 1). */
  findKeys(label: string): KeyRecord[];
  /**
   * Generates a sensitive, non-extractable key pair with the given CKA_LABEL and CKA_ID. With `backup`, the
   * private key is sensitive but extractable and CKA_WRAP_WITH_TRUSTED: it can leave the token only wrapped
   * under a wrap key the SO imported as trusted. It is therefore not NEVER_EXTRACTABLE.
   */
  generateKeyPair(spec: { label: string; id: string; algorithm: KeyAlgorithm; backup?: boolean }): KeyRecord;
  /**
   * Creates an AES-256 wrap key from `key` (32 bytes): sensitive, non-extractable, not modifiable or copyable.
   * Default: a private token object that wraps and unwraps. `trusted` (SO session only): a public token
   * object with CKA_TRUSTED that can only wrap, the one kind of key a backup key accepts. `session`: a
   * session object, gone when the session closes. The caller keeps and wipes `key`.
   */
  importWrapKey(spec: { label: string; id: string }, key: Secret, opts?: { trusted?: boolean; session?: boolean; use?: WrapKeyUse }): WrapKeyRecord;
  /**
   * SO session only: the token generates an AES-256 key (its value never leaves the token) as a public token
   * object with CKA_TRUSTED that wraps and unwraps: the transport key a backup key (CKA_WRAP_WITH_TRUSTED)
   * accepts. The caller destroys it when done.
   */
  generateTrustedWrapKey(spec: { label: string; id: string }): WrapKeyRecord;
  /**
   * Destroys every object (keys of any class) with this label and CKA_ID, or with `sessionOnly` only session
   * objects (never a key stored on the token); returns how many there were.
   */
  destroyObjects(ref: { label: string; id: string }, opts?: { sessionOnly?: boolean }): number;
  /** Exports `key` encrypted under the wrap key with CKM_AES_KEY_WRAP_PAD (RFC 5649). Only backup keys wrap. */
  wrapKey(wrapping: { label: string; id: string }, key: { label: string; id: string }): Buffer;
  /**
   * Unwraps a blob from wrapKey into a sensitive, non-extractable private key with the given label and id, and
   * creates its public key object (RSA: from the private key's modulus and exponent; EC: from `spki`, which is
   * required because the token keeps no EC point on a private key). The new pair must sign something `spki`
   * verifies, or nothing is left on the token. A wrong wrap key or a damaged blob: hsm.general. With
   * `session`, the pair are session objects (in memory, gone with the session) and the private key is
   * extractable, to be wrapped again at once under another wrap key (backup, re-share).
   */
  unwrapKey(wrapping: { label: string; id: string }, wrapped: Buffer, spec: { label: string; id: string; algorithm: KeyAlgorithm; spki?: Buffer; session?: boolean }): KeyRecord;
  /**
   * Signs inside the token. RSA: PKCS#1 v1.5 over SHA-256 of `data`; EC: ECDSA over the SHA-256 (or the
   * given hash) of `data`, returned as raw r||s (IEEE P1363).
   */
  sign(key: { label: string; id: string }, data: Buffer, hash?: 'SHA-256' | 'SHA-384'): Buffer;
  /**
   * Signs precomputed digests (SHA-256 by default; SHA-512 for RSA only) with one key: RSA PKCS#1 v1.5 over the
   * hash's DigestInfo, EC raw r||s over the digest as given.
   */
  signDigests(key: { label: string; id: string }, digests: readonly Buffer[], hash?: 'SHA-256' | 'SHA-512'): Buffer[];
  close(): void;
}

// ---------------------------------------------------------------------------------------------------------
// People. The Prompter asks people things; the engine never prompts by itself. An interactive
// implementation asks at the keyboard; a scripted one answers from an answers file or a rehearsal sandbox.

/** A PIV device offered for choice, with its owner on the roster when known. */
export interface DeviceChoice {
  serial: string;
  model: string;
  owner?: string;
}

export interface Turn {
  index: number;
  total: number;
  stepId: string;
  title: string;
  instructions: string;
  perform: Person[];
  witness: Person[];
}

export type FailureDecision = { action: 'retry'; reason: string; by: Person } | { action: 'abort'; reason: string; by: Person };

export interface Prompter {
  /** True when a person answers at the keyboard (a re-entry can differ); false for scripted answers. */
  readonly interactive: boolean;
  /** Shown at the start of each step: whose turn it is and what to do. */
  announce(turn: Turn): void;
  /**
   * Names of the people present in a role (exactly `count` distinct names). `taken` says why a name cannot be
   * checked in (it already holds another role); at the keyboard that one name is asked again.
   */
  checkIn(role: { id: string; title: string }, count: number, taken?: (name: string) => string | undefined): Promise<string[]>;
  /** A person reads a value off a label or seal and types it. */
  record(person: Person, field: { stepId: string; id: string; label: string; pattern?: string; example?: string }): Promise<string>;
  /** A yes/no confirmation by a named person. */
  confirm(person: Person, question: string, context: { stepId: string }): Promise<boolean>;
  /** Masked secret entry by a named person. `purpose` is a stable id such as "so-pin-half". */
  secret(person: Person, purpose: { stepId: string; id: string; label: string; minLength: number; repeat: boolean }): Promise<Secret>;
  /**
   * A person picks a PIV token among the inserted devices; returns its serial. `suggested` is the device the
   * engine expects (e.g. the one an approver checked in with). `id` names the pick within the step for
   * answers files (e.g. "crypto-officer-2", "approver-1", "device").
   */
  chooseDevice(pick: { stepId: string; id: string; message: string; suggested?: string }, devices: DeviceChoice[]): Promise<string>;
  /** A step failed: retry (with a reason) or abort. `earlier` counts the decisions already journaled for the step. */
  onFailure(stepId: string, message: string, decider: Person, allowRetry: boolean, earlier: number): Promise<FailureDecision>;
  /** Progress and results for people to read. */
  say(line: string): void;
}

// ---------------------------------------------------------------------------------------------------------
// The ceremony laptop, as room.preflight looks at it before the first key. Contract: every method reports what
// it finds and never throws for a finding (an interface up, an unknown USB device); a file that cannot be read
// for its digest is reported as such (`unreadable` with the reason), never as a digest.

export type { BluetoothAdapter, NetworkInterface, UsbDevice } from '../custody/room-findings.js';
import type { BluetoothAdapter, NetworkInterface, UsbDevice } from '../custody/room-findings.js';

export interface RoomProbe {
  /** Where the probe reads the kernel's view (normally /sys); recorded, so a substituted view shows. */
  readonly source: string;
  networkInterfaces(): NetworkInterface[];
  /** Bluetooth adapters (/sys/class/bluetooth): a radio the laptop could talk over. */
  bluetooth(): BluetoothAdapter[];
  usbDevices(): UsbDevice[];
  /** The SHA-256 of a file or block device, over its first `limit` bytes when given (an image on a larger stick). */
  sha256File(path: string, limit?: number): Promise<{ sha256: string; bytes: number } | { unreadable: string }>;
  /** Officiant's version and the SHA-256 over its installed files (each file's path and digest, sorted). */
  installation(): Promise<{ version: string; sha256: string; files: number }>;
}

// ---------------------------------------------------------------------------------------------------------
// The ceremony's output directory. Contract: write() is atomic (temp file + fsync + rename + directory fsync):
// after a crash a file is either absent or complete. Paths are relative to the output directory.
export interface OutputStore {
  readonly root: string;
  exists(rel: string): boolean;
  read(rel: string): Buffer;
  write(rel: string, bytes: Buffer | string): void;
  list(rel: string): string[];
  isDirectory(rel: string): boolean;
  /** Takes the directory for this process (one writer at a time); returns the release function. */
  lock(): () => void;
  /** Removes temp files left by writes a crash cut short (never complete outputs); returns their paths. */
  sweepTemp(): string[];
}


/** Renders evidence PDFs; with a signature, the PDF carries an embedded CMS signature made in the HSM. */
export interface EvidenceRenderer {
  renderStepPage(page: import('../evidence/step-page.types.js').StepPage, signature?: import('../evidence/sign-pdf.js').PdfSignature): Promise<Buffer>;
  renderPacket(packet: import('../evidence/packet.types.js').PacketDocument, signature?: import('../evidence/sign-pdf.js').PdfSignature): Promise<Buffer>;
}

// ---------------------------------------------------------------------------------------------------------
// PIV port: officers' hardware tokens, reached through PKCS#11 with the ykcs11 object layout (CKA_ID 1 = slot
// 9a authentication, 2 = 9c signature, 3 = 9d key management, 4 = 9e card auth; a slot's attestation is a
// certificate with the slot's CKA_ID). Contract: every method completes on the device or throws an
// OfficiantError (hsm.pin-incorrect with the tries left, hsm.pin-locked, env.piv-absent when the device is not
// inserted or was pulled out, hsm.*); nothing is retried silently, because a retry spends a PIN try. PINs,
// PUKs and management keys arrive as Secrets and are never kept, logged or put in a message.

export interface PivDevice {
  /** Device serial as the vendor prints it (decimal for YubiKeys). */
  serial: string;
  model: string;
  firmware: string;
  /** True for a SoftHSM stand-in made by a rehearsal sandbox: never acceptable in production. */
  simulated: boolean;
}

export interface PivAttestation {
  /** The slot's attestation certificate (DER): its public key is the slot's key, signed by the device key. */
  certificate: Buffer;
  /** The device's attestation certificate (slot f9, DER), issued by the vendor's attestation CA. */
  deviceCertificate: Buffer;
}

/** Credentials that let enrollment manage a device. */
export interface PivAdmin {
  managementKey: Secret;
  pin: Secret;
}

export interface PivToken {
  device(): PivDevice;
  /** C_SetPIN in a user session. */
  changePin(current: Secret, next: Secret): void;
  /** Whether `pin` is the user PIN (C_Login); a wrong one spends a try, so only crash recovery asks. */
  verifyPin(pin: Secret): boolean;
  /** Whether `key` is the management key (SO login; no tries to spend). */
  verifyManagementKey(key: Secret): boolean;
  /** Replaces the PUK (used to unblock the PIN). */
  changePuk(current: Secret, next: Secret): void;
  /** Replaces the management key (C_Login as SO with the current key, C_SetPIN). */
  changeManagementKey(current: Secret, next: Secret): void;
  /** Generates an EC P-256 key pair on the device in `slot`, replacing any key there; returns the SPKI (DER). */
  generateKey(slot: PivSlot, admin: PivAdmin): Buffer;
  /** The slot's attestation, made by the device. */
  attestation(slot: PivSlot): PivAttestation;
  /** Stores the slot's X.509 certificate (DER) on the device. */
  importCertificate(slot: PivSlot, certificate: Buffer, admin: PivAdmin): void;
  /** The slot's certificate (DER), if one is stored. */
  certificate(slot: PivSlot): Buffer | undefined;
  /** The slot's public key (SPKI, DER), if the slot holds a key. */
  publicKey(slot: PivSlot): Buffer | undefined;
  /** ECDSA over SHA-256 of `data` with the slot's key after PIN entry; DER-encoded signature. */
  sign(slot: PivSlot, pin: Secret, data: Buffer): Buffer;
  /**
   * ECDH (CKM_ECDH1_DERIVE) with the key-management key of slot 9d after PIN entry and the peer's P-256 public
   * key (SPKI, DER); returns the raw 32-byte shared secret (the x-coordinate). The caller wipes it after use.
   */
  deriveSharedSecret(slot: '9d', pin: Secret, peerSpki: Buffer): Buffer;
  close(): void;
}

export interface PivReader {
  /** Module description for the evidence. */
  describe(): { library: string; manufacturer: string; version: string };
  /** The PIV devices inserted now. */
  devices(): PivDevice[];
  /** Opens the device with this serial; env.piv-absent if it is not inserted. */
  open(serial: string): PivToken;
  close(): void;
}

// ---------------------------------------------------------------------------------------------------------
// A release signing session's files (adapters/fs/release-files.ts): artifacts where the pipeline left them,
// their read-only staged copies, signatures, the bundle and the authority's signing log. Large files are read
// in chunks, never whole; a path that is not a regular file is refused.

export interface FileDigest {
  size: number;
  sha256: string;
}

export interface ReleaseFiles {
  /** The signing log's text; '' when it does not exist yet. */
  readLog(path: string): string;
  /** Appends one line to the signing log and syncs it to disk. */
  appendLog(path: string, line: string): void;
  /**
   * Takes the signing log for one session (a lock file beside it naming this process) and returns its release:
   * two sessions of one authority never check and append the log at the same time. A lock left by a dead process
   * is taken over; one held by a live process refuses (env.signing-log-locked).
   */
  lockLog(path: string): () => void;
  /** Copies `src` to `dir/name` (read-only) while hashing it, in one streaming pass. */
  stage(src: string, dir: string, name: string): FileDigest;
  hash(path: string): FileDigest;
  /** Whether `signature` (RSA PKCS#1 v1.5 or DER ECDSA, SHA-256) verifies over the file's bytes. */
  verifyFile(path: string, signature: Buffer, key: import('node:crypto').KeyObject): boolean;
  /** A regular file's bytes, or undefined. */
  readFile(path: string): Buffer | undefined;
  /** Writes a file read-only, through a temporary file and a rename. */
  writeFile(path: string, bytes: Buffer): void;
  exists(path: string): boolean;
  /** A path's size if it is a regular file (not a symlink), else undefined. */
  regularSize(path: string): number | undefined;
  makeDir(path: string): void;
  /** Makes a directory read-only. */
  readOnly(path: string): void;
  rename(from: string, to: string): void;
  /** Removes a file or directory tree (read-only ones too). */
  remove(path: string): void;
  /** Puts a staged file into the bundle: a hard link when possible, else a copy. */
  placeCopy(src: string, dst: string): void;
  /**
   * Scans a staged artifact, streaming, for denied keys and private-key material: its bytes and, for a ZIP, every
   * entry decompressed, recursively. An entry that cannot be scanned is a finding too.
   */
  scan(path: string, name: string, denied: readonly import('../custody/deny-list.js').DeniedKey[]): Promise<import('../custody/artifact-zip-scan.js').ArtifactScanReport>;
}

// ---------------------------------------------------------------------------------------------------------
// The signing window's socket (android.sign-window): Android's tools reach the window's HSM session through
// helpers that connect to it.

export interface SigningWindowServer {
  /**
   * Removes a socket a killed session left at `path`: only a socket nothing listens on (a live window there, or
   * any other file, is an error).
   */
  removeStale(path: string): Promise<void>;
  /**
   * Listens on a Unix socket at `path`, readable and writable by its owner only. Each connection sends one
   * request (bytes up to a newline or the end) and gets `serve`'s answer; then it is closed.
   */
  listen(path: string, serve: (request: Buffer) => Buffer): Promise<{ close(): Promise<void> }>;
}
