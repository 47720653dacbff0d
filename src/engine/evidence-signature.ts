// The evidence key and the signatures it makes. Once evidence.init-key (or evidence.use-key) has journaled the
// key's certificate, every later page, the packet and the manifest are signed inside the HSM with it: through
// the site token's user session, or the evidence token's when the key lives there; before that, nothing is
// signed. The journal, not the token, says whether the key exists.
import { p1363ToDer } from '../evidence/cms.js';
import { EVIDENCE_CERT_OP } from '../evidence/packet-files.js';
import type { PdfSignature } from '../evidence/sign-pdf.js';
import { pemToDer } from '../custody/pem.js';
import type { JournalEntry } from '../record/journal.js';
import { effectOutputs } from '../record/ledger.js';
import type { CeremonyCore } from './ceremony-core.types.js';

export interface EvidenceKeyRecord {
  label: string;
  id: string;
  algorithm: string;
  pem: string;
  sha256: string;
  subject: string;
  /** Set when the key lives on the site's evidence token (evidence.use-key): its label. */
  token?: string;
  /** With token: the SHA-256 of the public key the token reported for it. */
  spkiSha256?: string;
}

/** The evidence key's certificate, once evidence.init-key has made it (from the journal). */
export function evidenceKey(entries: readonly JournalEntry[]): EvidenceKeyRecord | undefined {
  return effectOutputs(entries, EVIDENCE_CERT_OP)[0] as unknown as EvidenceKeyRecord | undefined;
}

/** The session the evidence key signs in: the evidence token's, or the site token's. */
export function evidenceKeySession(c: CeremonyCore, key: EvidenceKeyRecord, stepId: string) {
  return key.token !== undefined ? c.evidenceSession(stepId) : c.session(stepId);
}

/** A PDF signature by the evidence key, or undefined while the ceremony has none. */
export async function evidenceSignature(c: CeremonyCore, stepId: string, reason: string): Promise<PdfSignature | undefined> {
  const key = evidenceKey(c.entries);
  if (!key) return undefined;
  const session = await evidenceKeySession(c, key, stepId);
  const hash = key.algorithm === 'EC-P384' ? 'SHA-384' : 'SHA-256';
  return {
    key: { certificate: pemToDer(key.pem), hash, sign: async (data) => p1363ToDer(session.sign({ label: key.label, id: key.id }, data, hash)) },
    name: `Officiant evidence key ${key.sha256.slice(0, 16)}`,
    reason,
    location: `${c.deps.site?.tokenLabel ?? 'no HSM'}${c.deps.rehearsal ? ' (rehearsal)' : ''}`,
    signingTime: c.deps.clock.now(),
  };
}
