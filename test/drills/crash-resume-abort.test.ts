// An aborting crash drill (test/drills/crash-drill.ts): the rehearsal is killed at its 3rd journal write, the
// simulated witness is then made to refuse every sign-off (the certificate step fails and, with no decision in
// the answers, the ceremony aborts), and the resume is killed before each of its journal writes from the failing
// step on; a second resume must still end the ceremony aborted, with the aborted step's page, no open intent, the
// keys on the token and a packet that verifies as aborted. The kill points are the journal writes of an uninterrupted aborting resume
// from the failing step's start to the seal (those before are an ordinary run's, killed by crash-resume-journal),
// which its failpoint trace must count as well, so the list is complete. The killed, refusing
// rehearsal every drill starts from is made once and copied for each (output directory and sandbox). The
// uninterrupted aborting resume leaves what a kill before each of its writes would (a copy taken while it waits
// at the write, OFFICIANT_FAILPOINT_SNAPSHOT), and each copy is resumed again; one drill kills the resume for real.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { officiant, type CliResult } from '../helpers/cli.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { assertNoOpenIntent, createCrashDrill, DRILL_TIMEOUT, journalOf, sandboxOf, STEPS } from './crash-drill.js';

const drill = createCrashDrill('officiant-crash-abort-');

/** The rehearsal killed at its 3rd journal write, its witness now refusing: where every drill starts. */
async function refusingStart(): Promise<string> {
  const out = drill.dir('abort-start');
  const first = await drill.rehearse(out, 'journal.append#3');
  expect(first.signal, first.stderr).toBe('SIGKILL');
  const peopleFile = join(sandboxOf(out), 'people.json');
  writeFileSync(peopleFile, JSON.stringify({ ...JSON.parse(readFileSync(peopleFile, 'utf8')), confirm: false }));
  return out;
}

/**
 * A copy of the refusing start, resumed: killed at `failpoint` if given, else traced (OFFICIANT_FAILPOINT_TRACE)
 * and copied at every journal write (`snapshots`).
 */
async function abortingResume(start: string, name: string, failpoint?: string): Promise<{ out: string; crashed: number; resumed: CliResult; points: string[]; snapshots: string }> {
  const out = drill.copyRehearsal(start, name);
  const crashed = journalOf(out).length;
  const trace = `${out}.trace`;
  const snapshots = `${out}.snapshots`;
  const armed = failpoint ? { OFFICIANT_FAILPOINT: failpoint } : { OFFICIANT_FAILPOINT_TRACE: trace, OFFICIANT_FAILPOINT_SNAPSHOT: snapshots, OFFICIANT_FAILPOINT_SNAPSHOT_POINTS: 'journal.append' };
  const resumed = await officiant(['resume', out], { env: { ...drill.env, ...armed } });
  const points = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  return { out, crashed, resumed, points, snapshots };
}

// Collected before the tests are registered: the journal writes of a whole aborting resume are the kill points.
const failed = (err: unknown) => ({ out: '', crashed: 0, points: [], snapshots: '', resumed: { code: null, signal: null, stdout: '', stderr: String(err) } as CliResult });
const start = await refusingStart().catch(() => '');
const uninterrupted = start ? await abortingResume(start, 'abort-clean').catch(failed) : failed('the rehearsal to start from was not killed at its 3rd journal write');
const writes = uninterrupted.resumed.code === 1 ? journalOf(uninterrupted.out).length - uninterrupted.crashed : 0;
// The resume's writes up to the failing step are those of an ordinary run, which crash-resume-journal kills at
// every one; the drills below kill at every write from the failing step's start to the seal. `first` is the
// resume's count of journal writes at that start (the failpoint's n counts the resume's writes).
const first = (() => {
  if (!writes) return 0;
  const entries = journalOf(uninterrupted.out);
  const aborted = entries.find((e) => e.type === 'ceremony.aborted');
  const started = entries.filter((e) => e.type === 'step.started' && e.step === aborted?.step).pop();
  return started ? started.seq - uninterrupted.crashed : 0;
})();

