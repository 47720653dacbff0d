// What verifyPacket() is handed besides the files, and what it hands back: one group per check, each with the
// problems (every one naming the packet file it concerns) and the notes an auditor reads.


export interface PacketTrust {
  /** The evidence certificate the auditor holds (PEM). */
  certificatePem?: string;
  /** The SHA-256 fingerprint of the evidence certificate's DER (hex; colons, spaces and case ignored). */
  sha256?: string;
}

/** What the auditor compares out of band and hands to verify: each given pin must hold. */
export interface PacketPins {
  trust?: PacketTrust;
  /** The journal head written on the paper log: 64 hex digits, or its six words. */
  head?: string;
  /** The officer roster the auditor holds: its SHA-256 (payload_sha256), or the roster file (JSON), possibly a newer version. */
  roster?: { sha256: string } | { file: unknown };
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
  /** How the ceremony ended, as its closing entry says. */
  outcome?: 'completed' | 'aborted';
  /** Officers countersigned the record at its end (a quorum of them, verified against the roster). */
  countersigned: boolean;
  /** Which pins were given and held: the evidence key (--trust), the journal head (--head), the roster (--roster). */
  pinned: { evidenceKey: boolean; head: boolean; roster: boolean };
}
