// The release bundle's format, shared by the signing ceremony that writes it and the checker: the statement in
// its one key order and written form, read back as written and refused in any other form or shape (every
// problem naming its field); raw r||s ECDSA signatures as the DER openssl reads, and back; and no input, however
// mangled, makes the reader throw.
import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateP256KeyPair } from '../../../src/custody/p256-keys.js';
import { DerError } from '../../../src/custody/der.js';
import {
  BUNDLE,
  RELEASE_PREDICATE_TYPE,
  artifactPath,
  derEcdsaSignature,
  parseReleaseStatement,
  rawEcdsaSignature,
  releaseStatement,
  signaturePath,
  statementBytes,
  type ReleaseFields,
  type ReleaseStatement,
} from '../../../src/custody/release-bundle.js';
import { FUZZ_RUNS, FUZZ_SEED, fuzz, mutateJson, mutateText, rng } from '../../helpers/fuzz.js';

const fields: ReleaseFields = {
  scriptId: 'release-sign',
  ceremonyId: 'release-sign-20261205T1000Z',
  request: { id: '0123456789abcdef0123456789abcdef', sha256: '1'.repeat(64), buildId: 'ci-1234', sourceRevision: 'deadbeef', channel: 'stable', version: 42 },
  policy: { version: 3, sha256: '2'.repeat(64) },
  approvalStatementSha256: '3'.repeat(64),
  signingKey: { label: 'release-2026', spkiSha256: '4'.repeat(64), algorithm: 'ECDSA-SHA256' },
  certificateSha256: '5'.repeat(64),
  artifacts: [
    { name: 'system.img', kind: 'image', size: 1024, sha256: '6'.repeat(64), signatureSha256: '7'.repeat(64) },
    { name: 'Settings.apk', kind: 'apk', size: 10, sha256: '8'.repeat(64), signatureSha256: '9'.repeat(64) },
  ],
  signedAt: '2026-12-05T11:00:00.000Z',
};
const statement = releaseStatement(fields);
const bytesOf = (edit: (s: ReleaseStatement & Record<string, unknown>) => void) => {
  const s = JSON.parse(JSON.stringify(statement));
  edit(s);
  return statementBytes(s);
};

