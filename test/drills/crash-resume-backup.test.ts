// kill -9 drills for the root key backup (backup.split, step backup-root-key of release-authority-init.yaml,
// rehearsed with the officers of one officer-enrollment.yaml rehearsal). The rehearsal is killed (real SIGKILL,
// through OFFICIANT_FAILPOINT) at four points of the backup step, then `officiant resume` must finish it:
//  (a) inside the backup.split effect, before its result is journaled: once while the SO's trusted transport key
//      is on the HSM token (just before the first wrap), once at the journal write of the effect's result (the split
//      was made in memory and is lost);
//  (b) right after the backup.split result is journaled, before any file of the backup set is written;
//  (c) after the 2nd custodian's share-receipt, before the 3rd custodian's token is used;
//  (d) just before the 5th (last) receipt is journaled (custodian 5 opened and signed; the record was lost).
// Proved after each: resume exits 0 and the packet verifies (the verifier rechecks the backup and every receipt); the journal holds
// exactly one successful backup.split result, and the manifest, blobs and share files on disk are byte for
// byte the ones it recorded; for (b), (c), (d) that result is the one journaled before the crash (same KCV,
// same share-file SHA-256s: nothing regenerated); for (a) the interrupted attempt is closed as failed and one
// new split follows; no transport key object is left on the HSM token (listed with pkcs11-tool, an outside tool,
// logged in with the token's user PIN), and for the first (a) drill one was there at the crash; every
// custodian has exactly one share-receipt, for the final KCV; the resume asks (presence question and PIV PIN)
// exactly the custodians without a receipt in the crashed journal, and those receipts are kept unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseJournal, type JournalEntry } from '../../src/record/journal.js';
import type { MadeBackup } from '../../src/steps/shared/backup-set.js';
import { officiant, ROOT, type CliResult } from '../helpers/cli.js';
import { SOFTHSM_MODULE } from '../helpers/softhsm.js';
import { verifyDir } from '../helpers/verify-dir.js';

const ENROLL = join(ROOT, 'ceremonies/officer-enrollment.yaml');
const INIT = join(ROOT, 'ceremonies/release-authority-init.yaml');
const STEP = 'backup-root-key';
const TITLE = 'Back up the root key, 3 of 5 custodians';
// The SO's trusted transport key is the only key a backup step stores on the token (the wrap key is a session
// object, gone with the process).
const WRAP_LABEL = 'officiant-backup-transport-';
const DRILL_TIMEOUT = 600_000;

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let base: string;
let env: NodeJS.ProcessEnv;
let officers: string;
/** The journal of an uninterrupted rehearsal: where the journal writes of the backup step fall. */
let clean: Promise<JournalEntry[]>;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'officiant-crash-backup-'));
  env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
  delete env.SOFTHSM2_CONF;
  delete env.OFFICIANT_FAILPOINT;
  officers = join(base, 'officers');
  const enrolled = await officiant(['rehearse', ENROLL, '--out', officers], { env });
  expect(enrolled.code, `${enrolled.stdout}\n${enrolled.stderr}`).toBe(0);
  clean = (async () => {
    const out = join(base, 'clean');
    const r = await officiant(['rehearse', INIT, '--out', out, '--officers', officersCopy('clean')], { env });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return journalOf(out);
  })();
  clean.catch(() => undefined); // surfaced by the drills that await it
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/**
 * The enrolled officers in a sandbox of their own (a copy of the enrollment's tokens, fleet file and people).
 * Rehearsals that join one shared sandbox at once fail now and then: while one initialises its HSM token in
 * the shared SoftHSM token directory, another listing the PIV tokens gets CKR_GENERAL_ERROR ("listing PIV
 * devices"). Each rehearsal here gets its own copy, so two can run side by side.
 */
