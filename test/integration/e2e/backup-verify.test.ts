// Verification of backup shares (step kind backup.verify, ceremonies/backup-verify.yaml), end to end on real
// SoftHSM tokens and simulated PIV tokens: five officers are enrolled and the release authority is initialised
// with the CLI (its root key backed up 3 of 5 to the five custodians); every later ceremony works from that one
// backup. This file proves:
//  1. `rehearse backup-verify.yaml --from <init>` completes: the journal holds five share-receipts, one per
//     custodian in share order, each the receipt the backup implies with purpose 'verify' and the init backup's
//     check value, signed by the custodian's enrolled 9a key; nothing is combined (the step's only journaled
//     operation is its own evidence page); `officiant verify` passes and its backup note names the five custodians;
//  2. verification needs no wrapped keys: the same rehearsal from a copy of the init directory WITHOUT
//     outputs/backup/*.wrapped completes and verifies, while a restore from that copy is refused (exit 2) with
//     the exact "is missing from" message before anything starts (no journal in its --out);
//  3. a share file of custodian 2 changed in its ciphertext: the share file's SHA-256 catches it, no PIN is asked
//     of that custodian, the others' receipts are journaled, and the step fails (the rehearsal aborts, exit 1)
//     with "1 share(s) did not open for their custodian: <name> (share 2): …" exactly;
//  4. in process (answers edited): nobody present fails the step with "no custodian verified their share: …
//     not present" (five custodian-not-present events, no device picked, no PIN typed, no receipt); two
//     custodians not present still completes, its page marking their shares not verified, and verify notes the
//     three others; both packets (the aborted one too) verify, as does the aborted one of case 3;
//  5. approvals of a restore bind the backup: the restore rehearsal's approve-restore statement carries
//     approve.backup = { manifest_sha256, ceremony_id, kcv } of the init backup, the packet verifies, and a copy
//     whose journal line 1 has another data.backup.kcv (hash chain recomputed, so the chain itself holds) fails
//     verification in the officers group: the approval statement is not the one recomputed (differs at
//     approve.backup.kcv), its three approvals are over a different statement, and the quorum is not met.
// Each exact message is the one the source builds (src/steps/backup-verify.ts, src/steps/shared/custodian-shares.ts,
// src/cli/compose.ts, src/evidence/verify-backup.ts, src/evidence/verify-approvals.ts).
import { inFours } from '../../../src/record/fingerprint.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedPivFleet } from '../../../src/adapters/piv/simulated-piv-fleet.js';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../../../src/adapters/pkcs11/softhsm-sandbox.js';
import type { Answers } from '../../../src/inputs/answers.js';
import { officerSecrets, simulatePeople } from '../../../src/adapters/prompts/rehearsal-people.js';
import { ScriptedPrompter } from '../../../src/adapters/prompts/scripted-prompter.js';
import { ceremonyDeps, loadBackup, loadRoster, loadScript, pivSite } from '../../../src/cli/compose.js';
import { readPacketDir } from '../../../src/cli/read-packet.js';
import { checkReceipt, receiptFor, type BackupCustodian, type BackupManifest, type ShareFile, type ShareReceipt } from '../../../src/custody/backup-manifest.js';
import { entryHash, GENESIS, parseJournal, verifyChain, type JournalEntry } from '../../../src/record/journal.js';
import { statementDigest, type ApprovalStatement, type CeremonyRef } from '../../../src/custody/quorum.js';
import { startCeremony, type LoadedRoster, type RunResult } from '../../../src/engine/runner.js';
import { isOfficiantError, type OfficiantError } from '../../../src/errors.js';
import { verifyPacket, type PacketReport } from '../../../src/evidence/verify-packet.js';
import type { HsmSite } from '../../../src/engine/step-kind.types.js';
import { ROOT } from '../../helpers/cli.js';
import { corruptCiphertext } from '../../helpers/share-files.js';
import { rehearsalWorkspace } from '../../helpers/rehearsal-workspace.js';

