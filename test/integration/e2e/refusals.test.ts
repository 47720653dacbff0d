// What `officiant run` refuses, and what it leaves behind when it does: each case on a private SoftHSM2, driven
// through the built CLI with an answers file, checked with pkcs11-tool and by reading the output directory.
// Sanity checks (module, token, key labels, output directory, answers) run before anything is recorded, so a
// refused run leaves no output directory (or an empty one); a wrong PIN is a step failure, journaled, and the
// PIN itself appears nowhere.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { officiant, type CliResult } from '../../helpers/cli.js';
import { createTestHsm, listObjects, SOFTHSM_MODULE, type TestHsm } from '../../helpers/softhsm.js';
import { expectSecretNowhere, walk } from '../../helpers/secret-scan.js';

const TIMEOUT = 120_000;
const KEY_LABEL = 'test-root';

function pin(tag: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return `${tag}${Array.from(randomBytes(14), (b) => alphabet[b % alphabet.length]).join('')}`;
}

/** A small ceremony: check-in, [init-token], EC-P256 key, inspect, self-signed certificate. */
function smallScript(opts: { initToken: boolean; generateOnFailure?: 'retry' | 'abort' }): string {
  const lines = [
    'id: refusal-test',
    'title: Refusal test ceremony',
    'version: 1',
    'authority: release',
    'site:',
    '  hsm: release-hsm',
    // Without hsm.init-token the script names who activates the existing token (user PIN split in two).
    ...(opts.initToken ? [] : ['  pin_holders: { role: crypto-officer, people: 2 }']),
    'roles:',
    '  admin: { title: Ceremony Administrator, people: 1 }',
    '  witness: { title: Internal Witness, people: 1 }',
    '  crypto-officer: { title: Crypto Officer, people: 2 }',
    'steps:',
    '  - id: check-in',
    '    kind: participants.check-in',
    '    title: Participants check in',
    '    instructions: Everyone shows an identity document.',
    '    perform: admin',
    '    witness: [witness]',
  ];
  if (opts.initToken) {
    lines.push(
      '  - id: init-token',
      '    kind: hsm.init-token',
      '    title: Initialise the token',
      '    instructions: Each officer types their halves.',
      '    perform: crypto-officer',
      '    witness: [witness]',
      '    params:',
      '      pin_holders: { role: crypto-officer, people: 2 }',
      '      min_half_length: 6',
    );
  }
  lines.push(
    '  - id: generate',
    '    kind: hsm.generate-key',
    '    title: Generate the test root key',
    '    instructions: The officers activate the token.',
    '    perform: crypto-officer',
    '    witness: [witness]',
    `    on_failure: ${opts.generateOnFailure ?? 'abort'}`,
    `    params: { label: ${KEY_LABEL}, algorithm: EC-P256, authority: release, purpose: test root }`,
    '  - id: inspect',
    '    kind: hsm.inspect-key',
    '    title: Inspect the key',
    '    instructions: Read the attributes aloud.',
    '    perform: admin',
    '    witness: [witness]',
    `    params: { key: ${KEY_LABEL} }`,
    '  - id: certificate',
    '    kind: hsm.self-signed-certificate',
    '    title: Root certificate',
    '    instructions: The HSM signs the certificate.',
    '    perform: crypto-officer',
    '    witness: [witness]',
    '    params:',
    `      key: ${KEY_LABEL}`,
    '      subject: { CN: Refusal Test Root, O: Example }',
    '      validity_days: 30',
    '',
  );
  return lines.join('\n');
}

/** The two crypto officers' user PIN halves (the token's user PIN is their concatenation). */
const OFFICER_HALVES = { 'Carol Officer': { 'user-pin-half': 'OFFICER_PIN_A' }, 'Dave Officer': { 'user-pin-half': 'OFFICER_PIN_B' } };

function halvesOf(pin: string): { OFFICER_PIN_A: string; OFFICER_PIN_B: string } {
  const cut = Math.floor(pin.length / 2);
  return { OFFICER_PIN_A: pin.slice(0, cut), OFFICER_PIN_B: pin.slice(cut) };
}

