// The officers present countersign the record when the ceremony ends, completed or aborted: each picks their
// token, reads the journal head's six words, and their 9a key signs a statement of the ceremony, its outcome
// and the hash of the entry that ended it (the head on the paper log). Until the roster's threshold of
// distinct officers has signed, the officers checked in by token are asked in turn (the roster's signing
// role first). Resumable: after a crash or a pause the statement and the signatures already made are kept,
// and only those not yet asked are asked. Everything is journaled under the ceremony's own step, after the
// closing entry and after the aborted step's page, which the statement covers too; the seal follows. A completed ceremony short of the threshold is sealed as it is and verify
// reports the record not countersigned: the packet never claims more than the officers signed.
import { randomBytes } from 'node:crypto';
import { isOfficiantError } from '../errors.js';
import { checkCountersignature, countersignBytes, countersignDigest, countersignThreshold, COUNTERSIGN_EVENT, COUNTERSIGN_TYPE, type CountersignStatement } from '../custody/countersign.js';
import { statementWords } from '../custody/quorum.js';
import type { RosterBody } from '../custody/roster.types.js';
import type { JournalEntry } from '../record/journal.js';
import { CEREMONY_STEP, finalEntry } from '../record/ledger.js';
import type { Step } from '../script/schema.js';
import type { CeremonyCore } from './ceremony-core.types.js';
import { isHalting } from './failure.js';
import { deviceChoices, signWithPin } from './piv-officer.js';
import type { Person } from './ports.js';
import { createStepContext } from './step-context.js';

/** The countersign's events after the closing entry. */
function eventsAfterEnd(entries: readonly JournalEntry[], final: JournalEntry): (what: string) => JournalEntry[] {
  const after = entries.slice(entries.indexOf(final) + 1);
  return (what) => after.filter((e) => e.type === 'step.event' && e.step === CEREMONY_STEP && e.data.what === what);
}

/** Officers checked in by token, the roster's signing role first. */
function signersInOrder(c: CeremonyCore, roster: RosterBody): Person[] {
  const officers = c.people().filter((p) => p.officer !== undefined && p.device !== undefined);
  const role = roster.signing_policy.role;
  return [...officers.filter((p) => p.role === role), ...officers.filter((p) => p.role !== role)];
}

export async function countersignRecord(c: CeremonyCore): Promise<void> {
  const roster = c.deps.roster?.body;
  const final = finalEntry(c.entries);
  if (!roster || !final || !c.deps.piv) return;
  const events = eventsAfterEnd(c.entries, final);
  if (events(COUNTERSIGN_EVENT.closed).length > 0) return;
  const signers = signersInOrder(c, roster);
  if (signers.length === 0) return; // ended before anyone checked in by token
  const threshold = countersignThreshold(roster);
  // The shared PIV signing (piv-officer.ts) works in a step's context: this one is the ceremony's own step, so
  // its events and PIN refusals are journaled under it, after the closing entry.
  const checkIn = c.deps.script.steps.find((s) => s.kind === 'participants.check-in') ?? c.deps.script.steps[0];
  const closing = { ...checkIn, id: CEREMONY_STEP, title: 'Officers countersign the record' } as Step;
  const ctx = createStepContext(c, closing, c.deps.script.steps.length);
  const { prompter } = c.deps;

  let statement = events(COUNTERSIGN_EVENT.statement)[0]?.data.statement as unknown as CountersignStatement | undefined;
  if (!statement) {
    const outcome = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
    const last = c.entries[c.entries.length - 1];
    statement = {
      type: COUNTERSIGN_TYPE,
      ceremony: ctx.ceremonyRef(),
      outcome,
      journal_head: final.hash,
      entries: c.entries.indexOf(final) + 1,
      record_head: last.hash,
      record_entries: c.entries.length,
      nonce: randomBytes(16).toString('hex'),
    };
    ctx.event(COUNTERSIGN_EVENT.statement, { statement: statement as never, sha256: countersignDigest(statement) });
  }
  const digest = countersignDigest(statement);
  const words = statementWords(statement.journal_head).join(' ');
  prompter.say('');
  prompter.say(`  Officers countersign the record of this ${statement.outcome === 'completed' ? 'completed' : 'aborted'} ceremony: ${threshold} of them sign its journal head with their tokens.`);
  prompter.say(`  Journal head (write it on the paper log): ${statement.journal_head}`);
  prompter.say(`  Everyone reads these words aloud and compares them with the screen: ${words}`);

  const checkedIn = new Map(c.people().filter((p) => p.officer !== undefined).map((p) => [p.officer!, p.role]));
  const signedBy = events(COUNTERSIGN_EVENT.signed).map((e) => String(e.data.officer));
  const asked = new Set([COUNTERSIGN_EVENT.signed, COUNTERSIGN_EVENT.refused, COUNTERSIGN_EVENT.declined].flatMap((w) => events(w).map((e) => String(e.data.for))));
  let k = asked.size;
  for (const person of signers) {
    if (signedBy.length >= threshold) break;
    if (asked.has(person.name)) continue;
    k += 1;
    const serial = await prompter.chooseDevice(
      { stepId: CEREMONY_STEP, id: `countersign-${k}`, message: `Countersignature ${signedBy.length + 1} of ${threshold}: ${person.name}`, suggested: person.device },
      deviceChoices(ctx, roster),
    );
    const owner = roster.officers.find((o) => o.device.serial === serial);
    const signer = (owner && c.people().find((p) => p.officer === owner.id)) ?? person;
    const base = { for: person.name, device: serial, statement_sha256: digest };
    const refuse = (reason: string) => {
      ctx.event(COUNTERSIGN_EVENT.refused, { ...base, reason }, signer);
      prompter.say(`  refused: ${reason}`);
    };
    const early = !owner ? `device ${serial} is not on the roster` : !checkedIn.has(owner.id) ? `${owner.name} (device ${serial}) is not checked in to this ceremony` : signedBy.includes(owner.id) ? `${owner.name} has already countersigned` : undefined;
    if (early) {
      refuse(early);
      continue;
    }
    const yes = await prompter.confirm(signer, `Countersign the record, journal head words "${words}"?`, { stepId: CEREMONY_STEP });
    if (!yes) {
      ctx.event(COUNTERSIGN_EVENT.declined, base, signer);
      prompter.say(`  ${signer.name} declined to countersign`);
      continue;
    }
    let signature: string;
    try {
      [signature] = await signWithPin(ctx, signer, serial, [countersignBytes(statement)]);
    } catch (err) {
      if (isHalting(err) || isOfficiantError(err, 'interrupt.paused')) throw err;
      refuse(isOfficiantError(err) ? err.message : 'the token could not sign');
      continue;
    }
    const check = checkCountersignature(roster, statement, { device_serial: serial, statement_sha256: digest, signature }, { checkedIn, signedBy });
    if (!check.ok) {
      refuse(check.reason);
      continue;
    }
    signedBy.push(check.officer.id);
    ctx.event(COUNTERSIGN_EVENT.signed, { ...base, signature, officer: check.officer.id, name: check.officer.name }, signer);
    prompter.say(`  countersignature ${signedBy.length} of ${threshold}: ${check.officer.name}, device ${serial}, signature verified`);
  }
  const met = signedBy.length >= threshold;
  ctx.event(COUNTERSIGN_EVENT.closed, { signed: signedBy.length, threshold, met });
  prompter.say(
    met
      ? `  the record is countersigned by ${signedBy.length} officers`
      : `  the record is NOT countersigned: ${signedBy.length} of ${threshold} officers signed; the packet is sealed as it is and verify will report it`,
  );
}