const ENROLLMENT = join(ROOT, 'ceremonies/officer-enrollment.yaml');
const INIT = join(ROOT, 'ceremonies/release-authority-init.yaml');
const RESTORE = join(ROOT, 'ceremonies/release-authority-restore.yaml');
const VERIFY = join(ROOT, 'ceremonies/backup-verify.yaml');
const KEY = 'release-root-2026';
const MANIFEST = 'outputs/backup/manifest.json';
const STEP = 'verify-shares';
const VERIFY_STEPS = ['room', 'check-in', 'room-and-hardware', 'init-token', 'evidence-key', STEP, 'approve-record', 'close'];

// Built before any in-process run points SOFTHSM2_CONF at a sandbox: each CLI rehearsal picks its own.
const ws = rehearsalWorkspace('officiant-backup-verify-');
const { work, dir, cli, rehearse, expectCompleted, copyOf } = ws;
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `officiant verify <dir>`: passes, with the backup group; returns what it printed. */
function expectVerified(name: string): string {
  const out = ws.expectVerified(name);
  expect(out).toContain('ok   backup\n');
  return out;
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}


/** The journal in a directory, read back and checked: every line hash-chained to the one before, none torn. */
function journalAt(path: string): JournalEntry[] {
  const parsed = parseJournal(readFileSync(join(path, 'journal.jsonl'), 'utf8'));
  expect(parsed.torn).toBeUndefined();
  expect(verifyChain(parsed.entries)).toEqual([]);
  return parsed.entries;
}
const journalOf = (name: string) => journalAt(dir(name));

function eventsOf(entries: JournalEntry[], what: string, step = STEP): JournalEntry['data'][] {
  return entries.filter((e) => e.type === 'step.event' && e.step === step && e.data.what === what).map((e) => e.data);
}

function refOf(entries: JournalEntry[]): CeremonyRef {
  expect(entries[0].type).toBe('ceremony.started');
  const d = entries[0].data;
  return { script_id: String(d.scriptId), ceremony_id: String(d.ceremonyId), script_sha256: String(d.scriptSha256) };
}

const notRecorded = (c: BackupCustodian, actual: Buffer) =>
  `share file ${c.share_file} of ${c.name} is not the one recorded in the backup (SHA-256 ${sha256(actual).slice(0, 16)}…, recorded ${c.share_sha256.slice(0, 16)}…): corrupted or replaced`;

/** What a run printed while the verify-shares step (step 6 of 8) ran, up to its end or failure. */
function stepOutput(text: string): string {
  const start = text.indexOf(`[step 6 of 8] Custodians open their shares`);
  expect(start).toBeGreaterThanOrEqual(0);
  const ends = [text.indexOf('  step failed: ', start), text.indexOf('  step 6 of 8 done: ', start)].filter((i) => i >= 0);
  expect(ends.length).toBeGreaterThan(0);
  return text.slice(start, Math.min(...ends));
}
const pinLines = (text: string, c: BackupCustodian) => text.split('\n').filter((l) => l === `  ${c.name} enters PIV PIN (hidden)`).length;

/** The receipts journaled at the step for backup `kcv`, each checked to be the receipt the backup implies. */
function expectReceipts(entries: JournalEntry[], which: BackupCustodian[]): void {
  const ref = refOf(entries);
  const receipts = eventsOf(entries, 'share-receipt');
  expect(receipts.map((d) => [d.officer, d.index, d.device, d.kcv])).toEqual(which.map((c) => [c.officer, c.index, c.device_serial, kcvI]));
  for (const d of receipts) {
    const c = which.find((x) => x.officer === d.officer)!;
    const receipt = d.receipt as unknown as ShareReceipt;
    expect(receipt.purpose).toBe('verify');
    expect(receipt.backup).toEqual({ ceremony_id: ceremonyI, kcv: kcvI });
    expect(receipt).toEqual(receiptFor(manifestI, c, 'verify', ref, STEP));
    expect(checkReceipt(roster, receipt, String(d.signature)).ok).toBe(true);
    // The signature is over this receipt: another purpose does not verify with it.
    expect(checkReceipt(roster, { ...receipt, purpose: 'split' }, String(d.signature)).ok).toBe(false);
  }
}

