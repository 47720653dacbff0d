// officiant release verify, as a release engineer or an OTA service runs it on a bundle, with the keys, certificate
// and signatures made by openssl (the request by `officiant request create`, release.json by the project's
// builder), so the bundle's format is checked against an outside tool both ways: openssl's signatures verify
// here, and what the builder makes from raw r||s (as CKM_ECDSA returns it) verifies with `openssl dgst -verify`.
// Each tampering exits 1 naming the problem; a bad --trust or no bundle exits 2 with one plain line.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officiant } from '../../helpers/cli.js';
import { ARTIFACTS, authority as opensslAuthority, bundle as opensslBundle, openssl, sha256, signRelease, type Authority } from '../../helpers/openssl-release.js';

let dir: string;
const authority = (name: string, kind: 'rsa' | 'ec') => opensslAuthority(dir, name, kind);
const bundle = (name: string, a: Authority, signer: 'openssl' | 'raw' = 'openssl') => opensslBundle(dir, name, a, signer);
let rsa: Authority;
let ec: Authority;
let mallory: Authority;
let rsaBundle: string;
let ecBundle: string;
let counter = 0;
/** A copy of the EC bundle to tamper with. */
const copy = () => {
  const c = join(dir, `tampered-${++counter}`);
  cpSync(ecBundle, c, { recursive: true });
  return c;
};
const verify = (b: string, trust = ec.sha256, ...more: string[]) => officiant(['release', 'verify', b, '--trust', trust, ...more]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'officiant-release-verify-'));
  rsa = authority('Release Authority RSA', 'rsa');
  ec = authority('Release Authority EC', 'ec');
  mallory = authority('Mallory', 'ec');
  [rsaBundle, ecBundle] = await Promise.all([bundle('rsa', rsa), bundle('ec', ec)]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('officiant release verify', () => {
  it.each(['rsa', 'ec'] as const)('verifies a bundle signed by an %s key (exit 0), pinned by fingerprint or by the certificate file', async (kind) => {
    const [b, a] = kind === 'rsa' ? [rsaBundle, rsa] : [ecBundle, ec];
    const name = kind === 'rsa' ? 'Release Authority RSA' : 'Release Authority EC';
    for (const trust of [a.sha256, a.cert]) {
      const r = await verify(b, trust);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([
        ...['certificate', 'test keys', 'statement signature', 'statement', 'signing key', 'subjects', 'request', 'artifacts', 'signatures', 'files'].map((c) => `ok   ${c}`),
        `verified: release ci-1234 stable v7, 3 artifacts, signed by ${name} (certificate SHA-256 ${a.sha256}); release.json SHA-256 ${sha256(readFileSync(join(b, 'release.json')))}, as in the signing session's packet`,
      ]);
    }
    const json = await verify(b, a.sha256, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, problems: 0, summary: { buildId: 'ci-1234', channel: 'stable', version: 7, artifacts: 3, signer: name, certificateSha256: a.sha256, statementSha256: sha256(readFileSync(join(b, 'release.json'))) } });
  });

  it('makes what openssl dgst -verify accepts, also from raw r||s signatures as an HSM returns them', async () => {
    const raw = await bundle('raw', ec, 'raw');
    for (const b of [rsaBundle, ecBundle, raw]) {
      const pub = `${b === rsaBundle ? rsa.key : ec.key}.pub`;
      for (const x of ARTIFACTS) {
        expect(openssl('dgst', '-sha256', '-verify', pub, '-signature', join(b, 'signatures', `${x.name}.sig`), join(b, 'artifacts', x.name)).toString()).toBe('Verified OK\n');
      }
      expect(openssl('dgst', '-sha256', '-verify', pub, '-signature', join(b, 'release.json.sig'), join(b, 'release.json')).toString()).toBe('Verified OK\n');
    }
    expect((await verify(raw)).code).toBe(0);
  });

  it.each<[string, (b: string) => void, string[]]>([
    [
      'a flipped artifact byte',
      (b) => {
        const p = join(b, 'artifacts', 'vbmeta.img');
        const bytes = readFileSync(p);
        bytes[3] ^= 1;
        writeFileSync(p, bytes);
      },
      ['FAIL artifacts: artifacts/vbmeta.img: SHA-256 ', 'FAIL signatures: signatures/vbmeta.img.sig: does not verify over artifacts/vbmeta.img with the key of authority.pem'],
    ],
    [
      'two signatures swapped',
      (b) => {
        renameSync(join(b, 'signatures', 'vbmeta.img.sig'), join(b, 'swap'));
        renameSync(join(b, 'signatures', 'Settings.apk.sig'), join(b, 'signatures', 'vbmeta.img.sig'));
        renameSync(join(b, 'swap'), join(b, 'signatures', 'Settings.apk.sig'));
      },
      ['FAIL signatures: signatures/vbmeta.img.sig: SHA-256 ', 'signatures/vbmeta.img.sig: does not verify over artifacts/vbmeta.img', 'signatures/Settings.apk.sig: does not verify over artifacts/Settings.apk'],
    ],
    ['a missing artifact', (b) => rmSync(join(b, 'artifacts', 'Settings.apk')), ['FAIL artifacts: artifacts/Settings.apk: missing']],
    ['a missing signature', (b) => rmSync(join(b, 'signatures', 'system.img.sig')), ['FAIL signatures: signatures/system.img.sig: missing']],
    ['an extra file', (b) => writeFileSync(join(b, 'artifacts', 'extra.bin'), 'unsigned'), ['FAIL files: unexpected file "artifacts/extra.bin"']],
    ['an extra directory', (b) => mkdirSync(join(b, 'signatures', 'old')), ['FAIL files: unexpected directory "signatures/old/"']],
    [
      'a symlinked artifact (to the very same bytes)',
      (b) => {
        const p = join(b, 'artifacts', 'vbmeta.img');
        cpSync(p, `${b}-vbmeta.img`);
        rmSync(p);
        symlinkSync(`${b}-vbmeta.img`, p);
      },
      ['FAIL artifacts: artifacts/vbmeta.img: is a symbolic link, not a regular file'],
    ],
    [
      'release.json re-signed with another key, authority.pem kept',
      (b) => openssl('dgst', '-sha256', '-sign', mallory.key, '-out', join(b, 'release.json.sig'), join(b, 'release.json')),
      ['FAIL statement signature: release.json.sig: does not verify over release.json with the key of authority.pem'],
    ],
  ])('exits 1 naming the problem for %s', async (_, tamper, said) => {
    const b = copy();
    tamper(b);
    const r = await verify(b);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    for (const s of said) expect(r.stdout).toContain(s);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^FAILED: \d+ problem\(s\)$/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('passes the certificate check only for the pinned authority: a bundle entirely made by another key fails only that', async () => {
    const b = copy();
    for (const x of ARTIFACTS) openssl('dgst', '-sha256', '-sign', mallory.key, '-out', join(b, 'signatures', `${x.name}.sig`), join(b, 'artifacts', x.name));
    cpSync(mallory.cert, join(b, 'authority.pem'));
    signRelease(b, mallory);
    const r = await verify(b);
    expect(r.stdout).toContain(`FAIL certificate: authority.pem: certificate ${mallory.sha256} is not the trusted ${ec.sha256} (--trust)`);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL ')), r.stdout).toHaveLength(1);
    expect((await verify(b, mallory.sha256)).code).toBe(0);
  });

  it('reads a fingerprint as a fingerprint even when a file of that name, holding another certificate, is where it runs', async () => {
    // Whoever can write beside the bundle (where release engineers run this) plants Mallory's certificate under
    // the name of the fingerprint people pin; a whole bundle made by Mallory must still fail the certificate.
    const b = copy();
    for (const x of ARTIFACTS) openssl('dgst', '-sha256', '-sign', mallory.key, '-out', join(b, 'signatures', `${x.name}.sig`), join(b, 'artifacts', x.name));
    cpSync(mallory.cert, join(b, 'authority.pem'));
    signRelease(b, mallory);
    const cwd = join(dir, `planted-${++counter}`);
    mkdirSync(cwd);
    for (const name of [ec.sha256, ec.sha256.toUpperCase()]) cpSync(mallory.cert, join(cwd, name));
    for (const trust of [ec.sha256, ec.sha256.toUpperCase()]) {
      const r = await officiant(['release', 'verify', b, '--trust', trust], { cwd });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(`FAIL certificate: authority.pem: certificate ${mallory.sha256} is not the trusted ${ec.sha256} (--trust)`);
    }
  });

  it.each<[string, () => string[], () => string]>([
    ['a --trust that is neither a file nor a fingerprint', () => ['release', 'verify', ecBundle, '--trust', 'not-a-fingerprint'], () => '--trust not-a-fingerprint: neither a certificate file nor a SHA-256 fingerprint (64 hex digits)'],
    ['a --trust file that is no certificate', () => ['release', 'verify', ecBundle, '--trust', ec.key], () => `--trust ${ec.key}: not a PEM certificate (nor a SHA-256 fingerprint)`],
    ['no such directory', () => ['release', 'verify', join(dir, 'missing'), '--trust', ec.sha256], () => `cannot read ${join(dir, 'missing')}: no such file or directory`],
    ['a directory that is no bundle', () => ['release', 'verify', join(ecBundle, 'artifacts'), '--trust', ec.sha256], () => `${join(ecBundle, 'artifacts')} is not a release bundle: it holds none of request.json, authority.pem, release.json, release.json.sig`],
    ['no --trust', () => ['release', 'verify', ecBundle], () => "required option '--trust <cert.pem|sha256>' not specified"],
  ])('exits 2 for %s, one plain line and no stack', async (_, args, said) => {
    const r = await officiant(args());
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(said());
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stdout).toBe('');
  });
});
