// Release signing end to end (ceremonies/release-policy.yaml and release-signing.yaml), on real SoftHSM tokens
// and simulated PIV tokens, with the built CLI: officers are enrolled, the release authority is initialised,
// a policy drafted with `officiant policy draft` is adopted, and a pipeline's request for three artifacts (one a
// ZIP) is signed. This file proves:
//  1. the signing rehearsal completes and its packet verifies; every artifact's signature is accepted by
//     `openssl dgst -sha256 -verify` with the public key of the authority's certificate, as is the release
//     statement's; `officiant release verify --trust <certificate SHA-256>` accepts the bundle;
//  2. the approval statement binds the release: its subject names the request, the artifact list digest and
//     the policy, and the quorum page shows build, channel, version and artifact count;
//  3. refused before anything is recorded (exit 2, no output directory): the same request again (replay, and
//     its version not above the last signed), a request whose artifact changed after it was made, a manifest
//     kind in a release request;
//  5. no PIN, PIN half or joined PIN of the simulated people (their sandbox's people files) is in anything the
//     signing runs wrote: packets, staging, bundles, the signing log, or what the CLI printed;
//  4. a request whose ZIP carries the AOSP test key inside a nested ZIP is refused at the policy check (the
//     ceremony aborts, exit 1), naming the artifact, the entry path and the key; nothing was signed and no
//     bundle written.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';
import { rehearsalWorkspace } from '../../helpers/rehearsal-workspace.js';

const ws = rehearsalWorkspace('officiant-release-signing-');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const TEST_KEY = readFileSync(join(ROOT, 'test/fixtures/test-keys/testkey.x509.pem'));

let cert: Buffer;
const build = ws.dir('build');

