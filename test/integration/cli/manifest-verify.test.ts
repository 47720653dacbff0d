// `officiant manifest verify` as a device or an OTA service runs it: the keyring written by `officiant keyring
// export` from a roster made with real crypto, manifests signed with the officers' real P-256 9c keys. The
// check by hand in docs/ota-manifests.md is run as written (its shell blocks, taken from the file) with jq and
// openssl, and agrees with Officiant both ways. Exit 0 verified (NOT PINNED said when it is not), 1 a manifest
// that does not verify with the problem named, 2 bad input with every problem listed and no stack.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officiant, ROOT } from '../../helpers/cli.js';
import { manifestBody, officerSigner, signManifest } from '../../helpers/ota-manifest.js';
import { createRosterBody, createRosterFile, createRosterWorld } from '../../helpers/roster-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const world = await createRosterWorld();
const [o1, o2, o3] = world.officers;
const [s1, s2, s3] = [o1, o2, o3].map(officerSigner);
const NOW = ['--now', '2026-06-01T00:00:00Z'];
const DOC = readFileSync(join(ROOT, 'docs/ota-manifests.md'), 'utf8');
/** The shell blocks of the doc's "The same check by hand", in order. */
const HAND = [...DOC.slice(DOC.indexOf('## The same check by hand')).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
let pin: string;

const write = (name: string, bytes: Buffer | string) => {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
};
const sh = (script: string) => spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1);

beforeAll(async () => {
  write('roster.json', JSON.stringify(createRosterFile(createRosterBody(world), [o1, o2, o3]), null, 2));
  const r = await officiant(['keyring', 'export', '--roster', join(dir, 'roster.json'), '--out', join(dir, 'keyring.json')]);
  expect(r.code, r.stderr).toBe(0);
  pin = /^keyring sha256 ([0-9a-f]{64}): /m.exec(r.stdout)![1];
  expect(r.stdout).toContain('manifest threshold: 2 distinct keys\n');
}, 120_000);

