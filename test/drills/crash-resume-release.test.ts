// kill -9 drills for hsm.sign-artifacts (ceremonies/release-signing.yaml, signing in batches of two so a request
// of five artifacts takes three batches). Officers are enrolled, the release authority initialised and a policy
// adopted once (rehearsals); each drill then signs a request of its own channel (the authority's signing log is
// shared: one session at a time, so the drills run one after another). A rehearsal is killed (real SIGKILL,
// through OFFICIANT_FAILPOINT) before each journal write of the signing step, counted from an uninterrupted
// reference run, and once between two signatures of a batch; then `officiant resume` must finish it.
// Proved after each: resume exits 0 and the packet verifies; the journal's chain holds, no intent is left open
// and the step completed once; the HSM made one signature per artifact (counted from the failpoint traces of the
// killed run and of the resume: OFFICIANT_FAILPOINT_TRACE), plus only those the crash lost before they reached
// the disk; `officiant release verify` accepts the bundle; the signing log holds the request once.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseSigningLog } from '../../src/record/signing-log.js';
import { BIN, ROOT, type CliResult } from '../helpers/cli.js';
import { officiant } from '../helpers/cli.js';
import { rehearsalWorkspace } from '../helpers/rehearsal-workspace.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { assertNoOpenIntent, DRILL_TIMEOUT, journalOf, sandboxOf } from './crash-drill.js';

const ws = rehearsalWorkspace('officiant-crash-release-');
const STEP = 'sign-artifacts';
const ARTIFACTS = 5;
const build = ws.dir('build');

/** The shipped signing ceremony, signing in batches of `batch`. */
function batchedScript(batch: number): string {
  const text = readFileSync(join(ROOT, 'ceremonies/release-signing.yaml'), 'utf8');
  const batched = text.replace('    params:\n      key: release-root-2026\n', `    params:\n      key: release-root-2026\n      batch: ${batch}\n`);
  expect(batched).not.toBe(text);
  const file = ws.dir(`release-signing-batch-${batch}.yaml`);
  writeFileSync(file, batched);
  return file;
}

/** Officers, the authority, a policy and five artifacts (one a ZIP): what every drill starts from. */
function prepare(): { script: string; trust: string } {
  ws.expectCompleted(ws.rehearse(join(ROOT, 'ceremonies/officer-enrollment.yaml'), 'officers'), 14);
  const init = ws.rehearse(join(ROOT, 'ceremonies/release-authority-init.yaml'), 'init', { officers: 'officers' });
  expect(init.code, init.stdout.slice(-2000)).toBe(0);
  const cert = readFileSync(ws.dir('init/outputs/release-root-2026.cert.pem'));
  const draft = ws.cli(['policy', 'draft', '--authority', 'release', '--certificate', ws.dir('init/outputs/release-root-2026.cert.pem'), '--label', 'release-root-2026', '--kinds', 'image,apk', '--max-artifacts', '1000', '--expires', '30d', '--out', ws.dir('draft.json')]);
  expect(draft.code, draft.stderr).toBe(0);
  ws.expectCompleted(ws.cli(['rehearse', join(ROOT, 'ceremonies/release-policy.yaml'), '--from', ws.dir('init'), '--policy', ws.dir('draft.json'), '--out', ws.dir('policy')]), 5);
  mkdirSync(build);
  for (let i = 1; i < ARTIFACTS; i++) writeFileSync(join(build, `part-${i}.img`), Buffer.alloc(1000 * i, i));
  writeFileSync(join(build, 'app.apk'), Buffer.from(zipSync({ 'classes.dex': Buffer.from('dex'.repeat(500)) })));
  return { script: batchedScript(2), trust: createHash('sha256').update(new X509Certificate(cert).raw).digest('hex') };
}

let drills = 0;
/** A request of a channel of its own (version 1), so no drill's release is a replay or a rollback of another's. */
function request(): { file: string; channel: string } {
  const channel = `drill-${++drills}`;
  const file = ws.dir(`request-${channel}.json`);
  const names = [...Array.from({ length: ARTIFACTS - 1 }, (_, i) => `part-${i + 1}.img:image`), 'app.apk:apk'];
  const r = ws.cli(['request', 'create', '--authority', 'release', '--out', file, '--build-id', `build-${channel}`, '--channel', channel, '--version', '1', ...names.map((n) => join(build, n))]);
  expect(r.code, r.stderr).toBe(0);
  return { file, channel };
}

/** The signing rehearsal of `req` into `out`, traced into `trace`, killed at `failpoint` when given. */
function sign(script: string, out: string, req: string, trace: string, failpoint?: string): Promise<CliResult> {
  const args = ['rehearse', script, '--from', ws.dir('init'), '--request', req, '--policy', ws.dir('policy/outputs/policy.json'), '--artifacts', build, '--out', out];
  return officiant(args, { env: { ...ws.env, OFFICIANT_FAILPOINT_TRACE: trace, ...(failpoint ? { OFFICIANT_FAILPOINT: failpoint } : {}) } });
}

