// Release bundles for tests, made with real keys (node:crypto, certificates by @peculiar/x509) and the project's
// own builder (releaseStatement, statementBytes, derEcdsaSignature, as the signing ceremony uses them), held in
// memory; and the in-memory ReleaseBundleReader the verifier's tests read them through.
import 'reflect-metadata';
import { KeyObject, createHash, createPublicKey, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { derEcdsaSignature, releaseStatement, statementBytes, type ReleaseKind, type ReleaseStatement, type SignatureAlgorithm } from '../../src/custody/release-bundle.js';
import type { BundleEntry, ReleaseBundleReader } from '../../src/custody/release-bundle-reader.types.js';
import { requestStatement } from '../../src/custody/release-request.js';
import { spkiSha256 } from '../../src/custody/deny-list.js';

x509.cryptoProvider.set(webcrypto as Crypto);

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export interface TestAuthority {
  privateKey: KeyObject;
  pem: string;
  der: Buffer;
  sha256: string;
  spkiSha256: string;
  algorithm: SignatureAlgorithm;
}

const ALGS = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
} as const;

/** A release authority: a fresh RSA-2048 or P-256 key (or the given private key) and its self-signed certificate. */
export async function createAuthority(kind: 'rsa' | 'ec', name = 'Release Authority Test', given?: KeyObject): Promise<TestAuthority> {
  const alg = ALGS[kind];
  const keys = given
    ? {
        privateKey: await webcrypto.subtle.importKey('pkcs8', given.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']),
        publicKey: await webcrypto.subtle.importKey('spki', createPublicKey(given).export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
      }
    : ((await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}, O=Example`,
    notBefore: new Date('2026-01-01'),
    notAfter: new Date('2036-01-01'),
    keys,
    signingAlgorithm: alg,
  });
  const der = Buffer.from(cert.rawData);
  return {
    privateKey: KeyObject.from(keys.privateKey),
    pem: cert.toString('pem'),
    der,
    sha256: sha256(der),
    spkiSha256: spkiSha256(KeyObject.from(keys.publicKey)),
    algorithm: kind === 'rsa' ? 'RSA-PKCS1-SHA256' : 'ECDSA-SHA256',
  };
}

/** A detached signature as the HSM makes it: RSA PKCS#1 v1.5, or raw r||s from CKM_ECDSA turned into DER. */
export function signBytes(a: TestAuthority, data: Uint8Array): Buffer {
  if (a.algorithm === 'RSA-PKCS1-SHA256') return sign('sha256', data, a.privateKey);
  return derEcdsaSignature(sign('sha256', data, { key: a.privateKey, dsaEncoding: 'ieee-p1363' }));
}

export type BundleFile = Buffer | { type: 'directory' | 'symlink' | 'other' };
export type BundleFiles = Map<string, BundleFile>;

export interface TestArtifact {
  name: string;
  kind: ReleaseKind;
  bytes: Buffer;
}

export const REQUEST_ID = '0123456789abcdef0123456789abcdef';

/** The bytes of a request as `request create` writes them. */
export function requestBytes(artifacts: readonly TestArtifact[], over: { requestId?: string; version?: number } = {}): Buffer {
  const statement = requestStatement({
    authority: 'release',
    requestId: over.requestId ?? REQUEST_ID,
    buildId: 'ci-1234',
    sourceRevision: 'deadbeef',
    channel: 'stable',
    version: over.version ?? 42,
    createdAt: '2026-12-05T10:00:00.000Z',
    notAfter: '2026-12-06T10:00:00.000Z',
    artifacts: artifacts.map((a) => ({ name: a.name, kind: a.kind, size: a.bytes.length, sha256: sha256(a.bytes) })),
  });
  return Buffer.from(`${JSON.stringify(statement, null, 2)}\n`);
}

/** A complete bundle, as the signing ceremony writes it. */
export function buildBundle(a: TestAuthority, artifacts: readonly TestArtifact[]): BundleFiles {
  const files: BundleFiles = new Map();
  const request = requestBytes(artifacts);
  files.set('request.json', request);
  files.set('authority.pem', Buffer.from(a.pem));
  for (const art of artifacts) {
    files.set(`artifacts/${art.name}`, art.bytes);
    files.set(`signatures/${art.name}.sig`, signBytes(a, art.bytes));
  }
  const statement = releaseStatement({
    scriptId: 'release-sign',
    ceremonyId: 'release-sign-20261205T1000Z',
    request: { id: REQUEST_ID, sha256: sha256(request), buildId: 'ci-1234', sourceRevision: 'deadbeef', channel: 'stable', version: 42 },
    policy: { version: 3, sha256: 'c'.repeat(64) },
    approvalStatementSha256: 'd'.repeat(64),
    signingKey: { label: 'release-2026', spkiSha256: a.spkiSha256, algorithm: a.algorithm },
    certificateSha256: a.sha256,
    artifacts: artifacts.map((art) => ({ name: art.name, kind: art.kind, size: art.bytes.length, sha256: sha256(art.bytes), signatureSha256: sha256(files.get(`signatures/${art.name}.sig`) as Buffer) })),
    signedAt: '2026-12-05T11:00:00.000Z',
  });
  return sign_(files, a, statementBytes(statement));
}

function sign_(files: BundleFiles, a: TestAuthority, statement: Buffer): BundleFiles {
  files.set('release.json', statement);
  files.set('release.json.sig', signBytes(a, statement));
  return files;
}

/** The bundle with release.json edited (as an object, or as bytes) and signed again by `a`: what only the authority could do. */
export function resign(files: BundleFiles, a: TestAuthority, edit: (s: ReleaseStatement) => void | Buffer): BundleFiles {
  const s = JSON.parse((files.get('release.json') as Buffer).toString('utf8')) as ReleaseStatement;
  const bytes = edit(s) ?? statementBytes(s);
  return sign_(new Map(files), a, bytes);
}

const segments = (p: string) => p.split('/');
function depthFirst(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/** The ReleaseBundleReader over a bundle in memory; directories implied by paths are listed. Records what was read. */
export class MemoryBundleReader implements ReleaseBundleReader {
  readonly reads: string[] = [];

  constructor(private readonly files: BundleFiles) {}

  list(max: number): BundleEntry[] {
    const all = new Map<string, BundleEntry>();
    for (const [path, f] of this.files) {
      const parts = segments(path);
      // What is under a link is not listed: a link is never followed.
      const linked = parts.slice(0, -1).some((_, i) => {
        const up = this.files.get(parts.slice(0, i + 1).join('/'));
        return up !== undefined && !Buffer.isBuffer(up) && up.type !== 'directory';
      });
      if (linked) continue;
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (!all.has(dir)) all.set(dir, { path: dir, type: 'directory', size: 0 });
      }
      all.set(path, Buffer.isBuffer(f) ? { path, type: 'file', size: f.length } : { path, type: f.type, size: 0 });
    }
    return [...all.values()].sort((p, q) => depthFirst(p.path, q.path)).slice(0, max + 1);
  }

  read(path: string, max: number): Buffer {
    return this.file(path).subarray(0, max + 1);
  }

  stream(path: string, sink: (chunk: Uint8Array) => void): number {
    const bytes = this.file(path);
    // Uneven chunks, as a file system hands them over.
    for (let at = 0; at < bytes.length; at += 7_777) sink(bytes.subarray(at, at + 7_777));
    return bytes.length;
  }

  private file(path: string): Buffer {
    this.reads.push(path);
    const f = this.files.get(path);
    if (f === undefined) throw Object.assign(new Error(`${path}: no such file`), { code: 'ENOENT' });
    if (!Buffer.isBuffer(f)) throw Object.assign(new Error(`${path}: not a regular file`), { code: f.type === 'symlink' ? 'ELOOP' : 'EISDIR' });
    return f;
  }
}
