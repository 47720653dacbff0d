// verifyCeremonyIdentity over journals written the way the runner writes them (participants.check-in,
// quorum.approve), with real officers' keys from test/helpers/roster-fixture.ts: the honest record passes, and
// each case changes one thing a faulty runner or an editor of the journal could, asserting the exact problems.
import { createHash, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryHash, GENESIS, type EntryType, type JournalEntry, type JsonObject } from '../../../src/record/journal.js';
import { statementBytes, statementDigest, statementWords, subjectOfStep, type ApprovalStatement, type CeremonyRef, type CheckInChallenge } from '../../../src/custody/quorum.js';
import { verifyCeremonyIdentity } from '../../../src/evidence/verify-approvals.js';
import { countersignBytes, countersignDigest, type CountersignStatement } from '../../../src/custody/countersign.js';
import { verifyPacket } from '../../../src/evidence/verify-packet.js';
import { parseScript } from '../../../src/script/rules.js';
import { createOfficer, createRosterBody, createRosterFile, createRosterWorld, type TestOfficer } from '../../helpers/roster-fixture.js';

const SCRIPT = `
id: approval-drill
title: Approval drill
version: 1
authority: manifest
roles:
  crypto-officer:
    title: Crypto Officer
    people: 3
    identity: piv
  witness:
    title: Witness
    people: 1
steps:
  - id: check-in
    kind: participants.check-in
    title: Check in
    instructions: Everyone checks in; officers with their tokens.
    perform: witness
  - id: approve-seal
    kind: quorum.approve
    title: Approve the seal
    instructions: Officers approve sealing the bag.
    perform: crypto-officer
    witness: [witness]
    on_failure: retry
    params: { role: crypto-officer, threshold: 2, approve: seal }
  - id: seal
    kind: manual.confirm
    title: Seal the bag
    instructions: The witness seals the bag.
    perform: witness
    params:
      confirm_by: witness
  - id: approve-record
    kind: quorum.approve
    title: Approve the record
    instructions: Officers approve the ceremony record so far.
    perform: crypto-officer
    witness: [witness]
    params: { role: crypto-officer, threshold: 2, approve: record }
`;

const parsed = parseScript('approval-drill.yaml', SCRIPT);
if (!parsed.script) throw new Error(`test script does not parse: ${JSON.stringify(parsed.errors)}`);
const script = parsed.script;
const scriptSha256 = createHash('sha256').update(SCRIPT).digest('hex');

const world = await createRosterWorld({ officers: 0 });
const alice = await createOfficer({ id: 'alice', name: 'Alice Adams', serial: '20000001' }, world);
const bob = await createOfficer({ id: 'bob', name: 'Bob Brown', serial: '20000002' }, world);
const carol = await createOfficer({ id: 'carol', name: 'Carol Clark', serial: '20000003' }, world);
// On the roster and a crypto officer, but not at this ceremony.
const dave = await createOfficer({ id: 'dave', name: 'Dave Dunn', serial: '20000004' }, world);
const roster = createRosterBody(world, {}, [alice, bob, carol, dave]);

const hex = () => randomBytes(16).toString('hex');
const sig = (key: KeyObject | undefined, s: ApprovalStatement | CheckInChallenge) => sign('sha256', statementBytes(s), key!).toString('base64');
const json = (x: unknown) => x as JsonObject;

/** A journal being written: entries hash-chained as the runner chains them. */
class JournalWriter {
  readonly entries: JournalEntry[] = [];
  get head(): string {
    return this.entries.length === 0 ? GENESIS : this.entries[this.entries.length - 1].hash;
  }
  add(type: EntryType, step: string | undefined, data: object, actor = 'system'): JournalEntry {
    const base = { seq: this.entries.length + 1, time: new Date(Date.UTC(2025, 5, 1, 10, 0, this.entries.length)).toISOString(), type, actor, step, data: json(data), prev: this.head };
    const e: JournalEntry = { ...base, hash: entryHash(base) };
    this.entries.push(e);
    return e;
  }
}