function officersCopy(name: string): string {
  const pointer = JSON.parse(readFileSync(join(officers, 'rehearsal.json'), 'utf8')) as { sandbox: string };
  const sandbox = join(base, 'sandboxes', `copy-${name}`);
  cpSync(pointer.sandbox, sandbox, { recursive: true });
  writeFileSync(join(sandbox, 'softhsm2.conf'), readFileSync(join(pointer.sandbox, 'softhsm2.conf'), 'utf8').replaceAll(pointer.sandbox, sandbox));
  const dir = join(base, `officers-${name}`);
  mkdirSync(join(dir, 'outputs'), { recursive: true });
  cpSync(join(officers, 'outputs', 'roster.json'), join(dir, 'outputs', 'roster.json'));
  writeFileSync(join(dir, 'rehearsal.json'), JSON.stringify({ ...pointer, sandbox }));
  return dir;
}

function journalOf(out: string): JournalEntry[] {
  return parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries; // throws on a broken chain
}

const inStep = (entries: JournalEntry[]) => entries.filter((e) => e.step === STEP);
const receiptsOf = (entries: JournalEntry[]) => inStep(entries).filter((e) => e.type === 'step.event' && e.data.what === 'share-receipt');

/** The backup.split intents of the step, each with its last result (undefined: open). */
function splits(entries: JournalEntry[]): Array<{ intent: JournalEntry; result?: JournalEntry }> {
  return inStep(entries)
    .filter((e) => e.type === 'intent' && e.data.op === 'backup.split')
    .map((intent) => ({ intent, result: entries.filter((e) => e.type === 'result' && e.data.intent === intent.seq).pop() }));
}

function okSplits(entries: JournalEntry[]): MadeBackup[] {
  return splits(entries).filter((s) => s.result?.data.ok === true).map((s) => s.result!.data.output as unknown as MadeBackup);
}

/** Wrap key objects on the rehearsal's HSM token, listed by pkcs11-tool logged in with the token's user PIN. */
async function wrapKeysOnToken(out: string): Promise<string[]> {
  const pointer = JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8')) as { sandbox: string; people: string };
  const people = JSON.parse(readFileSync(join(pointer.sandbox, pointer.people), 'utf8')) as { secrets: Record<string, Record<string, string>> };
  const { tokenLabel } = JSON.parse(readFileSync(join(out, 'site.json'), 'utf8')) as { tokenLabel: string };
  const holders = journalOf(out).find((e) => e.type === 'step.event' && e.data.what === 'pin-holders')!.data.holders as string[];
  const pin = holders.map((h) => people.secrets[h]['user-pin-half']).join('');
  const { stdout } = await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', tokenLabel, '--login', '--pin', pin, '--list-objects'], {
    env: { ...env, SOFTHSM2_CONF: join(pointer.sandbox, 'softhsm2.conf') },
  });
  expect(stdout, 'the listing must see the private objects (the release root key)').toMatch(/Private Key Object; RSA[\s\S]*?label:\s+release-root-2026/);
  return [...stdout.matchAll(/label:\s+(\S+)/g)].map((m) => m[1]).filter((l) => l.startsWith(WRAP_LABEL));
}

/** The custodians (share indices) the resume asked to open their share, and how many PIV PINs it asked for. */
function askedOnResume(stdout: string): { shares: number[]; pivPins: number } {
  const from = stdout.indexOf(`] ${TITLE}`);
  const to = stdout.indexOf(`done: ${TITLE}`);
  expect(from, stdout).toBeGreaterThanOrEqual(0);
  expect(to, stdout).toBeGreaterThan(from);
  const section = stdout.slice(from, to);
  return {
    shares: [...section.matchAll(/\(custodian of share (\d+)\) here to open/g)].map((m) => Number(m[1])),
    pivPins: [...section.matchAll(/enters PIV PIN/g)].length,
  };
}

interface Drill {
  out: string;
  crashed: JournalEntry[];
  entries: JournalEntry[];
  resumed: CliResult;
  wrapKeysAtCrash: string[];
  final: MadeBackup;
}

