// What verifyPacket() is handed besides the files, and what it hands back: one group per check, each with the
// problems (every one naming the packet file it concerns) and the notes an auditor reads.


export interface PacketTrust {
  /** The evidence certificate the auditor holds (PEM). */
  certificatePem?: string;
  /** The SHA-256 fingerprint of the evidence certificate's DER (hex; colons, spaces and case ignored). */
  sha256?: string;
}

export interface PacketCheckGroup {
  name: string;
  ok: boolean;
  /** Each starts with the packet file it concerns: `steps/02-x.pdf: SHA-256 differs from manifest.json`. */
  problems: string[];
  notes: string[];
}

export interface PacketReport {
  groups: PacketCheckGroup[];
  ok: boolean;
  /** SHA-256 of the evidence certificate's DER, when the packet carries a readable one. */
  evidenceKeySha256?: string;
  rehearsal: boolean;
}
