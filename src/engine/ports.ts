// The interfaces the engine needs from the outside world. engine/, steps/ and script/ talk only to these;
// adapters/ implement them (PKCS#11, the file system, inquirer, answers files, the rehearsal sandbox).
import type { KeyAlgorithm } from '../script/schema.js';

// ---------------------------------------------------------------------------------------------------------
// Secrets. A Secret holds bytes typed by a person (a PIN half). It is never serialised: JSON.stringify and
// util.inspect print a placeholder, and wipe() zeroes the bytes. Code that needs the value calls use().
export interface Secret {
  readonly length: number;
  use<T>(fn: (bytes: Buffer) => T): T;
  wipe(): void;
}

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

export interface KeyAttributes {
  local: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  extractable: boolean;
  sensitive: boolean;
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
  close(): void;
}

export interface HsmSession {
  token(): TokenIdentity;
  random(bytes: number): Buffer;
  /** Whether any object (key, certificate, data; private ones included) carries this label. */
  labelInUse(label: string): boolean;
  /** Private keys with this label (normally 0 or 1). */
  findKeys(label: string): KeyRecord[];
  /** Generates a sensitive, non-extractable key pair with the given CKA_LABEL and CKA_ID. */
  generateKeyPair(spec: { label: string; id: string; algorithm: KeyAlgorithm }): KeyRecord;
  /**
   * Signs inside the token. RSA: PKCS#1 v1.5 over SHA-256 of `data`; EC: ECDSA over the SHA-256 (or the
   * given hash) of `data`, returned as raw r||s (IEEE P1363).
   */
  sign(key: { label: string; id: string }, data: Buffer, hash?: 'SHA-256' | 'SHA-384'): Buffer;
  close(): void;
}

// ---------------------------------------------------------------------------------------------------------
// People. The Prompter asks people things; the engine never prompts by itself. An interactive
// implementation asks at the keyboard; a scripted one answers from an answers file or a rehearsal sandbox.
export interface Person {
  name: string;
  role: string;
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
  /** Names of the people present in a role (exactly `count` distinct names). */
  checkIn(role: { id: string; title: string }, count: number): Promise<string[]>;
  /** A person reads a value off a label or seal and types it. */
  record(person: Person, field: { stepId: string; id: string; label: string; pattern?: string }): Promise<string>;
  /** A yes/no confirmation by a named person. */
  confirm(person: Person, question: string, context: { stepId: string }): Promise<boolean>;
  /** Masked secret entry by a named person. `purpose` is a stable id such as "so-pin-half". */
  secret(person: Person, purpose: { stepId: string; id: string; label: string; minLength: number; repeat: boolean }): Promise<Secret>;
  /** A step failed: retry (with a reason) or abort. `earlier` counts the decisions already journaled for the step. */
  onFailure(stepId: string, message: string, decider: Person, allowRetry: boolean, earlier: number): Promise<FailureDecision>;
  /** Progress and results for people to read. */
  say(line: string): void;
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

// The journal's durable file. Contract: append() returns only after the line is on disk (fsync).
export interface JournalFile {
  readAll(): Buffer;
  append(line: string): void;
  /** Cuts the file to `length` bytes (used only to drop a torn final line, after saving it aside). */
  truncate(length: number): void;
}

export interface Clock {
  now(): Date;
}

/** Renders evidence PDFs; with a signature, the PDF carries an embedded CMS signature made in the HSM. */
export interface EvidenceRenderer {
  renderStepPage(page: import('../evidence/step-page.types.js').StepPage, signature?: import('../evidence/sign-pdf.js').PdfSignature): Promise<Buffer>;
  renderPacket(packet: import('../evidence/packet.types.js').PacketDocument, signature?: import('../evidence/sign-pdf.js').PdfSignature): Promise<Buffer>;
}
