// The evidence key on a token of its own (evidence.use-key), on a private SoftHSM with `officiant run`:
//  1. a ceremony initialises the evidence token; its certificate's fingerprint goes into the site file;
//  2. a release ceremony activates that token right after the check-in: every page and the packet are signed
//     there, the release token holds only the release key, and verify --trust <that fingerprint> passes;
//  3. the same ceremony aborted before its token or key exists is still signed and verifies;
//  4. a site whose certificate does not match its pin, or whose evidence token is missing, is refused before
//     anything is recorded; and no PIN half is written anywhere.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, officiant, type CliResult } from '../../helpers/cli.js';
import { createTestHsm, listObjects, SOFTHSM_MODULE, type TestHsm } from '../../helpers/softhsm.js';
import { expectSecretNowhere } from '../../helpers/secret-scan.js';
import { verifyDir } from '../../helpers/verify-dir.js';
import { fingerprintOf } from '../../../src/record/fingerprint.js';
import { pemToDer } from '../../../src/custody/pem.js';

const TIMEOUT = 120_000;
const EVIDENCE_SCRIPT = join(ROOT, 'test/fixtures/evidence-token-by-document.yaml');
const RELEASE_SCRIPT = join(ROOT, 'test/fixtures/use-evidence-token.yaml');
const half = (tag: string) => `${tag}-${randomBytes(6).toString('hex')}`;

interface Journaled {
  type: string;
  step?: string;
  data: Record<string, unknown>;
}
const journal = (dir: string): Journaled[] =>
  readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Journaled);
const said = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