interface Options {
  /** Who checks in by token (default Alice, Bob, Carol). */
  checkIns?: TestOfficer[];
  /** The key each check-in is signed with (default the officer's own 9a key). */
  checkInKey?: (o: TestOfficer) => KeyObject | undefined;
  /** Changes a check-in challenge before it is signed and journaled. */
  checkInChallenge?: (o: TestOfficer, c: CheckInChallenge) => CheckInChallenge;
  /** Officers on the participants list (default Alice, Bob, Carol). */
  participants?: TestOfficer[];
  sealApprovers?: TestOfficer[];
  recordApprovers?: TestOfficer[];
  /** approve-seal fails once (Alice approves, Bob declines), is retried after a deviation and approved again. */
  retrySeal?: boolean;
  /** In the retried attempt, Alice's approval of the first statement is journaled again instead of a new one. */
  staleCounted?: boolean;
  /** Changes the approve-seal statement before it is journaled and signed. */
  sealStatement?: (s: ApprovalStatement) => ApprovalStatement;
  /** The seal step starts before approve-seal completes. */
  sealStartsEarly?: boolean;
  /** Replaces fields of the ceremony.started entry (mode, roster, piv). */
  started?: object;
  /** Who countersigns the closing entry (default Alice and Bob: the roster's threshold is 2). */
  countersigners?: TestOfficer[];
  /** Changes the countersign statement before it is journaled and signed. */
  countersign?: (s: CountersignStatement) => CountersignStatement;
  /** Entries the runner would never write after the closing entry. */
  afterEnd?: (r: JournalWriter) => void;
  /** Entries written after the countersign statement. */
  afterStatement?: (r: JournalWriter) => void;
}

interface Made {
  entries: JournalEntry[];
  ref: CeremonyRef;
  /** The statements as journaled, by step id (the last attempt's). */
  statements: Map<string, ApprovalStatement>;
  firstSealStatement?: ApprovalStatement;
}

function approvalData(o: TestOfficer, s: ApprovalStatement) {
  const digest = statementDigest(s);
  const { officer } = o;
  return { what: 'approval', for: officer.name, device: officer.device.serial, nonce: s.nonce, statement_sha256: digest, signature: sig(o.keys['9a'], s), officer: officer.id, name: officer.name, certificate_sha256: officer.keys['9a']!.certificate_sha256 };
}