const verifiedNote = (which: BackupCustodian[]) =>
  `note: journal.jsonl: ${STEP}: ${which.length} custodian(s) verified their share of the backup with check value ${kcvI}: ${which.map((c) => `${c.name} (share ${c.index})`).join(', ')}`;

let rosterLoaded: LoadedRoster;
let roster: LoadedRoster['body'];
let manifestBytesI: Buffer;
let manifestI: BackupManifest;
let custodians: BackupCustodian[];
let kcvI: string;
let ceremonyI: string;

beforeAll(() => {
  expectCompleted(rehearse(ENROLLMENT, 'E', {}), 14);
  expectCompleted(rehearse(INIT, 'I', { officers: 'E' }), 14);
  rosterLoaded = loadRoster(join(dir('I'), 'roster.json'), { production: false });
  roster = rosterLoaded.body;
  manifestBytesI = readFileSync(join(dir('I'), MANIFEST));
  manifestI = JSON.parse(manifestBytesI.toString('utf8')) as BackupManifest;
  custodians = manifestI.custodians;
  kcvI = manifestI.wrap_key.kcv;
  ceremonyI = refOf(journalOf('I')).ceremony_id;
  expect(custodians.map((c) => c.index)).toEqual([1, 2, 3, 4, 5]);
  expect(manifestI.threshold).toBe(3);
  expect(kcvI).toMatch(/^[0-9a-f]{32}$/);
  expect(manifestI.keys.map((k) => k.blob_file)).toEqual([`backup/${KEY}.wrapped`]);
}, 300_000);

