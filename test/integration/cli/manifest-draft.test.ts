// officiant manifest draft, as the release pipeline runs it: release bundles made by openssl
// (test/helpers/openssl-release.ts) are verified against the pinned release authority and their artifacts become
// the targets of an unsigned manifest the ceremony's reader accepts. Every refusal exits 2, lists every problem
// by its flag, and writes nothing.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifestDraft } from '../../../src/custody/ota-manifest.js';
import { officiant } from '../../helpers/cli.js';
import { ARTIFACTS, authority, bundle, sha256, type Authority } from '../../helpers/openssl-release.js';

let dir: string;
let ec: Authority;
let mallory: Authority;
let stable: string;
let extra: string;
let forged: string;
let n = 0;
const out = () => join(dir, `draft-${++n}.json`);
const draft = (args: string[]) => officiant(['manifest', 'draft', ...args]);
const flags = (o: string, releases: string[], more: string[] = []) => ['--channel', 'stable', '--version', '42', '--expires', '30d', '--device', 'oriole', '--device', 'raven', ...releases.flatMap((r) => ['--release', r]), '--trust', ec.sha256, '--out', o, ...more];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'officiant-manifest-draft-'));
  ec = authority(dir, 'Release Authority EC', 'ec');
  mallory = authority(dir, 'Mallory', 'ec');
  [stable, forged] = await Promise.all([bundle(dir, 'stable', ec), bundle(dir, 'forged', mallory)]);
  extra = join(dir, 'extra');
  cpSync(stable, extra, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('officiant manifest draft', () => {
  it('lists every artifact of a verified bundle as a target, bound to its release.json, and the ceremony reader accepts it', async () => {
    const o = out();
    const r = await draft(flags(o, [stable]));
    expect(r.code, r.stderr).toBe(0);
    const read = parseManifestDraft(readFileSync(o));
    expect(read.problems).toEqual([]);
    const release = sha256(readFileSync(join(stable, 'release.json')));
    expect(read.body).toMatchObject({ type: 'officiant-ota-manifest', spec_version: 1, version: 42, channel: 'stable', devices: ['oriole', 'raven'] });
    expect(read.body!.targets).toEqual(
      ARTIFACTS.map((a) => {
        const bytes = readFileSync(join(stable, 'artifacts', a.name));
        return { name: a.name, length: bytes.length, sha256: sha256(bytes), kind: a.kind, release_sha256: release };
      }),
    );
    const days = (Date.parse(read.body!.expires) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect(JSON.parse(readFileSync(o, 'utf8')).signatures).toEqual([]);
    expect(r.stdout).toContain('OTA manifest draft: channel stable, version 42, for oriole, raven');
    expect(r.stdout).toContain(`release.json SHA-256 ${release}`);
    expect(r.stdout).toContain(`signed bytes SHA-256: ${sha256(read.signedBytes!)}`);
    // An unsigned draft is no manifest a device takes.
    const keyring = join(dir, 'keyring.json');
    writeFileSync(keyring, '{}');
    const checked = await officiant(['manifest', 'verify', o, '--keyring', keyring]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/FAIL manifest:/);
  });

  it('refuses a bundle that does not verify against the pinned authority, naming it, and writes nothing', async () => {
    const o = out();
    const r = await draft(flags(o, [forged]));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the manifest draft was not written: 1 problem(s)');
    expect(r.stderr).toContain(`--release: ${forged}: does not verify against the release authority --trust pins`);
    expect(r.stderr).toContain('check it with officiant release verify');
    expect(existsSync(o)).toBe(false);
  });

  it('refuses a target that two bundles both list (a device could not tell which to take)', async () => {
    const o = out();
    const r = await draft(flags(o, [stable, extra]));
    expect(r.code).toBe(2);
    for (const a of ARTIFACTS) expect(r.stderr).toContain(`--release: ${extra}: ${a.name} is also a target of ${stable}`);
    expect(existsSync(o)).toBe(false);
  });

  it('lists every bad flag at once: version, expiry, channel, device, a bundle that is none, an existing --out', async () => {
    const o = out();
    writeFileSync(o, 'keep');
    const r = await draft(['--channel', 'Stable!', '--version', 'x', '--expires', '2020-01-01T00:00:00Z', '--device', 'oriole', '--release', join(dir, 'nowhere'), '--trust', ec.sha256, '--out', o]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the manifest draft was not written: 5 problem(s)');
    expect(r.stderr).toMatch(/--channel: must be 1 to 64 lowercase letters.*\(the manifest's signed\.channel\)/);
    expect(r.stderr).toContain(`${o} already exists`);
    expect(r.stderr).toContain('--version: "x" is not a whole number');
    expect(r.stderr).toContain('--expires: 2020-01-01T00:00:00.000Z has passed already');
    expect(r.stderr).toContain(`--release: ${join(dir, 'nowhere')}: cannot read`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(o, 'utf8')).toBe('keep');
    // The channel alone wrong: the reader's rule names the flag.
    const bad = await draft(['--channel', 'Stable!', '--version', '1', '--expires', '1d', '--device', 'oriole', '--release', stable, '--trust', ec.sha256, '--out', out()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--channel: must be 1 to 64 lowercase letters.*\(the manifest's signed\.channel\)/);
  });

  it('refuses a malformed --trust with one plain line', async () => {
    const r = await draft(flags(out(), [stable]).map((x) => (x === ec.sha256 ? 'abc' : x)));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^officiant: --trust abc:/);
  });
});