function ceremony(opts: Options = {}): Made {
  const r = new JournalWriter();
  const ceremonyId = randomUUID();
  r.add('ceremony.started', 'ceremony', { ceremonyId, scriptId: script.id, scriptSha256, mode: 'rehearsal', roster: { file_sha256: 'cd'.repeat(32), sha256: 'ef'.repeat(32), version: 1, rehearsal: true }, piv: null, ...opts.started });
  const ref: CeremonyRef = { script_id: script.id, ceremony_id: ceremonyId, script_sha256: scriptSha256 };
  const statements = new Map<string, ApprovalStatement>();

  r.add('step.started', 'check-in', { number: 1, kind: 'participants.check-in', title: 'Check in' });
  for (const o of opts.checkIns ?? [alice, bob, carol]) {
    const honest: CheckInChallenge = { type: 'officiant-check-in/1', ceremony: ref, step: { id: 'check-in', number: 1 }, role: 'crypto-officer', nonce: hex() };
    const challenge = opts.checkInChallenge?.(o, honest) ?? honest;
    const key = opts.checkInKey?.(o) ?? o.keys['9a'];
    const { officer } = o;
    r.add('step.event', 'check-in', { what: 'check-in', role: 'crypto-officer', device: officer.device.serial, challenge, challenge_sha256: statementDigest(challenge), signature: sig(key, challenge), officer: officer.id, name: officer.name, certificate_sha256: officer.keys['9a']!.certificate_sha256 }, officer.name);
  }
  const people = [{ name: 'Wendy Witness', role: 'witness' }, ...(opts.participants ?? [alice, bob, carol]).map((o) => ({ name: o.officer.name, role: 'crypto-officer', officer: o.officer.id, device: o.officer.device.serial }))];
  r.add('step.event', 'check-in', { what: 'participants', people });
  r.add('step.completed', 'check-in', { results: [], outputs: [], token: null });

  const statementOf = (stepId: string, number: number, approve: ApprovalStatement['approve']): ApprovalStatement => ({ type: 'officiant-approval/1', ceremony: ref, step: { id: stepId, number }, role: 'crypto-officer', threshold: 2, approve, nonce: hex() });
  const journalStatement = (stepId: string, s: ApprovalStatement) => {
    const digest = statementDigest(s);
    r.add('step.event', stepId, { what: 'approval-statement', statement: s, sha256: digest, words: statementWords(digest) });
  };

  // approve-seal, possibly failing once and retried.
  const seal = script.steps.find((s) => s.id === 'seal')!;
  r.add('step.started', 'approve-seal', { number: 2, kind: 'quorum.approve', title: 'Approve the seal' });
  let first: ApprovalStatement | undefined;
  if (opts.retrySeal) {
    first = statementOf('approve-seal', 2, subjectOfStep(seal));
    journalStatement('approve-seal', first);
    r.add('step.event', 'approve-seal', approvalData(alice, first), alice.officer.name);
    r.add('step.event', 'approve-seal', { what: 'approval-declined', for: bob.officer.name, device: bob.officer.device.serial, nonce: first.nonce, statement_sha256: statementDigest(first) }, bob.officer.name);
    r.add('step.failed', 'approve-seal', { code: 'ceremony.quorum-not-met', message: 'quorum not met: 1/2 Crypto Officer approvals' });
    r.add('deviation', 'approve-seal', { action: 'retry', reason: 'Bob misread the words', failure: 'quorum not met: 1/2 Crypto Officer approvals' }, 'Wendy Witness');
    r.add('step.started', 'approve-seal', { number: 2, kind: 'quorum.approve', title: 'Approve the seal' });
  }
  const honestSeal = statementOf('approve-seal', 2, subjectOfStep(seal));
  const sealStatement = opts.sealStatement?.(honestSeal) ?? honestSeal;
  journalStatement('approve-seal', sealStatement);
  statements.set('approve-seal', sealStatement);
  for (const o of opts.sealApprovers ?? [alice, bob]) {
    const data = opts.staleCounted && first && o === alice ? approvalData(alice, first) : approvalData(o, sealStatement);
    r.add('step.event', 'approve-seal', data, o.officer.name);
  }
  if (opts.sealStartsEarly) r.add('step.started', 'seal', { number: 3, kind: 'manual.confirm', title: 'Seal the bag' });
  r.add('step.completed', 'approve-seal', { results: [], outputs: [], token: null });

  if (!opts.sealStartsEarly) r.add('step.started', 'seal', { number: 3, kind: 'manual.confirm', title: 'Seal the bag' });
  r.add('step.event', 'seal', { what: 'confirm', values: { 'bag-serial': 'A1234' } }, 'Wendy Witness');
  r.add('step.completed', 'seal', { results: [], outputs: [], token: null });

  r.add('step.started', 'approve-record', { number: 4, kind: 'quorum.approve', title: 'Approve the record' });
  const recordStatement = statementOf('approve-record', 4, { what: 'record', journal_head: r.head, entries: r.entries.length });
  journalStatement('approve-record', recordStatement);
  statements.set('approve-record', recordStatement);
  for (const o of opts.recordApprovers ?? [alice, bob]) r.add('step.event', 'approve-record', approvalData(o, recordStatement), o.officer.name);
  r.add('step.completed', 'approve-record', { results: [], outputs: [], token: null });
  const closing = r.add('ceremony.completed', 'ceremony', { steps: 4 });
  opts.afterEnd?.(r);
  const honest: CountersignStatement = { type: 'officiant-countersign/1', ceremony: ref, outcome: 'completed', journal_head: closing.hash, entries: r.entries.indexOf(closing) + 1, record_head: r.head, record_entries: r.entries.length, nonce: hex() };
  const cs = opts.countersign?.(honest) ?? honest;
  r.add('step.event', 'ceremony', { what: 'countersign-statement', statement: cs, sha256: countersignDigest(cs) });
  opts.afterStatement?.(r);
  for (const o of opts.countersigners ?? [alice, bob]) {
    const { officer } = o;
    const signature = sign('sha256', countersignBytes(cs), o.keys['9a']!).toString('base64');
    r.add('step.event', 'ceremony', { what: 'countersignature', for: officer.name, device: officer.device.serial, statement_sha256: countersignDigest(cs), signature, officer: officer.id, name: officer.name }, officer.name);
  }
  r.add('step.event', 'ceremony', { what: 'countersign-closed', signed: (opts.countersigners ?? [alice, bob]).length, threshold: 2, met: true });
  return { entries: r.entries, ref, statements, firstSealStatement: first };
}