interface AnswersOpts {
  officers?: string[];
  /** Secrets per person: purpose -> env var name. */
  secrets: Record<string, Record<string, string>>;
  failures?: Record<string, Array<{ action: 'retry' | 'abort'; reason: string }>>;
}

function answersYaml(a: AnswersOpts): string {
  const lines = [
    'people:',
    '  admin: [Alice Admin]',
    '  witness: [Walter Witness]',
    `  crypto-officer: [${(a.officers ?? ['Carol Officer', 'Dave Officer']).join(', ')}]`,
    'secrets:',
  ];
  for (const [person, purposes] of Object.entries(a.secrets)) {
    lines.push(`  ${person}:`);
    for (const [purpose, env] of Object.entries(purposes)) lines.push(`    ${purpose}: "\${${env}}"`);
  }
  if (a.failures) {
    lines.push('failures:');
    for (const [step, list] of Object.entries(a.failures)) {
      lines.push(`  ${step}:`);
      for (const d of list) lines.push(`    - { action: ${d.action}, reason: ${JSON.stringify(d.reason)} }`);
    }
  }
  lines.push('confirm: true', '');
  return lines.join('\n');
}

interface Entry {
  seq: number;
  type: string;
  step?: string;
  data: Record<string, unknown>;
}

function journal(out: string): Entry[] {
  const text = readFileSync(join(out, 'journal.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Entry);
}


/** Nothing recorded: the output directory was never created, or is still empty. */
function expectNothingRecorded(out: string): void {
  const left = existsSync(out) ? readdirSync(out) : [];
  expect(left, `${out} should be absent or empty`).toEqual([]);
}


const STACK_LINE = /^\s+at /m;

function expectClean(run: CliResult): void {
  expect(run.stderr).not.toMatch(STACK_LINE);
  expect(run.stdout).not.toMatch(STACK_LINE);
  expect(run.stderr).not.toMatch(/internal error/);
}

function keyObjects(listing: string): string[] {
  return listing.split('\n').filter((l) => /^\S.*Key Object/.test(l));
}

describe('officiant run refusals', () => {
  let hsm: TestHsm;
  let work: string;
  let tokenLabel: string;

  beforeEach(() => {
    hsm = createTestHsm();
    work = mkdtempSync(join(tmpdir(), 'officiant-refusals-'));
    tokenLabel = `tok-${randomBytes(4).toString('hex')}`;
  });

  afterEach(() => {
    hsm.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  function files(opts: { initToken: boolean; generateOnFailure?: 'retry' | 'abort'; answers: AnswersOpts; tokenLabel?: string }) {
    const script = join(work, 'ceremony.yaml');
    const site = join(work, 'site.yaml');
    const answers = join(work, 'answers.yaml');
    writeFileSync(script, smallScript(opts));
    writeFileSync(site, `hsm:\n  release-hsm:\n    module: ${SOFTHSM_MODULE}\n    token_label: ${opts.tokenLabel ?? tokenLabel}\n`);
    writeFileSync(answers, answersYaml(opts.answers));
    return { script, site, answers, out: join(work, 'out') };
  }

  const initAnswers: AnswersOpts = {
    secrets: {
      'Carol Officer': { 'so-pin-half': 'CAROL_SO', 'user-pin-half': 'CAROL_USER' },
      'Dave Officer': { 'so-pin-half': 'DAVE_SO', 'user-pin-half': 'DAVE_USER' },
    },
  };

  function initEnv() {
    return { ...hsm.env, CAROL_SO: pin('cS'), CAROL_USER: pin('cU'), DAVE_SO: pin('dS'), DAVE_USER: pin('dU') };
  }

  describe('a wrong user PIN on an existing token', () => {
    it('fails the step with hsm.pin-incorrect, aborts with the reason given, creates no key and never shows the PIN', { timeout: TIMEOUT }, async () => {
      const soPin = pin('so');
      const rightPin = pin('ok');
      const wrongPin = pin('no');
      hsm.initToken(tokenLabel, soPin, rightPin);
      const reason = 'officers could not agree on the PIN; stopping for today';
      const f = files({ initToken: false, answers: { secrets: OFFICER_HALVES, failures: { generate: [{ action: 'abort', reason }] } } });

      const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: { ...hsm.env, ...halvesOf(wrongPin) } });

      expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(1);
      expectClean(run);
      const said = `${run.stdout}\n${run.stderr}`;
      expect(said).toContain(`"${tokenLabel}"`);
      expect(said).toMatch(/pin incorrect/i);

      const entries = journal(f.out);
      const failedAt = entries.findIndex((e) => e.type === 'step.failed' && e.step === 'generate');
      expect(failedAt).toBeGreaterThan(-1);
      expect(entries[failedAt].data.code).toBe('hsm.pin-incorrect');
      expect(String(entries[failedAt].data.message)).toContain(tokenLabel);
      const abortedAt = entries.findIndex((e) => e.type === 'ceremony.aborted');
      expect(abortedAt).toBeGreaterThan(failedAt);
      expect(entries[abortedAt].data.reason).toBe(reason);
      // After the abort: the aborted step's evidence page, then the sealed packet (each an intent and its result), then the seal.
      expect(entries.slice(abortedAt + 1).map((e) => e.type)).toEqual(['intent', 'result', 'intent', 'result', 'ceremony.sealed']);
      expect(entries.slice(abortedAt + 1).map((e) => e.data.op ?? e.type)).toEqual([
        'evidence:steps/02-generate.pdf:aborted',
        'evidence:steps/02-generate.pdf:aborted',
        'seal:packet.pdf',
        'seal:packet.pdf',
        'ceremony.sealed',
      ]);
      expect(entries.some((e) => e.type === 'ceremony.completed')).toBe(false);
      expect(entries.some((e) => e.type === 'deviation')).toBe(false);

      expect(keyObjects(listObjects(hsm, tokenLabel, rightPin))).toEqual([]);
      // The scan below has something to read: the journal and the aborted step's evidence page.
      expect(walk(f.out).map((p) => relative(f.out, p))).toEqual(expect.arrayContaining(['journal.jsonl', 'steps/02-generate.pdf']));
      expectSecretNowhere(wrongPin, f.out, run);
      expectSecretNowhere(rightPin, f.out, run);
    });

    it('records a retry as a deviation with its reason, then aborts on the second decision', { timeout: TIMEOUT }, async () => {
      const rightPin = pin('ok');
      const wrongPin = pin('no');
      hsm.initToken(tokenLabel, pin('so'), rightPin);
      const retryReason = 'Carol believes she mistyped; one more attempt agreed by the witness';
      const abortReason = 'second attempt failed too; ceremony stopped';
      const f = files({
        initToken: false,
        generateOnFailure: 'retry',
        answers: {
          secrets: OFFICER_HALVES,
          failures: { generate: [{ action: 'retry', reason: retryReason }, { action: 'abort', reason: abortReason }] },
        },
      });

      const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: { ...hsm.env, ...halvesOf(wrongPin) } });

      expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(1);
      expectClean(run);
      const entries = journal(f.out);
      const failures = entries.filter((e) => e.type === 'step.failed' && e.step === 'generate');
      expect(failures.map((e) => e.data.code)).toEqual(['hsm.pin-incorrect', 'hsm.pin-incorrect']);
      const deviations = entries.filter((e) => e.type === 'deviation');
      expect(deviations).toHaveLength(1);
      expect(deviations[0].step).toBe('generate');
      expect(deviations[0].data.reason).toBe(retryReason);
      expect(deviations[0].data.action).toBe('retry');
      const order = (e: Entry) => entries.indexOf(e);
      expect(order(failures[0])).toBeLessThan(order(deviations[0]));
      expect(order(deviations[0])).toBeLessThan(order(failures[1]));
      const aborted = entries.find((e) => e.type === 'ceremony.aborted');
      expect(aborted?.data.reason).toBe(abortReason);
      expect(order(aborted!)).toBeGreaterThan(order(failures[1]));

      expect(keyObjects(listObjects(hsm, tokenLabel, rightPin))).toEqual([]);
      expectSecretNowhere(wrongPin, f.out, run);
    });
  });

  it.each([
    { what: 'does not exist', module: () => '/nonexistent/lib.so' },
    {
      what: 'is not a PKCS#11 module',
      module: (dir: string) => {
        const p = join(dir, 'not-a-module.so');
        writeFileSync(p, 'this is not a shared library\n');
        return p;
      },
    },
  ])('refuses a PKCS#11 module path that $what — exit 3, names the path, no stack, nothing recorded', { timeout: TIMEOUT }, async ({ module }) => {
    const f = files({ initToken: true, answers: initAnswers });
    const path = module(work);
    const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--module', path, '--token-label', 'X'], { env: initEnv() });
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(3);
    expect(run.stderr).toContain(path);
    expectClean(run);
    expectNothingRecorded(f.out);
  });

  it('refuses a key label already on the token before any PIN is asked: exit 3, names the label, nothing recorded', { timeout: TIMEOUT }, async () => {
    const userPin = pin('ok');
    hsm.initToken(tokenLabel, pin('so'), userPin);
    execFileSync(
      'pkcs11-tool',
      ['--module', SOFTHSM_MODULE, '--token-label', tokenLabel, '--login', '--pin', userPin, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', KEY_LABEL],
      { env: hsm.env, stdio: 'pipe' },
    );
    const before = keyObjects(listObjects(hsm, tokenLabel, userPin));
    expect(before).toHaveLength(2);
    const f = files({ initToken: false, answers: { secrets: OFFICER_HALVES } });

    const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: { ...hsm.env, ...halvesOf(userPin) } });

    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(3);
    expect(run.stderr).toContain(KEY_LABEL);
    expect(run.stderr).toContain(tokenLabel);
    expect(run.stdout).not.toMatch(/\(hidden\)|enters .*PIN/);
    expectClean(run);
    expectNothingRecorded(f.out);
    expect(keyObjects(listObjects(hsm, tokenLabel, userPin))).toEqual(before);
  });

  // A private key is invisible to an unauthenticated session; when its public half is gone (deleted, or never
  // imported) the label is still taken. Key labels are never reused: the run must refuse with
  // env.key-label-used (exit 3) naming the label, and must not make a second key.
  it('refuses a key label held only by a private key on the token (no public object): exit 3, names the label, no second key', { timeout: TIMEOUT }, async () => {
    const userPin = pin('ok');
    hsm.initToken(tokenLabel, pin('so'), userPin);
    const tool = (args: string[]) =>
      execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', tokenLabel, '--login', '--pin', userPin, ...args], { env: hsm.env, stdio: 'pipe' });
    tool(['--keypairgen', '--key-type', 'EC:prime256v1', '--label', KEY_LABEL]);
    tool(['--delete-object', '--type', 'pubkey', '--label', KEY_LABEL]);
    const before = keyObjects(listObjects(hsm, tokenLabel, userPin));
    expect(before).toEqual([expect.stringMatching(/^Private Key Object/)]);
    const f = files({ initToken: false, answers: { secrets: OFFICER_HALVES } });

    const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: { ...hsm.env, ...halvesOf(userPin) } });

    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(3);
    expect(`${run.stdout}\n${run.stderr}`).toMatch(new RegExp(`${KEY_LABEL}.*already|already.*${KEY_LABEL}`));
    expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/unexpected error/);
    expectClean(run);
    expect(keyObjects(listObjects(hsm, tokenLabel, userPin))).toEqual(before);
    expectSecretNowhere(userPin, f.out, run);
  });

  it('refuses to initialise a token whose label already exists: exit 3, names the token, nothing recorded', { timeout: TIMEOUT }, async () => {
    const userPin = pin('ok');
    hsm.initToken(tokenLabel, pin('so'), userPin);
    const f = files({ initToken: true, answers: initAnswers });

    const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: initEnv() });

    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(3);
    expect(run.stderr).toContain(`"${tokenLabel}"`);
    expect(run.stderr).toMatch(/already exists/);
    expect(run.stdout).not.toMatch(/\(hidden\)/);
    expectClean(run);
    expectNothingRecorded(f.out);
    // The existing token still opens with its own PIN and holds nothing new.
    expect(keyObjects(listObjects(hsm, tokenLabel, userPin))).toEqual([]);
  });

  describe('an output directory that is already used', () => {
    it('refuses a directory holding a ceremony (exit 2, points to `officiant resume`) and leaves its journal byte-identical', { timeout: TIMEOUT }, async () => {
      const f = files({ initToken: true, answers: initAnswers });
      const env = initEnv();
      const first = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env });
      expect(first.code, `first run\nstdout:\n${first.stdout}\nstderr:\n${first.stderr}`).toBe(0);
      const journalBefore = readFileSync(join(f.out, 'journal.jsonl'));
      const filesBefore = walk(f.out).map((p) => relative(f.out, p)).sort();

      const second = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env });

      expect(second.code, `stdout:\n${second.stdout}\nstderr:\n${second.stderr}`).toBe(2);
      expect(second.stderr).toMatch(/already holds a ceremony/);
      expect(second.stderr).toContain('officiant resume');
      expectClean(second);
      expect(readFileSync(join(f.out, 'journal.jsonl')).equals(journalBefore)).toBe(true);
      expect(walk(f.out).map((p) => relative(f.out, p)).sort()).toEqual(filesBefore);
    });

    it('refuses a non-empty directory without a journal: exit 2, nothing added', { timeout: TIMEOUT }, async () => {
      const f = files({ initToken: true, answers: initAnswers });
      mkdirSync(f.out);
      writeFileSync(join(f.out, 'notes.txt'), 'someone else\'s file\n');

      const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: initEnv() });

      expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(/not empty/);
      expectClean(run);
      expect(readdirSync(f.out)).toEqual(['notes.txt']);
      expect(readFileSync(join(f.out, 'notes.txt'), 'utf8')).toBe('someone else\'s file\n');
    });
  });

  describe('answers file problems', () => {
    it('names an environment variable the answers file references but which is unset: exit 2, nothing recorded', { timeout: TIMEOUT }, async () => {
      const f = files({ initToken: true, answers: initAnswers });
      const env = initEnv();
      const dave = env.DAVE_USER;
      delete (env as Record<string, string | undefined>).DAVE_USER;

      const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env });

      expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
      expect(run.stderr).toContain('DAVE_USER');
      expect(run.stderr).not.toContain('CAROL_USER');
      expectClean(run);
      expectNothingRecorded(f.out);
      for (const v of [env.CAROL_SO, env.CAROL_USER, env.DAVE_SO, dave]) expectSecretNowhere(String(v), f.out, run);
    });

    it('refuses a role with too few names before the HSM is touched: exit 2, the token still holds no key', { timeout: TIMEOUT }, async () => {
      const userPin = pin('ok');
      hsm.initToken(tokenLabel, pin('so'), userPin);
      const f = files({ initToken: false, answers: { officers: ['Carol Officer'], secrets: OFFICER_HALVES } });

      const run = await officiant(['run', f.script, '--out', f.out, '--answers', f.answers, '--site', f.site], { env: { ...hsm.env, ...halvesOf(userPin) } });

      expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
      expect(run.stderr).toContain('crypto-officer');
      expect(run.stderr).toMatch(/1 of 2/);
      expectClean(run);
      expectNothingRecorded(f.out);
      expect(keyObjects(listObjects(hsm, tokenLabel, userPin))).toEqual([]);
    });
  });

  it('refuses a run without --answers when standard input is not a terminal: exit 2, suggests --answers', { timeout: TIMEOUT }, async () => {
    const f = files({ initToken: true, answers: initAnswers });
    const run = await officiant(['run', f.script, '--out', f.out, '--site', f.site], { env: initEnv(), input: 'yes\n' });
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
    expect(run.stderr).toContain('--answers');
    expectClean(run);
    expectNothingRecorded(f.out);
  });
});
