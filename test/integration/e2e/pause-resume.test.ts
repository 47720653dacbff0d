// Ctrl-C (SIGINT) during a non-interactive run pauses at the next safe point: the operation under way
// finishes, `ceremony.paused` is journaled, the exit code is 130; `officiant resume` then finishes the
// ceremony with the same answers, the chain intact and exactly one key on the token.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJournal } from '../../../src/record/journal.js';
import { BIN, officiant, ROOT } from '../../helpers/cli.js';
import { createTestHsm, listObjects, SOFTHSM_MODULE } from '../../helpers/softhsm.js';

const hsm = createTestHsm();
const dir = mkdtempSync(join(tmpdir(), 'officiant-pause-'));
afterAll(() => {
  hsm.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const halves = { O1_SO: 'o1-so-7f3k2', O2_SO: 'o2-so-9q8w1', O1_USER: 'o1-us-4h5j6', O2_USER: 'o2-us-1z2x3' };
const env = { ...hsm.env, ...halves };

writeFileSync(join(dir, 'site.yaml'), `hsm:\n  drill-hsm:\n    module: ${SOFTHSM_MODULE}\n    token_label: PAUSE-TEST\n`);
writeFileSync(
  join(dir, 'answers.yaml'),
  `people:
  admin: [Ada Admin]
  witness: [Wes Witness]
  officer: [Olga One, Otto Two]
confirm: true
records:
  close: { bag: TB-123 }
secrets:
  Olga One: { so-pin-half: "\${O1_SO}", user-pin-half: "\${O1_USER}" }
  Otto Two: { so-pin-half: "\${O2_SO}", user-pin-half: "\${O2_USER}" }
`,
);

describe('Ctrl-C pauses, resume continues', () => {
  it('pauses after the operation under way, journals it, exits 130, and resume completes', async () => {
    const out = join(dir, 'out');
    const journal = join(out, 'journal.jsonl');
    const args = [BIN, 'run', join(ROOT, 'test/fixtures/crash-drill.yaml'), '--out', out, '--site', join(dir, 'site.yaml'), '--answers', join(dir, 'answers.yaml')];
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stdin.end();
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Interrupt as soon as the first step is recorded complete (no deadline of our own: a loaded machine only
    // makes this wait longer, and the test's timeout bounds it).
    while (child.exitCode === null) {
      if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"type":"step.completed"')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toContain(`officiant resume ${out}`);
    const paused = parseJournal(readFileSync(journal, 'utf8')).entries;
    expect(paused[paused.length - 1].type).toBe('ceremony.paused');
    expect(paused.some((e) => e.type === 'ceremony.completed')).toBe(false);
    const opens = paused.filter((e) => e.type === 'intent' && !paused.some((r) => r.type === 'result' && r.data.intent === e.seq));
    expect(opens).toEqual([]);

    const resumed = await officiant(['resume', out, '--answers', join(dir, 'answers.yaml')], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    // Where it stands comes first, from the journal: how many steps are done, why it stopped, which step is next.
    const doneIds = paused.filter((e) => e.type === 'step.completed').map((e) => e.step);
    const titles = paused.filter((e) => e.type === 'step.started').map((e) => ({ id: e.step, title: String(e.data.title), number: Number(e.data.number) }));
    const lastDone = titles.filter((t) => doneIds.includes(t.id)).at(-1)!;
    const banner = resumed.stdout.slice(0, resumed.stdout.indexOf('Nobody types a PIN'));
    expect(banner).toContain(`  Done: ${doneIds.length} of `);
    expect(banner).toContain(`(the last: step ${lastDone.number}, "${lastDone.title}")`);
    expect(banner).toMatch(/ {2}Stopped: paused by the operator.*\n {2}Next: step \d+ of \d+, "/);
    const entries = parseJournal(readFileSync(journal, 'utf8')).entries;
    expect(entries.slice(0, paused.length)).toEqual(paused);
    expect(entries.filter((e) => e.type === 'ceremony.paused')).toHaveLength(1);
    expect(entries.filter((e) => e.type === 'ceremony.resumed')).toHaveLength(1);
    expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
    expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
    // The pause and the resume are on exactly one step page each: the journal's seqs never jump silently.
    const pages = readdirSync(join(out, 'steps')).map((f) => execFileSync('pdftotext', ['-raw', join(out, 'steps', f), '-'], { encoding: 'utf8' }));
    expect(pages.filter((t) => t.includes('paused: paused by the operator'))).toHaveLength(1);
    expect(pages.filter((t) => t.includes('resumed after a pause'))).toHaveLength(1);
    const objects = listObjects(hsm, 'PAUSE-TEST', halves.O1_USER + halves.O2_USER);
    expect(objects.match(/Private Key Object/g)).toHaveLength(2);
  });

  it('has nothing to resume in a finished ceremony, and says so plainly (exit 0, no banner, no --answers asked)', async () => {
    const r = await officiant(['resume', join(dir, 'out'), '--answers', join(dir, 'answers.yaml')], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ceremony [0-9a-f-]{36} already completed at \d{4}-.* and sealed: nothing to resume \(check it with officiant verify .*\)\n$/);
    expect(r.stderr).toBe('');
    const bare = await officiant(['resume', join(dir, 'out')], { env });
    expect([bare.code, bare.stderr]).toEqual([0, '']);
  });

  it('refuses to resume when the script copy was changed', async () => {
    // An interrupted rehearsal (killed by its failpoint), then an edited script copy.
    const out = join(dir, 'edited');
    const sbEnv = { ...env, OFFICIANT_SANDBOX_ROOT: join(dir, 'sandboxes') };
    const killed = await officiant(['rehearse', join(ROOT, 'test/fixtures/crash-drill.yaml'), '--out', out], { env: { ...sbEnv, OFFICIANT_FAILPOINT: 'journal.append#5' } });
    expect(killed.signal).toBe('SIGKILL');
    const copy = join(out, 'script.yaml');
    writeFileSync(copy, readFileSync(copy, 'utf8').replace('title: Crash drill', 'title: Crash drill (edited)'));
    const r = await officiant(['resume', out], { env: sbEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not match the SHA-256 recorded when the ceremony started');
  });
});