describe('an aborting ceremony without a second crash', () => {
  it('ends aborted (exit 1) after more than ten journal writes of its resume', () => {
    expect(uninterrupted.resumed.code, uninterrupted.resumed.stderr).toBe(1);
    expect(journalOf(uninterrupted.out).filter((e) => e.type === 'ceremony.aborted')).toHaveLength(1);
    expect(writes).toBeGreaterThanOrEqual(10);
    // Its failpoint trace counts as many journal writes: no write from the failing step on goes without a drill.
    expect(uninterrupted.points.filter((p) => p === 'journal.append')).toHaveLength(writes);
    expect(first, 'the failing step starts during the resume').toBeGreaterThan(0);
    expect(writes - first + 1).toBeGreaterThanOrEqual(10);
  });

  it('its packet says what it left behind: the keys still on the token and the files it wrote', () => {
    const cover = execFileSync('pdftotext', ['-raw', '-f', '1', '-l', '2', join(uninterrupted.out, 'packet.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(cover).toMatch(/What the aborted ceremony left behind Keys it generated, still on token rehearsal-drill-hsm: • officiant-evidence \(EC-P256, ceremony evidence signing\), public key SHA-256 [0-9a-f]{64}/);
    expect(cover).toMatch(/• drill-key \(EC-P256, drill\), public key SHA-256 [0-9a-f]{64}/);
    expect(cover).toContain('Files it wrote (in outputs/ of this packet): outputs/');
    expect(cover).toContain('None of these was approved for use.');
  });
});

/** Resumes `out` (stopped during an aborting resume) again: it must end aborted, whole, and verify. */
async function assertEndsAborted(out: string, label: string): Promise<void> {
  const again = await officiant(['resume', out], { env: drill.env });
  expect(again.code, again.stderr).toBe(1);
  const entries = journalOf(out);
  expect(entries.filter((e) => e.type === 'ceremony.aborted')).toHaveLength(1);
  assertNoOpenIntent(entries);
  const aborted = entries.find((e) => e.type === 'ceremony.aborted')!;
  const index = STEPS.indexOf(String(aborted.step));
  expect(existsSync(join(out, 'steps', `${String(index + 1).padStart(2, '0')}-${aborted.step}.pdf`))).toBe(true);
  expect((await drill.privateKeysOnToken(out)).sort()).toEqual(['drill-key', 'officiant-evidence']);
  const verified = verifyDir(out);
  expect(verified.ok, `${label} verify:\n${verified.failing}`).toBe(true);
  expect(verified.groups.flatMap((g) => g.notes).join('\n')).toMatch(/journal\.jsonl: \d+ entries, aborted/);
  rmSync(out, { recursive: true, force: true });
}

describe.concurrent('an aborting ceremony killed at every journal write from the failing step on still ends aborted, with its page and no open intent', () => {
  for (let n = first; n >= 1 && n <= writes; n++) {
    it(`journal.append#${n} of the resume`, async () => {
      const at = join(uninterrupted.snapshots, `journal.append#${n}`);
      expect(existsSync(join(at, 'out')), `abort drill #${n}: the aborting resume left no copy`).toBe(true);
      const out = drill.copyRehearsal(join(at, 'out'), `abort-${n}`, join(at, 'sandbox'));
      await assertEndsAborted(out, `abort drill #${n}`);
    }, DRILL_TIMEOUT);
  }

  it('a real kill -9 of the aborting resume at the failing step\'s start', async () => {
    const { out, resumed: crashed } = await abortingResume(start, 'abort-killed', `journal.append#${first}`);
    expect(crashed.signal, `the resume was not killed (exit ${crashed.code})\n${crashed.stderr}`).toBe('SIGKILL');
    await assertEndsAborted(out, 'killed resume');
  }, DRILL_TIMEOUT);
});
