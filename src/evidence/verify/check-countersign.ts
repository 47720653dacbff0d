// Two rules about the end of the record. `countersign`: the officers who checked in by token signed the entry
// that ended the ceremony (its hash is the head on the paper log), the roster's threshold of distinct active
// officers, each signature verified with their enrolled 9a certificate over the statement recomputed from
// the journal. A completed ceremony that started with a roster must carry it;
// without it, the whole record rests on the evidence key, which any two PIN-half holders can activate.
// `after the end`: past the closing entry, the journal holds only what finishing a packet writes (the
// countersign, token logins, the aborted step's page, a pause, the seal); any other entry is FAILED.
// Completed ceremonies, and ceremonies aborted after the check-in, both need it. Pure; returns problems and notes.
import { checkCountersignature, countersignDigest, countersignThreshold, COUNTERSIGN_EVENT, COUNTERSIGN_TYPE, type CountersignStatement } from '../../custody/countersign.js';
import type { CeremonyRef } from '../../custody/quorum.js';
import type { RosterBody } from '../../custody/roster.types.js';
import { canonicalJson } from '../../record/canonical-json.js';
import type { JournalEntry } from '../../record/journal.js';
import { CEREMONY_STEP } from '../../record/ledger.js';
import { isObject, short, str } from '../json-shape.js';

const COUNTERSIGN_EVENTS = new Set<string>([...Object.values(COUNTERSIGN_EVENT), 'piv-pin-refused']);
/** Activating the token to sign what is left (the aborted step's page, the packet): under that step's name. */
const TOKEN_EVENTS = new Set<string>(['hsm-login', 'hsm-login-refused']);

/** What finishing a packet may write after the closing entry. */
function finishing(e: JournalEntry): boolean {
  if (e.type === 'ceremony.sealed' || e.type === 'ceremony.paused') return true;
  const what = str(e.data.what) ?? '';
  if (e.type === 'step.event') return TOKEN_EVENTS.has(what) || (e.step === CEREMONY_STEP && COUNTERSIGN_EVENTS.has(what));
  const op = str(e.data.op);
  return (e.type === 'intent' || e.type === 'result') && op !== undefined && (op.startsWith('evidence:') || op.startsWith('seal:'));
}

/** The token the evidence key is on: the evidence token it was proven on, or the ceremony's own. */
function evidenceKeyToken(entries: readonly JournalEntry[]): string | undefined {
  const cert = entries.find((e) => e.type === 'result' && e.data.op === 'evidence.certificate' && e.data.ok === true);
  const token = cert && isObject(cert.data.output) ? str(cert.data.output.token) : undefined;
  if (token !== undefined) return token;
  const site = entries[0]?.data.site;
  return isObject(site) ? str(site.tokenLabel) : undefined;
}

export interface CountersignInput {
  entries: readonly JournalEntry[];
  ref: CeremonyRef;
  /** The roster the ceremony started with, if any. */
  roster: RosterBody | undefined;
  /** Officers whose token check-in verified: id -> role. */
  checkedIn: ReadonlyMap<string, string>;
  headPinned: boolean;
}

