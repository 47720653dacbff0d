// Custodians at a backup (backup.split) who are absent, too many absent, or pick the wrong token, on real SoftHSM
// tokens and real simulated PIV tokens: an officer enrollment is rehearsed with the CLI (5 officers, each crypto
// officer and custodian with 9a/9c/9d keys), then test/fixtures/backup-drill.yaml runs IN PROCESS on the same
// devices (a fresh HSM token per drill), its scripted people changed in one thing each. This file proves:
//  a. one custodian absent (absent_allowed 1): the ceremony completes; the journal holds one custodian-absent event
//     naming them with its deviation text and four share-receipts; the step's evidence page (pdftotext) marks that
//     share DEVIATION; verifyPacket passes, noting 1 custodian absent;
//  b. a second custodian absent: the step fails naming them ("not present, and 1 absence(s) already used"), the
//     backup already made stays; a retry (journaled deviation) once they are there asks only them, reuses the one
//     backup.split result (same check value, no second SO login, files not rewritten) and completes;
//  c. custodian 1 picks custodian 2's token: share-refused names both devices and owners, no PIN is asked for the
//     wrong token, the absence budget is not spent, the step fails; a retry asks only custodian 1 again;
//  d. verifyPacket of a completed drill (in-memory copies of its files) fails, in its backup group with the exact
//     problem, when a share file is changed or deleted, when outputs/backup/manifest.json differs from the journal,
//     and when two receipts' signatures are swapped in a journal whose hash chain was recomputed.
// Each exact message is the one the source builds (src/steps/shared/custodian-shares.ts, src/evidence/verify-backup.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedPivFleet } from '../../../src/adapters/piv/simulated-piv-fleet.js';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../../../src/adapters/pkcs11/softhsm-sandbox.js';
import type { Answers } from '../../../src/inputs/answers.js';
import { officerSecrets, simulatePeople } from '../../../src/adapters/prompts/rehearsal-people.js';
import { ScriptedPrompter } from '../../../src/adapters/prompts/scripted-prompter.js';
import { ceremonyDeps, loadRoster, loadScript, pivSite } from '../../../src/cli/compose.js';
import { readPacketDir } from '../../../src/cli/read-packet.js';
import type { BackupManifest, ShareFile } from '../../../src/custody/backup-manifest.js';
import { entryHash, GENESIS, parseJournal, verifyChain, type JournalEntry } from '../../../src/record/journal.js';
import type { FailureDecision, Person } from '../../../src/engine/ports.js';
import { startCeremony, type LoadedRoster, type RunResult } from '../../../src/engine/runner.js';
import { isOfficiantError, type OfficiantError } from '../../../src/errors.js';
import type { RosterOfficer } from '../../../src/custody/roster.types.js';
import { verifyPacket, type PacketReport } from '../../../src/evidence/verify-packet.js';
import type { MadeBackup } from '../../../src/steps/shared/backup-set.js';
import type { HsmSite } from '../../../src/engine/step-kind.types.js';
import { BIN, ROOT } from '../../helpers/cli.js';

const ENROLL = join(ROOT, 'ceremonies/officer-enrollment.yaml');
const DRILL = join(ROOT, 'test/fixtures/backup-drill.yaml');
const STEP = 'backup-key';
const PAGE = 'steps/05-backup-key.pdf';
const KEY = 'drill-backup-key';
const STEPS = ['check-in', 'init-token', 'evidence-key', 'generate-key', 'backup-key', 'close'];