describe('backup share verification (backup-verify.yaml rehearsed with the CLI)', () => {
  it('every custodian opens their share: five verify receipts with the backup check value, verify names them', () => {
    const r = rehearse(VERIFY, 'V', { from: 'I' });
    expectCompleted(r, 8);
    expect(r.stdout).toContain(`Backup: ${join(dir('I'), 'outputs')} (ceremony ${ceremonyI})\n`);
    expect(r.stdout).toContain(`  Backup of ceremony ${ceremonyI}: 3 of 5\n`);
    // The administrator typed the check value from the paper record before any share was opened.
    expect(r.stdout).toContain(`  Check value ${inFours(kcvI)}: matches the paper record\n`);
    expect(r.stdout.indexOf('matches the paper record')).toBeLessThan(r.stdout.indexOf('enters PIV PIN', r.stdout.indexOf('Custodians open their shares')));
    const entries = journalOf('V');
    expect(entries.filter((e) => e.type === 'step.completed').map((e) => e.step)).toEqual(VERIFY_STEPS);
    expect(entries[0].data.backup).toEqual({ dir: join(dir('I'), 'outputs'), manifest_sha256: sha256(manifestBytesI), ceremony_id: ceremonyI, kcv: kcvI });
    expect(readFileSync(join(dir('V'), 'backup-source.json')).equals(manifestBytesI)).toBe(true);

    expectReceipts(entries, custodians);
    expect(eventsOf(entries, 'share-receipt')).toHaveLength(5);
    expect(eventsOf(entries, 'share-refused')).toEqual([]);
    expect(eventsOf(entries, 'custodian-not-present')).toEqual([]);
    // Nothing combined, nothing wrapped or unwrapped: the step's only operation is writing its evidence page.
    expect(entries.filter((e) => e.step === STEP && e.type === 'intent').map((e) => e.data.op)).toEqual([`evidence:steps/06-${STEP}.pdf:completed:signed`]);
    expect(existsSync(join(dir('V'), 'outputs/backup'))).toBe(false);
    const during = stepOutput(r.stdout);
    for (const c of custodians) {
      expect(during).toContain(`  ${c.name} opened share ${c.index}: matches its commitment; receipt signed and verified\n`);
      expect(pinLines(during, c)).toBe(1);
    }

    const out = expectVerified('V');
    expect(out).toContain(`${verifiedNote(custodians)}\n`);
  });

  it('needs no wrapped keys, where a restore from the same set is refused before it starts', () => {
    const copy = copyOf('I', 'NW');
    const blobs = readdirSync(join(copy, 'outputs/backup')).filter((f) => f.endsWith('.wrapped'));
    expect(blobs).toEqual([`${KEY}.wrapped`]);
    for (const f of blobs) rmSync(join(copy, 'outputs/backup', f));
    expect(readdirSync(join(copy, 'outputs/backup')).filter((f) => f.endsWith('.wrapped'))).toEqual([]);

    const r = rehearse(VERIFY, 'V2', { from: 'NW' });
    expectCompleted(r, 8);
    const entries = journalOf('V2');
    expectReceipts(entries, custodians);
    expect(entries[0].data.backup).toEqual({ dir: join(copy, 'outputs'), manifest_sha256: sha256(manifestBytesI), ceremony_id: ceremonyI, kcv: kcvI });
    expect(expectVerified('V2')).toContain(`${verifiedNote(custodians)}\n`);

    const restore = rehearse(RESTORE, 'R2', { from: 'NW' });
    expect(restore.code, restore.stdout).toBe(2);
    expect(restore.stderr.split('\n')[0]).toBe(`officiant: the wrapped key backup/${KEY}.wrapped of "${KEY}" is missing from ${resolve(copy, 'outputs')}`);
    expect(restore.stdout).not.toContain('[step 1 of 9]');
    expect(existsSync(join(dir('R2'), 'journal.jsonl'))).toBe(false);
  });

  it('a corrupted share file fails the step naming its custodian; the other custodians\' receipts stand', () => {
    const c2 = custodians[1];
    const copy = copyOf('I', 'NC');
    const corrupted = corruptCiphertext(join(copy, 'outputs', c2.share_file));
    const others = custodians.filter((c) => c !== c2);
    for (const c of others) expect(sha256(readFileSync(join(copy, 'outputs', c.share_file)))).toBe(c.share_sha256);

    const r = rehearse(VERIFY, 'V3', { from: 'NC' });
    expect(r.code, r.stdout.slice(-3000)).toBe(1);
    const reason = notRecorded(c2, corrupted);
    const message = `1 share(s) did not open for their custodian: ${c2.name} (share 2): ${reason}`;
    expect(r.stdout).toContain(`  step failed: ${message}\n`);
    expect(r.stdout).toContain(`  refused: ${reason}\n`);
    expect(r.stdout).toMatch(/Ceremony [0-9a-f-]{36} ABORTED: /);

    const entries = journalOf('V3');
    expectReceipts(entries, others);
    expect(eventsOf(entries, 'share-refused')).toEqual([{ what: 'share-refused', officer: c2.officer, name: c2.name, index: 2, kcv: kcvI, device: c2.device_serial, reason }]);
    expect(entries.filter((e) => e.type === 'step.failed').map((e) => [e.step, e.data.message])).toEqual([[STEP, message]]);
    expect(entries.filter((e) => e.type === 'step.completed').map((e) => e.step)).toEqual(VERIFY_STEPS.slice(0, 5));
    expect(entries.some((e) => e.type === 'ceremony.aborted' && e.step === STEP)).toBe(true);
    // The damaged file is refused before a PIN is asked; the others typed theirs once.
    const during = stepOutput(r.stdout);
    expect(pinLines(during, c2)).toBe(0);
    for (const c of others) expect(pinLines(during, c)).toBe(1);
    // The aborted ceremony's evidence verifies, and counts the four receipts.
    const report = verifyPacket(readPacketDir(dir('V3')));
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(group(report, 'backup').notes).toEqual([verifiedNote(others).slice('note: '.length)]);
  });

  it('approvals of a restore bind the backup: a changed check value in the journal fails the approvals check', () => {
    const r = rehearse(RESTORE, 'R', { from: 'I' });
    expectCompleted(r, 9);
    const entries = journalOf('R');
    const backup = { manifest_sha256: sha256(manifestBytesI), ceremony_id: ceremonyI, kcv: kcvI };
    expect(entries[0].data.backup).toEqual({ dir: join(dir('I'), 'outputs'), ...backup });
    const statements = eventsOf(entries, 'approval-statement', 'approve-restore');
    expect(statements).toHaveLength(1);
    const statement = statements[0].statement as unknown as ApprovalStatement;
    expect(statement.approve).toEqual({ what: 'step', step: expect.objectContaining({ id: 'restore', kind: 'backup.restore' }), backup });
    expect(statements[0].sha256).toBe(statementDigest(statement));
    const approvals = eventsOf(entries, 'approval', 'approve-restore');
    expect(approvals).toHaveLength(3);

    const files = readPacketDir(dir('R'));
    const report = verifyPacket(files);
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(group(report, 'officers').notes.some((n) => n.startsWith('journal.jsonl: approve-restore: 3/3 crypto officer approvals verified ('))).toBe(true);

    // Rewriting the journal with nothing changed gives back the same bytes: the rewrite itself is faithful.
    const text = files.get('journal.jsonl')!.toString('utf8');
    expect(rechain(text, () => {}).equals(files.get('journal.jsonl')!)).toBe(true);

    const otherKcv = `${kcvI.slice(0, -1)}${kcvI.endsWith('0') ? '1' : '0'}`;
    const tampered = rechain(text, (e) => {
      if (e.seq === 1) (e.data.backup as { kcv: string }).kcv = otherKcv;
    });
    const reread = parseJournal(tampered.toString('utf8'));
    expect(verifyChain(reread.entries)).toEqual([]);
    expect((reread.entries[0].data.backup as { kcv: string }).kcv).toBe(otherKcv);
    const copy = new Map(files);
    copy.set('journal.jsonl', tampered);
    const bad = verifyPacket(copy);
    expect(bad.ok).toBe(false);
    const officers = group(bad, 'officers');
    expect(officers.ok).toBe(false);
    // What the verifier recomputes: the recorded statement, with the backup the (altered) journal names.
    const recomputed: ApprovalStatement = { ...statement, approve: { ...statement.approve, backup: { ...backup, kcv: otherKcv } } as ApprovalStatement['approve'] };
    const digest = statementDigest(recomputed);
    expect(officers.problems.filter((p) => p.startsWith('journal.jsonl: approve-restore: '))).toEqual([
      'journal.jsonl: approve-restore: the approval statement is not the one recomputed from the script and journal (differs at approve.backup.kcv)',
      ...approvals.map((a) => {
        const name = roster.officers.find((o) => o.device.serial === a.device)!.name;
        return `journal.jsonl: approve-restore: approval by ${name} (device ${String(a.device)}): the approval from device ${String(a.device)} is over a different statement (${String(a.statement_sha256).slice(0, 16)}…, expected ${digest.slice(0, 16)}…)`;
      }),
      'journal.jsonl: approve-restore: quorum not met: 0/3 crypto officer approvals verified before the step completed',
    ]);
  });
});

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

