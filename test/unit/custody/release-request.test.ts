// A signing request as the authority reads it: a request `request create` would write loads; every problem
// with one is a sentence naming its field (all of them, capped), a manifest kind is refused as the other
// authority's, names that are paths are refused, and no input, however mangled, throws.
import { describe, expect, it } from 'vitest';
import { badArtifactName, parseSigningRequest, requestStatement, type SigningRequest } from '../../../src/custody/release-request.js';
import { FUZZ_RUNS, FUZZ_SEED, mutateJson, mutateText, rng } from '../../helpers/fuzz.js';

const A = 'a'.repeat(64);
const base: Omit<SigningRequest, 'envelope'> = {
  authority: 'release',
  requestId: '0123456789abcdef0123456789abcdef',
  buildId: 'ci-1234',
  sourceRevision: 'deadbeef',
  channel: 'stable',
  version: 42,
  createdAt: '2026-12-05T10:00:00.000Z',
  notAfter: '2026-12-06T10:00:00.000Z',
  artifacts: [
    { name: 'system.img', kind: 'image', size: 1024, sha256: A },
    { name: 'Settings.apk', kind: 'apk', size: 10, sha256: 'b'.repeat(64) },
  ],
};
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
type Statement = ReturnType<typeof requestStatement>;
const edited = (edit: (s: Statement) => void) => {
  const s = JSON.parse(JSON.stringify(requestStatement(base))) as Statement;
  edit(s);
  return json(s);
};

describe('parseSigningRequest', () => {
  it('reads a request as request create writes it', () => {
    const { request, problems } = parseSigningRequest(json(requestStatement(base)), 'release');
    expect(problems).toEqual([]);
    expect(request).toEqual(base);
  });

  it('reads a DSSE envelope of one, keeping its signatures as provenance', () => {
    const payload = json(requestStatement(base));
    const env = { payloadType: 'application/vnd.in-toto+json', payload: payload.toString('base64'), signatures: [{ keyid: 'ci', sig: 'AAAA' }] };
    const { request, problems } = parseSigningRequest(json(env), 'release');
    expect(problems).toEqual([]);
    expect(request?.envelope?.signatures).toEqual([{ keyid: 'ci', sig: 'AAAA' }]);
    expect(request?.envelope?.payload.equals(payload)).toBe(true);
  });

  it.each<[string, Buffer, string[]]>([
    ['not JSON', Buffer.from('{'), ['is not valid JSON']],
    ['a manifest kind', edited((s) => void (s.predicate.artifacts[0].kind = 'ota-manifest')), ['predicate.artifacts[0].kind: ota-manifest is signed by the manifest authority, never by the release authority']],
    ['an unknown kind', edited((s) => void (s.predicate.artifacts[1].kind = 'firmware')), ['predicate.artifacts[1].kind: unknown kind "firmware" (one of: image, ota-payload, ota-package, vbmeta, apk, apex, release-artifact)']],
    [
      'a path for a name',
      edited((s) => {
        s.predicate.artifacts[0].name = '../x';
        s.subject[0].name = '../x';
      }),
      ['predicate.artifacts[0].name: "../x" starts with a dot'],
    ],
    [
      'a name twice',
      edited((s) => {
        s.predicate.artifacts[1].name = 'system.img';
        s.subject[1].name = 'system.img';
      }),
      ['predicate.artifacts[1].name: "system.img" is listed twice'],
    ],
    ['subject and predicate naming different files', edited((s) => void (s.subject[1].name = 'other.apk')), ['subject[1].name: "other.apk" is not predicate.artifacts[1].name']],
    ['another authority', edited((s) => void (s.predicate.authority = 'manifest')), ['predicate.authority: is manifest, this is the release authority']],
    ['a digest that is not SHA-256 hex', edited((s) => void (s.subject[0].digest.sha256 = 'xyz')), ['request: subject[0].digest.sha256: must be 64 lowercase hex digits']],
    ['a version that is not a whole number', edited((s) => void (s.predicate.version = 1.5)), ['request: predicate.version: must be a whole number, got a number']],
    ['an unknown field', edited((s) => void ((s.predicate as Record<string, unknown>).approved = true)), ['request: predicate.approved: unknown key']],
    ['an expiry before the creation', edited((s) => void (s.predicate.not_after = '2026-12-01T00:00:00Z')), ['predicate.not_after: is not after predicate.created_at']],
  ])('%s', (_, bytes, problems) => {
    const r = parseSigningRequest(bytes, 'release');
    expect(r.request).toBeUndefined();
    expect(r.problems).toEqual(problems);
  });

  it('lists every problem, capped at 50 and counting the rest', () => {
    const many = edited((s) => {
      for (let i = 0; i < 80; i++) {
        s.subject.push({ name: `f${i}`, digest: { sha256: A } });
        s.predicate.artifacts.push({ name: `f${i}`, kind: 'firmware', size: 1 });
      }
    });
    const r = parseSigningRequest(many, 'release');
    expect(r.problems).toHaveLength(51);
    expect(r.problems.at(-1)).toBe('and 30 more');
  });

  it('refuses a request nested deeper than a request is, without exhausting the stack', () => {
    const deep = Buffer.from(`{"_type":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(parseSigningRequest(deep, 'release').problems[0]).toMatch(/^(is not valid JSON|is not a signing request: it nested deeper than 16 levels)$/);
  });

  it.each([
    ['system.img', undefined],
    ['Settings.apk', undefined],
    ['', 'is empty'],
    ['.hidden', 'starts with a dot'],
    ['a/b', 'is a path (it holds / or \\): give the file name only'],
    ['a\\b', 'is a path (it holds / or \\): give the file name only'],
    ['evil\u202Egpj.apk', 'holds a control or direction character'],
    ['tab\there', 'holds a control or direction character'],
    ['x'.repeat(256), 'is longer than 255 characters'],
    ['semi;colon', 'must be letters, digits and . _ + @ = , -'],
  ])('artifact name %j: %s', (name, why) => {
    expect(badArtifactName(name)).toBe(why);
  });

  it('never throws on mutated requests and envelopes, and loads nothing it should refuse', () => {
    const seeds = [requestStatement(base), { payloadType: 'application/vnd.in-toto+json', payload: json(requestStatement(base)).toString('base64'), signatures: [{ keyid: 'ci', sig: 'AAAA' }] }];
    const odd: string[] = [];
    for (let run = 0; run < FUZZ_RUNS; run++) {
      const r = rng(FUZZ_SEED * 15_485_863 + run);
      const seed = seeds[run % 2];
      const bytes = r() < 0.5 ? json(mutateJson(seed, r)) : Buffer.from(mutateText(JSON.stringify(seed, null, 1), r));
      try {
        const out = parseSigningRequest(bytes, 'release');
        if (out.request) {
          if (out.request.artifacts.some((a) => badArtifactName(a.name) !== undefined)) odd.push(`run ${run}: loaded a bad name`);
          if (out.request.artifacts.some((a) => !['image', 'ota-payload', 'ota-package', 'vbmeta', 'apk', 'apex', 'release-artifact'].includes(a.kind))) odd.push(`run ${run}: loaded a foreign kind`);
        } else if (out.problems.length === 0) odd.push(`run ${run}: neither a request nor a problem`);
      } catch (err) {
        odd.push(`run ${run}: threw ${String(err).slice(0, 200)}`);
      }
      if (odd.length > 5) break;
    }
    expect(odd).toEqual([]);
  });
});