const verify = (m: Made, r: typeof roster | undefined = roster) => {
  const { problems, notes } = verifyCeremonyIdentity({ entries: m.entries, script, roster: r });
  return { problems, notes };
};
const short = (hex: string) => `${hex.slice(0, 16)}…`;
const HONEST_NOTES = [
  'check-in: 3/3 crypto officer check-ins verified (Alice Adams, Bob Brown, Carol Clark)',
  'approve-seal: 2/2 crypto officer approvals verified (Alice Adams, Bob Brown)',
  'approve-record: 2/2 crypto officer approvals verified (Alice Adams, Bob Brown)',
];

describe('verifyCeremonyIdentity: honest records', () => {
  it('accepts the honest record and says who was verified', () => {
    expect(verify(ceremony())).toEqual({ problems: [], notes: HONEST_NOTES });
  });

  it('accepts a retried approval and notes the approvals of the first statement as not counted', () => {
    expect(verify(ceremony({ retrySeal: true }))).toEqual({
      problems: [],
      notes: [HONEST_NOTES[0], HONEST_NOTES[1], 'approve-seal: 1 approval of an earlier statement not counted (retried with a new nonce): Alice Adams (device 20000001)', HONEST_NOTES[2]],
    });
  });

  it('accepts a third approver beyond the threshold', () => {
    expect(verify(ceremony({ recordApprovers: [alice, bob, carol] })).notes).toContain('approve-record: 3/2 crypto officer approvals verified (Alice Adams, Bob Brown, Carol Clark)');
  });

  it('checks nothing for a script without token roles or approvals', () => {
    const plain = parseScript('plain.yaml', SCRIPT.replace('    identity: piv\n', '').replace(/  - id: approve-seal[\s\S]*?(?=  - id: seal)/, '').replace(/  - id: approve-record[\s\S]*$/, '')).script!;
    expect(plain.steps.map((s) => s.id)).toEqual(['check-in', 'seal']);
    expect(verifyCeremonyIdentity({ entries: [], script: plain, roster: undefined })).toEqual({ problems: [], notes: [], checkedIn: new Map() });
  });
});

interface Case {
  name: string;
  made: () => Made;
  roster?: typeof roster;
  problems: (m: Made) => string[];
}

/** The approval statement as the record journaled it, and its digest. */
const journaled = (m: Made, step: string) => statementDigest(m.statements.get(step)!);
/** The statement the verifier recomputes: the journaled one with `fix` undone. */
const recomputedDigest = (m: Made, step: string, fix: (s: ApprovalStatement) => ApprovalStatement) => statementDigest(fix(m.statements.get(step)!));

