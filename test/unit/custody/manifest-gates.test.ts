// The gates before anyone signs a manifest, one row per way a manifest must be refused, over real release
// bundles (made in memory, signed in software) verified against the pinned authority as the ceremony does.
import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { manifestGateProblems, manifestSignerProblem, verifiedStatement, type GateRelease, type ManifestGateInputs } from '../../../src/custody/manifest-gates.js';
import { builtInDenyList } from '../../../src/custody/deny-list.js';
import { MANIFEST_TYPE, type ManifestBody } from '../../../src/custody/ota-manifest.types.js';
import { parseReleaseStatement } from '../../../src/custody/release-bundle.js';
import { verifyReleaseBundle } from '../../../src/custody/verify-release-bundle.js';
import { signingLogLine, parseSigningLog, type SigningLogEntry } from '../../../src/record/signing-log.js';
import { buildBundle, createAuthority, MemoryBundleReader, sha256, type TestArtifact, type TestAuthority } from '../../helpers/release-bundle.js';

const NOW = new Date('2026-12-05T12:00:00Z');
const ARTIFACTS: TestArtifact[] = [
  { name: 'oriole-ota.zip', kind: 'ota-package', bytes: Buffer.from('PK ota package') },
  { name: 'vbmeta.img', kind: 'vbmeta', bytes: Buffer.from('AVB0 vbmeta') },
];

let authority: TestAuthority;
let good: GateRelease;
let forged: GateRelease;

function release(name: string, a: TestAuthority, pinned: TestAuthority): GateRelease {
  const reader = new MemoryBundleReader(buildBundle(a, ARTIFACTS));
  const report = verifyReleaseBundle(reader, { sha256: pinned.sha256 });
  return { name, report, statement: report.ok ? parseReleaseStatement(reader.read('release.json', 1 << 20)).statement : undefined };
}

beforeAll(async () => {
  authority = await createAuthority('ec');
  const mallory = await createAuthority('ec', 'Mallory');
  good = release('stable.release', authority, authority);
  forged = release('forged.release', mallory, authority);
});

const releaseSha = () => good.report.summary!.statementSha256;
function body(over: Partial<ManifestBody> = {}): ManifestBody {
  return {
    type: MANIFEST_TYPE,
    spec_version: 1,
    version: 8,
    expires: '2026-12-20T00:00:00Z',
    channel: 'stable',
    devices: ['oriole'],
    targets: ARTIFACTS.map((a) => ({ name: a.name, length: a.bytes.length, sha256: sha256(a.bytes), kind: a.kind, release_sha256: releaseSha() })),
    ...over,
  };
}
function log(...versions: Array<[string, number]>): SigningLogEntry[] {
  let text = '';
  for (const [channel, version] of versions) {
    text += signingLogLine(parseSigningLog(text).entries, { at: NOW.toISOString(), authority: 'manifest', request_id: `m-${version}`, channel, version, ceremony_id: 'c', artifacts: 2, artifacts_sha256: 'a'.repeat(64), signatures: {} });
  }
  return parseSigningLog(text).entries;
}
const gates = (over: Partial<ManifestGateInputs> = {}) => manifestGateProblems({ body: body(), releases: [good], log: log(['stable', 7]), maxValidityDays: 31, now: NOW, ...over });

