// officiant policy draft, as a release manager runs it before the policy ceremony: a certificate made by openssl,
// the draft's SPKI SHA-256 the one openssl computes from it, the summary people compare (key, SPKI SHA-256, kinds,
// approvals, expiry, the policy SHA-256 and words) and the next command. Refused with exit 2, every problem
// listed, no stack trace, nothing written and an existing file untouched. That the policy ceremony adopts what
// it writes is proved end to end by test/integration/e2e/release-signing.test.ts, which drafts with it.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officiant, ROOT } from '../../helpers/cli.js';
import { readPolicyDraft } from '../../../src/custody/release-policy.js';

let dir: string;
let cert: string;
let spki: string;
const at = (name: string) => join(dir, name);
const draft = (out: string, extra: string[] = []) => officiant(['policy', 'draft', '--authority', 'release', '--certificate', cert, '--label', 'release-root-2026', '--kinds', 'image,vbmeta,apk', '--out', out, ...extra]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'officiant-policy-draft-'));
  cert = at('release-root-2026.cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', at('key.pem'), '-out', cert, '-subj', '/CN=Release Root 2026', '-days', '30'], { stdio: 'ignore' });
  spki = execSync(`openssl x509 -in '${cert}' -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r`, { encoding: 'utf8' }).split(' ')[0];
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('officiant policy draft', () => {
  it("writes a draft with the certificate's key, and says what to compare and what comes next", async () => {
    const out = at('draft.json');
    const r = await draft(out, ['--approvals', 'crypto-officer:3', '--expires', '30d']);
    expect(r.code, r.stderr).toBe(0);
    const read = readPolicyDraft(readFileSync(out));
    expect(read.problems).toEqual([]);
    expect(read.policy!.body.keys).toEqual([{ label: 'release-root-2026', spki_sha256: spki, algorithm: 'RSA-PKCS1-SHA256', kinds: ['image', 'vbmeta', 'apk'] }]);
    const body = read.policy!.body;
    expect(Date.parse(body.expires_at) - Date.parse(body.issued_at)).toBe(30 * 86_400_000);
    for (const line of [
      'release policy draft, version 1 (first policy)',
      'key:        release-root-2026: RSA-3072, RSA-PKCS1-SHA256, certificate Release Root 2026',
      `SPKI SHA-256: ${spki}`,
      'kinds:      image, vbmeta, apk',
      'approvals:  3 × crypto-officer per release',
      `valid:      ${body.issued_at} to ${body.expires_at}`,
      `written: ${out}`,
      `next: review and print it, then adopt it: officiant run ceremonies/release-policy.yaml --roster <roster.json> --policy ${out}`,
    ]) expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(/^policy SHA-256: [0-9a-f]{64}$/m);
    expect(r.stdout).toMatch(/^ {2}words: 1\. \w+ {2}2\. \w+ {2}3\. \w+ {2}4\. \w+ {2}5\. \w+ {2}6\. \w+ \(the policy ceremony shows the same\)$/m);
  });

  it.each<[string, string[], string[]]>([
    ['the AOSP test key as the signing key', ['--certificate', join(ROOT, 'test/fixtures/test-keys/testkey.x509.pem')], ['--certificate: is the denied key testkey']],
    ['a manifest kind, one approval', ['--kinds', 'image,ota-manifest', '--approvals', 'crypto-officer:1'], ['--approvals: a release needs at least 2 approvals']],
    ['a manifest kind and an expiry in the past', ['--kinds', 'image,ota-manifest', '--expires', '2020-01-01T00:00:00Z'], ["--kinds: ota-manifest is the manifest authority's", '--expires: is not after issued_at']],
    ['a private key for a builder key, limits that are no numbers', ['--builder-key', 'KEY', '--max-bytes', 'lots', '--max-artifacts', 'many'], ['--builder-key: KEY: holds a private key', '--max-bytes: "lots" is not a number of bytes', '--max-artifacts: "many" is not a whole number']],
    ['a missing certificate', ['--certificate', 'MISSING'], ['cannot read certificate MISSING: no such file']],
  ])('refuses %s: exit 2, each problem listed, nothing written', async (_, extra, problems) => {
    const out = at('refused.json');
    const args = extra.map((a) => (a === 'KEY' ? at('key.pem') : a === 'MISSING' ? at('missing.pem') : a));
    const r = await draft(out, args);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^officiant: the policy draft was not written: ${problems.length} problem\\(s\\)\\n`));
    for (const p of problems) expect(r.stderr).toContain(p.replace('KEY', at('key.pem')).replace('MISSING', at('missing.pem')));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('never overwrites a file: exit 2, the file untouched', async () => {
    const existing = at('exists.json');
    writeFileSync(existing, '{}');
    const r = await draft(existing);
    expect([r.code, r.stderr]).toEqual([2, `officiant: the policy draft was not written: 1 problem(s)\n${existing} already exists\nhint: choose another file name; Officiant never overwrites a file\n`]);
    expect(readFileSync(existing, 'utf8')).toBe('{}');
  });

  it('--help shows an example and the exit codes', async () => {
    const r = await officiant(['policy', 'draft', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example:\n  officiant policy draft --authority release --certificate');
    expect(r.stdout).toContain('Exit codes: 0 written, 2 a problem with the arguments or the files');
  });
});
