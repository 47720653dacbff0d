// A release bundle as whoever receives it checks it: a bundle the builder makes with a real RSA-2048 or P-256 key
// verifies, and each way of tampering with one fails exactly the check that should catch it, with its sentence
// (and nothing else fails). What was handed over is never trusted: names that are paths are never read, files
// too large are refused unread, links are not followed, the reader throwing is a problem, never a crash.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_CHECKS, verifyReleaseBundle, type ReleaseReport, type ReleaseTrust } from '../../../src/custody/verify-release-bundle.js';
import type { ReleaseBundleReader } from '../../../src/custody/release-bundle-reader.types.js';
import { FUZZ_SEED, mutateText, rng } from '../../helpers/fuzz.js';
import { MemoryBundleReader, buildBundle, createAuthority, requestBytes, resign, sha256, signBytes, type BundleFiles, type TestArtifact, type TestAuthority } from '../../helpers/release-bundle.js';

const ARTIFACTS: TestArtifact[] = [
  { name: 'system.img', kind: 'image', bytes: Buffer.alloc(100_003, 0x5a) },
  { name: 'vbmeta.img', kind: 'vbmeta', bytes: Buffer.from('AVB0 vbmeta') },
  { name: 'Settings.apk', kind: 'apk', bytes: Buffer.from('PK\u0003\u0004 settings') },
];
const short = (hex: string) => `${hex.slice(0, 16)}…`;

let rsa: TestAuthority;
let ec: TestAuthority;
let other: TestAuthority;
let bundle: BundleFiles;

beforeAll(async () => {
  [rsa, ec, other] = await Promise.all([createAuthority('rsa'), createAuthority('ec'), createAuthority('ec', 'Mallory')]);
  bundle = buildBundle(ec, ARTIFACTS);
}, 60_000);

const verify = (files: BundleFiles, trust: ReleaseTrust = { sha256: ec.sha256 }, reader: ReleaseBundleReader = new MemoryBundleReader(files)) => verifyReleaseBundle(reader, trust);
/** The checks that failed, with their problems. */
const failures = (r: ReleaseReport) => Object.fromEntries(r.checks.filter((c) => !c.ok).map((c) => [c.name, c.problems]));
const edited = (edit: (files: BundleFiles) => void) => {
  const files = new Map(bundle);
  edit(files);
  return files;
};
const flipped = (b: Buffer, at: number) => {
  const c = Buffer.from(b);
  c[at] ^= 1;
  return c;
};
const file = (files: BundleFiles, path: string) => files.get(path) as Buffer;
/** What a statement that is not one leaves unchecked. */
const noStatement = {
  ...Object.fromEntries(['signing key', 'subjects', 'request', 'artifacts', 'signatures'].map((c) => [c, ['not checked: release.json is not a release statement']])),
  files: ['artifacts/ and signatures/ not checked: release.json is not a release statement'],
};