const cases: Case[] = [
  {
    name: 'no roster for a ceremony with token roles and approvals',
    made: () => ceremony(),
    roster: undefined,
    problems: () => ['no officer roster recorded, but role crypto-officer checks in by PIV token and steps approve-seal, approve-record approve by PIV token'],
  },
  {
    name: 'a missing check-in',
    made: () => ceremony({ checkIns: [alice, bob] }),
    problems: () => ['check-in: Carol Clark (device 20000003) is listed as crypto officer without an accepted check-in'],
  },
  {
    name: 'a check-in signed by another device',
    made: () => ceremony({ checkInKey: (o) => (o === carol ? alice.keys['9a'] : o.keys['9a']) }),
    problems: () => ["check-in: check-in of Carol Clark (device 20000003): the signature from device 20000003 does not verify with Carol Clark's enrolled 9a certificate"],
  },
  {
    name: "a check-in signed by another device, the approver's",
    made: () => ceremony({ checkInKey: (o) => (o === bob ? carol.keys['9a'] : o.keys['9a']) }),
    problems: () => [
      "check-in: check-in of Bob Brown (device 20000002): the signature from device 20000002 does not verify with Bob Brown's enrolled 9a certificate",
      'approve-seal: approval by Bob Brown (device 20000002): not checked in to this ceremony',
      'approve-seal: quorum not met: 1/2 crypto officer approvals verified before the step completed',
      'approve-record: approval by Bob Brown (device 20000002): not checked in to this ceremony',
      'approve-record: quorum not met: 1/2 crypto officer approvals verified before the step completed',
    ],
  },
  {
    name: "a check-in replayed from another ceremony's challenge",
    made: () => ceremony({ checkInChallenge: (o, c) => (o === carol ? { ...c, ceremony: { ...c.ceremony, ceremony_id: randomUUID() } } : c) }),
    problems: () => ['check-in: check-in of Carol Clark (device 20000003): the challenge is not the one recomputed from the script and journal (differs at ceremony.ceremony_id)'],
  },
  {
    name: 'a checked-in officer left off the participants list',
    made: () => ceremony({ participants: [alice, bob] }),
    problems: () => ['check-in: 2 crypto officer participants listed, the role needs 3', 'check-in: the check-in of Carol Clark (device 20000003) is not in the participants list'],
  },
  {
    name: 'an approval statement with changed parameters, signed as changed',
    made: () => ceremony({ sealStatement: (s) => ({ ...s, approve: { what: 'step', step: { ...(s.approve as { step: { params: object } }).step, params: { confirm_by: 'crypto-officer', record: [] } } } as ApprovalStatement['approve'] }) }),
    problems: (m) => {
      const honest = recomputedDigest(m, 'approve-seal', (s) => ({ ...s, approve: subjectOfStep(script.steps[2]) }));
      const changed = journaled(m, 'approve-seal');
      return [
        'approve-seal: the approval statement is not the one recomputed from the script and journal (differs at approve.step.params.confirm_by)',
        `approve-seal: approval by Alice Adams (device 20000001): the approval from device 20000001 is over a different statement (${short(changed)}, expected ${short(honest)})`,
        `approve-seal: approval by Bob Brown (device 20000002): the approval from device 20000002 is over a different statement (${short(changed)}, expected ${short(honest)})`,
        'approve-seal: quorum not met: 0/2 crypto officer approvals verified before the step completed',
      ];
    },
  },
  {
    name: 'an approval statement with a lower threshold than the script',
    made: () => ceremony({ sealStatement: (s) => ({ ...s, threshold: 1 }), sealApprovers: [alice] }),
    problems: (m) => [
      'approve-seal: the approval statement is not the one recomputed from the script and journal (differs at threshold)',
      `approve-seal: approval by Alice Adams (device 20000001): the approval from device 20000001 is over a different statement (${short(journaled(m, 'approve-seal'))}, expected ${short(recomputedDigest(m, 'approve-seal', (s) => ({ ...s, threshold: 2 })))})`,
      'approve-seal: quorum not met: 0/2 crypto officer approvals verified before the step completed',
    ],
  },
  {
    name: 'an approval of the previous statement (older nonce) counted after a retry',
    made: () => ceremony({ retrySeal: true, staleCounted: true }),
    problems: (m) => [
      `approve-seal: approval by Alice Adams (device 20000001): stale nonce: the approval from device 20000001 carries nonce ${m.firstSealStatement!.nonce.slice(0, 12)}…, this statement's is ${m.statements.get('approve-seal')!.nonce.slice(0, 12)}…`,
      'approve-seal: quorum not met: 1/2 crypto officer approvals verified before the step completed',
    ],
  },
  {
    name: 'threshold not met',
    made: () => ceremony({ sealApprovers: [alice] }),
    problems: () => ['approve-seal: quorum not met: 1/2 crypto officer approvals verified before the step completed'],
  },
  {
    name: 'the same officer approving twice',
    made: () => ceremony({ recordApprovers: [alice, alice] }),
    problems: () => [
      'approve-record: approval by Alice Adams (device 20000001): Alice Adams has already approved this statement: approvals count distinct people',
      'approve-record: quorum not met: 1/2 crypto officer approvals verified before the step completed',
    ],
  },
  {
    name: 'an approver who did not check in',
    made: () => ceremony({ sealApprovers: [alice, dave] }),
    problems: () => ['approve-seal: approval by Dave Dunn (device 20000004): not checked in to this ceremony', 'approve-seal: quorum not met: 1/2 crypto officer approvals verified before the step completed'],
  },
  {
    name: 'the approved step started before the approval completed',
    made: () => ceremony({ sealStartsEarly: true }),
    problems: () => ['seal: started before its approval approve-seal completed'],
  },
  {
    name: 'an entry removed before a record approval',
    made: () => {
      const m = ceremony();
      return { ...m, entries: m.entries.filter((e) => !(e.step === 'seal' && e.type === 'step.event')) };
    },
    problems: (m) => {
      const honest = recomputedDigest(m, 'approve-record', (s) => ({ ...s, approve: { ...s.approve, entries: (s.approve as { entries: number }).entries - 1 } as ApprovalStatement['approve'] }));
      const signed = journaled(m, 'approve-record');
      return [
        'approve-record: the approval statement is not the one recomputed from the script and journal (differs at approve.entries)',
        `approve-record: approval by Alice Adams (device 20000001): the approval from device 20000001 is over a different statement (${short(signed)}, expected ${short(honest)})`,
        `approve-record: approval by Bob Brown (device 20000002): the approval from device 20000002 is over a different statement (${short(signed)}, expected ${short(honest)})`,
        'approve-record: quorum not met: 0/2 crypto officer approvals verified before the step completed',
      ];
    },
  },
];

