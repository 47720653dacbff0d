// One fingerprint format: the SHA-256 of the DER as 64 lowercase hex digits, the same as openssl's (without
// colons); typed fingerprints are read leniently.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, normalizeFingerprint } from '../../../src/record/fingerprint.js';
import { pemToDer } from '../../../src/custody/pem.js';

describe('fingerprintOf', () => {
  it('is what openssl x509 -fingerprint -sha256 prints, lowercase without colons', () => {
    const dir = mkdtempSync(join(tmpdir(), 'officiant-fp-'));
    const CERT = join(dir, 'c.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=fp', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', CERT], { stdio: 'ignore' });
    const pem = readFileSync(CERT, 'utf8');
    const openssl = execFileSync('openssl', ['x509', '-in', CERT, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).trim().split('=')[1];
    expect(fingerprintOf(pemToDer(pem))).toBe(openssl.replace(/:/g, '').toLowerCase());
    expect(fingerprintOf(new X509Certificate(pem).raw)).toBe(fingerprintOf(pemToDer(pem)));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('normalizeFingerprint', () => {
  it.each([
    ['AB:CD'.padEnd(95, ':AB').slice(0, 95), 'abcd'.padEnd(64, 'ab').slice(0, 64)],
    [` ${'Ab'.repeat(32)} `, 'ab'.repeat(32)],
    ['ab'.repeat(32), 'ab'.repeat(32)],
  ])('reads %j', (typed, want) => {
    expect(normalizeFingerprint(typed)).toBe(want);
  });

  it.each(['', 'abc', 'zz'.repeat(32), 'ab'.repeat(33)])('refuses %j', (typed) => {
    expect(normalizeFingerprint(typed)).toBeUndefined();
  });
});
