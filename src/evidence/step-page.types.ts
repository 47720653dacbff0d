// What a step's evidence page shows. Built by the engine from the journal (never from memory alone), rendered
// by evidence/render-step-page.ts. Contains no secrets: only names, roles, times, public data and hashes.

export interface PagePerson {
  name: string;
  role: string;
  roleTitle: string;
}

export interface PageJournalEntry {
  seq: number;
  time: string;
  type: string;
  actor: string;
  summary: string;
  hash: string;
}

export interface StepPage {
  rehearsal: boolean;
  ceremony: { id: string; title: string; version: number; authority: string; scriptSha256: string; ceremonyId: string };
  step: { number: number; total: number; id: string; kind: string; title: string; instructions: string };
  performedBy: PagePerson[];
  witnessedBy: PagePerson[];
  signedOffBy: PagePerson[];
  startedAt: string;
  endedAt: string;
  outcome: 'completed' | 'failed' | 'aborted';
  /** SHA-256 hash of the journal entry that ended the step (step.completed, or the abort): the page's binding to the journal. */
  anchor?: string;
  token?: { label: string; manufacturer: string; model: string; serial: string; firmwareVersion: string; hardwareVersion: string };
  /** Ordered label/value rows: key attributes, fingerprints, recorded values, check-in list. */
  results: Array<{ label: string; value: string }>;
  /** Files written by the step, relative to the output directory. */
  outputs: Array<{ path: string; sha256: string; bytes: number }>;
  deviations: Array<{ time: string; by: string; reason: string }>;
  journal: PageJournalEntry[];
  /** Fixed texts from templates/ (footer, legal wording). */
  footer: string;
  /** The evidence chain: the previous step page's SHA-256 and how this page is signed. */
  chain?: { previousPageSha256: string | null; signer: string | null; note: string };
}