const group = (r: PacketReport, name: string) => r.groups.find((g) => g.name === name)!;

/** journal.jsonl with `edit` applied to its entries and every prev and hash recomputed, as the journal makes them. */
function rechain(text: string, edit: (e: JournalEntry) => void): Buffer {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  let prev = GENESIS;
  const out = lines.map((line) => {
    const e = JSON.parse(line) as JournalEntry;
    edit(e);
    e.prev = prev;
    e.hash = entryHash(e);
    prev = e.hash;
    return JSON.stringify(e);
  });
  return Buffer.from(`${out.join('\n')}\n`, 'utf8');
}

// ---------------------------------------------------------------------------------------------------------
// In process, with the simulated people's answers edited: who is present. Last in this file: loading SoftHSM
// here fixes this process's SOFTHSM2_CONF to the init rehearsal's sandbox.

interface Drill {
  out: string;
  lines: string[];
  result?: RunResult;
  error?: OfficiantError;
  entries: JournalEntry[];
}

describe('who is present (backup-verify.yaml in process on the init rehearsal\'s sandbox)', () => {
  let fleet: SimulatedPivFleet;
  let secrets: Answers['secrets'];
  let runs = 0;

  beforeAll(() => {
    const pointer = readJson<{ sandbox: string; people?: string }>(join(dir('I'), 'rehearsal.json'));
    const sandbox = SoftHsmSandbox.open(pointer.sandbox);
    sandbox.activate();
    fleet = SimulatedPivFleet.open(sandbox.dir);
    secrets = officerSecrets(sandbox.loadPeople<Answers>(pointer.people));
    expect(Object.keys(secrets).sort()).toEqual(custodians.map((c) => c.name).sort());
  });

  async function drill(notPresent: BackupCustodian[], typedCheckValue?: string): Promise<Drill> {
    const { script, text } = loadScript(VERIFY);
    const answers = simulatePeople(script, { officers: { roster, secrets: structuredClone(secrets) } });
    answers.confirm = Object.fromEntries(notPresent.map((c) => [`${STEP}#present:${c.officer}`, false]));
    // The administrator types the check value from the paper record of the backup ceremony.
    answers.records[STEP] = { 'backup-check-value': typedCheckValue ?? kcvI };
    const name = `drill-${++runs}`;
    const out = join(work, 'runs', name);
    const lines: string[] = [];
    const prompter = new ScriptedPrompter(answers, (l) => lines.push(l));
    const site: HsmSite = { profile: 'release-hsm', module: SOFTHSM_MODULE, tokenLabel: `backup-verify-${name}` };
    const piv = pivSite({ module: SOFTHSM_MODULE, attestationRoots: [fleet.attestationRoot().pem] }, fleet);
    const backup = loadBackup(join(dir('I'), 'outputs'), { blobs: false });
    const deps = ceremonyDeps({ script, text, site, rehearsal: true, prompter, out, roster: rosterLoaded, piv, backup });
    const d: Omit<Drill, 'entries'> = { out, lines };
    try {
      d.result = await startCeremony(deps, { scriptFile: VERIFY });
    } catch (err) {
      if (!isOfficiantError(err)) throw err;
      d.error = err;
    }
    return { ...d, entries: journalAt(out) };
  }

  const presenceAsked = (d: Drill, c: BackupCustodian) =>
    d.lines.filter((l) => l.includes(`: Is ${c.name} (custodian of share ${c.index}) here to open their share with their token?`)).map((l) => l.slice(l.lastIndexOf(' ') + 1));

  it('verify refuses a restore whose paper check value or certificate fingerprint was not confirmed before the shares', () => {
    expect(existsSync(join(dir('R'), 'journal.jsonl')), 'runs after the restore rehearsal of the approvals test').toBe(true);
    const files = readPacketDir(dir('R'));
    expect(verifyPacket(files).ok).toBe(true);
    const text = files.get('journal.jsonl')!.toString('utf8');
    const without = (what: string) => {
      const copy = new Map(files);
      copy.set('journal.jsonl', rechain(text, (e) => {
        if (e.type === 'step.event' && e.data.what === what) e.data.what = 'note';
      }));
      return group(verifyPacket(copy), 'backup').problems;
    };
    expect(without('backup-check-value-confirmed')).toEqual(['journal.jsonl: restore: shares of the backup were opened before its check value was confirmed from the paper record']);
    expect(without('certificate-fingerprint-confirmed')).toEqual(['journal.jsonl: restore: the certificate fingerprint of release-root-2026 was not confirmed as the published one before shares were opened']);
  });

  it('a check value typed from paper that is not the backup\'s stops the step before any custodian is asked', async () => {
    // One character off (a misread paper record, or a backup set that is not the one recorded).
    const wrong = `${kcvI.slice(0, 31)}${kcvI[31] === '0' ? '1' : '0'}`;
    const d = await drill([], wrong);
    expect(d.result?.outcome).toBe('aborted');
    const message = `the check value typed from paper does not match this backup's: read the paper record of ceremony ${ceremonyI} again; if it still differs, this is not that backup set: stop`;
    expect(d.entries.filter((e) => e.type === 'step.failed').map((e) => [e.step, e.data.message])).toEqual([[STEP, message]]);
    expect(eventsOf(d.entries, 'backup-check-value-refused')).toEqual([{ what: 'backup-check-value-refused', kcv: kcvI, typed: wrong }]);
    for (const what of ['backup-check-value-confirmed', 'share-receipt', 'share-refused', 'custodian-not-present']) expect(eventsOf(d.entries, what)).toEqual([]);
    expect(d.lines.join('\n')).not.toContain('here to open their share');
    // Its check value was never on the screen before it was typed.
    expect(d.lines.join('\n')).not.toContain(kcvI);
  }, 240_000);

  it('nobody present: the step fails naming everyone as not present; no share is opened', async () => {
    const d = await drill(custodians);
    expect(d.error).toBeUndefined();
    expect(d.result?.outcome).toBe('aborted');
    const message = `no custodian verified their share: ${custodians.map((c) => c.name).join(', ')} not present`;
    expect(d.lines).toContain(`  step failed: ${message}`);
    expect(d.entries.filter((e) => e.type === 'step.failed').map((e) => [e.step, e.data.message])).toEqual([[STEP, message]]);
    expect(eventsOf(d.entries, 'custodian-not-present')).toEqual(custodians.map((c) => ({ what: 'custodian-not-present', officer: c.officer, name: c.name, index: c.index, kcv: kcvI })));
    expect(eventsOf(d.entries, 'share-receipt')).toEqual([]);
    expect(eventsOf(d.entries, 'share-refused')).toEqual([]);
    const during = stepOutput(d.lines.join('\n'));
    for (const c of custodians) {
      expect(presenceAsked(d, c)).toEqual(['no']);
      expect(d.lines).toContain(`  ${c.name} is not here`);
      expect(during).not.toContain(`  Custodian ${c.name}: share ${c.index} of 5`);
      expect(pinLines(during, c)).toBe(0);
    }
    // The aborted ceremony's evidence verifies, noting that nobody verified anything.
    const report = verifyPacket(readPacketDir(d.out));
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(group(report, 'backup').notes).toEqual([`journal.jsonl: ${STEP}: 0 custodian(s) verified their share of the backup with check value ${kcvI}`]);
  }, 240_000);

  it('two custodians not present: the others verify, the step completes, verify names the three', async () => {
    const absent = [custodians[1], custodians[3]];
    const present = custodians.filter((c) => !absent.includes(c));
    const d = await drill(absent);
    expect(d.error).toBeUndefined();
    expect(d.result?.outcome).toBe('done');
    expect(d.entries.filter((e) => e.type === 'step.completed').map((e) => e.step)).toEqual(VERIFY_STEPS);
    expectReceipts(d.entries, present);
    expect(eventsOf(d.entries, 'custodian-not-present').map((e) => e.officer)).toEqual(absent.map((c) => c.officer));
    for (const c of absent) expect(presenceAsked(d, c)).toEqual(['no']);
    for (const c of present) expect(presenceAsked(d, c)).toEqual(['yes']);
    const report = verifyPacket(readPacketDir(d.out));
    expect(report.groups.filter((g) => !g.ok)).toEqual([]);
    expect(group(report, 'backup').notes).toEqual([verifiedNote(present).slice('note: '.length)]);
    // The step's evidence page: three shares opened, the two others not verified in this ceremony. (The table
    // wraps the names' " (rehearsal)" into the next column: it is taken out of both.)
    const plain = (t: string) => t.replaceAll(' (rehearsal)', '');
    const text = plain(pdfText(join(d.out, `steps/06-${STEP}.pdf`)));
    expect(text.match(/: opened, matches its commitment; receipt signed \(verified\)/g)).toHaveLength(3);
    expect(text.match(/not present: not verified in this ceremony/g)).toHaveLength(2);
    for (const c of absent) expect(text).toContain(`Share ${c.index}: ${plain(c.name)} not present: not verified in this ceremony`);
    for (const c of present) expect(text).toContain(`Share ${c.index}: ${plain(c.name)} device ${c.device_serial}: opened, matches its commitment; receipt signed (verified)`);
  }, 240_000);
});
