// What the compliance export says about one packet: its summary, one index row per journal entry and one
// compliance row per requirement (format: evidence/README.md).


/** 'rehearsal only': the check holds, but the packet is a rehearsal, never production evidence for the clause. */
export type ComplianceStatus = 'satisfied' | 'missing' | 'not applicable' | 'rehearsal only';

export interface CeremonySummary {
  ceremonyId: string;
  scriptId: string;
  scriptVersion: number | null;
  scriptSha256: string | null;
  outcome: 'completed' | 'aborted' | 'unfinished';
  rehearsal: boolean;
  verified: boolean;
  /** The packet's evidence key was pinned by a key the exporter trusts (--trust, --trust-file); else exported with --allow-unpinned. */
  pinned: boolean;
  /** Every problem verifyPacket found (empty when verified). */
  problems: string[];
  evidenceKeySha256: string | null;
  startedAt: string | null;
  endedAt: string | null;
  events: number;
  /** ISO time, or RETENTION_UNKNOWN. */
  retainUntil: string;
  /** What the retention date was computed from. */
  retainBasis: string;
}

export interface IndexRow {
  ceremonyId: string;
  scriptId: string;
  seq: number;
  stepId: string;
  stepNumber: number | null;
  time: string;
  /** The actor's name without the role suffix the journal adds; 'system' for the system. */
  person: string;
  /** Role id from the participants' check-in record (or the actor's role suffix); 'system' for the system. */
  role: string;
  roleTitle: string;
  /** What the entry records, in words. */
  action: string;
  /** Entry type, plus the operation, event name or deviation action, as the journal writes them. */
  entry: string;
  result: string;
  /** steps/NN-<id>.pdf when the entry's step has a page in the packet, else journal.jsonl. */
  evidenceFile: string;
  entryHash: string;
  verified: boolean;
  pinned: boolean;
  rehearsal: boolean;
}

export interface ComplianceRow {
  ceremonyId: string;
  requirement: string;
  source: string;
  text: string;
  status: ComplianceStatus;
  evidenceFiles: string[];
  journalSeqs: number[];
  note: string;
  verified: boolean;
  pinned: boolean;
  rehearsal: boolean;
}

export interface PacketIndex {
  summary: CeremonySummary;
  events: IndexRow[];
  compliance: ComplianceRow[];
}

export interface Requirement {
  id: string;
  source: string;
  text: string;
}
