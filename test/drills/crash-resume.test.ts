// kill -9 drills: a rehearsal is killed (real SIGKILL, through OFFICIANT_FAILPOINT) before every journal write,
// in the middle of a journal write (torn line), before every output write and before every PKCS#11 call that
// changes or reads the token; then `officiant resume` must finish it. After each drill: the journal's hash
// chain holds, every intent has a result, every step completed exactly once, every output matches the hash
// the journal recorded, and the token holds exactly one private key with the label (checked by pkcs11-tool).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJournal, type JournalEntry } from '../../src/record/journal.js';
import { officiant, ROOT } from '../helpers/cli.js';
import { SOFTHSM_MODULE } from '../helpers/softhsm.js';

const SCRIPT = join(ROOT, 'test/fixtures/crash-drill.yaml');
const STEPS = ['check-in', 'init-token', 'evidence', 'generate', 'inspect', 'certificate', 'close'];
let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'officiant-crash-'));
  env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function journalOf(out: string): JournalEntry[] {
  return parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
}

function privateKeysOnToken(out: string): string[] {
  const { sandbox } = JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8')) as { sandbox: string };
  const people = JSON.parse(readFileSync(join(sandbox, 'people.json'), 'utf8')) as { people: Record<string, string[]>; secrets: Record<string, Record<string, string>> };
  const pin = people.people.officer.map((n) => people.secrets[n]['user-pin-half']).join('');
  const list = execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', 'rehearsal-drill-hsm', '--login', '--pin', pin, '--list-objects', '--type', 'privkey'], {
    env: { ...env, SOFTHSM2_CONF: join(sandbox, 'softhsm2.conf') },
    encoding: 'utf8',
  });
  return [...list.matchAll(/label:\s+(\S+)/g)].map((m) => m[1]);
}