let drills = 0;
/** Rehearses killed at `failpoint`, resumes, verifies, and checks what every drill must hold. */
async function drill(failpoint: string): Promise<Drill> {
  const name = `drill-${++drills}-${failpoint.replace(/[^a-zA-Z0-9]+/g, '-')}`;
  const out = join(base, name);
  const first = await officiant(['rehearse', INIT, '--out', out, '--officers', officersCopy(name)], { env: { ...env, OFFICIANT_FAILPOINT: failpoint } });
  expect(first.signal, `${failpoint}: the rehearsal was not killed\n${first.stdout}\n${first.stderr}`).toBe('SIGKILL');
  const crashed = journalOf(out);
  const wrapKeysAtCrash = await wrapKeysOnToken(out);
  const resumed = await officiant(['resume', out], { env });
  expect(resumed.code, `${failpoint} resume:\n${resumed.stdout}\n${resumed.stderr}`).toBe(0);

  const report = verifyDir(out);
  expect(report.groups.filter((g) => !g.ok), `${failpoint} verify`).toEqual([]);
  expect(report.ok).toBe(true);

  const entries = journalOf(out);
  expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
  const answered = new Set(entries.filter((e) => e.type === 'result').map((e) => e.data.intent));
  expect(entries.filter((e) => e.type === 'intent' && !answered.has(e.seq)).map((e) => e.data.op), 'open intents').toEqual([]);
  expect(inStep(entries).filter((e) => e.type === 'step.completed')).toHaveLength(1);

  // One successful split, and the backup set on disk is exactly what it recorded.
  const made = okSplits(entries);
  expect(made, `${failpoint}: successful backup.split results`).toHaveLength(1);
  const final = made[0];
  const kcv = final.manifest.wrap_key.kcv;
  const outputs = join(out, 'outputs');
  expect(JSON.parse(readFileSync(join(outputs, 'backup/manifest.json'), 'utf8'))).toEqual(final.manifest);
  for (const [rel, b64] of Object.entries(final.files)) expect(sha256(readFileSync(join(outputs, rel))), rel).toBe(sha256(Buffer.from(b64, 'base64')));
  for (const c of final.manifest.custodians) expect(sha256(readFileSync(join(outputs, c.share_file))), c.share_file).toBe(c.share_sha256);
  for (const k of final.manifest.keys) expect(sha256(readFileSync(join(outputs, k.blob_file))), k.blob_file).toBe(k.blob_sha256);
  expect(report.groups.find((g) => g.name === 'backup')!.notes.some((n) => n.includes(`wrap key check value ${kcv}; 5 receipt(s) verified`))).toBe(true);

  // Every custodian signed exactly one receipt, for the final check value; receipts from before the crash
  // are kept as they were, and only the custodians without one were asked again.
  const receipts = receiptsOf(entries);
  expect(receipts.map((e) => e.data.kcv)).toEqual(final.manifest.custodians.map(() => kcv));
  expect(receipts.map((e) => e.data.officer).sort()).toEqual(final.manifest.custodians.map((c) => c.officer).sort());
  expect(inStep(entries).filter((e) => e.type === 'step.event' && (e.data.what === 'share-refused' || e.data.what === 'custodian-absent'))).toEqual([]);
  const before = receiptsOf(crashed);
  for (const r of before) expect(entries[r.seq - 1].hash).toBe(r.hash);
  const done = new Set(before.map((e) => e.data.officer));
  const expected = final.manifest.custodians.filter((c) => !done.has(c.officer)).map((c) => c.index);
  expect(askedOnResume(resumed.stdout), `${failpoint}: custodians asked on resume`).toEqual({ shares: expected, pivPins: expected.length });

  // Nothing of the wrap key is left on the HSM token.
  expect(await wrapKeysOnToken(out), `${failpoint}: transport key left on the token`).toEqual([]);
  return { out, crashed, entries, resumed, wrapKeysAtCrash, final };
}

