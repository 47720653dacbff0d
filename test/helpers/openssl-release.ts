// Release bundles made the way the signing ceremony writes them, with keys, certificates and signatures made by
// openssl (the request by `officiant request create`, release.json by the project's builder): the outside tool's
// view of the format, for release verify and for what reads verified bundles (manifest draft).
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createHash, sign } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { officiant } from './cli.js';
import { derEcdsaSignature, releaseStatement, statementBytes, type ReleaseKind } from '../../src/custody/release-bundle.js';
import { parseSigningRequest } from '../../src/custody/release-request.js';

export const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const ARTIFACTS: Array<{ name: string; kind: ReleaseKind }> = [
  { name: 'system.img', kind: 'image' },
  { name: 'vbmeta.img', kind: 'vbmeta' },
  { name: 'Settings.apk', kind: 'apk' },
];

export interface Authority {
  key: string;
  cert: string;
  /** SHA-256 of the certificate's DER, as openssl computes it. */
  sha256: string;
  spkiSha256: string;
  algorithm: 'RSA-PKCS1-SHA256' | 'ECDSA-SHA256';
}

/** A key and self-signed certificate made by openssl in `dir`. */
export function authority(dir: string, name: string, kind: 'rsa' | 'ec'): Authority {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.cert.pem`);
  openssl('genpkey', '-algorithm', kind === 'rsa' ? 'RSA' : 'EC', '-pkeyopt', kind === 'rsa' ? 'rsa_keygen_bits:2048' : 'ec_paramgen_curve:P-256', '-out', key);
  openssl('req', '-new', '-x509', '-key', key, '-subj', `/CN=${name}/O=Example`, '-days', '3650', '-sha256', '-out', cert);
  const pub = openssl('x509', '-in', cert, '-pubkey', '-noout');
  writeFileSync(`${key}.pub`, pub);
  return {
    key,
    cert,
    sha256: sha256(openssl('x509', '-in', cert, '-outform', 'DER')),
    spkiSha256: sha256(openssl('pkey', '-pubin', '-in', `${key}.pub`, '-outform', 'DER')),
    algorithm: kind === 'rsa' ? 'RSA-PKCS1-SHA256' : 'ECDSA-SHA256',
  };
}

/** release.json for the bundle in `b` (its request and signatures in place), signed by `a` with openssl. */
export function signRelease(b: string, a: Authority): void {
  const request = readFileSync(join(b, 'request.json'));
  const r = parseSigningRequest(request, 'release').request!;
  const statement = releaseStatement({
    scriptId: 'release-sign',
    ceremonyId: 'release-sign-20261205T1000Z',
    request: { id: r.requestId, sha256: sha256(request), buildId: r.buildId, sourceRevision: r.sourceRevision, channel: r.channel, version: r.version },
    policy: { version: 1, sha256: 'c'.repeat(64) },
    approvalStatementSha256: 'd'.repeat(64),
    signingKey: { label: 'release-2026', spkiSha256: a.spkiSha256, algorithm: a.algorithm },
    certificateSha256: a.sha256,
    artifacts: r.artifacts.map((x) => ({ name: x.name, kind: x.kind as ReleaseKind, size: x.size, sha256: x.sha256, signatureSha256: sha256(readFileSync(join(b, 'signatures', `${x.name}.sig`))) })),
    signedAt: new Date().toISOString(),
  });
  writeFileSync(join(b, 'release.json'), statementBytes(statement));
  openssl('dgst', '-sha256', '-sign', a.key, '-out', join(b, 'release.json.sig'), join(b, 'release.json'));
}

/** A bundle as the signing ceremony writes it: each artifact signed with `openssl dgst -sha256 -sign`, or as an HSM signs (raw r||s made DER by the builder). */
export async function bundle(dir: string, name: string, a: Authority, signer: 'openssl' | 'raw' = 'openssl', release: { channel: string; version: number; buildId: string } = { channel: 'stable', version: 7, buildId: 'ci-1234' }): Promise<string> {
  const b = join(dir, name);
  mkdirSync(join(b, 'artifacts'), { recursive: true });
  mkdirSync(join(b, 'signatures'));
  // A sparse 64 MiB image: streamed, never read whole.
  writeFileSync(join(b, 'artifacts', 'system.img'), 'system');
  truncateSync(join(b, 'artifacts', 'system.img'), 64 * 1024 * 1024);
  writeFileSync(join(b, 'artifacts', 'vbmeta.img'), 'AVB0 vbmeta');
  writeFileSync(join(b, 'artifacts', 'Settings.apk'), 'PK\u0003\u0004 settings');
  const made = await officiant(['request', 'create', '--authority', 'release', '--channel', release.channel, '--version', String(release.version), '--build-id', release.buildId, '--out', join(b, 'request.json'), ...ARTIFACTS.map((x) => `${join(b, 'artifacts', x.name)}:${x.kind}`)]);
  expect(made.code, made.stderr).toBe(0);
  for (const x of ARTIFACTS) {
    const artifact = join(b, 'artifacts', x.name);
    const sig = join(b, 'signatures', `${x.name}.sig`);
    if (signer === 'openssl') openssl('dgst', '-sha256', '-sign', a.key, '-out', sig, artifact);
    else writeFileSync(sig, derEcdsaSignature(sign('sha256', readFileSync(artifact), { key: createPrivateKey(readFileSync(a.key)), dsaEncoding: 'ieee-p1363' })));
  }
  cpSync(a.cert, join(b, 'authority.pem'));
  signRelease(b, a);
  return b;
}