function traced(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** HSM signatures of artifacts a traced run made: the points passed, less the one it was killed at. */
function digestSignatures(points: string[], killed: boolean): number {
  const n = points.filter((p) => p === 'hsm.signDigest').length;
  return killed && points.at(-1) === 'hsm.signDigest' ? n - 1 : n;
}

// Prepared before the tests are registered: the reference run's journal writes of the signing step are the kill
// points.
const base = (() => {
  try {
    return { ...prepare(), error: '' };
  } catch (err) {
    return { script: '', trust: '', error: String(err) };
  }
})();
const reference = base.error
  ? undefined
  : await (async () => {
      const { file, channel } = request();
      const out = ws.dir('reference');
      const result = await sign(base.script, out, file, `${out}.trace`);
      return { out, channel, result, points: traced(`${out}.trace`) };
    })().catch(() => undefined);
const writes = reference?.result.code === 0 ? journalOf(reference.out).filter((e) => e.step === STEP).map((e) => e.seq) : [];

/** Kills a signing rehearsal at `failpoint`, resumes it, and checks the release and the signature count. */
async function drill(failpoint: string, lost: number): Promise<void> {
  const { file, channel } = request();
  const out = ws.dir(`killed-${channel}`);
  const killed = await sign(base.script, out, file, `${out}.trace`, failpoint);
  expect(killed.signal, `${failpoint}: not killed (exit ${killed.code})\n${killed.stderr}`).toBe('SIGKILL');
  const resumeTrace = `${out}.resume.trace`;
  const resumed = await officiant(['resume', out], { env: { ...ws.env, OFFICIANT_FAILPOINT_TRACE: resumeTrace } });
  expect(resumed.code, `${failpoint} resume:\n${resumed.stdout.slice(-2000)}\n${resumed.stderr}`).toBe(0);
  const entries = journalOf(out);
  assertNoOpenIntent(entries);
  expect(entries.filter((e) => e.type === 'step.completed' && e.step === STEP)).toHaveLength(1);
  expect(entries.at(-1)?.type).toBe('ceremony.sealed');
  expect(digestSignatures(traced(`${out}.trace`), true) + digestSignatures(traced(resumeTrace), false), 'HSM signatures of artifacts').toBe(ARTIFACTS + lost);
  const verified = verifyDir(out);
  expect(verified.ok, `${failpoint} verify:\n${verified.failing}`).toBe(true);
  const bundle = execFileSync(process.execPath, [BIN, 'release', 'verify', `${out}.release`, '--trust', base.trust], { encoding: 'utf8' });
  expect(bundle).toContain(`${ARTIFACTS} artifact`);
  const log = parseSigningLog(readFileSync(join(sandboxOf(ws.dir('init')), 'release-signing-log.jsonl'), 'utf8'));
  expect(log.problem).toBeUndefined();
  expect(log.entries.filter((e) => e.channel === channel)).toHaveLength(1);
}

describe('an uninterrupted signing session', () => {
  it('signs each of the five artifacts once, in three batches, and its bundle verifies', () => {
    expect(base.error).toBe('');
    expect(reference?.result.code, reference?.result.stdout.slice(-2000)).toBe(0);
    const entries = journalOf(reference!.out);
    expect(entries.filter((e) => e.step === STEP && e.type === 'intent' && String(e.data.op).startsWith('hsm.sign-artifacts:'))).toHaveLength(3);
    expect(digestSignatures(reference!.points, false)).toBe(ARTIFACTS);
    expect(writes.length).toBeGreaterThanOrEqual(10);
    const r = ws.cli(['release', 'verify', `${reference!.out}.release`, '--trust', base.trust]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('a signing session killed before each journal write of hsm.sign-artifacts, then resumed', () => {
  for (const seq of writes) it(`journal.append#${seq}`, () => drill(`journal.append#${seq}`, 0), DRILL_TIMEOUT);
});

describe('a signing session killed between two signatures of a batch, then resumed', () => {
  // The 4th signature is the second of the second batch: the third, made but never written, is made again.
  it('hsm.signDigest#4: the batch is signed again, the first batch is kept', () => drill('hsm.signDigest#4', 1), DRILL_TIMEOUT);
});

describe('a large release', () => {
  // 1,000 artifacts in batches of 25 make as many batch entries as 10,000 in the shipped batches of 256.
  it('1,000 artifacts in 40 batches: every page of the session stays a few pages long, and the bundle verifies', async () => {
    const dir = ws.dir('large-build');
    mkdirSync(dir);
    const names = Array.from({ length: 1000 }, (_, i) => `a-${String(i).padStart(4, '0')}.img`);
    for (const [i, n] of names.entries()) writeFileSync(join(dir, n), `artifact ${i}\n`);
    const req = ws.dir('request-large.json');
    const made = ws.cli(['request', 'create', '--authority', 'release', '--out', req, '--build-id', 'build-large', '--channel', 'large', '--version', '1', ...names.map((n) => `${join(dir, n)}:image`)]);
    expect(made.code, made.stderr).toBe(0);
    const out = ws.dir('large');
    const args = ['rehearse', batchedScript(25), '--from', ws.dir('init'), '--request', req, '--policy', ws.dir('policy/outputs/policy.json'), '--artifacts', dir, '--out', out];
    const r = await officiant(args, { env: ws.env });
    expect(r.code, r.stdout.slice(-2000) + r.stderr).toBe(0);
    expect(journalOf(out).filter((e) => e.step === STEP && e.type === 'intent' && String(e.data.op).startsWith('hsm.sign-artifacts:'))).toHaveLength(40);
    const pages = Object.fromEntries(
      readdirSync(join(out, 'steps')).map((f) => [f, Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', [join(out, 'steps', f)], { encoding: 'utf8' }))?.[1])]),
    );
    for (const [f, n] of Object.entries(pages)) expect(n, `${f}: ${JSON.stringify(pages)}`).toBeLessThanOrEqual(3);
    const v = ws.cli(['release', 'verify', `${out}.release`, '--trust', base.trust]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('1000 artifacts');
  }, DRILL_TIMEOUT);
});
