// The OTA Manifest Signing Authority at work, as the CLI runs it: officers enrolled (a rehearsal), a release
// bundle made by openssl, `manifest draft`, then `rehearse ceremonies/manifest-signing.yaml --officers ...
// --manifest ... --release ...`. The signed manifest is accepted by `manifest verify` against the enrollment's
// keyring; the packet verifies; the same version again, a rollback and a target not in the release are refused
// at the gates before anyone signs; a downgraded manifest is refused by `manifest verify --previous`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { parseManifest } from '../../../src/custody/ota-manifest.js';
import { parseSigningLog } from '../../../src/record/signing-log.js';
import { ROOT } from '../../helpers/cli.js';
import { authority, bundle, type Authority } from '../../helpers/openssl-release.js';
import { rehearsalWorkspace } from '../../helpers/rehearsal-workspace.js';
import { expectSecretNowhere } from '../../helpers/secret-scan.js';
import { reseal } from '../../helpers/insider.js';
import { verifyDir } from '../../helpers/verify-dir.js';

const ws = rehearsalWorkspace('officiant-manifest-signing-');
const SCRIPT = join(ROOT, 'ceremonies/manifest-signing.yaml');
let release: Authority;
let stable: string;
let keyringSha: string;

function draft(name: string, version: number, more: string[] = []): string {
  const out = ws.dir(`${name}.draft.json`);
  const r = ws.cli(['manifest', 'draft', '--channel', 'stable', '--version', String(version), '--expires', '20d', '--device', 'oriole', '--release', stable, '--trust', release.sha256, '--out', out, ...more]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}
const sign = (name: string, manifest: string) => ws.cli(['rehearse', SCRIPT, '--out', ws.dir(name), '--officers', ws.dir('officers'), '--manifest', manifest, '--release', stable]);

beforeAll(async () => {
  ws.expectCompleted(ws.rehearse(join(ROOT, 'ceremonies/officer-enrollment.yaml'), 'officers'), 14);
  release = authority(ws.work, 'Release Authority', 'ec');
  stable = await bundle(ws.work, 'stable.release', release);
  const exported = ws.cli(['keyring', 'export', '--roster', ws.dir('officers/outputs/roster.json'), '--out', ws.dir('keyring.json')]);
  expect(exported.code, exported.stderr).toBe(0);
  keyringSha = /keyring sha256[^0-9a-f]*([0-9a-f]{64})/i.exec(exported.stdout)![1];
}, 600_000);
afterAll(() => rmSync(ws.work, { recursive: true, force: true }));

describe('manifest signing, rehearsed', () => {
  it('signs a manifest that manifest verify accepts against the pinned keyring, and the packet verifies', () => {
    const r = sign('v42', draft('v42', 42));
    ws.expectCompleted(r, 5);
    const bytes = readFileSync(ws.dir('v42/outputs/ota-manifest.json'));
    const m = parseManifest(bytes).manifest!;
    expect(m.signed).toMatchObject({ channel: 'stable', version: 42 });
    expect(new Set(m.signatures.map((s) => s.keyid)).size).toBe(m.signatures.length);
    const v = ws.cli(['manifest', 'verify', ws.dir('v42/outputs/ota-manifest.json'), '--keyring', ws.dir('keyring.json'), '--keyring-sha256', keyringSha, '--channel', 'stable', '--device', 'oriole']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout.trim().split('\n').at(-1)).toMatch(/^verified: /);
    ws.expectVerified('v42');
    const page = ws.cli(['verify', ws.dir('v42')]).stdout;
    expect(page).toContain('inputs/manifest-draft.json: the file the ceremony started with');
    expect(page).toMatch(/outputs\/ota-manifest.json: channel stable version 42, \d+ target\(s\).* signature\(s\) by distinct officers' 9c keys of roster version 1 \(threshold \d\), each the one the ceremony recorded/);
    expect(r.stdout).toMatch(/^  signature 1 of \d: .*9c key .*verified$/m);
    // No officer's PIN anywhere the session wrote or printed.
    const pointer = JSON.parse(readFileSync(ws.dir('officers/rehearsal.json'), 'utf8')) as { sandbox: string; people?: string };
    const people = JSON.parse(readFileSync(join(pointer.sandbox, pointer.people ?? 'people.json'), 'utf8')) as { secrets: Record<string, Record<string, string>> };
    const pins = Object.values(people.secrets).map((s) => s['piv-pin']).filter(Boolean);
    expect(pins.length).toBeGreaterThanOrEqual(3);
    for (const pin of pins) expectSecretNowhere(pin, ws.dir('v42'), { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr });
    expect(r.stdout).toMatch(/Manifest signature 1 of \d: Crypto Officer 1/);
  });

  it('refuses the same version again and a rollback at the gates, before anyone signs (exit 1)', () => {
    for (const [name, version] of [['again', 42], ['rollback', 41]] as const) {
      const r = sign(name, draft(name, version));
      expect(r.code, r.stdout.slice(-2000)).toBe(1);
      expect(r.stdout + r.stderr, (r.stdout + r.stderr).slice(-1500)).toMatch(new RegExp(`version ${version} is not above 42, the last manifest signed for channel stable`));
      expect(r.stdout).not.toMatch(/Manifest signature 1 of/);
    }
  });

  it('refuses a target whose hash is not the release\'s at the gates', () => {
    const d = draft('tampered', 43);
    const doc = JSON.parse(readFileSync(d, 'utf8'));
    doc.signed.targets[0].sha256 = 'f'.repeat(64);
    writeFileSync(d, JSON.stringify(doc));
    const r = sign('tampered', d);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/target system\.img: SHA-256 ffffffffffffffff… is not the release's/);
  });

  it('a later manifest verifies; manifest verify refuses the earlier one given the later as --previous (a downgrade)', () => {
    ws.expectCompleted(sign('v43', draft('v43', 43)), 5);
    const verify = (m: string, previous: string) => ws.cli(['manifest', 'verify', ws.dir(m), '--keyring', ws.dir('keyring.json'), '--keyring-sha256', keyringSha, '--previous', ws.dir(previous)]);
    expect(verify('v43/outputs/ota-manifest.json', 'v42/outputs/ota-manifest.json').code).toBe(0);
    const down = verify('v42/outputs/ota-manifest.json', 'v43/outputs/ota-manifest.json');
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/FAIL version: .*42.*43/);
    const log = parseSigningLog(readFileSync(join(JSON.parse(readFileSync(ws.dir('officers/rehearsal.json'), 'utf8')).sandbox, 'manifest-signing-log.jsonl'), 'utf8'));
    expect(log.problem).toBeUndefined();
    expect(log.entries.map((e) => [e.authority, e.channel, e.version])).toEqual([['manifest', 'stable', 42], ['manifest', 'stable', 43]]);
  });

  it('refuses a draft with problems before anything is recorded (exit 2)', () => {
    const bad = ws.dir('bad.draft.json');
    writeFileSync(bad, JSON.stringify({ signed: { type: 'x' }, signatures: [] }));
    const r = sign('bad', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/problem/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('manifest signing: what verify does not believe of a packet an insider reseals', () => {
  const problems = async (name: string, files: Record<string, Buffer>) => {
    const dir = ws.copyOf('v42', name);
    await reseal(dir, { files });
    return verifyDir(dir).groups.flatMap((g) => g.problems.map((p) => `${g.name}: ${p}`));
  };
  const v42 = () => JSON.parse(readFileSync(ws.dir('v42/outputs/ota-manifest.json'), 'utf8')) as { signed: unknown; signatures: unknown[] };

  it('the kit alone leaves a packet that verifies', async () => {
    expect(await problems('insider-none', {})).toEqual([]);
  });

  it("another session's signed manifest in place of this one's", async () => {
    const p = await problems('insider-swap', { 'outputs/ota-manifest.json': readFileSync(ws.dir('v43/outputs/ota-manifest.json')) });
    expect(p.join('\n')).toContain('outputs: outputs/ota-manifest.json: the signed body is not the draft the ceremony started with (inputs/manifest-draft.json)');
    expect(p.join('\n')).toMatch(/outputs: outputs\/ota-manifest.json: signature 1: .*'s signature does not verify over the draft's signed bytes/);
  });

  it('a signature dropped, so the manifest is one short of the threshold', async () => {
    const m = v42();
    const p = await problems('insider-short', { 'outputs/ota-manifest.json': Buffer.from(JSON.stringify({ ...m, signatures: m.signatures.slice(1) }, null, 2)) });
    expect(p.join('\n')).toMatch(/outputs: outputs\/ota-manifest.json: \d good signature\(s\) by distinct officers' keys, below the roster's threshold of \d/);
  });
});

describe('manifest signing, production run: the inputs the site file pins', () => {
  const site = (name: string, sha: string) => {
    const file = ws.dir(`${name}.site.yaml`);
    writeFileSync(file, `hsm:\n  evidence-hsm: { module: /usr/lib/softhsm/libsofthsm2.so, token_label: evidence }\nmanifest_authority:\n  release_certificate: ${release.cert}\n  release_certificate_sha256: "${sha}"\n  signing_log: ${name}.manifest-log.jsonl\n`);
    return file;
  };
  const run = (name: string, more: string[]) => ws.cli(['run', SCRIPT, '--out', ws.dir(name), '--roster', ws.dir('officers/outputs/roster.json'), ...more]);

  it('without a site file naming the manifest authority, refuses before anything is written (exit 2)', () => {
    const r = run('prod-nosite', ['--manifest', draft('prod-nosite', 50), '--release', stable]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no site file (--site): a manifest signing session pins the release authority certificate and keeps the manifest signing log the site file names (manifest_authority: release_certificate, release_certificate_sha256, signing_log)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(ws.dir('prod-nosite'))).toBe(false);
  });

  it('refuses a site whose release certificate is not the pinned one, and names missing flags, all at once (exit 2)', () => {
    const r = run('prod-badpin', ['--site', site('prod-badpin', '0'.repeat(64))]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/manifest_authority\.release_certificate_sha256.*has SHA-256 [0-9a-f]{64}, not the pinned 0{64}/);
    expect(r.stderr).toContain('give --manifest <draft.json>');
    expect(r.stderr).toContain('--release <bundle> for each');
    expect(r.stderr).not.toContain('has no manifest_authority section');
    expect(existsSync(ws.dir('prod-badpin'))).toBe(false);
  });

  it("with the site's pinned certificate, the manifest inputs are accepted; a rehearsal's roster is still refused in production", () => {
    const r = run('prod-ok', ['--site', site('prod-ok', release.sha256), '--manifest', draft('prod-ok', 50), '--release', stable]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/manifest_authority|--manifest|--release/);
    expect(r.stderr).toMatch(/rehears/i);
    expect(existsSync(ws.dir('prod-ok'))).toBe(false);
  });
});
