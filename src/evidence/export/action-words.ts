// The index's `action` column in words an auditor reads ("approved with their token"), one table per kind of
// journal entry; the raw entry (type plus operation or event) stays in the `journal entry` column beside it.
// Anything the tables do not know is said with its own name, dashes as spaces, never dropped.
import type { JournalEntry } from '../../record/journal.js';

const ENTRY_WORDS: Record<string, string> = {
  'ceremony.started': 'ceremony started',
  'ceremony.resumed': 'ceremony resumed',
  'ceremony.paused': 'ceremony paused',
  'ceremony.completed': 'ceremony completed (closing entry)',
  'ceremony.aborted': 'ceremony aborted (closing entry)',
  'ceremony.sealed': 'evidence packet sealed',
  'step.started': 'step started',
  'step.completed': 'step completed',
  'step.failed': 'step failed',
  'journal.repaired': 'journal repaired after a crash',
};

const EVENT_WORDS: Record<string, string> = {
  participants: 'participants listed',
  'check-in': 'checked in with their token',
  'check-in-refused': 'check-in refused',
  'pin-holders': 'PIN halves assigned',
  'hsm-login': 'HSM token activated with two PIN halves',
  'hsm-login-refused': 'HSM token activation refused',
  'hsm-so-login': 'HSM security officer login with two PIN halves',
  'hsm-so-login-refused': 'HSM security officer login refused',
  'piv-pin-refused': 'PIV PIN refused',
  'sign-off': 'signed off the step',
  confirmed: 'confirmed the step was done as written',
  recorded: 'typed a value for the record',
  'approval-statement': 'approval statement shown, its words read aloud',
  approval: 'approved with their token',
  'approval-refused': 'approval refused',
  'approval-declined': 'declined to approve',
  'countersign-statement': 'countersign statement shown, the journal head read aloud',
  countersignature: 'countersigned the record with their token',
  'countersign-refused': 'countersignature refused',
  'countersign-declined': 'declined to countersign',
  'countersign-closed': 'countersigning ended',
  'share-receipt': 'opened their share and signed a receipt',
  'share-refused': 'share refused',
  'custodian-absent': 'custodian recorded absent',
  'officer-revoked': 'officer revoked',
  'roster-draft': 'roster drafted',
  'abort-cleanup-failed': 'clean-up after the abort failed',
};

const OP_WORDS: Array<[RegExp, string]> = [
  [/^hsm\.generate-key$/, 'generate a key in the HSM'],
  [/^hsm\.init-token$/, 'initialise the HSM token'],
  [/^evidence\.certificate$/, 'make the evidence key certificate'],
  [/^evidence:/, 'write and sign the step evidence page'],
  [/^seal:/, 'write and sign the sealed packet'],
  [/^write:(.*)$/, 'write $1'],
];

function words(name: string): string {
  return name.replace(/[-_.]/g, ' ');
}

function opWords(op: string): string {
  for (const [re, w] of OP_WORDS) if (re.test(op)) return w.includes('$') ? op.replace(re, w) : w;
  return words(op);
}

/** What the entry records, in words. */
export function actionInWords(e: JournalEntry): string {
  const d = e.data;
  if ((e.type === 'intent' || e.type === 'result' || e.type === 'reconciled') && typeof d.op === 'string') {
    return `${e.type === 'intent' ? 'about to' : e.type === 'reconciled' ? 'checked after a crash' : 'done'}: ${opWords(d.op)}`;
  }
  if (e.type === 'step.event' && typeof d.what === 'string') return EVENT_WORDS[d.what] ?? words(d.what);
  if (e.type === 'deviation') return d.action === 'retry' ? 'decided to retry the failed step (deviation)' : `deviation: ${words(String(d.action ?? ''))}`;
  if (e.type === 'step.started' && typeof d.kind === 'string') return `step started (${d.kind})`;
  return ENTRY_WORDS[e.type] ?? words(e.type);
}