describe('manifest gates', () => {
  it('pass for targets of a verified release, a new version and an expiry within the policy', () => {
    expect(good.report.ok).toBe(true);
    expect(gates()).toEqual([]);
    // Another channel's versions do not count.
    expect(gates({ log: log(['beta', 99]) })).toEqual([]);
  });

  const rows: Array<{ name: string; over: () => Partial<ManifestGateInputs>; problems: RegExp[] }> = [
    { name: 'a target whose release is not among those given', over: () => ({ releases: [] }), problems: [/^target oriole-ota\.zip: its release .* is not among the verified releases/, /^target vbmeta\.img: /] },
    { name: 'a release that does not verify against the pinned authority', over: () => ({ releases: [forged] }), problems: [/^release forged\.release: does not verify against the pinned release authority \(\d+ problem\(s\); certificate: /, /^target oriole-ota\.zip: /, /^target vbmeta\.img: /] },
    { name: 'a target whose hash differs from the release\'s', over: () => ({ body: body({ targets: body().targets.map((t, i) => (i === 0 ? { ...t, sha256: 'f'.repeat(64) } : t)) }) }), problems: [/^target oriole-ota\.zip: SHA-256 ffffffffffffffff… is not the release's [0-9a-f]{16}…: not the file the release authority signed$/] },
    { name: 'a target the release does not hold', over: () => ({ body: body({ targets: [{ ...body().targets[0], name: 'other.zip' }] }) }), problems: [/^target other\.zip: release stable\.release has no artifact of that name$/] },
    { name: 'a target of another length', over: () => ({ body: body({ targets: [{ ...body().targets[0], length: 1 }] }) }), problems: [/^target oriole-ota\.zip: 1 bytes, the release says 14$/] },
    { name: 'a target of another kind', over: () => ({ body: body({ targets: [{ ...body().targets[0], kind: 'image' }] }) }), problems: [/^target oriole-ota\.zip: kind image, the release signed it as ota-package$/] },
    { name: 'a release signed for another channel', over: () => ({ body: body({ channel: 'beta' }) }), problems: [/^target oriole-ota\.zip: release stable\.release was signed for channel stable, not beta$/, /^target vbmeta\.img: /] },
    { name: 'the version last signed (a replay)', over: () => ({ body: body({ version: 7 }) }), problems: [/^version 7 is not above 7, the last manifest signed for channel stable/] },
    { name: 'a version below the last (a rollback)', over: () => ({ log: log(['stable', 7], ['stable', 12]) }), problems: [/^version 8 is not above 12, the last manifest signed for channel stable: a device would take it as a rollback or a replay$/] },
    { name: 'an expired manifest', over: () => ({ body: body({ expires: '2026-12-01T00:00:00Z' }) }), problems: [/^expires 2026-12-01T00:00:00Z: has passed already$/] },
    { name: 'an expiry beyond the policy\'s longest', over: () => ({ maxValidityDays: 7 }), problems: [/^expires 2026-12-20T00:00:00Z: more than 7 days from now, the longest a manifest may stay valid$/] },
  ];
  for (const row of rows) {
    it(`refuse ${row.name}`, () => {
      const problems = gates(row.over());
      expect(problems).toHaveLength(row.problems.length);
      row.problems.forEach((re, i) => expect(problems[i]).toMatch(re));
    });
  }
});

describe('verifiedStatement', () => {
  it('reads release.json only when it is the statement the report verified: a swapped one is none', async () => {
    const files = buildBundle(authority, ARTIFACTS);
    const report = verifyReleaseBundle(new MemoryBundleReader(files), { sha256: authority.sha256 });
    expect(verifiedStatement(new MemoryBundleReader(files), report)?.predicate.artifacts).toHaveLength(2);
    const swapped = new Map(files).set('release.json', Buffer.concat([files.get('release.json') as Buffer, Buffer.from(' ')]));
    expect(verifiedStatement(new MemoryBundleReader(swapped), report)).toBeUndefined();
  });
});

describe('a key that would sign a manifest', () => {
  it('is refused when it is the release authority\'s, or a published test key; an officer\'s own key passes', () => {
    expect(manifestSignerProblem(authority.spkiSha256, [authority.spkiSha256])).toMatch(/^key [0-9a-f]{16}… is the release authority's: it never signs a manifest$/);
    const test = builtInDenyList()[0];
    expect(manifestSignerProblem(test.spkiSha256, [authority.spkiSha256])).toBe(`key ${test.spkiSha256.slice(0, 16)}… is ${test.name} (${test.source}), a published test key`);
    expect(manifestSignerProblem('0'.repeat(64), [authority.spkiSha256])).toBeUndefined();
  });
});