describe('verifyCeremonyIdentity: each problem named', () => {
  it.each(cases)('$name', (c) => {
    const m = c.made();
    // An explicit `roster: undefined` means no roster (a default parameter would replace it).
    const report = verifyCeremonyIdentity({ entries: m.entries, script, roster: 'roster' in c ? c.roster : roster });
    expect(report.problems).toEqual(c.problems(m));
  });
});

// verifyPacket's officers group over packet files made here: only that group is asserted (the packet has no
// pages, manifest or evidence key, which the other groups rightly fail).
describe('verifyPacket: the officers group', () => {
  const rosterFile = createRosterFile(roster, [alice, bob, carol, dave]);
  const rosterBytes = Buffer.from(JSON.stringify(rosterFile, null, 2));
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const recorded = (bytes = rosterBytes, file = rosterFile) => ({ roster: { file_sha256: sha(bytes), sha256: file.roster.payload_sha256, version: 1, rehearsal: true } });

  function packet(m: Made, extra: Record<string, Buffer | undefined> = {}): Map<string, Buffer> {
    const files = new Map<string, Buffer>([
      ['journal.jsonl', Buffer.from(m.entries.map((e) => `${JSON.stringify(e)}\n`).join(''))],
      ['script.yaml', Buffer.from(SCRIPT)],
      ['roster.json', rosterBytes],
    ]);
    for (const [path, bytes] of Object.entries(extra)) {
      if (bytes) files.set(path, bytes);
      else files.delete(path);
    }
    return files;
  }
  const officers = (files: Map<string, Buffer>) => verifyPacket(files).groups.find((g) => g.name === 'officers')!;

  it('verifies the roster copy, then every check-in and approval against it', () => {
    const group = officers(packet(ceremony({ started: recorded() })));
    expect(group.problems).toEqual([]);
    expect(group.ok).toBe(true);
    expect(group.notes).toEqual([
      'roster.json: rehearsal roster: simulated devices, for rehearsals only',
      `roster.json: roster version 1 (sha256 ${rosterFile.roster.payload_sha256}), 4 officers, verified`,
      `roster not pinned: compare ${rosterFile.roster.payload_sha256} with the roster you hold, or pass --roster`,
      ...HONEST_NOTES.map((n) => `journal.jsonl: ${n}`),
      expect.stringMatching(/^journal\.jsonl: countersign: 2 officers countersigned the record at its closing entry, line 21 \(Alice Adams, Bob Brown; statement [0-9a-f]{16}…\)$/),
    ]);
  });

  describe('the countersignature of the closing entry (table: one change each, the exact problem)', () => {
    const problemsOf = (o: Options) => officers(packet(ceremony({ started: recorded(), ...o }))).problems;
    it.each<[string, Options, string[]]>([
      ['one officer short of the roster\'s threshold', { countersigners: [alice] }, ["journal.jsonl: countersign: 1 of the roster's 2 officers countersigned the record (Alice Adams)"]],
      ['nobody countersigned', { countersigners: [] }, ["journal.jsonl: countersign: 0 of the roster's 2 officers countersigned the record"]],
      ['an officer on the roster who was not at the ceremony', { countersigners: [alice, dave] }, [
        'journal.jsonl: countersign: by device 20000004: Dave Dunn (device 20000004) is not checked in to this ceremony',
        "journal.jsonl: countersign: 1 of the roster's 2 officers countersigned the record (Alice Adams)",
      ]],
      ['the same officer twice', { countersigners: [alice, alice] }, [
        'journal.jsonl: countersign: by device 20000001: Alice Adams has already countersigned: countersignatures count distinct people',
        "journal.jsonl: countersign: 1 of the roster's 2 officers countersigned the record (Alice Adams)",
      ]],
      ['a statement of another head', { countersign: (s) => ({ ...s, journal_head: 'ab'.repeat(32) }) }, [expect.stringMatching(/^journal\.jsonl: countersign: the countersign statement is not the one recomputed from the journal \(ceremony, outcome, head [0-9a-f]{16}… at line 21, record up to line 21\)$/) as unknown as string]],
      ['a statement that says aborted', { countersign: (s) => ({ ...s, outcome: 'aborted' }) }, [expect.stringMatching(/countersign statement is not the one recomputed/) as unknown as string]],
      ['a page recorded after the countersign statement, which does not cover it', { afterStatement: (r) => r.add('intent', 'seal', { op: 'evidence:steps/03-seal.pdf:completed:signed' }) }, [
        "journal.jsonl: after the end: line 23: intent evidence:steps/03-seal.pdf:completed:signed recorded after the officers' countersign statement (line 22), which does not cover it",
      ]],
      ['an entry after the end the runner never writes', { afterEnd: (r) => r.add('step.event', 'seal', { what: 'confirm', values: { 'bag-serial': 'B9999' } }, 'Wendy Witness') }, [
        'journal.jsonl: after the end: line 22: step.event confirm (step seal) recorded after the ceremony ended (line 21)',
      ]],
    ])('%s', (_name, o, expected) => {
      expect(problemsOf(o)).toEqual(expected);
    });

    it('a record whose token check-ins were taken out still needs the countersignature: the roster says officers were due', () => {
      expect(problemsOf({ checkIns: [], participants: [], countersigners: [] })).toContain("journal.jsonl: countersign: 0 of the roster's 2 officers countersigned the record");
    });

    it('what finishing a packet writes after the end is accepted: a token login, a page, a pause, the seal', () => {
      const afterEnd = (r: JournalWriter) => {
        r.add('ceremony.paused', undefined, { reason: 'paused by the operator', code: 'interrupt.paused' });
        r.add('step.event', 'ceremony', { what: 'hsm-login', token: 'T', serial: '1', by: ['Alice Adams', 'Bob Brown'] }, 'Alice Adams');
        r.add('intent', 'ceremony', { op: 'seal:packet.pdf' });
      };
      expect(problemsOf({ afterEnd })).toEqual([]);
    });
  });

  it('fails a packet whose approvals do not hold, naming the journal', () => {
    expect(officers(packet(ceremony({ started: recorded(), sealApprovers: [alice] }))).problems).toEqual([
      'journal.jsonl: approve-seal: quorum not met: 1/2 crypto officer approvals verified before the step completed',
    ]);
  });

  it('fails a roster copy that is not the one the ceremony started with', () => {
    const other = createRosterFile(createRosterBody(world, {}, [alice, bob, carol]), [alice, bob, carol]);
    const otherBytes = Buffer.from(JSON.stringify(other));
    const m = ceremony({ started: recorded() });
    expect(officers(packet(m, { 'roster.json': otherBytes })).problems).toEqual([
      `roster.json: SHA-256 ${short(sha(otherBytes))} is not the ${short(sha(rosterBytes))} recorded when the ceremony started (journal.jsonl line 1)`,
      `roster.json: roster sha256 ${short(other.roster.payload_sha256)} is not the ${short(rosterFile.roster.payload_sha256)} recorded when the ceremony started (journal.jsonl line 1)`,
    ]);
  });

  it('fails a missing roster copy and does not verify approvals without it', () => {
    expect(officers(packet(ceremony({ started: recorded() }), { 'roster.json': undefined })).problems).toEqual([
      'roster.json: missing (the ceremony started with roster version 1, journal.jsonl line 1)',
      "journal.jsonl: check-ins and approvals not verified: the ceremony's roster (roster.json) cannot be read",
    ]);
  });

  it('--roster cannot be met by a ceremony with token roles that recorded no starting roster (a roster carried only as an output)', () => {
    const files = packet(ceremony({ started: { roster: null } }), { 'roster.json': undefined, 'outputs/roster.json': rosterBytes });
    const group = verifyPacket(files, { roster: { sha256: rosterFile.roster.payload_sha256 } }).groups.find((g) => g.name === 'officers')!;
    expect(group.problems).toContain('--roster: officers check in by token in this ceremony, but it recorded no roster it started with');
  });

  it('fails a ceremony with token roles that recorded no roster', () => {
    expect(officers(packet(ceremony({ started: { roster: null } }), { 'roster.json': undefined })).problems).toEqual([
      'journal.jsonl: no officer roster recorded, but role crypto-officer checks in by PIV token and steps approve-seal, approve-record approve by PIV token',
    ]);
  });

  it('fails a rehearsal roster in a production packet', () => {
    const problems = officers(packet(ceremony({ started: { ...recorded(), mode: 'production', piv: { module: '/usr/lib/libykcs11.so', attestationRoots: [world.root.pem] } } }))).problems;
    expect(problems).toContain('roster.json: roster is a rehearsal roster: not valid in production');
    expect(problems).toContain('roster.json: device 20000001 is simulated: a rehearsal roster is not valid in production');
    expect(problems).toContain(`roster.json: attestation root "${world.root.subject}" is simulated: a rehearsal roster is not valid in production`);
  });

  describe('a roster written by roster.sign (outputs/roster.json)', () => {
    const v1Sha = rosterFile.roster.payload_sha256;
    const v2 = createRosterBody(world, { version: 2, previous_sha256: v1Sha, issued_at: '2025-07-01T10:00:00.000Z' }, [alice, bob, carol, dave]);

    it('verifies it against the roster it replaces', () => {
      const v2File = createRosterFile(v2, [alice, bob]);
      const group = officers(packet(ceremony({ started: recorded() }), { 'outputs/roster.json': Buffer.from(JSON.stringify(v2File)) }));
      expect(group.problems).toEqual([]);
      expect(group.notes).toContain(`outputs/roster.json: roster version 2 (sha256 ${v2File.roster.payload_sha256}), 4 officers, signed under the policy of roster version 1`);
    });

    it('fails it when fewer officers signed than the previous roster requires', () => {
      const v2File = createRosterFile(v2, [alice]);
      expect(officers(packet(ceremony({ started: recorded() }), { 'outputs/roster.json': Buffer.from(JSON.stringify(v2File)) })).problems).toEqual([
        'outputs/roster.json: roster quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)',
        'outputs/roster.json: keyring quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)',
      ]);
    });

    it('fails it when it is not JSON', () => {
      expect(officers(packet(ceremony({ started: recorded() }), { 'outputs/roster.json': Buffer.from('{') })).problems).toEqual(['outputs/roster.json: not valid JSON']);
    });
  });
});

describe('how people answered', () => {
  it('fails a token ceremony recorded as run from an answers file, and notes the keyboard otherwise', () => {
    const fromFile = verify(ceremony({ started: { people: 'answers file' } }));
    expect(fromFile.problems).toContain("the ceremony was run from an answers file: officers' PINs and approvals were not typed by the officers");
    const atKeyboard = verify(ceremony({ started: { people: 'at the keyboard' } }));
    expect(atKeyboard.problems).toEqual([]);
    expect(atKeyboard.notes).toContain('people answered at the keyboard');
  });
});
