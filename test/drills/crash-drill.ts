// The kill -9 drill of test/fixtures/crash-drill.yaml, shared by the crash-resume-*.test.ts shards: what a kill
// at the n-th time a rehearsal reaches a failpoint leaves is resumed, and `officiant resume` must finish it. That
// state is either left by a real SIGKILL (OFFICIANT_FAILPOINT=<point>#<n>) or copied, while it waits at the point,
// by one uninterrupted rehearsal that copies every hit (OFFICIANT_FAILPOINT_SNAPSHOT): the same bytes on disk
// and on the token, for one rehearsal instead of one per point. After each drill: the journal's hash chain holds, every intent has a
// result, every step completed exactly once, every output matches the hash the journal recorded, no PIN is in
// the output directory, and the token holds exactly one private key with the label (checked by pkcs11-tool).
// Each shard registers one test per kill point, so a failure names its point and the points of a file run side
// by side (describe.concurrent, bounded by the drills project's maxConcurrency); the shards spread the drill
// over the forked workers. Every shard gets its own temporary directory and sandbox root.
import { afterAll, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseJournal, type JournalEntry } from '../../src/record/journal.js';
import { officiant, ROOT, type CliResult } from '../helpers/cli.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { SOFTHSM_MODULE } from '../helpers/softhsm.js';

export const SCRIPT = join(ROOT, 'test/fixtures/crash-drill.yaml');
export const STEPS = ['check-in', 'init-token', 'evidence', 'generate', 'inspect', 'certificate', 'close'];
/** One drill is a killed rehearsal, a resume, a pkcs11-tool listing and a verify; the timeout only catches a hang. */
export const DRILL_TIMEOUT = 600_000;

const run = promisify(execFile);

interface People {
  people: Record<string, string[]>;
  secrets: Record<string, Record<string, string>>;
}

export function journalOf(out: string): JournalEntry[] {
  return parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries; // throws on a broken chain
}

