// officiant request create, as a release pipeline runs it: real files hashed (the digests openssl computes), a
// request the authority's own reader loads, a fresh request id each time; every problem listed at once with
// exit 2 and nothing written; an existing --out refused.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officiant } from '../../helpers/cli.js';
import { parseSigningRequest } from '../../../src/custody/release-request.js';

let dir: string;
const file = (name: string, bytes: Buffer | string) => {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
};
const opensslSha256 = (path: string) => execFileSync('openssl', ['dgst', '-sha256', '-r', path], { encoding: 'utf8' }).split(' ')[0];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'officiant-request-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('officiant request create', () => {
  it('hashes each artifact and writes a request the authority loads', async () => {
    const img = file('system.img', Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a));
    const apk = file('Settings.apk', 'PK\u0003\u0004 not really a zip');
    const out = join(dir, 'request.json');
    const r = await officiant(['request', 'create', '--authority', 'release', '--channel', 'beta', '--version', '42', '--build-id', 'ci-1234', '--out', out, `${img}:image`, `${apk}:apk`]);
    expect(r.code, r.stderr).toBe(0);
    const { request, problems } = parseSigningRequest(readFileSync(out), 'release');
    expect(problems).toEqual([]);
    expect(request).toMatchObject({ channel: 'beta', version: 42, buildId: 'ci-1234' });
    expect(request!.artifacts).toEqual([
      { name: 'system.img', kind: 'image', size: 3 * 1024 * 1024 + 7, sha256: opensslSha256(img) },
      { name: 'Settings.apk', kind: 'apk', size: readFileSync(apk).length, sha256: opensslSha256(apk) },
    ]);
    expect(Date.parse(request!.notAfter) - Date.parse(request!.createdAt)).toBe(24 * 3600_000);
    expect(r.stdout).toContain(`request ${request!.requestId}: 2 artifact(s)`);

    const again = join(dir, 'again.json');
    expect((await officiant(['request', 'create', '--authority', 'release', '--out', again, `${img}:image`])).code).toBe(0);
    expect(parseSigningRequest(readFileSync(again), 'release').request!.requestId).not.toBe(request!.requestId);
  });

  it('lists every problem at once, exit 2, and writes nothing', async () => {
    const ok = file('ok.img', 'x');
    const out = join(dir, 'refused.json');
    execFileSync('mkfifo', [join(dir, 'pipe.img')]);
    const r = await officiant(['request', 'create', '--authority', 'release', '--version', '0', '--not-after', 'soon', '--out', out, `${ok}:ota-manifest`, `${join(dir, 'missing.img')}:image`, `${join(dir, 'pipe.img')}:image`, `${dir}:image`, `${ok}:firmware`, 'nokind']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const said = r.stdout + r.stderr;
    for (const problem of [
      '--not-after: "soon" is neither a time',
      '--version: "0" is not a whole number of at least 1',
      'missing.img: no such file',
      'pipe.img: not a regular file',
      `${dir}: not a regular file`,
      'nokind: give the artifact as <file>:<kind>',
    ]) expect(said).toContain(problem);
    expect(said).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);

    // Once the arguments are right, the request's own rules: a manifest kind, an unknown kind, a name twice.
    const r2 = await officiant(['request', 'create', '--authority', 'release', '--out', out, `${ok}:ota-manifest`, `${ok}:firmware`]);
    expect(r2.code).toBe(2);
    expect(r2.stdout + r2.stderr).toContain('predicate.artifacts[0].kind: ota-manifest is signed by the manifest authority, never by the release authority');
    expect(r2.stdout + r2.stderr).toContain('predicate.artifacts[1].kind: unknown kind "firmware"');
    expect(r2.stdout + r2.stderr).toContain('predicate.artifacts[1].name: "ok.img" is listed twice');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses the manifest authority and an existing --out, exit 2', async () => {
    const ok = file('one.img', 'y');
    const m = await officiant(['request', 'create', '--authority', 'manifest', '--out', join(dir, 'm.json'), `${ok}:image`]);
    expect([m.code, m.stderr]).toEqual([2, expect.stringContaining('request create is for the release authority')]);
    const existing = file('exists.json', '{}');
    const e = await officiant(['request', 'create', '--authority', 'release', '--out', existing, `${ok}:image`]);
    expect([e.code, e.stderr]).toEqual([2, expect.stringContaining('already exists')]);
    expect(readFileSync(existing, 'utf8')).toBe('{}');
  });
});