describe('the release statement', () => {
  it('is built in the one key order, written as 2-space JSON with a trailing newline, and read back as written', () => {
    const bytes = statementBytes(statement);
    expect(bytes.toString()).toBe(`${JSON.stringify(statement, null, 2)}\n`);
    expect(Object.keys(statement)).toEqual(['_type', 'subject', 'predicateType', 'predicate']);
    expect(Object.keys(statement.predicate)).toEqual(['authority', 'script_id', 'ceremony_id', 'request', 'policy', 'approval_statement_sha256', 'signing_key', 'certificate_sha256', 'artifacts', 'signed_at']);
    expect(Object.keys(statement.predicate.request)).toEqual(['id', 'sha256', 'build_id', 'source_revision', 'channel', 'version']);
    expect(Object.keys(statement.predicate.artifacts[0])).toEqual(['name', 'kind', 'size', 'sha256', 'signature', 'signature_sha256']);
    expect(statement.subject).toEqual([
      { name: 'system.img', digest: { sha256: '6'.repeat(64) } },
      { name: 'Settings.apk', digest: { sha256: '8'.repeat(64) } },
    ]);
    expect(statement.predicateType).toBe(RELEASE_PREDICATE_TYPE);
    expect(statement.predicate.artifacts.map((a) => a.signature)).toEqual(['signatures/system.img.sig', 'signatures/Settings.apk.sig']);
    expect([artifactPath('a.img'), signaturePath('a.img'), BUNDLE.statementSignature]).toEqual(['artifacts/a.img', 'signatures/a.img.sig', 'release.json.sig']);
    expect(parseReleaseStatement(bytes)).toEqual({ statement, problems: [] });
  });

  it.each<[string, Buffer, string[]]>([
    ['not JSON', Buffer.from('{"_type": '), ['release.json: is not valid JSON']],
    ['a key named toString', Buffer.from('{"toString": 1}'), ['release.json: is not a release statement: it holds a key named toString']],
    ['an unknown key', bytesOf((s) => void ((s.predicate.signing_key as Record<string, unknown>).pin = '1234')), ['release.json: predicate.signing_key.pin: unknown key']],
    ['a field missing', bytesOf((s) => void delete (s.predicate as Partial<ReleaseStatement['predicate']>).signed_at), ['release.json: predicate.signed_at: is required']],
    ['another predicate type', bytesOf((s) => void (s.predicateType = 'https://slsa.dev/provenance/v1' as typeof RELEASE_PREDICATE_TYPE)), ['release.json: predicateType: must be "https://officiant.dev/release/v1"']],
    ['another authority', bytesOf((s) => void (s.predicate.authority = 'manifest' as 'release')), ['release.json: predicate.authority: must be "release"']],
    ['an unknown algorithm', bytesOf((s) => void (s.predicate.signing_key.algorithm = 'ED25519' as 'ECDSA-SHA256')), ['release.json: predicate.signing_key.algorithm: must be "RSA-PKCS1-SHA256" or "ECDSA-SHA256"']],
    ['a digest in capitals', bytesOf((s) => void (s.predicate.artifacts[0].sha256 = 'A'.repeat(64))), ['release.json: predicate.artifacts[0].sha256: must be 64 lowercase hex digits']],
    ['a negative size', bytesOf((s) => void (s.predicate.artifacts[1].size = -1)), ['release.json: predicate.artifacts[1].size: too small: expected number to be >=0']],
    ['no artifacts', bytesOf((s) => void (s.predicate.artifacts = [])), ['release.json: predicate.artifacts: too small: expected array to have >=1 items']],
    [
      'names that are paths',
      bytesOf((s) => {
        s.predicate.artifacts[0].name = '../../etc/passwd';
        s.subject[1].name = 'a/b';
      }),
      ['release.json: predicate.artifacts[0].name: "../../etc/passwd" starts with a dot', 'release.json: subject[1].name: "a/b" is a path (it holds / or \\): give the file name only'],
    ],
    ['a signature somewhere else', bytesOf((s) => void (s.predicate.artifacts[1].signature = 'artifacts/Settings.apk')), ['release.json: predicate.artifacts[1].signature: is "artifacts/Settings.apk", not signatures/Settings.apk.sig']],
    ['compact JSON', Buffer.from(JSON.stringify(statement)), ['release.json: is not written as the release authority writes it (JSON with a 2-space indent, keys in order, each once, one trailing newline)']],
    ['no trailing newline', statementBytes(statement).subarray(0, -1), ['release.json: is not written as the release authority writes it (JSON with a 2-space indent, keys in order, each once, one trailing newline)']],
    [
      'a key written twice (JSON.parse keeps the last one)',
      Buffer.from(statementBytes(statement).toString().replace('"version": 42', '"version": 41,\n      "version": 42')),
      ['release.json: is not written as the release authority writes it (JSON with a 2-space indent, keys in order, each once, one trailing newline)'],
    ],
    [
      'keys in another order',
      Buffer.from(`${JSON.stringify({ predicateType: statement.predicateType, _type: statement._type, subject: statement.subject, predicate: statement.predicate }, null, 2)}\n`),
      ['release.json: is not written as the release authority writes it (JSON with a 2-space indent, keys in order, each once, one trailing newline)'],
    ],
  ])('refuses %s, naming the field', (_, bytes, problems) => {
    expect(parseReleaseStatement(bytes)).toEqual({ problems });
  });

  it('caps the problems at 50 and counts the rest', () => {
    const bytes = bytesOf((s) => {
      s.predicate.artifacts = Array.from({ length: 80 }, (_, i) => ({ ...statement.predicate.artifacts[0], name: `.hidden-${i}` }));
    });
    const { problems } = parseReleaseStatement(bytes);
    expect(problems).toHaveLength(51);
    expect(problems[50]).toBe('and 30 more');
  });

  it('never throws, whatever the bytes (mutated text and mutated JSON values)', () => {
    const seed = statementBytes(statement).toString();
    const check = (out: unknown) => {
      const r = out as { statement?: unknown; problems: unknown[] };
      if (r.problems.some((p) => typeof p !== 'string' || /\n\s+at /.test(p as string))) return 'a problem that is not a sentence';
      return r.statement === undefined && r.problems.length === 0 ? 'neither a statement nor a problem' : undefined;
    };
    expect(fuzz([seed], mutateText, (t) => parseReleaseStatement(Buffer.from(t)), check)).toEqual([]);
    // Compact: indenting a value nested 3,000 deep writes millions of spaces; the shape is what is fuzzed here.
    expect(fuzz([statement as unknown], mutateJson, (v) => parseReleaseStatement(Buffer.from(JSON.stringify(v) ?? 'undefined')), check)).toEqual([]);
  });
});