describe('verifyReleaseBundle', () => {
  it.each(['rsa', 'ec'] as const)('verifies a bundle the builder makes with an %s key, pinned by SHA-256 or by the certificate', (kind) => {
    const a = kind === 'rsa' ? rsa : ec;
    const files = buildBundle(a, ARTIFACTS);
    for (const trust of [{ sha256: a.sha256 }, { sha256: a.sha256.toUpperCase().replace(/(..)(?!$)/g, '$1:') }, { certificatePem: `subject=CN = x\n${a.pem}` }]) {
      const r = verify(files, trust);
      expect(failures(r)).toEqual({});
      expect(r.ok).toBe(true);
      expect(r.checks.map((c) => c.name)).toEqual([...RELEASE_CHECKS]);
      expect(r.summary).toEqual({ buildId: 'ci-1234', channel: 'stable', version: 42, artifacts: 3, signer: 'Release Authority Test', certificateSha256: a.sha256, key: kind === 'rsa' ? 'RSA-2048' : 'EC P-256', statementSha256: sha256(files.get('release.json') as Buffer) });
    }
  });

  it.each<[string, () => BundleFiles, () => Record<string, string[]>]>([
    [
      'a flipped artifact byte',
      () => edited((f) => f.set('artifacts/system.img', flipped(file(f, 'artifacts/system.img'), 4096))),
      () => ({
        artifacts: [`artifacts/system.img: SHA-256 ${short(sha256(flipped(ARTIFACTS[0].bytes, 4096)))} is not the ${short(sha256(ARTIFACTS[0].bytes))} release.json states`],
        signatures: ['signatures/system.img.sig: does not verify over artifacts/system.img with the key of authority.pem'],
      }),
    ],
    [
      'two signatures swapped',
      () => edited((f) => f.set('signatures/vbmeta.img.sig', file(bundle, 'signatures/Settings.apk.sig')).set('signatures/Settings.apk.sig', file(bundle, 'signatures/vbmeta.img.sig'))),
      () => {
        const [v, s] = [sha256(file(bundle, 'signatures/vbmeta.img.sig')), sha256(file(bundle, 'signatures/Settings.apk.sig'))];
        return {
          signatures: [
            `signatures/vbmeta.img.sig: SHA-256 ${short(s)} is not the ${short(v)} release.json states (predicate.artifacts[1].signature_sha256)`,
            'signatures/vbmeta.img.sig: does not verify over artifacts/vbmeta.img with the key of authority.pem',
            `signatures/Settings.apk.sig: SHA-256 ${short(v)} is not the ${short(s)} release.json states (predicate.artifacts[2].signature_sha256)`,
            'signatures/Settings.apk.sig: does not verify over artifacts/Settings.apk with the key of authority.pem',
          ],
        };
      },
    ],
    [
      'an artifact missing',
      () => edited((f) => f.delete('artifacts/vbmeta.img')),
      () => ({ artifacts: ['artifacts/vbmeta.img: missing'], signatures: ['signatures/vbmeta.img.sig: not verified: artifacts/vbmeta.img is not the artifact release.json states'] }),
    ],
    ['a signature missing', () => edited((f) => f.delete('signatures/Settings.apk.sig')), () => ({ signatures: ['signatures/Settings.apk.sig: missing'] })],
    [
      'an artifact cut short',
      () => edited((f) => f.set('artifacts/system.img', file(f, 'artifacts/system.img').subarray(1))),
      () => ({ artifacts: ['artifacts/system.img: 100002 bytes, release.json states 100003'], signatures: ['signatures/system.img.sig: not verified: artifacts/system.img is not the artifact release.json states'] }),
    ],
    [
      'an artifact that is a link',
      () => edited((f) => f.set('artifacts/system.img', { type: 'symlink' })),
      () => ({
        artifacts: ['artifacts/system.img: is a symbolic link, not a regular file'],
        signatures: ['signatures/system.img.sig: not verified: artifacts/system.img is not the artifact release.json states'],
      }),
    ],
    [
      'an artifact that is a directory',
      () => edited((f) => f.delete('artifacts/vbmeta.img') && f.set('artifacts/vbmeta.img/inner', Buffer.from('x'))),
      () => ({
        artifacts: ['artifacts/vbmeta.img: is a directory, not a regular file'],
        signatures: ['signatures/vbmeta.img.sig: not verified: artifacts/vbmeta.img is not the artifact release.json states'],
        files: ['unexpected file "artifacts/vbmeta.img/inner"'],
      }),
    ],
    [
      'extra files, a directory, a link and a FIFO',
      () =>
        edited((f) =>
          f
            .set('NOTES.txt', Buffer.from('hi'))
            .set('artifacts/boot.img', Buffer.from('unsigned'))
            .set('signatures/boot.img.sig', Buffer.from('x'))
            .set('extra/a', Buffer.from('1'))
            .set('extra/deeper/b', Buffer.from('2'))
            .set('fifo', { type: 'other' })
            .set('artifacts/\u202egpj.exe', { type: 'symlink' }),
        ),
      () => ({
        files: [
          'unexpected file "NOTES.txt"',
          'unexpected file "artifacts/boot.img"',
          'unexpected symbolic link "artifacts/\\u202egpj.exe"',
          'unexpected directory "extra/" (holding 3 entries)',
          'unexpected FIFO, socket or device "fifo"',
          'unexpected file "signatures/boot.img.sig"',
        ],
      }),
    ],
    [
      'artifacts/ that is a link to a directory',
      () => edited((f) => f.set('artifacts', { type: 'symlink' })),
      () => ({
        artifacts: ARTIFACTS.map((a) => `artifacts/${a.name}: missing`),
        signatures: ARTIFACTS.map((a) => `signatures/${a.name}.sig: not verified: artifacts/${a.name} is not the artifact release.json states`),
        files: ['artifacts: is a symbolic link, not a directory'],
      }),
    ],
    [
      'release.json edited, not signed again',
      () => edited((f) => f.set('release.json', Buffer.from(file(f, 'release.json').toString().replace('"version": 42', '"version": 43')))),
      () => ({
        'statement signature': ['release.json.sig: does not verify over release.json with the key of authority.pem'],
        request: ['request.json: version 42 is not predicate.request.version 43 in release.json'],
      }),
    ],
    [
      'release.json signed by another key, authority.pem unchanged',
      () => edited((f) => f.set('release.json.sig', signBytes(other, file(f, 'release.json')))),
      () => ({ 'statement signature': ['release.json.sig: does not verify over release.json with the key of authority.pem'] }),
    ],
    [
      'the whole bundle signed by another authority',
      () => buildBundle(other, ARTIFACTS),
      () => ({ certificate: [`authority.pem: certificate ${other.sha256} is not the trusted ${ec.sha256} (--trust)`] }),
    ],
    [
      'another request',
      () => edited((f) => f.set('request.json', requestBytes(ARTIFACTS, { requestId: 'f'.repeat(32) }))),
      () => ({
        request: [
          `request.json: SHA-256 ${short(sha256(requestBytes(ARTIFACTS, { requestId: 'f'.repeat(32) })))} is not the ${short(sha256(requestBytes(ARTIFACTS)))} release.json states (predicate.request.sha256)`,
          `request.json: id "${'f'.repeat(32)}" is not predicate.request.id "0123456789abcdef0123456789abcdef" in release.json`,
        ],
      }),
    ],
    [
      'a request that is not one',
      () => edited((f) => f.set('request.json', Buffer.from('{"hello": 1}'))),
      () => ({
        request: [
          `request.json: SHA-256 ${short(sha256('{"hello": 1}'))} is not the ${short(sha256(requestBytes(ARTIFACTS)))} release.json states (predicate.request.sha256)`,
          'request.json: request: _type: is required',
          'request.json: request: subject: is required',
          'request.json: request: predicateType: is required',
          'request.json: request: predicate: is required',
          'request.json: request: hello: unknown key',
        ],
      }),
    ],
    [
      'authority.pem that is no certificate',
      () => edited((f) => f.set('authority.pem', Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'))),
      () => ({
        certificate: ['authority.pem: not a readable X.509 certificate (a length that does not fit)'],
        'test keys': ['not checked: authority.pem is not a usable certificate'],
        'statement signature': ['not checked: authority.pem is not a usable certificate'],
        'signing key': ['not checked: authority.pem is not a usable certificate'],
        signatures: ['not verified: authority.pem is not a usable certificate'],
      }),
    ],
    [
      'release.json that is not JSON',
      () => edited((f) => f.set('release.json', Buffer.from('{'))),
      () => ({
        'statement signature': ['release.json.sig: does not verify over release.json with the key of authority.pem'],
        statement: ['release.json: is not valid JSON'],
        ...noStatement,
      }),
    ],
    [
      'release.json missing',
      () => edited((f) => f.delete('release.json')),
      () => ({
        'statement signature': ['not checked: release.json was not read'],
        statement: ['release.json: missing'],
        ...noStatement,
      }),
    ],
  ])('%s fails exactly what catches it', (_, files, expected) => {
    const r = verify(files());
    expect(failures(r)).toEqual(expected());
    expect(r.ok).toBe(false);
    expect(r.summary).toBeUndefined();
    expect(r.problems).toBe(Object.values(expected()).flat().length);
  });

  it.each<[string, (s: ReturnType<typeof JSON.parse>) => void | Buffer, () => Record<string, string[]>]>([
    ['a subject out of order', (s) => void s.subject.reverse(), () => ({ subjects: ['release.json: subject[0].name "Settings.apk" is not predicate.artifacts[0].name "system.img"', 'release.json: subject[2].name "system.img" is not predicate.artifacts[2].name "Settings.apk"'] })],
    ['a subject digest that is not the artifact\'s', (s) => void (s.subject[1].digest.sha256 = 'e'.repeat(64)), () => ({ subjects: [`release.json: subject[1].digest.sha256 eeeeeeeeeeeeeeee… is not predicate.artifacts[1].sha256 ${short(sha256(ARTIFACTS[1].bytes))}`] })],
    ['a subject too few', (s) => void s.subject.pop(), () => ({ subjects: ['release.json: subject lists 2 artifacts, predicate.artifacts 3'] })],
    [
      'an artifact listed twice',
      (s) => {
        s.subject.push(s.subject[1]);
        s.predicate.artifacts.push(s.predicate.artifacts[1]);
      },
      () => ({
        subjects: ['release.json: predicate.artifacts[3].name "vbmeta.img" is listed twice'],
        request: ['request.json: asks for 3 artifacts, release.json lists 4'],
      }),
    ],
    [
      'a size that is not the request\'s',
      (s) => void (s.predicate.artifacts[1].size = 12),
      () => ({ request: ['request.json: artifact 1 size 11 is not predicate.artifacts[1].size 12 in release.json'], artifacts: ['artifacts/vbmeta.img: 11 bytes, release.json states 12'], signatures: ['signatures/vbmeta.img.sig: not verified: artifacts/vbmeta.img is not the artifact release.json states'] }),
    ],
    ['another kind', (s) => void (s.predicate.artifacts[2].kind = 'apex'), () => ({ request: ['request.json: artifact 2 kind "apk" is not predicate.artifacts[2].kind "apex" in release.json'] })],
    ['another channel', (s) => void (s.predicate.request.channel = 'beta'), () => ({ request: ['request.json: channel "stable" is not predicate.request.channel "beta" in release.json'] })],
    [
      'another signing key and certificate named',
      (s) => {
        s.predicate.signing_key.spki_sha256 = other.spkiSha256;
        s.predicate.certificate_sha256 = other.sha256;
        s.predicate.signing_key.algorithm = 'RSA-PKCS1-SHA256';
      },
      () => ({
        'signing key': [
          `release.json: predicate.signing_key.spki_sha256 ${short(other.spkiSha256)} is not the key of authority.pem (${short(ec.spkiSha256)})`,
          `release.json: predicate.certificate_sha256 ${short(other.sha256)} is not authority.pem's (${short(ec.sha256)})`,
          'release.json: predicate.signing_key.algorithm is RSA-PKCS1-SHA256, but the key of authority.pem (EC P-256) signs ECDSA-SHA256',
        ],
      }),
    ],
    ['an unknown key', (s) => void (s.predicate.note = 'x'), () => ({ statement: ['release.json: predicate.note: unknown key'], ...noStatement })],
    ['the manifest authority\'s kind', (s) => void (s.predicate.artifacts[0].kind = 'ota-manifest'), () => ({ statement: ['release.json: predicate.artifacts[0].kind: must be "image" or "ota-payload" or "ota-package" or "vbmeta" or "apk" or "apex" or "release-artifact"'], ...noStatement })],
    [
      'another form of the same JSON',
      (s) => Buffer.from(JSON.stringify(s)),
      () => ({ statement: ['release.json: is not written as the release authority writes it (JSON with a 2-space indent, keys in order, each once, one trailing newline)'], ...noStatement }),
    ],
  ])('a statement signed by the authority but with %s fails what catches it', (_, edit, expected) => {
    const r = verify(resign(bundle, ec, edit));
    expect(failures(r)).toEqual(expected());
  });

  it('reads nothing outside the bundle for a name that is a path, even in a statement the authority signed', () => {
    const files = resign(bundle, ec, (s) => {
      s.subject[0].name = '../../etc/passwd';
      s.predicate.artifacts[0].name = '../../etc/passwd';
      s.predicate.artifacts[0].signature = 'signatures/../../etc/passwd.sig';
    });
    const reader = new MemoryBundleReader(files);
    expect(failures(verify(files, undefined, reader))).toEqual({ ...noStatement, statement: ['release.json: predicate.artifacts[0].name: "../../etc/passwd" starts with a dot', 'release.json: subject[0].name: "../../etc/passwd" starts with a dot'] });
    expect(reader.reads.filter((p) => p.includes('..'))).toEqual([]);
  });

  it('refuses a key on the deny list (the public AVB test key), whoever pins it', async () => {
    const avb = await createAuthority('rsa', 'Oops', createPrivateKey(readFileSync(new URL('../../fixtures/test-keys/avb-testkey_rsa2048.PUBLIC-TEST-KEY.private.pem', import.meta.url))));
    const r = verify(buildBundle(avb, ARTIFACTS), { certificatePem: avb.pem });
    expect(failures(r)).toEqual({ 'test keys': ['authority.pem: its key is the test key avb testkey_rsa2048 (AOSP external/avb/test/data/testkey_rsa2048.pem), which must never sign a release'] });
  });

  it.each<[string, ReleaseTrust, string]>([
    ['another certificate', { certificatePem: 'x' }, '--trust: not a PEM certificate'],
    ['a fingerprint too short', { sha256: 'abc' }, '--trust: "abc" is not a SHA-256 fingerprint (64 hex digits)'],
    ['nothing', {} as ReleaseTrust, '--trust: no authority given; a release is only as good as the certificate it is checked against'],
  ])('fails the certificate for a trust pin that is %s', (_, trust, problem) => {
    expect(failures(verify(bundle, trust))).toEqual({ certificate: [problem] });
  });

  it('refuses a certificate pinned by PEM that is not the bundle\'s', () => {
    expect(failures(verify(bundle, { certificatePem: other.pem }))).toEqual({ certificate: [`authority.pem: certificate ${ec.sha256} is not the trusted ${other.sha256} (--trust)`] });
  });

  it('refuses release.json and request.json too large without reading them', () => {
    const reader = new MemoryBundleReader(bundle);
    const list = reader.list.bind(reader);
    reader.list = (max) => list(max).map((e) => (e.path === 'release.json' || e.path === 'request.json' ? { ...e, size: 64 * 1024 * 1024 + 1 } : e));
    const f = failures(verifyReleaseBundle(reader, { sha256: ec.sha256 }));
    expect(f.statement).toEqual(['release.json: 67108865 bytes, more than the 67108864 a release statement may have (not read)']);
    expect(reader.reads).not.toContain('release.json');
    const viaRequest = new MemoryBundleReader(bundle);
    const list2 = viaRequest.list.bind(viaRequest);
    viaRequest.list = (max) => list2(max).map((e) => (e.path === 'request.json' ? { ...e, size: 64 * 1024 * 1024 + 1 } : e));
    expect(failures(verifyReleaseBundle(viaRequest, { sha256: ec.sha256 }))).toEqual({ request: ['request.json: 67108865 bytes, more than the 67108864 a signing request may have (not read)'] });
    expect(viaRequest.reads).not.toContain('request.json');
  });

  // Under the size limit, yet tens of millions of values: parsing and walking them took minutes and gigabytes (a
  // flat array of zeros in release.json ran past four minutes and 5 GB before it was killed). Nobody signed these.
  const bomb = (one: string) => Buffer.from(`[${`${one},`.repeat(Math.floor((48 * 1024 * 1024) / (one.length + 1)))}${one}]`);
  it.each<[string, string, () => Buffer, string]>([
    ['release.json of zeros', 'release.json', () => bomb('0'), 'statement'],
    ['release.json of empty objects', 'release.json', () => bomb('{}'), 'statement'],
    ['release.json of empty arrays', 'release.json', () => bomb('[]'), 'statement'],
    ['request.json of empty objects', 'request.json', () => bomb('{}'), 'request'],
    ['request.json, a DSSE envelope whose payload is zeros', 'request.json', () => Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: bomb('0').subarray(0, 36 * 1024 * 1024).toString('base64'), signatures: [{ keyid: 'k', sig: 'AA==' }] })), 'request'],
  ])('refuses %s within the size limit but of millions of values, quickly, without parsing it', (_, path, bytes, check) => {
    const files = edited((f) => f.set(path, bytes()));
    const started = Date.now();
    const f = failures(verify(files));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(f[check]?.some((p) => /holds more than [\d,]+ JSON values/.test(p)), JSON.stringify(f[check])).toBe(true);
  });

  it('names a reader that fails as a problem, never a crash', () => {
    const listing = new MemoryBundleReader(bundle);
    listing.list = () => {
      throw Object.assign(new Error('denied'), { code: 'EACCES' });
    };
    const r = verifyReleaseBundle(listing, { sha256: ec.sha256 });
    expect(r.ok).toBe(false);
    expect(failures(r).files).toEqual(['the bundle cannot be listed (EACCES)']);
    expect(failures(r).artifacts).toEqual(['not checked: the bundle cannot be listed']);

    const streaming = new MemoryBundleReader(bundle);
    const stream = streaming.stream.bind(streaming);
    streaming.stream = (path, sink) => {
      if (path === 'artifacts/system.img') throw Object.assign(new Error('io'), { code: 'EIO' });
      return stream(path, sink);
    };
    expect(failures(verifyReleaseBundle(streaming, { sha256: ec.sha256 }))).toEqual({
      artifacts: ['artifacts/system.img: cannot be read (EIO)'],
      signatures: ['signatures/system.img.sig: not verified: artifacts/system.img cannot be read'],
    });
  });

  it('counts every problem and shows the first 50 of a check', () => {
    const many = edited((f) => {
      for (let i = 0; i < 120; i++) f.set(`junk-${String(i).padStart(3, '0')}`, Buffer.from('x'));
    });
    const r = verify(many);
    expect(r.problems).toBe(120);
    expect(failures(r).files).toHaveLength(51);
    expect(failures(r).files[50]).toBe('and 70 more');
  });

  it('never throws on mutated bundles (release.json, request.json, authority.pem, a signature)', () => {
    const odd: string[] = [];
    const targets = ['release.json', 'request.json', 'authority.pem', 'signatures/vbmeta.img.sig'];
    for (let run = 0; run < 300; run++) {
      const r = rng(FUZZ_SEED * 104_729 + run);
      const path = targets[run % targets.length];
      const files = new Map(bundle);
      files.set(path, Buffer.from(mutateText(file(bundle, path).toString('latin1'), r), 'latin1'));
      try {
        const report = verify(files);
        if (report.checks.some((c) => c.problems.some((p) => typeof p !== 'string' || /\n\s+at /.test(p)))) odd.push(`run ${run}: a problem that is not a sentence`);
      } catch (err) {
        odd.push(`run ${run} (${path}): threw ${(err as Error).message}`);
      }
    }
    expect(odd).toEqual([]);
  });
});