describe('officiant manifest verify', () => {
  it('verifies a manifest signed by a threshold of officers, saying when the keyring is not pinned', async () => {
    const m = write('manifest.json', signManifest(manifestBody(), [s1, s2]));
    const pinned = await officiant(['manifest', 'verify', m, '--keyring', join(dir, 'keyring.json'), '--keyring-sha256', pin, '--channel', 'stable', '--device', 'oriole', ...NOW]);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(pinned.stdout.split('\n').slice(0, 7)).toEqual(['keyring', 'manifest', 'signatures', 'threshold', 'expiry', 'channel', 'version'].map((c) => `ok   ${c}`));
    expect(lastLine(pinned.stdout)).toBe(
      `verified: OTA manifest stable v42 for oriole, raven, 3 targets, expires 2026-12-31T00:00:00Z, signed by 2 of 3 keyring keys (crypto-officer-1, crypto-officer-2; threshold 2); keyring ${pin} (roster version 1) pinned by --keyring-sha256 (rehearsal)`,
    );
    const unpinned = await officiant(['manifest', 'verify', m, '--keyring', join(dir, 'keyring.json'), ...NOW]);
    expect(unpinned.code).toBe(0);
    expect(lastLine(unpinned.stdout)).toMatch(/^verified, keyring NOT PINNED: OTA manifest stable v42 .*; keyring [0-9a-f]{64} \(roster version 1\): compare it with the keyring sha256 `officiant keyring export` printed, or pass --keyring-sha256 \(rehearsal\)$/);
    const json = await officiant(['manifest', 'verify', m, '--keyring', join(dir, 'keyring.json'), '--json', ...NOW]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, pinned: false, keyringSha256: pin, problems: 0 });
  });

  it.each<[string, () => Buffer, string[], string[]]>([
    ['a threshold short by one', () => signManifest(manifestBody(), [s1]), [], ['FAIL threshold: threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1)']],
    ['an expired manifest', () => signManifest(manifestBody({ expires: '2026-05-31T23:59:59Z' }), [s1, s3]), [], ['FAIL expiry: expired at 2026-05-31T23:59:59Z (now 2026-06-01T00:00:00.000Z)']],
    ['a rollback', () => signManifest(manifestBody({ version: 41 }), [s1, s2]), ['--previous', 'previous.json'], ["FAIL version: rollback: version 41 is below the --previous manifest's version 42"]],
  ])('exits 1 on %s, naming it', async (_, manifest, extra, lines) => {
    write('previous.json', signManifest(manifestBody(), [s2, s3]));
    const m = write('bad.json', manifest());
    const r = await officiant(['manifest', 'verify', m, '--keyring', join(dir, 'keyring.json'), '--keyring-sha256', pin, ...extra.map((a) => (a.endsWith('.json') ? join(dir, a) : a)), ...NOW]);
    expect(r.code, r.stderr).toBe(1);
    for (const l of lines) expect(r.stdout).toContain(`${l}\n`);
    expect(lastLine(r.stdout)).toBe(`FAILED: ${lines.length} problem(s)`);
  });

  it('exports a keyring signed before keyrings carried a threshold, which manifest verify then refuses', async () => {
    write('legacy-roster.json', JSON.stringify(createRosterFile(createRosterBody(world), [o1, o2, o3], { keyring: ({ manifest_threshold: _, ...k }) => k })));
    const exported = await officiant(['keyring', 'export', '--roster', join(dir, 'legacy-roster.json'), '--out', join(dir, 'legacy-keyring.json')]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('manifest threshold: none (signed before keyrings carried one): manifest verify refuses this keyring until a roster ceremony signs a new one\n');
    const m = write('manifest.json', signManifest(manifestBody(), [s1, s2, s3]));
    const r = await officiant(['manifest', 'verify', m, '--keyring', join(dir, 'legacy-keyring.json'), ...NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL threshold: the keyring (roster version 1) states no manifest_threshold: it was signed before keyrings carried one; a roster ceremony must sign a new keyring\n');
  });

  it('exits 2 on bad input, every problem listed, no stack', async () => {
    write('not-json.json', 'signed: yes');
    const r = await officiant(['manifest', 'verify', join(dir, 'nope.json'), '--keyring', join(dir, 'not-json.json'), '--keyring-sha256', 'xyz', '--now', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'officiant: cannot check the manifest: 4 problem(s)',
        `  ${join(dir, 'nope.json')}: cannot be read: no such file`,
        `  --keyring ${join(dir, 'not-json.json')}: not JSON, so not a keyring`,
        '  --keyring-sha256 xyz: not a SHA-256 (64 hex digits)',
        '  --now yesterday: not a time such as 2026-06-01T00:00:00Z',
        'hint: give the manifest (JSON: signed, signatures) and the keyring.json `officiant keyring export` wrote; --keyring-sha256 is the keyring sha256 it printed',
        '',
      ].join('\n'),
    );
  });

  it('the check by hand in docs/ota-manifests.md agrees with Officiant, on a good manifest and a tampered one', () => {
    expect(HAND).toHaveLength(3);
    const body = manifestBody();
    write('manifest.json', signManifest(body, [s1, s2]));
    const setup = sh(HAND[0]);
    expect(setup.status, setup.stderr).toBe(0);
    expect(setup.stdout).toBe(`${pin} *keyring.payload\n2\n`);
    [s1, s2].forEach((s, n) => {
      const r = sh(HAND[1].replace(/^N=0$/m, `N=${n}`));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${s.keyid} *stdin\n${[o1, o2][n].officer.id} ${s.device_serial}\n${s.device_serial}\nVerified OK\n`);
    });
    expect(sh(HAND[2]).stdout.split('\n').slice(0, 6)).toEqual(['officiant-ota-manifest', '1', 'stable', '42', '2026-12-31T00:00:00Z', 'oriole raven']);

    // One byte of a target changed after signing, pretty-printed differently: openssl refuses it too.
    const tampered = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { signed: typeof body };
    tampered.signed.targets[2].length += 1;
    write('manifest.json', JSON.stringify(tampered));
    expect(sh(HAND[0]).status).toBe(0);
    const r = sh(HAND[1]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Verification failure');
  });
});