export function checkCountersign(input: CountersignInput): { problems: string[]; notes: string[]; countersigned?: boolean } {
  const { entries, roster, checkedIn } = input;
  const problems: string[] = [];
  const notes: string[] = [];
  const finalAt = entries.findIndex((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted');
  if (finalAt < 0) return { problems, notes };
  const final = entries[finalAt];
  const after = entries.slice(finalAt + 1);
  after.forEach((e, k) => {
    if (!finishing(e)) problems.push(`after the end: line ${finalAt + k + 2}: ${e.type}${str(e.data.what) ? ` ${str(e.data.what)}` : ''}${str(e.data.op) ? ` ${str(e.data.op)}` : ''} (step ${e.step ?? '-'}) recorded after the ceremony ended (line ${finalAt + 1})`);
  });
  const pin = input.headPinned ? ' (the journal head is pinned by --head)' : ': pin the journal head written on the paper log with --head';
  const completed = final.type === 'ceremony.completed';
  if (!roster) {
    notes.push(`no officers checked in by token to countersign the record: it rests on the evidence key${pin}`);
    return { problems, notes };
  }
  // A ceremony that started with a roster has officers who check in by token (validate requires it): a record
  // without any is one whose check-ins were taken out, and the countersignature with them. Only an abort before
  // the check-in completed has nobody to countersign it; that record rests on the evidence key and the paper.
  if (checkedIn.size === 0 && !completed) {
    notes.push(`the ceremony ended before any officer checked in by token: the abort rests on the evidence key${pin}`);
    return { problems, notes };
  }
  const threshold = countersignThreshold(roster);
  const short_ = (m: string) => problems.push(`countersign: ${m}`);
  const events = (what: string) => after.filter((e) => e.type === 'step.event' && e.step === CEREMONY_STEP && e.data.what === what);
  const statements = events(COUNTERSIGN_EVENT.statement);
  if (statements.length !== 1) {
    short_(statements.length === 0 ? `the officers did not countersign the record (no countersign statement after line ${finalAt + 1})` : `${statements.length} countersign statements, expected one`);
    return { problems, notes };
  }
  const statementAt = entries.indexOf(statements[0]);
  const recorded = statements[0].data.statement;
  const nonce = isObject(recorded) ? str(recorded.nonce) : undefined;
  const statement: CountersignStatement = {
    type: COUNTERSIGN_TYPE,
    ceremony: input.ref,
    outcome: completed ? 'completed' : 'aborted',
    journal_head: final.hash,
    entries: finalAt + 1,
    record_head: entries[statementAt - 1].hash,
    record_entries: statementAt,
    nonce: nonce ?? '',
  };
  // Past the statement, only the countersign itself and the seal (with the login to the token the evidence key
  // is on, should the seal need one): a page, a login to another token or anything else recorded there is not
  // covered by the officers' signatures.
  const sealToken = evidenceKeyToken(entries);
  entries.slice(statementAt + 1).forEach((e, k) => {
    if (!finishing(e)) return; // already named by the after-the-end rule
    const what = str(e.data.what) ?? '';
    const where = `after the end: line ${statementAt + k + 2}`;
    const covered = `recorded after the officers' countersign statement (line ${statementAt + 1}), which does not cover it`;
    if (e.type === 'step.event' && TOKEN_EVENTS.has(what)) {
      if (e.step !== CEREMONY_STEP || str(e.data.token) !== sealToken) problems.push(`${where}: ${what} to token ${JSON.stringify(str(e.data.token) ?? '')} (step ${e.step ?? '-'}) ${covered}; only the evidence key's token may be activated to seal`);
      return;
    }
    if ((str(e.data.op) ?? '').startsWith('evidence:')) problems.push(`${where}: ${e.type} ${str(e.data.op)} ${covered}`);
  });
  if (!nonce || canonicalJson(recorded) !== canonicalJson(statement)) {
    short_(`the countersign statement is not the one recomputed from the journal (ceremony, outcome, head ${short(final.hash)} at line ${finalAt + 1}, record up to line ${statementAt})`);
    return { problems, notes };
  }
  const signedBy: string[] = [];
  const names: string[] = [];
  for (const e of events(COUNTERSIGN_EVENT.signed)) {
    const device = str(e.data.device) ?? '(none)';
    const check = checkCountersignature(roster, statement, { device_serial: device, statement_sha256: str(e.data.statement_sha256) ?? '', signature: str(e.data.signature) ?? '' }, { checkedIn, signedBy });
    if (!check.ok) {
      problems.push(`countersign: by device ${device}: ${check.reason}`);
      continue;
    }
    if (e.data.officer !== check.officer.id || e.data.name !== check.officer.name) {
      problems.push(`countersign: by device ${device}: recorded as ${JSON.stringify(e.data.name ?? null)}, the roster gives it to ${check.officer.name}`);
      continue;
    }
    signedBy.push(check.officer.id);
    names.push(check.officer.name);
  }
  if (signedBy.length < threshold) short_(`${signedBy.length} of the roster's ${threshold} officers countersigned the record${names.length > 0 ? ` (${names.join(', ')})` : ''}`);
  else notes.push(`countersign: ${signedBy.length} officers countersigned the ${completed ? 'record' : 'abort'} at its closing entry, line ${finalAt + 1} (${names.join(', ')}; statement ${short(countersignDigest(statement))})`);
  return { problems, notes, countersigned: problems.length === 0 && signedBy.length >= threshold };
}
