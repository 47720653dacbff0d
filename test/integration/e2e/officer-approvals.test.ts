// Officers approve with their PIV tokens, against real SoftHSM tokens: an enrollment and a revocation are
// rehearsed with the CLI (as a person would), then approval drills run in process on the same simulated devices,
// each breaking one thing (a second approval by the same officer, the wrong role, a revoked device, a device
// not on the roster, a token that signs something else, a replayed signature, a wrong PIN, a token pulled out
// mid-step). Every refusal is checked by its exact message, the ceremony must not go past the failing step, and
// what was recorded before stays in a journal whose hash chain verifies. The only stand-in is a wrapper under the
// PivReader port for the misbehaving tokens, and it signs with the real token.
import { execFileSync } from 'node:child_process';
import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11PivReader } from '../../../src/adapters/piv/pkcs11-piv-reader.js';
import { SimulatedPivFleet } from '../../../src/adapters/piv/simulated-piv-fleet.js';
import { PIV_DEFAULTS } from '../../../src/engine/ports.js';
import { SOFTHSM_MODULE } from '../../../src/adapters/pkcs11/softhsm-sandbox.js';
import type { Answers } from '../../../src/inputs/answers.js';
import { officerSecrets, simulatePeople } from '../../../src/adapters/prompts/rehearsal-people.js';
import { ScriptedPrompter } from '../../../src/adapters/prompts/scripted-prompter.js';
import { ceremonyDeps, loadRoster, loadScript, pivSite } from '../../../src/cli/compose.js';
import { parseJournal, verifyChain, type JournalEntry } from '../../../src/record/journal.js';
import type { PivReader, PivToken } from '../../../src/engine/ports.js';
import { statementBytes, type ApprovalStatement } from '../../../src/custody/quorum.js';
import { countersignBytes, type CountersignStatement } from '../../../src/custody/countersign.js';
import { verifyDir } from '../../helpers/verify-dir.js';
import { resumeCeremony, startCeremony, type CeremonyDeps, type LoadedRoster, type RunResult } from '../../../src/engine/runner.js';
import { secretFromString } from '../../../src/custody/secret.js';
import { isOfficiantError, type OfficiantError } from '../../../src/errors.js';
import type { RosterOfficer } from '../../../src/custody/roster.types.js';
import { BIN, ROOT } from '../../helpers/cli.js';

const ENROLL = join(ROOT, 'test/fixtures/enroll-drill.yaml');
const DRILL = join(ROOT, 'test/fixtures/approval-drill.yaml');
const REVOCATION = join(ROOT, 'ceremonies/officer-revocation.yaml');