describe('ECDSA signatures: raw r||s and DER', () => {
  const { privateKey } = generateP256KeyPair();
  const publicKey = createPublicKey(privateKey);
  const data = Buffer.from('release.json bytes');

  it('turns what CKM_ECDSA returns into the DER openssl verifies, and back', () => {
    for (let i = 0; i < 50; i++) {
      const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = derEcdsaSignature(raw);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
      expect(rawEcdsaSignature(der, 32).equals(raw)).toBe(true);
    }
  });

  it.each<[string, string, string]>([
    ['a high bit set (a zero octet first)', `ff${'00'.repeat(31)}${'00'.repeat(31)}01`, `3026022100ff${'00'.repeat(31)}020101`],
    ['leading zeros dropped', `${'00'.repeat(31)}7f${'00'.repeat(30)}0102`, '300702017f02020102'],
  ])('encodes minimal INTEGERs: %s', (_, raw, der) => {
    expect(derEcdsaSignature(Buffer.from(raw, 'hex')).toString('hex')).toBe(der);
    expect(rawEcdsaSignature(Buffer.from(der, 'hex'), 32).toString('hex')).toBe(raw);
  });

  it('encodes the long form of a P-521 length', () => {
    const der = derEcdsaSignature(Buffer.alloc(132, 0xff));
    expect(der.subarray(0, 3).toString('hex')).toBe('30818a');
    expect(rawEcdsaSignature(der, 66).equals(Buffer.alloc(132, 0xff))).toBe(true);
  });

  it.each([0, 63, 134])('refuses an r||s of %i bytes', (n) => {
    expect(() => derEcdsaSignature(Buffer.alloc(n, 1))).toThrow(RangeError);
  });

  it.each([
    ['a needless leading zero', '3008020200010202 0102'],
    ['a negative INTEGER', '30060201ff020101'],
    ['three INTEGERs', '3009020101020101020101'],
    ['bytes after the value', '300602010102010100'],
    ['an INTEGER longer than the curve', `3026022101${'00'.repeat(32)}020101`],
  ])('refuses DER that is not a strict Ecdsa-Sig-Value: %s', (_, hex) => {
    expect(() => rawEcdsaSignature(Buffer.from(hex.replace(/ /g, ''), 'hex'), 32)).toThrow(DerError);
  });

  it('never throws anything but a DerError on mutated signatures', () => {
    const der = derEcdsaSignature(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    const odd: string[] = [];
    for (let run = 0; run < 2_000; run++) {
      const r = rng(FUZZ_SEED * 31_337 + run);
      const b = Buffer.from(der);
      const at = Math.floor(r() * b.length);
      const mutated = r() < 0.6 ? ((b[at] ^= 1 << Math.floor(r() * 8)), b) : b.subarray(0, at);
      try {
        rawEcdsaSignature(mutated, 32);
      } catch (err) {
        if (!(err instanceof DerError)) odd.push(`run ${run}: ${(err as Error).message}`);
      }
    }
    expect(odd).toEqual([]);
  });
});
