// The sealed evidence packet: what packet.pdf shows and what manifest.json lists. Built by the engine from the
// journal and the files on disk when a ceremony ends (completed or aborted).

export interface PacketStep {
  number: number;
  id: string;
  title: string;
  kind: string;
  outcome: 'completed' | 'aborted' | 'not reached';
  /** The step's evidence page, relative to the packet root, when it exists. */
  page?: { path: string; sha256: string; pdf: Buffer };
}

export interface PacketDocument {
  rehearsal: boolean;
  ceremony: { id: string; title: string; version: number; authority: string; scriptSha256: string; ceremonyId: string };
  outcome: 'completed' | 'aborted';
  /** For an aborted ceremony: who decided and why. */
  abortReason?: string;
  startedAt: string;
  endedAt: string;
  participants: Array<{ name: string; role: string; roleTitle: string }>;
  /** Hash of the journal entry that closed the ceremony, and the same as words to read aloud. */
  journalHead: string;
  journalHeadWords: string[];
  /** What the journal records besides the steps: retries (deviations), pauses, custodians absent. */
  course: { deviations: number; pauses: number; absences: number };
  /** The officers' countersignature of the closing entry; null when nobody checked in by token. */
  countersign: { threshold: number; signers: Array<{ name: string; device: string }> } | null;
  evidenceKey: { subject: string; certificateSha256: string; pem: string } | null;
  /** An aborted ceremony: the keys it made on the token and the files it wrote to outputs/. */
  leftBehind: { token: string; keys: Array<{ label: string; algorithm: string; purpose: string; spkiSha256: string }>; files: string[] } | null;
  steps: PacketStep[];
  /** Certificates and public keys for the appendix: title and PEM text. */
  appendix: Array<{ title: string; path: string; sha256: string; pem: string }>;
  footer: string;
}

/** manifest.json: every file of the packet (except the manifest and its signature) with size and SHA-256. */
export interface PacketManifest {
  format: 'officiant-packet/1';
  ceremonyId: string;
  scriptId: string;
  scriptSha256: string;
  outcome: 'completed' | 'aborted';
  rehearsal: boolean;
  journalHead: string;
  evidenceCertificate: { path: string; sha256: string } | null;
  files: Array<{ path: string; bytes: number; sha256: string }>;
}