const work = mkdtempSync(join(tmpdir(), 'officiant-approvals-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fleet: SimulatedPivFleet;
let rosterV1: LoadedRoster;
let rosterV2: LoadedRoster;
let secrets: Answers['secrets'];
/** The three crypto officers of roster version 1, in roster order, and the custodian. */
let officers: RosterOfficer[];
let custodian: RosterOfficer;
let runs = 0;

beforeAll(() => {
  const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
  delete env.SOFTHSM2_CONF;
  const cli = (args: string[]) => execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(cli(['validate', ENROLL])).toContain('valid (11 steps, 0 warning(s))');
  expect(cli(['validate', DRILL])).toContain('valid (4 steps, 1 warning(s))');
  expect(cli(['rehearse', ENROLL, '--out', join(work, 'enroll')])).toContain('completed: 11 steps');
  const revocation = cli(['rehearse', REVOCATION, '--out', join(work, 'revoke'), '--officers', join(work, 'enroll')]);
  expect(revocation).toContain('completed: 7 steps');

  const pointer = JSON.parse(readFileSync(join(work, 'enroll', 'rehearsal.json'), 'utf8')) as { sandbox: string; people?: string };
  // SoftHSM reads SOFTHSM2_CONF once, when this process first loads the module (the fleet or a reader).
  process.env.SOFTHSM2_CONF = join(pointer.sandbox, 'softhsm2.conf');
  fleet = SimulatedPivFleet.open(pointer.sandbox);
  secrets = officerSecrets(JSON.parse(readFileSync(join(pointer.sandbox, pointer.people ?? 'people.json'), 'utf8')) as Answers);
  rosterV1 = loadRoster(join(work, 'enroll', 'outputs', 'roster.json'), { production: false });
  rosterV2 = loadRoster(join(work, 'revoke', 'outputs', 'roster.json'), { production: false });
  officers = rosterV1.body.officers.filter((o) => o.roles.includes('crypto-officer'));
  custodian = rosterV1.body.officers.find((o) => o.roles.includes('custodian'))!;
  expect(officers).toHaveLength(3);
  expect(custodian.roles).toEqual(['custodian']);
  expect(rosterV2.body.version).toBe(2);
  // The revocation rehearsal revokes whoever was not checked in; what it revoked is read from the roster.
  const revoked = rosterV2.body.officers.filter((o) => o.status === 'revoked');
  expect(revoked).toHaveLength(1);
  expect(revocation).toContain(`REVOKED (${revoked[0].revoked!.reason})`);
});

// ---------------------------------------------------------------------------------------------------------
// Composition, as rehearseCommand does it, in process.

/** What a misbehaving token does instead of signing: `sign` is the real token's signature with its 9a key. */
type SignHook = (call: { serial: string; data: Buffer; sign: (data: Buffer) => Buffer }) => Buffer;

/** A PivReader over the real one whose tokens sign through `hook`; everything else goes to the real device. */
function misbehaving(hook: SignHook): (reader: PivReader) => PivReader {
  return (reader) => ({
    describe: () => reader.describe(),
    devices: () => reader.devices(),
    close: () => reader.close(),
    open(serial: string): PivToken {
      const t = reader.open(serial);
      return {
        device: () => t.device(),
        changePin: (a, b) => t.changePin(a, b),
        verifyPin: (p) => t.verifyPin(p),
        verifyManagementKey: (k) => t.verifyManagementKey(k),
        changePuk: (a, b) => t.changePuk(a, b),
        changeManagementKey: (a, b) => t.changeManagementKey(a, b),
        generateKey: (slot, admin) => t.generateKey(slot, admin),
        attestation: (slot) => t.attestation(slot),
        importCertificate: (slot, cert, admin) => t.importCertificate(slot, cert, admin),
        certificate: (slot) => t.certificate(slot),
        publicKey: (slot) => t.publicKey(slot),
        sign: (slot, pin, data) => hook({ serial, data, sign: (d) => t.sign(slot, pin, d) }),
        deriveSharedSecret: (slot, pin, peer) => t.deriveSharedSecret(slot, pin, peer),
        close: () => t.close(),
      };
    },
  });
}

/** The approval statement a token is asked to sign, if it is one (check-in challenges are not). */
function approvalStatement(data: Buffer): ApprovalStatement | undefined {
  try {
    const parsed = JSON.parse(data.toString('utf8')) as ApprovalStatement;
    return parsed.type === 'officiant-approval/1' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

interface DrillOptions {
  roster?: LoadedRoster;
  /** Changes to the simulated people's answers (devices picked, PINs typed). */
  answers?: (a: Answers) => void;
  /** A misbehaving token, below the PivReader port. */
  sign?: SignHook;
}

interface Drill {
  out: string;
  answers: Answers;
  lines: string[];
  result?: RunResult;
  error?: OfficiantError;
  entries: JournalEntry[];
}

function compose(out: string, answers: Answers, lines: string[], opts: DrillOptions): CeremonyDeps {
  const { script, text } = loadScript(DRILL);
  const base = pivSite({ module: SOFTHSM_MODULE, attestationRoots: [fleet.attestationRoot().pem] }, fleet);
  const piv = opts.sign ? { ...base, open: () => misbehaving(opts.sign!)(base.open()) } : base;
  return ceremonyDeps({ script, text, site: undefined, rehearsal: true, prompter: new ScriptedPrompter(answers, (l) => lines.push(l)), out, roster: opts.roster ?? rosterV1, piv });
}

/** The journal of a run, read back and checked: every line hash-chained to the one before, none torn. */
function journalOf(out: string): JournalEntry[] {
  const parsed = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8'));
  expect(parsed.torn).toBeUndefined();
  expect(verifyChain(parsed.entries)).toEqual([]);
  return parsed.entries;
}

async function settle(run: () => Promise<RunResult>, drill: Omit<Drill, 'entries'>): Promise<Drill> {
  try {
    drill.result = await run();
  } catch (err) {
    if (!isOfficiantError(err)) throw err;
    drill.error = err;
  }
  return { ...drill, entries: journalOf(drill.out) };
}

async function drill(opts: DrillOptions = {}): Promise<Drill> {
  const { script } = loadScript(DRILL);
  const roster = opts.roster ?? rosterV1;
  const answers = simulatePeople(script, { officers: { roster: roster.body, secrets: structuredClone(secrets) } });
  opts.answers?.(answers);
  const out = join(work, 'runs', `drill-${++runs}`);
  const lines: string[] = [];
  const deps = compose(out, answers, lines, opts);
  return settle(() => startCeremony(deps, { scriptFile: DRILL }), { out, answers, lines });
}

async function resume(previous: Drill, opts: DrillOptions = {}): Promise<Drill> {
  const lines: string[] = [];
  const deps = compose(previous.out, previous.answers, lines, opts);
  return settle(() => resumeCeremony(deps), { out: previous.out, answers: previous.answers, lines });
}

function events(d: Drill, what: string, step?: string): JournalEntry[] {
  return d.entries.filter((e) => e.type === 'step.event' && e.data.what === what && (step === undefined || e.step === step));
}

function statementOf(d: Drill, step: string): ApprovalStatement {
  const [e] = events(d, 'approval-statement', step);
  return e.data.statement as unknown as ApprovalStatement;
}

const STEPS = ['check-in', 'approve-record', 'approve-close', 'close'];

/** The ceremony aborted at `step`: the step failed with `message`, and no later step was started. */
function expectAbortedAt(d: Drill, step: string, message: string): void {
  expect(d.error).toBeUndefined();
  expect(d.result?.outcome).toBe('aborted');
  const failed = d.entries.filter((e) => e.type === 'step.failed');
  expect(failed.map((e) => [e.step, e.data.message])).toEqual([[step, message]]);
  expect(d.lines).toContain(`  step failed: ${message}`);
  expect(d.entries.find((e) => e.type === 'ceremony.aborted')?.step).toBe(step);
  expect(d.entries.some((e) => e.type === 'ceremony.completed')).toBe(false);
  const later = STEPS.slice(STEPS.indexOf(step) + 1);
  expect(d.entries.filter((e) => e.type === 'step.started' && later.includes(String(e.step)))).toEqual([]);
}

/** Approvals journaled for a step, as [officer id, device]. */
function approvals(d: Drill, step: string): Array<[string, string]> {
  return events(d, 'approval', step).map((e) => [String(e.data.officer), String(e.data.device)]);
}

const name = (o: RosterOfficer) => o.name;
const serial = (o: RosterOfficer) => o.device.serial;
const NOT_A_PIN = '12121212'; // a rehearsal PIN never has fewer than 3 distinct digits

// ---------------------------------------------------------------------------------------------------------

describe('officers approve with their PIV tokens (real SoftHSM tokens, in process)', () => {
  it('an honest run completes: three approvals per quorum step, each over that step\'s statement and nonce', async () => {
    const d = await drill();
    expect(d.error).toBeUndefined();
    expect(d.result?.outcome).toBe('done');
    expect(events(d, 'check-in').map((e) => [e.data.officer, e.data.role])).toEqual([...officers.map((o) => [o.id, 'crypto-officer']), [custodian.id, 'custodian']]);
    const nonces = new Set<string>();
    for (const step of ['approve-record', 'approve-close']) {
      const statement = statementOf(d, step);
      nonces.add(statement.nonce);
      expect(statement.step.id).toBe(step);
      const accepted = events(d, 'approval', step);
      expect(accepted.map((e) => [e.data.officer, e.data.device, e.data.nonce])).toEqual(officers.map((o) => [o.id, serial(o), statement.nonce]));
      // Checked outside the product: each signature verifies over the statement with the roster's 9a certificate.
      for (const [i, e] of accepted.entries()) {
        const cert = new X509Certificate(officers[i].keys['9a']!.certificate);
        expect(verifySignature('sha256', statementBytes(statement), cert.publicKey, Buffer.from(String(e.data.signature), 'base64'))).toBe(true);
      }
      expect(events(d, 'approval-refused', step)).toEqual([]);
    }
    expect(nonces.size).toBe(2);
    expect(statementOf(d, 'approve-close').approve).toMatchObject({ what: 'step', step: { id: 'close', kind: 'manual.confirm' } });
    expect(d.entries.filter((e) => e.type === 'step.completed').map((e) => e.step)).toEqual(STEPS);
  });

  it('the same officer approving twice counts once: quorum not met', async () => {
    const [o1, o2, o3] = officers;
    const d = await drill({ answers: (a) => (a.devices['approve-record'] = { 'approver-2': serial(o1) }) });
    const reason = `${name(o1)} has already approved this statement: approvals count distinct people`;
    expect(d.lines).toContain(`  refused: ${reason}`);
    expect(events(d, 'approval-refused', 'approve-record').map((e) => [e.data.for, e.data.device, e.data.reason])).toEqual([[name(o2), serial(o1), reason]]);
    expect(approvals(d, 'approve-record')).toEqual([
      [o1.id, serial(o1)],
      [o3.id, serial(o3)],
    ]);
    expectAbortedAt(d, 'approve-record', 'quorum not met: 2/3 Crypto Officer approvals');
  });

  it('an officer without the role is refused, although checked in under another role', async () => {
    const [o1, o2, o3] = officers;
    const d = await drill({ answers: (a) => (a.devices['approve-record'] = { 'approver-2': serial(custodian) }) });
    expect(events(d, 'check-in').find((e) => e.data.officer === custodian.id)?.data.role).toBe('custodian');
    const reason = `${name(custodian)} (device ${serial(custodian)}) is not a Crypto Officer on the roster (roles: custodian)`;
    expect(d.lines).toContain(`  refused: ${reason}`);
    expect(events(d, 'approval-refused', 'approve-record').map((e) => [e.data.for, e.data.device, e.data.reason])).toEqual([[name(o2), serial(custodian), reason]]);
    expect(approvals(d, 'approve-record')).toEqual([
      [o1.id, serial(o1)],
      [o3.id, serial(o3)],
    ]);
    expectAbortedAt(d, 'approve-record', 'quorum not met: 2/3 Crypto Officer approvals');
  });

  it('a revoked device is refused at check-in (roster version 2 from the revocation rehearsal)', async () => {
    const revoked = rosterV2.body.officers.find((o) => o.status === 'revoked')!;
    const d = await drill({ roster: rosterV2, answers: (a) => ((a.devices['check-in'] ??= {})['custodian-1'] = serial(revoked)) });
    const reason = `device ${serial(revoked)} of ${name(revoked)} is revoked (${revoked.revoked!.reason})`;
    expect(events(d, 'check-in-refused').map((e) => [e.data.role, e.data.device, e.data.reason])).toEqual([['custodian', serial(revoked), reason]]);
    expect(events(d, 'check-in').map((e) => e.data.officer)).toEqual(officers.map((o) => o.id));
    expectAbortedAt(d, 'check-in', reason);
  });

  describe('a device that is not on the roster', () => {
    let forged: string;
    beforeAll(() => {
      // A real token with its own 9a key, set to the approver's PIN: everything but enrollment.
      forged = fleet.createDevice().serial;
      const reader = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
      try {
        const token = reader.open(forged);
        const pin = secrets[name(officers[1])]['piv-pin'];
        token.changePin(secretFromString(PIV_DEFAULTS.pin), secretFromString(pin));
        token.generateKey('9a', { managementKey: secretFromString(PIV_DEFAULTS.managementKey), pin: secretFromString(pin) });
        token.close();
      } finally {
        reader.close();
      }
    });

    it('is refused as an approval (a forged approval)', async () => {
      const [o1, o2, o3] = officers;
      const d = await drill({ answers: (a) => (a.devices['approve-record'] = { 'approver-2': forged }) });
      const reason = `device ${forged} is not on the roster (version 1)`;
      expect(d.lines).toContain(`  refused: ${reason}`);
      const refused = events(d, 'approval-refused', 'approve-record');
      expect(refused.map((e) => [e.data.for, e.data.device, e.data.reason])).toEqual([[name(o2), forged, reason]]);
      expect(refused[0].data.signature).toEqual(expect.any(String));
      expect(approvals(d, 'approve-record')).toEqual([
        [o1.id, serial(o1)],
        [o3.id, serial(o3)],
      ]);
      expectAbortedAt(d, 'approve-record', 'quorum not met: 2/3 Crypto Officer approvals');
    });

    it('is refused at check-in', async () => {
      const d = await drill({ answers: (a) => ((a.devices['check-in'] ??= {})['custodian-1'] = forged) });
      expect(events(d, 'check-in-refused').map((e) => [e.data.role, e.data.device, e.data.reason])).toEqual([['custodian', forged, `device ${forged} is not on the roster (version 1): only enrolled officers check in as Custodian`]]);
      expect(events(d, 'check-in').map((e) => e.data.officer)).toEqual(officers.map((o) => o.id));
      expectAbortedAt(d, 'check-in', `device ${forged} is not on the roster (version 1): only enrolled officers check in as Custodian`);
    });
  });

  it('a token that signs a different digest is refused', async () => {
    const [o1, o2, o3] = officers;
    let altered: Buffer | undefined;
    const d = await drill({
      sign: ({ serial: s, data, sign }) => {
        if (s !== serial(o2) || !approvalStatement(data)) return sign(data);
        altered = Buffer.concat([data, Buffer.from([0x0a])]);
        return sign(altered);
      },
    });
    const reason = `the signature from device ${serial(o2)} does not verify with ${name(o2)}'s enrolled 9a certificate`;
    expect(d.lines).toContain(`  refused: ${reason}`);
    const refused = events(d, 'approval-refused', 'approve-record');
    expect(refused.map((e) => [e.data.for, e.data.device, e.data.reason])).toEqual([[name(o2), serial(o2), reason]]);
    // The token did sign, with the officer's real key, only not the statement.
    const cert = new X509Certificate(o2.keys['9a']!.certificate);
    expect(verifySignature('sha256', altered!, cert.publicKey, Buffer.from(String(refused[0].data.signature), 'base64'))).toBe(true);
    expect(approvals(d, 'approve-record')).toEqual([
      [o1.id, serial(o1)],
      [o3.id, serial(o3)],
    ]);
    expectAbortedAt(d, 'approve-record', 'quorum not met: 2/3 Crypto Officer approvals');
  });

  it('a signature replayed from the previous quorum step is refused; that step\'s approvals are untouched', async () => {
    const [o1] = officers;
    const first = new Map<string, Buffer>();
    const d = await drill({
      sign: ({ serial: s, data, sign }) => {
        const statement = approvalStatement(data);
        const signature = sign(data);
        if (statement?.step.id === 'approve-record') first.set(s, signature);
        return statement?.step.id === 'approve-close' && s === serial(o1) ? first.get(s)! : signature;
      },
    });
    const reason = `the signature from device ${serial(o1)} does not verify with ${name(o1)}'s enrolled 9a certificate`;
    expect(d.lines).toContain(`  refused: ${reason}`);
    const refused = events(d, 'approval-refused', 'approve-close');
    expect(refused.map((e) => [e.data.for, e.data.device, e.data.reason])).toEqual([[name(o1), serial(o1), reason]]);
    const recordStatement = statementOf(d, 'approve-record');
    const recordApprovals = events(d, 'approval', 'approve-record');
    expect(recordApprovals.map((e) => [e.data.officer, e.data.nonce])).toEqual(officers.map((o) => [o.id, recordStatement.nonce]));
    expect(refused[0].data.signature).toBe(recordApprovals[0].data.signature);
    expect(refused[0].data.nonce).toBe(statementOf(d, 'approve-close').nonce);
    expect(d.entries.filter((e) => e.type === 'step.completed').map((e) => e.step)).toEqual(['check-in', 'approve-record']);
    expect(approvals(d, 'approve-close').map(([id]) => id)).toEqual([officers[1].id, officers[2].id]);
    expectAbortedAt(d, 'approve-close', 'quorum not met: 2/3 Crypto Officer approvals');
  });

  it('a wrong PIN is journaled with the tries left and fails the step; a right PIN later restores the tries', async () => {
    const [o1, o2] = officers;
    expect(fleet.record(serial(o2))?.pinTriesLeft).toBe(3);
    const d = await drill({ answers: (a) => (a.secrets[name(o2)]['piv-pin'] = NOT_A_PIN) });
    const message = `PIN incorrect for device ${serial(o2)}: 2 tries left`;
    expect(events(d, 'piv-pin-refused').map((e) => [e.step, e.actor, e.data.device, e.data.attempt, e.data.message])).toEqual([['check-in', `${name(o2)} (Crypto Officer)`, serial(o2), 1, message]]);
    expect(d.entries.find((e) => e.type === 'step.failed')?.data.code).toBe('hsm.pin-incorrect');
    expect(events(d, 'check-in').map((e) => e.data.officer)).toEqual([o1.id]);
    expectAbortedAt(d, 'check-in', message);
    expect(fleet.record(serial(o2))?.pinTriesLeft).toBe(2);

    const again = await drill();
    expect(again.result?.outcome).toBe('done');
    expect(fleet.record(serial(o2))?.pinTriesLeft).toBe(3);
  });

  it('a token pulled out mid-step pauses the ceremony; once it is back, resume finishes without asking again', async () => {
    const [o1, o2, o3] = officers;
    let pulled = false;
    const pullOnce: SignHook = ({ serial: s, data, sign }) => {
      if (!pulled && s === serial(o2) && approvalStatement(data)?.step.id === 'approve-record') {
        pulled = true;
        fleet.setInserted(s, false);
      }
      return sign(data);
    };
    let d: Drill;
    try {
      d = await drill({ sign: pullOnce });
    } finally {
      fleet.setInserted(serial(o2), true);
    }
    expect(pulled).toBe(true);
    expect(d.result).toBeUndefined();
    expect(d.error?.code).toBe('env.piv-absent');
    expect(d.error?.message).toBe(`device ${serial(o2)} is not inserted`);
    const last = d.entries[d.entries.length - 1];
    expect([last.type, last.data.code, last.data.reason]).toEqual(['ceremony.paused', 'env.piv-absent', `device ${serial(o2)} is not inserted`]);
    expect(d.entries.filter((e) => e.type === 'step.failed' || e.type === 'ceremony.aborted')).toEqual([]);
    expect(d.entries.filter((e) => e.type === 'step.started' && (e.step === 'approve-close' || e.step === 'close'))).toEqual([]);
    expect(approvals(d, 'approve-record')).toEqual([[o1.id, serial(o1)]]);

    const r = await resume(d);
    expect(r.error).toBeUndefined();
    expect(r.result?.outcome).toBe('done');
    // The journal of the paused run is the start of the resumed one, entry for entry.
    expect(r.entries.slice(0, d.entries.length)).toEqual(d.entries);
    const statement = statementOf(r, 'approve-record');
    expect(events(r, 'approval-statement', 'approve-record')).toHaveLength(1);
    expect(events(r, 'approval', 'approve-record').map((e) => [e.data.officer, e.data.nonce])).toEqual(officers.map((o) => [o.id, statement.nonce]));
    // The first approver was not asked again: the resumed run asks approver 2 first, and officer 1 signs only
    // the closing step's statement and the countersignature of the record.
    expect(r.lines.filter((l) => l.includes('Approval ') && l.includes(': device '))[0]).toBe(
      `  Approval 2 of 3: ${name(o2)} (Crypto Officer): device ${serial(o2)} (YubiKey 5 NFC (simulated), ${name(o2)})`,
    );
    expect(r.lines.filter((l) => l === `  ${name(o1)} enters PIV PIN (hidden)`)).toHaveLength(2);
    expect(approvals(r, 'approve-close').map(([id]) => id)).toEqual([o1.id, o2.id, o3.id]);
  });
  // Product bugs: these state the correct behaviour and fail until src/steps/quorum-approve.ts is fixed.
  describe('known defects (fail until fixed)', () => {
    it('an approver whose token belongs to someone checked in under another role is journaled in that role', async () => {
      // quorum-approve.ts builds the signer as { name: owner.name, role: <the step's role> }: the custodian's PIN
      // entry and refused approval are journaled as "(Crypto Officer)", a role they neither hold nor checked in as.
      const d = await drill({ answers: (a) => (a.devices['approve-record'] = { 'approver-2': serial(custodian) }) });
      const [refused] = events(d, 'approval-refused', 'approve-record');
      expect(refused.data.device).toBe(serial(custodian));
      expect(refused.actor).toBe(`${name(custodian)} (Custodian)`);
    });

    it('a resumed approval step asks the next approver under their own pick, after a refusal before the pause', async () => {
      // Approver 2 picks the custodian's token (refused), approver 3's token is pulled out while it signs. On resume
      // quorum-approve.ts numbers picks from the approvals accepted (k = 1), not the people asked (2): approver 3
      // is asked as "Approval 2 of 3" and gets the answer of approver-2, the custodian's token, refused again.
      const [o1, o2, o3] = officers;
      let pulled = false;
      let d: Drill;
      try {
        d = await drill({
          answers: (a) => (a.devices['approve-record'] = { 'approver-2': serial(custodian) }),
          sign: ({ serial: s, data, sign }) => {
            if (!pulled && s === serial(o3) && approvalStatement(data)?.step.id === 'approve-record') {
              pulled = true;
              fleet.setInserted(s, false);
            }
            return sign(data);
          },
        });
      } finally {
        fleet.setInserted(serial(o3), true);
      }
      expect(d.error?.code).toBe('env.piv-absent');
      expect(events(d, 'approval-refused', 'approve-record').map((e) => e.data.for)).toEqual([name(o2)]);

      const r = await resume(d);
      expect(r.lines).toContain(`  Approval 3 of 3: ${name(o3)} (Crypto Officer): device ${serial(o3)} (YubiKey 5 NFC (simulated), ${name(o3)})`);
      expect(events(r, 'approval-refused', 'approve-record').map((e) => e.data.for)).toEqual([name(o2)]);
      expect(approvals(r, 'approve-record')).toEqual([
        [o1.id, serial(o1)],
        [o3.id, serial(o3)],
      ]);
      expectAbortedAt(r, 'approve-record', 'quorum not met: 2/3 Crypto Officer approvals');
    });
  });

  describe('the officers countersign the closing entry', () => {
    const countersignOf = (d: Drill) => events(d, 'countersign-statement')[0]?.data.statement as unknown as CountersignStatement | undefined;
    /** verify's problems about the countersignature and what follows the closing entry. */
    const endProblems = (d: Drill) => verifyDir(d.out).groups.flatMap((g) => g.problems).filter((p) => p.includes('countersign') || p.includes('after the end'));

    it('a completed ceremony: three officers sign the closing entry\'s hash, each signature checked outside the product', async () => {
      const d = await drill();
      expect(d.result?.outcome).toBe('done');
      const closing = d.entries.find((e) => e.type === 'ceremony.completed')!;
      const statement = countersignOf(d)!;
      expect(statement).toMatchObject({ type: 'officiant-countersign/1', outcome: 'completed', journal_head: closing.hash, entries: d.entries.indexOf(closing) + 1 });
      expect(d.result?.journalHead).toBe(closing.hash);
      const signed = events(d, 'countersignature');
      expect(signed.map((e) => [e.data.officer, e.data.device])).toEqual(officers.map((o) => [o.id, serial(o)]));
      for (const [i, e] of signed.entries()) {
        const cert = new X509Certificate(officers[i].keys['9a']!.certificate);
        expect(verifySignature('sha256', countersignBytes(statement), cert.publicKey, Buffer.from(String(e.data.signature), 'base64'))).toBe(true);
      }
      expect(d.lines).toContain('  the record is countersigned by 3 officers');
      expect(endProblems(d)).toEqual([]);
      // The countersign comes after the closing entry, before the seal.
      expect(d.entries.at(-1)?.type).toBe('ceremony.sealed');
    });

    it('officers who decline: the packet is sealed as it is, says so, and verify FAILS the completed record', async () => {
      const d = await drill({ answers: (a) => (a.confirm = { ceremony: false }) });
      expect(d.result?.outcome).toBe('done');
      expect(events(d, 'countersign-declined').map((e) => e.data.for)).toEqual([...officers.map(name), name(custodian)]);
      expect(d.lines).toContain("  the record is NOT countersigned: 0 of 3 officers signed; the packet is sealed as it is and verify will report it");
      expect(endProblems(d)).toEqual(["journal.jsonl: countersign: 0 of the roster's 3 officers countersigned the record"]);
    });

    it('an aborted ceremony: the officers present countersign the abort', async () => {
      const d = await drill({ answers: (a) => (a.devices['approve-record'] = { 'approver-2': serial(officers[0]) }) });
      expectAbortedAt(d, 'approve-record', 'quorum not met: 2/3 Crypto Officer approvals');
      const closing = d.entries.find((e) => e.type === 'ceremony.aborted')!;
      expect(countersignOf(d)).toMatchObject({ outcome: 'aborted', journal_head: closing.hash });
      expect(events(d, 'countersignature')).toHaveLength(3);
      expect(endProblems(d)).toEqual([]);
    });

    it('a token pulled out while countersigning: the ceremony pauses after its closing entry; resume finishes without asking again', async () => {
      const [o1, o2] = officers;
      let pulled = false;
      let d: Drill;
      try {
        d = await drill({
          sign: ({ serial: s, data, sign }) => {
            if (!pulled && s === serial(o2) && data.toString('utf8').includes('officiant-countersign/1')) {
              pulled = true;
              fleet.setInserted(s, false);
            }
            return sign(data);
          },
        });
      } finally {
        fleet.setInserted(serial(o2), true);
      }
      expect(d.error?.code).toBe('env.piv-absent');
      expect(d.entries.at(-1)?.type).toBe('ceremony.paused');
      expect(events(d, 'countersignature').map((e) => e.data.officer)).toEqual([o1.id]);
      const r = await resume(d);
      expect(r.result?.outcome).toBe('done');
      expect(events(r, 'countersign-statement')).toHaveLength(1);
      expect(events(r, 'countersignature').map((e) => e.data.officer)).toEqual(officers.map((o) => o.id));
      expect(r.lines.filter((l) => l === `  ${name(o1)} enters PIV PIN (hidden)`)).toHaveLength(0);
      expect(endProblems(r)).toEqual([]);
    });
  });
});