/** (b), (c), (d): the crashed journal already holds the split; the resumed ceremony kept it, regenerated nothing. */
function assertKept(d: Drill): void {
  const recorded = okSplits(d.crashed);
  expect(recorded, 'successful backup.split results before the crash').toHaveLength(1);
  const first = recorded[0];
  expect(d.final.manifest.wrap_key.kcv).toBe(first.manifest.wrap_key.kcv);
  expect(d.final).toEqual(first);
  const outputs = join(d.out, 'outputs');
  expect(JSON.parse(readFileSync(join(outputs, 'backup/manifest.json'), 'utf8')).wrap_key.kcv).toBe(first.manifest.wrap_key.kcv);
  for (const c of first.manifest.custodians) expect(sha256(readFileSync(join(outputs, c.share_file))), c.share_file).toBe(c.share_sha256);
  expect(splits(d.entries)).toHaveLength(1); // not even attempted again
  expect(d.wrapKeysAtCrash).toEqual([]);
}

/** (a): the interrupted split is closed as failed on resume, and exactly one new split follows it. */
function assertRedone(d: Drill): void {
  const open = splits(d.crashed);
  expect(open).toHaveLength(1);
  expect(open[0].result, 'the crashed split must have no result').toBeUndefined();
  expect(receiptsOf(d.crashed)).toEqual([]);
  const all = splits(d.entries);
  expect(all).toHaveLength(2);
  expect(all[0].intent.seq).toBe(open[0].intent.seq);
  expect(all[0].result!.data).toMatchObject({ ok: false, reconciled: true });
  expect(all[1].intent.seq).toBeGreaterThan(all[0].result!.seq);
  expect(all[1].result!.data.ok).toBe(true);
}

describe.concurrent('release-authority-init killed inside the backup step, then resumed', () => {
  it('(a) inside backup.split, while the trusted transport key is on the token: a new split, the left-over key destroyed', async () => {
    const d = await drill('hsm.wrapKey#1');
    expect(d.crashed[d.crashed.length - 1].step).toBe(STEP);
    expect(d.wrapKeysAtCrash, 'the drill must crash with the transport key on the token').toEqual([`${WRAP_LABEL}${STEP}`]);
    assertRedone(d);
  }, DRILL_TIMEOUT);

  it('(c) after the 2nd share-receipt, before the 3rd custodian uses their token: receipts 1-2 kept, 3-5 asked', async () => {
    const d = await drill('piv.deriveSharedSecret#3');
    const last = d.crashed[d.crashed.length - 1];
    expect(last.data).toMatchObject({ what: 'share-receipt', index: 2 });
    expect(receiptsOf(d.crashed)).toHaveLength(2);
    assertKept(d);
  }, DRILL_TIMEOUT);

  it('(a) at the journal write of the backup.split result: the split made in memory is lost, a new one is made', async () => {
    const result = splits(await clean)[0].result!;
    const d = await drill(`journal.append#${result.seq}`);
    expect(d.crashed).toHaveLength(result.seq - 1);
    expect(d.wrapKeysAtCrash).toEqual([]); // destroyed inside the effect, before the crash
    assertRedone(d);
  }, DRILL_TIMEOUT);

  it('(b) right after the backup.split result, before any backup file is written: the journaled split is written', async () => {
    const entries = await clean;
    const result = splits(entries)[0].result!;
    expect(entries[result.seq].data.op).toMatch(/^write:outputs\//); // the next write is the first file's intent
    const d = await drill(`journal.append#${result.seq + 1}`);
    expect(d.crashed).toHaveLength(result.seq);
    assertKept(d);
  }, DRILL_TIMEOUT);

  it('(d) just before the 5th (last) share-receipt is journaled: receipts 1-4 kept, only custodian 5 asked again', async () => {
    const fifth = receiptsOf(await clean)[4];
    expect(fifth.data.index).toBe(5);
    const d = await drill(`journal.append#${fifth.seq}`);
    expect(d.crashed).toHaveLength(fifth.seq - 1);
    expect(receiptsOf(d.crashed)).toHaveLength(4);
    assertKept(d);
  }, DRILL_TIMEOUT);
});