function request(name: string, version: number, artifacts: string[]): string {
  const out = ws.dir(`${name}.json`);
  const r = ws.cli(['request', 'create', '--authority', 'release', '--out', out, '--build-id', `build-${version}`, '--channel', 'stable', '--version', String(version), ...artifacts.map((a) => join(build, a))]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

function sign(out: string, req: string): ReturnType<typeof ws.cli> {
  return ws.cli(['rehearse', join(ROOT, 'ceremonies/release-signing.yaml'), '--from', ws.dir('init'), '--request', req, '--policy', ws.dir('policy/outputs/policy.json'), '--artifacts', build, '--out', ws.dir(out)]);
}

beforeAll(() => {
  ws.expectCompleted(ws.rehearse(join(ROOT, 'ceremonies/officer-enrollment.yaml'), 'officers'), 14);
  const init = ws.rehearse(join(ROOT, 'ceremonies/release-authority-init.yaml'), 'init', { officers: 'officers' });
  expect(init.code, init.stdout.slice(-2000)).toBe(0);
  cert = readFileSync(ws.dir('init/outputs/release-root-2026.cert.pem'));
  // The draft as people make it (officiant policy draft), from the initialisation's certificate: the ceremony
  // adopting it is the proof that the command writes what the ceremony accepts.
  const draft = ws.cli(['policy', 'draft', '--authority', 'release', '--certificate', ws.dir('init/outputs/release-root-2026.cert.pem'), '--label', 'release-root-2026', '--kinds', 'image,vbmeta,apk', '--max-artifacts', '100', '--max-bytes', '1GiB', '--expires', '30d', '--out', ws.dir('draft.json')]);
  expect(draft.code, draft.stderr).toBe(0);
  expect(draft.stdout).toContain(`SPKI SHA-256: ${sha(new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' }))}`);
  const pol = ws.cli(['rehearse', join(ROOT, 'ceremonies/release-policy.yaml'), '--from', ws.dir('init'), '--policy', ws.dir('draft.json'), '--out', ws.dir('policy')]);
  ws.expectCompleted(pol, 5);
  mkdirSync(build);
  writeFileSync(join(build, 'system.img'), Buffer.alloc(200_000, 7));
  writeFileSync(join(build, 'vbmeta.img'), Buffer.from('vbmeta'.repeat(100)));
  writeFileSync(join(build, 'app.apk'), Buffer.from(zipSync({ 'classes.dex': Buffer.from('dex'.repeat(500)), 'res/values.xml': Buffer.from('<x/>') })));
  writeFileSync(join(build, 'bad.apk'), Buffer.from(zipSync({ 'lib/inner.zip': zipSync({ 'META-INF/CERT.RSA': new Uint8Array(TEST_KEY) }) })));
}, 600_000);

describe('a release signed end to end', () => {
  let req: string;
  beforeAll(() => {
    req = request('req1', 1, ['system.img:image', 'vbmeta.img:vbmeta', 'app.apk:apk']);
    ws.expectCompleted(sign('sign1', req), 11);
  }, 600_000);

  it('verifies as a packet, and openssl accepts every signature and the statement', () => {
    ws.expectVerified('sign1');
    const bundle = ws.dir('sign1.release');
    const pub = ws.dir('pub.pem');
    execFileSync('openssl', ['x509', '-in', join(bundle, 'authority.pem'), '-pubkey', '-noout', '-out', pub]);
    for (const a of ['system.img', 'vbmeta.img', 'app.apk']) {
      expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', join(bundle, 'signatures', `${a}.sig`), join(bundle, 'artifacts', a)], { encoding: 'utf8' })).toBe('Verified OK\n');
    }
    expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', join(bundle, 'release.json.sig'), join(bundle, 'release.json')], { encoding: 'utf8' })).toBe('Verified OK\n');
    const trust = sha(new X509Certificate(cert).raw);
    const r = ws.cli(['release', 'verify', bundle, '--trust', trust]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('verified: release build-1 stable v1, 3 artifacts');
  });

  it('the approval statement binds the request, the artifact list and the policy', () => {
    const entries = readFileSync(ws.dir('sign1/journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const loaded = entries.find((e) => e.data.what === 'release-request').data;
    const statement = entries.find((e) => e.data.what === 'approval-statement').data.statement;
    expect(statement.approve.release).toMatchObject({ request_id: loaded.request_id, artifacts_sha256: loaded.artifacts_sha256, policy: loaded.policy, version: 1, artifacts: 3 });
    const page = execFileSync('pdftotext', ['-raw', ws.dir('sign1/steps/07-approve-release.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(page).toContain('build build-1, channel stable, version 1');
    expect(page).toMatch(/artifacts:? 3 \(apk, image, vbmeta\)/);
  });

  it('refuses the same request again, before anything is recorded (replay and version)', () => {
    const r = sign('replay', req);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('was already signed (signing log line 1');
    expect(r.stderr).toContain('version 1 is not above 1, the last version signed for channel stable');
    expect(existsSync(ws.dir('replay'))).toBe(false);
  });

  it('refuses an artifact changed after the request, and a manifest kind, before anything is recorded', () => {
    const changed = request('req2', 2, ['vbmeta.img:vbmeta']);
    writeFileSync(join(build, 'vbmeta.img'), Buffer.from('VBMETA'.repeat(100)));
    const r = sign('changed', changed);
    writeFileSync(join(build, 'vbmeta.img'), Buffer.from('vbmeta'.repeat(100)));
    // Same size, other bytes: found when staged; the ceremony aborts (exit 1) before anything is signed.
    expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(1);
    expect(readFileSync(ws.dir('changed/journal.jsonl'), 'utf8')).toContain('"ceremony.aborted"');
    expect(r.stdout + r.stderr).toContain('vbmeta.img: SHA-256');
    expect(r.stdout + r.stderr).toContain('the artifact was changed or replaced after the request was made');
    expect(existsSync(ws.dir('changed.release'))).toBe(false);
    const manifest = ws.cli(['request', 'create', '--authority', 'release', '--out', ws.dir('req3.json'), '--version', '3', `${join(build, 'vbmeta.img')}:ota-manifest`]);
    expect(manifest.code).toBe(2);
    expect(manifest.stderr).toContain('ota-manifest');
  });

  it('refuses a ZIP carrying the AOSP test key in a nested ZIP, naming the entry; nothing signed', () => {
    const bad = request('req4', 4, ['bad.apk:apk']);
    const r = sign('testkey', bad);
    expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(1);
    expect(readFileSync(ws.dir('testkey/journal.jsonl'), 'utf8')).toContain('"ceremony.aborted"');
    expect(r.stdout + r.stderr).toMatch(/bad\.apk, entry lib\/inner\.zip!\/META-INF\/CERT\.RSA: carries the test key/);
    expect(existsSync(ws.dir('testkey.release'))).toBe(false);
    expect(existsSync(ws.dir('testkey.staging/signatures'))).toBe(false);
    const v = ws.cli(['verify', ws.dir('testkey')]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain('verified (aborted)');
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

describe('secrets', () => {
  it('no PIN or PIN half reaches a packet, staging, a bundle, the signing log or the screen', () => {
    const sandbox = (JSON.parse(readFileSync(ws.dir('init/rehearsal.json'), 'utf8')) as { sandbox: string }).sandbox;
    const secrets = readdirSync(sandbox)
      .filter((f) => /^people.*\.json$/.test(f))
      .flatMap((f) => Object.values((JSON.parse(readFileSync(join(sandbox, f), 'utf8')) as { secrets: Record<string, Record<string, string>> }).secrets).flatMap((s) => Object.values(s)));
    const pins = [...new Set(secrets)].filter((p) => p.length >= 6);
    expect(pins.length).toBeGreaterThan(5);
    // A PIN split in halves between two people: every pair of halves, joined, is a PIN the token knows.
    const halves = [...new Set(secrets)];
    const joined = halves.flatMap((a) => halves.map((b) => a + b));
    const written = ['sign1', 'sign1.release', 'sign1.staging', 'testkey', 'changed'].map(ws.dir).filter(existsSync).flatMap(filesUnder);
    written.push(join(sandbox, 'release-signing-log.jsonl'));
    expect(written.length).toBeGreaterThan(30);
    for (const f of written) {
      const bytes = readFileSync(f);
      for (const p of [...pins, ...joined]) expect(bytes.includes(p), `a secret in ${f}`).toBe(false);
    }
    for (const t of ws.transcripts) for (const p of pins) expect(t.text.includes(p), `a secret in ${t.where}`).toBe(false);
  });
});