function sandboxOf(out: string): string {
  return (JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8')) as { sandbox: string }).sandbox;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

/** The simulated people's PIN halves and the joined PINs, in the forms a leak could take. */
function pinForms(out: string): string[] {
  const people = JSON.parse(readFileSync(join(sandboxOf(out), 'people.json'), 'utf8')) as { people: Record<string, string[]>; secrets: Record<string, Record<string, string>> };
  const halves = Object.values(people.secrets).flatMap((s) => Object.values(s));
  const [a, b] = people.people.officer;
  const joined = ['so-pin-half', 'user-pin-half'].map((k) => people.secrets[a][k] + people.secrets[b][k]);
  return [...halves, ...joined].flatMap((p) => [p, Buffer.from(p).toString('hex'), Buffer.from(p).toString('base64')]);
}

/** No simulated person's PIN half, nor a joined PIN, in any file under `dirs` (or in `texts`). */
function assertNoPins(out: string, dirs: string[] = [out], texts: string[] = []): void {
  const forms = pinForms(out);
  expect(forms.length).toBeGreaterThan(10);
  for (const file of dirs.flatMap(filesUnder)) {
    const bytes = readFileSync(file);
    for (const form of forms) expect(bytes.includes(form), `${form.slice(0, 2)}… in ${file}`).toBe(false);
  }
  for (const text of texts) for (const form of forms) expect(text.includes(form)).toBe(false);
}

function assertWhole(out: string): void {
  const entries = journalOf(out); // throws on a broken chain
  expect(filesUnder(out).filter((f) => f.endsWith('.tmp') || f.endsWith('.officiant.lock'))).toEqual([]);
  assertNoPins(out);
  expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
  expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
  for (const id of STEPS) expect(entries.filter((e) => e.type === 'step.completed' && e.step === id)).toHaveLength(1);
  const results = new Set(entries.filter((e) => e.type === 'result').map((e) => e.data.intent));
  const open = entries.filter((e) => e.type === 'intent' && !results.has(e.seq));
  expect(open.map((e) => e.data.op)).toEqual([]);
  for (const e of entries.filter((x) => x.type === 'result' && x.data.ok === true && String(x.data.op).startsWith('write:'))) {
    const o = e.data.output as { path: string; sha256: string };
    expect(createHash('sha256').update(readFileSync(join(out, o.path))).digest('hex'), o.path).toBe(o.sha256);
  }
  STEPS.forEach((id, i) => expect(existsSync(join(out, 'steps', `${String(i + 1).padStart(2, '0')}-${id}.pdf`)), id).toBe(true));
  expect(privateKeysOnToken(out).sort()).toEqual(['drill-key', 'officiant-evidence']);
}

let drill = 0;
/** Crashes at the n-th hit of `point`; returns false once n is past the last hit (the run finished). */
async function crashAndResume(point: string, n: number): Promise<boolean> {
  const out = join(base, `drill-${++drill}`);
  const first = await officiant(['rehearse', SCRIPT, '--out', out], { env: { ...env, OFFICIANT_FAILPOINT: `${point}#${n}` } });
  if (first.code === 0) return false;
  expect(first.signal, `${point}#${n}: ${first.stderr}`).toBe('SIGKILL');
  if (!existsSync(join(out, 'journal.jsonl')) || readFileSync(join(out, 'journal.jsonl')).length === 0) {
    // Killed before the first journal entry (during the sanity checks or while copying the script):
    // nothing happened on the HSM; resume says so plainly.
    const r = await officiant(['resume', out], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(existsSync(join(out, 'script.yaml')) ? 'stopped before its first journal entry' : 'holds no ceremony journal');
    return true;
  }
  const resumed = await officiant(['resume', out], { env });
  expect(resumed.code, `${point}#${n} resume: ${resumed.stdout}\n${resumed.stderr}`).toBe(0);
  assertWhole(out);
  const verified = await officiant(['verify', out], { env });
  expect(verified.code, `${point}#${n} verify:\n${verified.stdout}`).toBe(0);
  rmSync(out, { recursive: true, force: true });
  return true;
}

async function drillEvery(point: string, atLeast: number): Promise<number> {
  let n = 1;
  while (await crashAndResume(point, n)) n++;
  expect(n - 1, `${point} was hit fewer times than expected`).toBeGreaterThanOrEqual(atLeast);
  return n - 1;
}

let cleanRun: Promise<string> | undefined;
/** A drill without a crash: the reference for how many journal writes a whole run makes. */
function clean(): Promise<string> {
  cleanRun ??= (async () => {
    const out = join(base, 'clean');
    const r = await officiant(['rehearse', SCRIPT, '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    return out;
  })();
  return cleanRun;
}

describe('kill -9 at every point, then resume', () => {
  it('a drill without a crash completes and passes the same checks', async () => {
    assertWhole(await clean());
  });

  it('a rehearsal leaves no PIN outside its sandbox: output directory, stdout, stderr, temp files', async () => {
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const out = join(base, 'scan');
    const r = await officiant(['rehearse', SCRIPT, '--out', out], { env: { ...env, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('enters half of the SO PIN (hidden)');
    assertNoPins(out, [out, tmp], [r.stdout, r.stderr]);
    expect(sandboxOf(out).startsWith(out)).toBe(false);
  });

  it('before every journal write', async () => {
    const writes = journalOf(await clean()).length;
    expect(await drillEvery('journal.append', writes)).toBe(writes);
  }, 900_000);

  it('in the middle of journal writes (torn final line)', async () => {
    for (const n of [2, 9, 10, 16, 17, 25]) {
      const out = join(base, `torn-${n}`);
      const first = await officiant(['rehearse', SCRIPT, '--out', out], { env: { ...env, OFFICIANT_FAILPOINT: `journal.append:torn#${n}` } });
      expect(first.signal).toBe('SIGKILL');
      expect(readFileSync(join(out, 'journal.jsonl'), 'utf8').endsWith('\n')).toBe(false);
      const resumed = await officiant(['resume', out], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      assertWhole(out);
      const repaired = journalOf(out).filter((e) => e.type === 'journal.repaired');
      expect(repaired).toHaveLength(1);
      expect(repaired[0].seq).toBe(n);
    }
  }, 300_000);

  it('before every output and evidence write', async () => {
    await drillEvery('output.write', 9);
  }, 300_000);

  for (const [point, hits] of [
    ['hsm.initToken', 1],
    ['hsm.initPin', 1],
    ['hsm.random', 2],
    ['hsm.freeSlots', 2],
    ['hsm.login', 1],
    ['hsm.generateKeyPair', 1],
    ['hsm.find', 2],
    ['hsm.sign', 1],
    ['hsm.findToken', 1],
  ] as const) {
    it(`before every ${point} call`, async () => {
      await drillEvery(point, hits);
    }, 300_000);
  }

  it('an aborting ceremony killed at every journal write still ends aborted, with its page and no open intent', async () => {
    let n = 1;
    for (;;) {
      const out = join(base, `abort-${n}`);
      // Start, then make the simulated witness refuse every sign-off: the certificate step fails and, with no
      // decision in the answers, the ceremony aborts.
      const first = await officiant(['rehearse', SCRIPT, '--out', out], { env: { ...env, OFFICIANT_FAILPOINT: 'journal.append#3' } });
      expect(first.signal).toBe('SIGKILL');
      const peopleFile = join(sandboxOf(out), 'people.json');
      writeFileSync(peopleFile, JSON.stringify({ ...JSON.parse(readFileSync(peopleFile, 'utf8')), confirm: false }));
      const crashed = await officiant(['resume', out], { env: { ...env, OFFICIANT_FAILPOINT: `journal.append#${n}` } });
      if (crashed.code !== null) {
        expect(crashed.code, crashed.stderr).toBe(1);
        break;
      }
      const again = await officiant(['resume', out], { env });
      expect(again.code, again.stderr).toBe(1);
      const entries = journalOf(out);
      expect(entries.filter((e) => e.type === 'ceremony.aborted')).toHaveLength(1);
      const results = new Set(entries.filter((e) => e.type === 'result').map((e) => e.data.intent));
      expect(entries.filter((e) => e.type === 'intent' && !results.has(e.seq)).map((e) => e.data.op)).toEqual([]);
      const aborted = entries.find((e) => e.type === 'ceremony.aborted')!;
      const index = STEPS.indexOf(String(aborted.step));
      expect(existsSync(join(out, 'steps', `${String(index + 1).padStart(2, '0')}-${aborted.step}.pdf`))).toBe(true);
      expect(privateKeysOnToken(out).sort()).toEqual(['drill-key', 'officiant-evidence']);
      const verified = await officiant(['verify', out], { env });
      expect(verified.code, `abort drill #${n} verify:\n${verified.stdout}`).toBe(0);
      expect(verified.stdout).toContain('aborted');
      rmSync(out, { recursive: true, force: true });
      n++;
    }
    expect(n).toBeGreaterThan(10);
  }, 900_000);
});

describe('sealing signs only what the ceremony wrote', () => {
  it('refuses to seal with a stranger file in the directory, seals once it is moved away, and never re-seals', async () => {
    const out = join(base, 'stranger');
    const first = await officiant(['rehearse', SCRIPT, '--out', out], { env: { ...env, OFFICIANT_FAILPOINT: 'hsm.sign#5' } });
    expect(first.signal).toBe('SIGKILL');
    mkdirSync(join(out, 'extra'));
    writeFileSync(join(out, 'extra', 'notes.md'), 'not evidence\n');
    const refused = await officiant(['resume', out], { env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain('the output directory holds file(s) the ceremony did not write: extra/notes.md');
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    rmSync(join(out, 'extra'), { recursive: true });
    const sealed = await officiant(['resume', out], { env });
    expect(sealed.code, sealed.stderr).toBe(0);
    expect((await officiant(['verify', out], { env })).code).toBe(0);
    const manifest = readFileSync(join(out, 'manifest.json'));
    const again = await officiant(['resume', out], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('and sealed; nothing to resume');
    expect(readFileSync(join(out, 'manifest.json'))).toEqual(manifest);
  }, 120_000);
});