describe('the evidence key on its own token (evidence.use-key)', () => {
  let hsm: TestHsm;
  let work: string;
  let certSha256: string;
  const evidenceLabel = `ev-${randomBytes(3).toString('hex')}`;
  const halves = { carolEvSo: half('ceS'), carolEv: half('ceU'), daveEvSo: half('deS'), daveEv: half('deU'), carolSo: half('cS'), carolUser: half('cU'), daveSo: half('dS'), daveUser: half('dU') };
  const env = () => ({ ...hsm.env, ...Object.fromEntries(Object.entries(halves).map(([k, v]) => [`H_${k}`, v])) });
  const runs: Array<{ run: CliResult; out: string }> = [];

  /** A site file for the release ceremony; `evidence` overrides its evidence section's lines. */
  function releaseSite(name: string, evidence?: string): string {
    const file = join(work, `${name}.site.yaml`);
    const section = evidence ?? `      token_label: ${evidenceLabel}\n      certificate: evidence.cert.pem\n      certificate_sha256: ${certSha256}\n`;
    writeFileSync(file, `hsm:\n  release-hsm:\n    module: ${SOFTHSM_MODULE}\n    token_label: rel-${name}\n${section ? `    evidence:\n${section}` : ''}`);
    return file;
  }

  function answers(name: string, extra: string[] = []): string {
    const file = join(work, `${name}.answers.yaml`);
    writeFileSync(
      file,
      [
        'people:',
        '  ceremony-administrator: [Alice Admin]',
        '  internal-witness: [Walter Witness]',
        '  crypto-officer: [Carol Officer, Dave Officer]',
        'secrets:',
        '  Carol Officer: { so-pin-half: "${H_carolSo}", user-pin-half: "${H_carolUser}", evidence-pin-half: "${H_carolEv}" }',
        '  Dave Officer: { so-pin-half: "${H_daveSo}", user-pin-half: "${H_daveUser}", evidence-pin-half: "${H_daveEv}" }',
        ...extra,
        '',
      ].join('\n'),
    );
    return file;
  }

  async function runRelease(name: string, site: string, extra: string[] = ['confirm: true']): Promise<{ run: CliResult; out: string }> {
    const out = join(work, name);
    const run = await officiant(['run', RELEASE_SCRIPT, '--out', out, '--answers', answers(name, extra), '--site', site], { env: env() });
    runs.push({ run, out });
    return { run, out };
  }

  beforeAll(async () => {
    hsm = createTestHsm();
    work = mkdtempSync(join(tmpdir(), 'officiant-evidence-token-'));
    const site = join(work, 'evidence.site.yaml');
    writeFileSync(site, `hsm:\n  evidence-hsm:\n    module: ${SOFTHSM_MODULE}\n    token_label: ${evidenceLabel}\n`);
    const file = join(work, 'evidence.answers.yaml');
    writeFileSync(
      file,
      [
        'people:',
        '  ceremony-administrator: [Eve Admin]',
        '  internal-witness: [Walter Witness]',
        '  crypto-officer: [Carol Officer, Dave Officer]',
        'secrets:',
        '  Carol Officer: { so-pin-half: "${H_carolEvSo}", user-pin-half: "${H_carolEv}" }',
        '  Dave Officer: { so-pin-half: "${H_daveEvSo}", user-pin-half: "${H_daveEv}" }',
        'confirm: true',
        '',
      ].join('\n'),
    );
    const out = join(work, 'evidence');
    const run = await officiant(['run', EVIDENCE_SCRIPT, '--out', out, '--answers', file, '--site', site], { env: env() });
    expect(run.code, said(run)).toBe(0);
    runs.push({ run, out });
    const pem = readFileSync(join(out, 'outputs/evidence-key.cert.pem'), 'utf8');
    writeFileSync(join(work, 'evidence.cert.pem'), pem);
    certSha256 = fingerprintOf(pemToDer(pem));
  }, TIMEOUT);

  afterAll(() => {
    hsm?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('signs every page and the packet on the evidence token; the release token holds only the release key', { timeout: TIMEOUT }, async () => {
    const { run, out } = await runRelease('ok', releaseSite('ok'));
    expect(run.code, said(run)).toBe(0);
    const report = verifyDir(out, { trust: { sha256: certSha256 } });
    expect(report.failing).toBe('');
    expect(report.pinned.evidenceKey).toBe(true);
    const v = await officiant(['verify', out, '--trust', certSha256]);
    expect(v.code, said(v)).toBe(0);
    expect(v.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^verified: \\d+ files, evidence key ${certSha256} pinned by --trust`));

    const entries = journal(out);
    const logins = entries.filter((e) => e.data.what === 'hsm-login');
    // The evidence token is activated in its own step, before the release token exists, by its PIN holders.
    expect(logins[0]).toMatchObject({ step: 'evidence', data: { token: evidenceLabel, by: ['Carol Officer', 'Dave Officer'] } });
    const cert = entries.find((e) => e.type === 'result' && e.data.op === 'evidence.certificate');
    expect(cert?.data.output).toMatchObject({ token: evidenceLabel, sha256: certSha256 });
    // The check-in page was recorded before the token was activated and signed right after (verify above checked
    // every page's signature); the pages after it say they were signed on the evidence token.
    expect(readdirSync(join(out, 'steps'))).toHaveLength(5);
    const pageText = (name: string) => execFileSync('pdftotext', ['-raw', join(out, 'steps', name), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(pageText('01-check-in.pdf')).toContain('recorded before the evidence key was activated; signed once its token was at step 2');
    expect(pageText('05-generate.pdf')).toContain(`signed in the HSM by the evidence key on evidence token ${evidenceLabel}`);

    const onRelease = listObjects(hsm, 'rel-ok', halves.carolUser + halves.daveUser);
    expect(onRelease).toContain('release-key');
    expect(onRelease).not.toContain('officiant-evidence');
    const onEvidence = listObjects(hsm, evidenceLabel, halves.carolEv + halves.daveEv);
    expect(onEvidence).not.toContain('release-key');
  });

  it('an abort before the release token exists is still signed and verifies as aborted', { timeout: TIMEOUT }, async () => {
    const { run, out } = await runRelease('abort', releaseSite('abort'), ['confirm: { room: false }', 'failures: { room: [{ action: abort, reason: "room not sealed" }] }']);
    expect(run.code, said(run)).toBe(1);
    const entries = journal(out);
    expect(entries.some((e) => e.type === 'ceremony.aborted')).toBe(true);
    expect(entries.some((e) => e.data.op === 'hsm.init-token')).toBe(false);
    const report = verifyDir(out, { trust: { sha256: certSha256 } });
    expect(report.failing).toBe('');
    expect(report.outcome).toBe('aborted');
    const v = await officiant(['verify', out, '--trust', certSha256]);
    expect(v.code, said(v)).toBe(0);
    expect(v.stdout).toMatch(/^verified \(aborted/m);
  });

  it.each([
    ['a certificate that is not the pinned one', () => `      token_label: ${evidenceLabel}\n      certificate: evidence.cert.pem\n      certificate_sha256: ${'ab'.repeat(32)}\n`, 2, 'not the pinned'],
    ['an evidence token that is not present', () => `      token_label: no-such-token\n      certificate: evidence.cert.pem\n      certificate_sha256: ${certSha256}\n`, 3, 'evidence token "no-such-token" is not present'],
    ['no evidence section', () => '', 2, 'names none for HSM profile "release-hsm"'],
  ])('refuses a site with %s before anything is recorded', { timeout: TIMEOUT }, async (name, section, code, message) => {
    const { run, out } = await runRelease(`refused-${code}-${name.length}`, releaseSite(`r${name.length}`, section()));
    expect(run.code, said(run)).toBe(code);
    expect(said(run)).toContain(message);
    expect(said(run)).not.toMatch(/\n\s+at /);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('writes no PIN half anywhere', () => {
    expect(runs.length).toBeGreaterThan(1);
    for (const { run, out } of runs) for (const h of Object.values(halves)) expectSecretNowhere(h, out, run);
  });
});