export function sandboxOf(out: string): string {
  return (JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8')) as { sandbox: string }).sandbox;
}

function peopleOf(out: string): People {
  return JSON.parse(readFileSync(join(sandboxOf(out), 'people.json'), 'utf8')) as People;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

/** The simulated people's PIN halves and the joined PINs, in the forms a leak could take. */
function pinForms(out: string): string[] {
  const people = peopleOf(out);
  const halves = Object.values(people.secrets).flatMap((s) => Object.values(s));
  const [a, b] = people.people.officer;
  const joined = ['so-pin-half', 'user-pin-half'].map((k) => people.secrets[a][k] + people.secrets[b][k]);
  return [...halves, ...joined].flatMap((p) => [p, Buffer.from(p).toString('hex'), Buffer.from(p).toString('base64')]);
}

/** No simulated person's PIN half, nor a joined PIN, in any file under `dirs` (or in `texts`). */
export function assertNoPins(out: string, dirs: string[] = [out], texts: string[] = []): void {
  const forms = pinForms(out);
  expect(forms.length).toBeGreaterThan(10);
  for (const file of dirs.flatMap(filesUnder)) {
    const bytes = readFileSync(file);
    for (const form of forms) expect(bytes.includes(form), `${form.slice(0, 2)}… in ${file}`).toBe(false);
  }
  for (const text of texts) for (const form of forms) expect(text.includes(form)).toBe(false);
}

export function assertNoOpenIntent(entries: JournalEntry[]): void {
  const results = new Set(entries.filter((e) => e.type === 'result').map((e) => e.data.intent));
  expect(entries.filter((e) => e.type === 'intent' && !results.has(e.seq)).map((e) => e.data.op)).toEqual([]);
}

export type CrashDrill = ReturnType<typeof createCrashDrill>;

/** A shard's workspace: its temporary directory (removed after the file), environment and drills. */
export function createCrashDrill(prefix: string) {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
  delete env.OFFICIANT_FAILPOINT;
  delete env.SOFTHSM2_CONF;
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  let count = 0;
  /** A fresh output directory, named after what it drills. */
  const dir = (name: string) => join(base, `${++count}-${name.replace(/[^a-zA-Z0-9]+/g, '-')}`);

  /** `officiant rehearse` of the drill script into `out`, killed at `failpoint` when one is given. */
  function rehearse(out: string, failpoint?: string, extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return officiant(['rehearse', SCRIPT, '--out', out], { env: { ...env, ...extra, ...(failpoint ? { OFFICIANT_FAILPOINT: failpoint } : {}) } });
  }

  /** Private key labels on the rehearsal's token, listed by pkcs11-tool logged in with the officers' user PIN. */
  async function privateKeysOnToken(out: string): Promise<string[]> {
    const people = peopleOf(out);
    const pin = people.people.officer.map((n) => people.secrets[n]['user-pin-half']).join('');
    const { stdout } = await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', 'rehearsal-drill-hsm', '--login', '--pin', pin, '--list-objects', '--type', 'privkey'], {
      env: { ...env, SOFTHSM2_CONF: join(sandboxOf(out), 'softhsm2.conf') },
      encoding: 'utf8',
    });
    return [...stdout.matchAll(/label:\s+(\S+)/g)].map((m) => m[1]);
  }

  async function assertWhole(out: string): Promise<void> {
    const entries = journalOf(out);
    expect(filesUnder(out).filter((f) => f.endsWith('.tmp') || f.endsWith('.officiant.lock'))).toEqual([]);
    assertNoPins(out);
    expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
    expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
    for (const id of STEPS) expect(entries.filter((e) => e.type === 'step.completed' && e.step === id)).toHaveLength(1);
    assertNoOpenIntent(entries);
    for (const e of entries.filter((x) => x.type === 'result' && x.data.ok === true && String(x.data.op).startsWith('write:'))) {
      const o = e.data.output as { path: string; sha256: string };
      expect(createHash('sha256').update(readFileSync(join(out, o.path))).digest('hex'), o.path).toBe(o.sha256);
    }
    STEPS.forEach((id, i) => expect(existsSync(join(out, 'steps', `${String(i + 1).padStart(2, '0')}-${id}.pdf`)), id).toBe(true));
    expect((await privateKeysOnToken(out)).sort()).toEqual(['drill-key', 'officiant-evidence']);
  }

  /**
   * A copy of the (stopped) rehearsal in `from` with a sandbox of its own: the output directory and the sandbox
   * (token files, people; `sandboxFrom`, by default the one the rehearsal names) copied byte for byte, the
   * sandbox pointer and the token directory moved to the copy. A state several drills start from is made once
   * and copied, instead of rehearsed again for each.
   */
  function copyRehearsal(from: string, name: string, sandboxFrom = sandboxOf(from)): string {
    const out = dir(name);
    // The lock the stopped process left names its pid; every copy would name that one pid, and a new process
    // given it later (pids are reused) would make a resume refuse. The copy drops it: the drills that kill a
    // real process (the torn lines here, and the other drill files) meet a killed process's lock.
    cpSync(from, out, { recursive: true, filter: (src) => !src.endsWith('.officiant.lock') });
    const sandbox = mkdtempSync(join(env.OFFICIANT_SANDBOX_ROOT!, 'sandbox-'));
    // The same for a signing log's lock kept in the sandbox (SoftHSM's own token locks are kept).
    cpSync(sandboxFrom, sandbox, { recursive: true, filter: (src) => !src.endsWith('.jsonl.lock') });
    const conf = join(sandbox, 'softhsm2.conf');
    const pointer = join(from, 'rehearsal.json');
    const original = existsSync(pointer) ? sandboxOf(from) : sandboxFrom;
    writeFileSync(conf, readFileSync(conf, 'utf8').split(original).join(sandbox));
    if (existsSync(pointer)) writeFileSync(join(out, 'rehearsal.json'), `${JSON.stringify({ ...JSON.parse(readFileSync(pointer, 'utf8')), sandbox }, null, 2)}\n`);
    return out;
  }

  /**
   * A rehearsal without a crash, traced (OFFICIANT_FAILPOINT_TRACE): the reference for where the failpoints fall.
   * `points` is every failpoint the run reached, in order. A rehearsal takes the same path until it is killed, so
   * the n-th hit of a point in the trace is where `<point>#<n>` kills, and the trace's count of a point is all
   * there is (a drill armed one past it would run to the end). With `snapshot` points, the run also leaves what a
   * kill at each of their hits would (OFFICIANT_FAILPOINT_SNAPSHOT), for resumeSnapshot. Does not throw.
   */
  async function clean(name: string, extra: NodeJS.ProcessEnv = {}, snapshot: readonly string[] = []): Promise<{ out: string; result: CliResult; points: string[]; snapshots: string }> {
    const out = dir(name);
    const trace = `${out}.trace`;
    const snapshots = `${out}.snapshots`;
    const armed = snapshot.length > 0 ? { OFFICIANT_FAILPOINT_SNAPSHOT: snapshots, OFFICIANT_FAILPOINT_SNAPSHOT_POINTS: snapshot.join(',') } : {};
    const result = await rehearse(out, undefined, { ...extra, ...armed, OFFICIANT_FAILPOINT_TRACE: trace });
    const points = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
    return { out, result, points, snapshots };
  }

  /**
   * The state a kill at the n-th hit of `point` leaves, as the clean run in `snapshots` copied it (see clean),
   * copied again with a sandbox of its own; then resumed and checked: resume exits 0, the ceremony is whole (assertWhole) and
   * its packet verifies.
   */
  async function resumeSnapshot(snapshots: string, point: string, n: number): Promise<void> {
    const at = join(snapshots, `${point}#${n}`);
    expect(existsSync(join(at, 'sandbox')), `${point}#${n}: the clean run left no copy: it reaches ${point} fewer than ${n} times`).toBe(true);
    const out = existsSync(join(at, 'out')) ? copyRehearsal(join(at, 'out'), `${point}-${n}`, join(at, 'sandbox')) : dir(`${point}-${n}`);
    await resumeAndCheck(out, `${point}#${n}`);
  }

  async function resumeAndCheck(out: string, label: string): Promise<void> {
    if (!existsSync(join(out, 'journal.jsonl')) || readFileSync(join(out, 'journal.jsonl')).length === 0) {
      // Stopped before the first journal entry (during the sanity checks or while copying the script):
      // nothing happened on the HSM; resume says so plainly.
      const r = await officiant(['resume', out], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(existsSync(join(out, 'script.yaml')) ? 'stopped before its first journal entry' : 'holds no ceremony journal');
      rmSync(out, { recursive: true, force: true });
      return;
    }
    const resumed = await officiant(['resume', out], { env });
    expect(resumed.code, `${label} resume: ${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    await assertWhole(out);
    const verified = verifyDir(out);
    expect(verified.ok, `${label} verify:\n${verified.failing}`).toBe(true);
    rmSync(out, { recursive: true, force: true });
  }

  return { base, env, dir, rehearse, copyRehearsal, assertWhole, clean, resumeSnapshot, privateKeysOnToken };
}