const work = mkdtempSync(join(tmpdir(), 'officiant-backup-absent-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fleet: SimulatedPivFleet;
let roster: LoadedRoster;
let secrets: Answers['secrets'];
/** The roster's five custodians, in roster order (share i+1 goes to custodians[i]). */
let custodians: RosterOfficer[];

beforeAll(() => {
  const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
  delete env.SOFTHSM2_CONF;
  const cli = (args: string[]) => execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(cli(['validate', DRILL])).toContain('valid (6 steps, 1 warning(s))');
  expect(cli(['rehearse', ENROLL, '--out', join(work, 'enroll')])).toContain('completed: 14 steps');
  const pointer = JSON.parse(readFileSync(join(work, 'enroll', 'rehearsal.json'), 'utf8')) as { sandbox: string; people?: string };
  // SoftHSM reads SOFTHSM2_CONF once, when this process first loads the module: the drills' HSM tokens are made
  // in the enrollment's sandbox, next to the officers' PIV tokens.
  const sandbox = SoftHsmSandbox.open(pointer.sandbox);
  sandbox.activate();
  fleet = SimulatedPivFleet.open(sandbox.dir);
  secrets = officerSecrets(sandbox.loadPeople<Answers>(pointer.people));
  roster = loadRoster(join(work, 'enroll', 'outputs', 'roster.json'), { production: false });
  custodians = roster.body.officers.filter((o) => o.status === 'active' && o.roles.includes('custodian'));
  expect(custodians).toHaveLength(5);
  expect(new Set(custodians.map((o) => o.device.serial)).size).toBe(5);
}, 300_000);

// ---------------------------------------------------------------------------------------------------------
// Composition, as rehearseCommand does it, in process.

/** The scripted people, and what the people do when a step fails (before the decision is read). */
class DrillPrompter extends ScriptedPrompter {
  constructor(
    answers: Answers,
    out: (line: string) => void,
    private readonly beforeDecision: (stepId: string, message: string) => void,
  ) {
    super(answers, out);
  }

  override async onFailure(stepId: string, message: string, decider: Person, allowRetry: boolean, earlier: number): Promise<FailureDecision> {
    this.beforeDecision(stepId, message);
    return super.onFailure(stepId, message, decider, allowRetry, earlier);
  }
}

interface DrillOptions {
  /** Changes to the simulated people's answers. */
  answers?: (a: Answers) => void;
  /** What changes in the room when the backup step has failed (e.g. a custodian arrives). */
  onFailure?: (a: Answers, message: string) => void;
}

interface Drill {
  out: string;
  lines: string[];
  result?: RunResult;
  error?: OfficiantError;
  entries: JournalEntry[];
}

/** The journal of a run, read back and checked: every line hash-chained to the one before, none torn. */
function journalOf(out: string): JournalEntry[] {
  const parsed = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8'));
  expect(parsed.torn).toBeUndefined();
  expect(verifyChain(parsed.entries)).toEqual([]);
  return parsed.entries;
}

let runs = 0;
async function drill(opts: DrillOptions = {}): Promise<Drill> {
  const { script, text } = loadScript(DRILL);
  const answers = simulatePeople(script, { officers: { roster: roster.body, secrets: structuredClone(secrets) } });
  // Per question; every question not named is answered yes.
  answers.confirm = {};
  opts.answers?.(answers);
  const name = `drill-${++runs}`;
  const out = join(work, 'runs', name);
  const lines: string[] = [];
  const prompter = new DrillPrompter(answers, (l) => lines.push(l), (stepId, message) => {
    if (stepId === STEP) opts.onFailure?.(answers, message);
  });
  const site: HsmSite = { profile: 'drill-hsm', module: SOFTHSM_MODULE, tokenLabel: `backup-absent-${name}` };
  const piv = pivSite({ module: SOFTHSM_MODULE, attestationRoots: [fleet.attestationRoot().pem] }, fleet);
  const deps = ceremonyDeps({ script, text, site, rehearsal: true, prompter, out, roster, piv });
  const d: Omit<Drill, 'entries'> = { out, lines };
  try {
    d.result = await startCeremony(deps, { scriptFile: DRILL });
  } catch (err) {
    if (!isOfficiantError(err)) throw err;
    d.error = err;
  }
  return { ...d, entries: journalOf(out) };
}

const present = (o: RosterOfficer) => `${STEP}#present:${o.id}`;
const pick = (o: RosterOfficer) => `custodian-${o.id}`;

function events(d: Drill, what: string): JournalEntry[] {
  return d.entries.filter((e) => e.type === 'step.event' && e.step === STEP && e.data.what === what);
}

/** The successful backup.split results of the step, and how many times it was attempted. */
function splits(d: Drill): { made: MadeBackup[]; intents: number } {
  const intents = d.entries.filter((e) => e.type === 'intent' && e.step === STEP && e.data.op === 'backup.split');
  const seqs = new Set(intents.map((e) => e.seq));
  const made = d.entries.filter((e) => e.type === 'result' && seqs.has(e.data.intent as number) && e.data.ok === true).map((e) => e.data.output as unknown as MadeBackup);
  return { made, intents: intents.length };
}

/** The one backup the drill made; its custodians are the roster's, in order, shares 1..5. */
function theBackup(d: Drill): BackupManifest {
  const { made, intents } = splits(d);
  expect(intents).toBe(1);
  expect(made).toHaveLength(1);
  const m = made[0].manifest;
  expect(m.custodians.map((c) => [c.officer, c.index, c.device_serial])).toEqual(custodians.map((o, i) => [o.id, i + 1, o.device.serial]));
  expect(m.threshold).toBe(3);
  expect(m.keys.map((k) => k.label)).toEqual([KEY]);
  return m;
}

function expectCompleted(d: Drill): void {
  expect(d.error).toBeUndefined();
  expect(d.result?.outcome).toBe('done');
  expect(d.entries.filter((e) => e.type === 'step.completed').map((e) => e.step)).toEqual(STEPS);
  expect(d.entries.at(-1)?.type).toBe('ceremony.sealed');
}

/** The drill's files on disk are the ones its backup.split result recorded, byte for byte. */
function expectBackupSetOnDisk(d: Drill): void {
  const [made] = splits(d).made;
  for (const [rel, b64] of Object.entries(made.files)) expect(readFileSync(join(d.out, 'outputs', rel)).equals(Buffer.from(b64, 'base64')), rel).toBe(true);
  expect(JSON.parse(readFileSync(join(d.out, 'outputs/backup/manifest.json'), 'utf8'))).toEqual(made.manifest);
}

/** Receipts journaled at the step, as [officer id, share index, device]. */
function receipts(d: Drill): Array<[string, number, string]> {
  return events(d, 'share-receipt').map((e) => [String(e.data.officer), Number(e.data.index), String(e.data.device)]);
}

const group = (r: PacketReport, name: string) => r.groups.find((g) => g.name === name)!;

/**
 * A page's text by pdftotext, whitespace collapsed, without the letters of the diagonal REHEARSAL watermark that
 * pdftotext interleaves with the table text (standalone tokens of 1 to 3 of its capitals).
 */
function pdfText(file: string): string {
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', '-layout', file, '-'], { encoding: 'utf8' });
  return text
    .split(/\s+/)
    .filter((t) => !/^[REHALS]{1,3}$/.test(t))
    .join(' ');
}

/** The lines the run printed for `who` entering a PIV PIN. */
const pivPins = (d: Drill, o: RosterOfficer) => d.lines.filter((l) => l === `  ${o.name} enters PIV PIN (hidden)`).length;
/** The presence questions the run asked about custodian `o`, with the answer. */
const presenceAsked = (d: Drill, o: RosterOfficer) => d.lines.filter((l) => l.includes(`: Is ${o.name} (custodian of share `)).map((l) => l.slice(l.lastIndexOf(' ') + 1));

// ---------------------------------------------------------------------------------------------------------

describe('custodians at a backup (backup-drill.yaml on real SoftHSM and PIV tokens, in process)', () => {
  let absentOne: Drill;

  it('one custodian absent: recorded as a deviation, the ceremony completes, verify passes noting the absence', async () => {
    const c5 = custodians[4];
    const d = await drill({ answers: (a) => ((a.confirm as Record<string, boolean>)[present(c5)] = false) });
    absentOne = d;
    expectCompleted(d);
    const m = theBackup(d);
    const kcv = m.wrap_key.kcv;
    expectBackupSetOnDisk(d);

    const deviation = `${c5.name} was not present to open share 5; they must open it and sign a receipt at a later backup verification`;
    expect(events(d, 'custodian-absent').map((e) => e.data)).toEqual([{ what: 'custodian-absent', officer: c5.id, name: c5.name, index: 5, kcv, deviation }]);
    expect(receipts(d)).toEqual(custodians.slice(0, 4).map((o, i) => [o.id, i + 1, o.device.serial]));
    expect(events(d, 'share-receipt').every((e) => e.data.kcv === kcv)).toBe(true);
    expect(events(d, 'share-refused')).toEqual([]);
    expect(d.lines).toContain(`  deviation: ${c5.name} is absent; share 5 is unverified until they open it`);
    // Asked once, answered no; never asked for a device or a PIN.
    expect(presenceAsked(d, c5)).toEqual(['no']);
    expect(d.lines.some((l) => l.startsWith(`  Custodian ${c5.name}: share 5 of 5`))).toBe(false);
    expect(pivPins(d, c5)).toBe(0);
    for (const o of custodians.slice(0, 4)) expect(presenceAsked(d, o)).toEqual(['yes']);

    // The step's evidence page: the absent custodian's share says DEVIATION, the others were opened.
    const text = pdfText(join(d.out, PAGE));
    expect(text.match(/DEVIATION: absent, unverified until a later backup verification/g)).toHaveLength(1);
    expect(text.match(/opened and receipt signed \(verified\)/g)).toHaveLength(4);
    // The one DEVIATION is in share 5's row (the last of the results table), not before it.
    const row5At = text.indexOf('Share 5: ');
    expect(row5At).toBeGreaterThan(text.indexOf('Share 4: '));
    const row5 = text.slice(row5At, text.indexOf(' Outputs ', row5At));
    expect(row5).toContain(`device ${c5.device.serial}, shares/${c5.id}.share.json`);
    expect(row5).toContain('DEVIATION: absent, unverified until a later backup verification');
    expect(text.slice(0, row5At)).not.toContain('DEVIATION');
    // And the page's Deviations section names the absence, recorded as the administrator's answer.
    const deviations = text.slice(text.indexOf(' Deviations '), text.indexOf(' Journal entries covered '));
    // (pdftotext interleaves the table's columns: the reason is checked in its two wrapped pieces.)
    expect(deviations).toContain(`${c5.name} was not present to open share 5; they`);
    expect(deviations).toContain('must open it and sign a receipt at a later backup verification');
    expect(deviations).toContain('Ceremony Administrator 1');
    const absentEvent = events(d, 'custodian-absent')[0];
    expect(absentEvent.actor).toBe('Ceremony Administrator 1 (rehearsal) (Ceremony Administrator)');

    const report = verifyPacket(readPacketDir(d.out));
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(group(report, 'backup').notes).toEqual([`journal.jsonl: ${STEP}: backup of ${KEY}, 3 of 5, wrap key check value ${kcv}; 4 receipt(s) verified, 1 custodian(s) absent (deviation: to verify later)`]);
  }, 240_000);

  it('a second custodian absent fails the step, naming them; once they are there a retry completes on the same backup', async () => {
    const [c1, c2, c3, c4, c5] = custodians;
    const failures: string[] = [];
    const reason = `${c5.name} has arrived`;
    const d = await drill({
      answers: (a) => {
        Object.assign(a.confirm as Record<string, boolean>, { [present(c4)]: false, [present(c5)]: false });
        a.failures[STEP] = [{ action: 'retry', reason }];
      },
      onFailure: (a, message) => {
        failures.push(message);
        (a.confirm as Record<string, boolean>)[present(c5)] = true;
      },
    });
    const message = `1 share(s) not verified by their custodian: ${c5.name} (share 5): not present, and 1 absence(s) already used`;
    expect(failures).toEqual([message]);
    const failed = d.entries.filter((e) => e.type === 'step.failed');
    expect(failed.map((e) => [e.step, e.data.code, e.data.message])).toEqual([[STEP, 'ceremony.step-failed', message]]);
    expect(d.lines).toContain(`  step failed: ${message}`);
    expect(d.entries.filter((e) => e.type === 'deviation').map((e) => [e.step, e.data.action, e.data.reason, e.data.failure])).toEqual([[STEP, 'retry', reason, message]]);

    // At the failure, what was recorded stays: the one backup, three receipts and c4's absence came before it.
    const failedAt = failed[0].seq;
    const before = (what: string) => events(d, what).filter((e) => e.seq < failedAt).map((e) => e.data.officer);
    expect(before('share-receipt')).toEqual([c1.id, c2.id, c3.id]);
    expect(before('custodian-absent')).toEqual([c4.id]);
    const split = d.entries.find((e) => e.type === 'intent' && e.step === STEP && e.data.op === 'backup.split')!;
    expect(split.seq).toBeLessThan(failedAt);

    expectCompleted(d);
    // The retry made no second backup: one backup.split, one SO login, each file written once; same check value.
    const m = theBackup(d);
    expect(events(d, 'share-receipt').every((e) => e.data.kcv === m.wrap_key.kcv)).toBe(true);
    expect(events(d, 'hsm-so-login')).toHaveLength(1);
    const writes = d.entries.filter((e) => e.type === 'intent' && e.step === STEP && String(e.data.op).startsWith('write:')).map((e) => String(e.data.op));
    expect(writes).toHaveLength(new Set(writes).size);
    expect(writes).toHaveLength(Object.keys(splits(d).made[0].files).length + 1);
    expectBackupSetOnDisk(d);
    // The retry asked only custodian 5: the others' receipts and c4's absence stand.
    expect(receipts(d)).toEqual([c1, c2, c3, c5].map((o) => [o.id, custodians.indexOf(o) + 1, o.device.serial]));
    expect(events(d, 'custodian-absent').map((e) => e.data.officer)).toEqual([c4.id]);
    for (const o of [c1, c2, c3]) {
      expect(presenceAsked(d, o)).toEqual(['yes']);
      // Once at check-in (they are the three crypto officers), once for their share, once to countersign the record.
      expect(pivPins(d, o)).toBe(3);
    }
    expect(presenceAsked(d, c4)).toEqual(['no']);
    expect(presenceAsked(d, c5)).toEqual(['no', 'yes']);
    expect(pivPins(d, c4)).toBe(0);
    expect(pivPins(d, c5)).toBe(1);

    const report = verifyPacket(readPacketDir(d.out));
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(group(report, 'backup').notes).toEqual([`journal.jsonl: ${STEP}: backup of ${KEY}, 3 of 5, wrap key check value ${m.wrap_key.kcv}; 4 receipt(s) verified, 1 custodian(s) absent (deviation: to verify later)`]);
    // The page lists the retry in its Deviations section.
    const text = pdfText(join(d.out, PAGE));
    const section = text.slice(text.indexOf(' Deviations '), text.indexOf(' Journal entries covered '));
    expect(section).toContain(reason);
  }, 240_000);

  it("a custodian who picks another custodian's token is refused before any PIN, without spending the absence", async () => {
    const [c1, c2] = custodians;
    const failures: string[] = [];
    const d = await drill({
      answers: (a) => {
        a.devices[STEP] = { [pick(c1)]: c2.device.serial };
        a.failures[STEP] = [{ action: 'retry', reason: `${c1.name} takes their own token` }];
      },
      onFailure: (a, message) => {
        failures.push(message);
        delete a.devices[STEP][pick(c1)];
      },
    });
    const refusal = `device ${c2.device.serial} (${c2.name}'s) is not the device share 1 is sealed to: it opens only with ${c1.name}'s device ${c1.device.serial}`;
    const message = `1 share(s) not verified by their custodian: ${c1.name} (share 1): ${refusal}`;
    expect(failures).toEqual([message]);
    expect(d.lines).toContain(`  refused: ${refusal}`);
    const m = theBackup(d);
    expect(events(d, 'share-refused').map((e) => [e.actor, e.data])).toEqual([
      [`${c1.name} (Crypto Officer)`, { what: 'share-refused', officer: c1.id, name: c1.name, index: 1, kcv: m.wrap_key.kcv, device: c2.device.serial, reason: refusal }],
    ]);
    const failed = d.entries.filter((e) => e.type === 'step.failed');
    expect(failed.map((e) => [e.step, e.data.message])).toEqual([[STEP, message]]);
    // The absence budget was not spent on the refusal: nobody recorded absent; the other four opened at once.
    expect(events(d, 'custodian-absent')).toEqual([]);
    expect(events(d, 'share-receipt').filter((e) => e.seq < failed[0].seq).map((e) => e.data.officer)).toEqual(custodians.slice(1).map((o) => o.id));
    // No PIN was typed into the wrong token: between the pick and the refusal nothing was asked.
    const pickLine = d.lines.findIndex((l) => l.startsWith(`  Custodian ${c1.name}: share 1 of 5: device ${c2.device.serial}`));
    expect(pickLine).toBeGreaterThan(0);
    expect(d.lines[pickLine + 1]).toBe(`  refused: ${refusal}`);

    // The retry asks custodian 1 alone, with their own token.
    expectCompleted(d);
    expect(splits(d).intents).toBe(1);
    expect(receipts(d)).toEqual([...custodians.slice(1), c1].map((o) => [o.id, custodians.indexOf(o) + 1, o.device.serial]));
    expect(presenceAsked(d, c1)).toEqual(['yes', 'yes']);
    for (const o of custodians.slice(1)) expect(presenceAsked(d, o)).toEqual(['yes']);
    const report = verifyPacket(readPacketDir(d.out));
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(group(report, 'backup').notes).toEqual([`journal.jsonl: ${STEP}: backup of ${KEY}, 3 of 5, wrap key check value ${m.wrap_key.kcv}; 5 receipt(s) verified`]);
  }, 240_000);

  describe('verify catches tampering of a completed drill packet (copies in memory)', () => {
    let files: Map<string, Buffer>;
    let m: BackupManifest;
    beforeAll(() => {
      expect(absentOne, 'the one-absent drill must have run').toBeDefined();
      files = readPacketDir(absentOne.out);
      m = theBackup(absentOne);
      expect(verifyPacket(files).ok).toBe(true);
    });

    const tampered = (change: (copy: Map<string, Buffer>) => void): PacketReport => {
      const copy = new Map(files);
      change(copy);
      const report = verifyPacket(copy);
      expect(report.ok).toBe(false);
      return report;
    };

    it('a share file changed (one bit of its sealed ciphertext)', () => {
      const c2 = m.custodians[1];
      const path = `outputs/${c2.share_file}`;
      const original = files.get(path)!;
      const file = JSON.parse(original.toString('utf8')) as ShareFile;
      expect(Buffer.from(`${JSON.stringify(file, null, 2)}\n`).equals(original)).toBe(true);
      const ciphertext = Buffer.from(file.ciphertext, 'base64');
      ciphertext[3] ^= 0x01;
      const changed = Buffer.from(`${JSON.stringify({ ...file, ciphertext: ciphertext.toString('base64') }, null, 2)}\n`);
      expect(changed.length).toBe(original.length);
      const r = tampered((copy) => copy.set(path, changed));
      expect(group(r, 'backup').problems).toEqual([`journal.jsonl: ${STEP}: ${path} differs from the backup the journal recorded`]);
      expect(group(r, 'manifest').problems).toEqual([`${path}: SHA-256 differs from manifest.json`]);
      expect(group(r, 'outputs').problems).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}: SHA-256 \\S+ is not the \\S+ journal\\.jsonl recorded \\(line \\d+\\)$`))]);
    });

    it('a share file deleted', () => {
      const c3 = m.custodians[2];
      const path = `outputs/${c3.share_file}`;
      const r = tampered((copy) => copy.delete(path));
      expect(group(r, 'backup').problems).toEqual([`journal.jsonl: ${STEP}: ${path} is missing from the packet`]);
      expect(group(r, 'manifest').problems).toEqual([`${path}: listed in manifest.json but missing`]);
    });

    it('outputs/backup/manifest.json differs from the manifest the journal recorded (threshold lowered to 2)', () => {
      const path = 'outputs/backup/manifest.json';
      const changed = Buffer.from(`${JSON.stringify({ ...m, threshold: 2 }, null, 2)}\n`);
      expect(JSON.parse(files.get(path)!.toString('utf8'))).toEqual(m);
      const r = tampered((copy) => copy.set(path, changed));
      expect(group(r, 'backup').problems).toEqual([`journal.jsonl: ${STEP}: ${path} differs from the manifest the journal recorded`]);
      expect(group(r, 'outputs').problems).toHaveLength(1);
    });

    it('two receipts swap signatures in a journal whose hash chain is recomputed: each receipt is refused on its own', () => {
      const [c1, c2] = m.custodians;
      const text = files.get('journal.jsonl')!.toString('utf8');
      const entries = parseJournal(text).entries.map((e) => structuredClone(e));
      const r1 = entries.find((e) => e.type === 'step.event' && e.data.what === 'share-receipt' && e.data.officer === c1.officer)!;
      const r2 = entries.find((e) => e.type === 'step.event' && e.data.what === 'share-receipt' && e.data.officer === c2.officer)!;
      [r1.data.signature, r2.data.signature] = [r2.data.signature, r1.data.signature];
      let prev = GENESIS;
      for (const e of entries) {
        e.prev = prev;
        const { hash: _old, ...body } = e;
        e.hash = entryHash(body);
        prev = e.hash;
      }
      expect(verifyChain(entries)).toEqual([]);
      const r = tampered((copy) => copy.set('journal.jsonl', Buffer.from(`${entries.map((e) => JSON.stringify(e)).join('\n')}\n`)));
      const refused = (c: typeof c1) => `journal.jsonl: ${STEP}: receipt of ${c.name} (share ${c.index}): the signature from device ${c.device_serial} does not verify with ${c.name}'s enrolled 9a certificate`;
      expect(group(r, 'backup').problems).toEqual([refused(c1), refused(c2), `journal.jsonl: ${STEP}: completed with share(s) nobody verified: ${c1.name} (share 1), ${c2.name} (share 2)`]);
      // The signed manifest still pins the original journal.
      expect(group(r, 'manifest').problems.filter((p) => p.startsWith('journal.jsonl: '))).toHaveLength(1);
    });
  });
});
