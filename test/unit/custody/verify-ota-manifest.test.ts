// An OTA manifest as a device or an OTA service checks it: manifests signed with officers' real P-256 9c keys
// against keyrings derived from rosters made with real crypto (test/helpers/roster-fixture.ts). Each case
// breaks one thing the way a mistake or an attacker would and asserts exactly the checks that fail, with their
// sentences (and that nothing else fails). The checker never throws, whatever bytes it is handed.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDenyList } from '../../../src/custody/deny-list.js';
import { generateP256KeyPair } from '../../../src/custody/p256-keys.js';
import { manifestSigningBytes, parseManifest } from '../../../src/custody/ota-manifest.js';
import type { ManifestBody } from '../../../src/custody/ota-manifest.types.js';
import type { RosterBody, RosterOfficer } from '../../../src/custody/roster.types.js';
import { MANIFEST_CHECKS, verifyManifest, type ManifestReport, type ManifestVerifyOptions } from '../../../src/custody/verify-ota-manifest.js';
import { FUZZ_SEED, mutateJson, mutateText, rng } from '../../helpers/fuzz.js';
import { keySigner, manifestBody, officerSigner, signManifest, type ManifestSigner } from '../../helpers/ota-manifest.js';
import { createRosterBody, createRosterFile, createRosterWorld, signDocument, type TestOfficer } from '../../helpers/roster-fixture.js';

const world = await createRosterWorld();
const [o1, o2, o3] = world.officers;
const v1 = createRosterBody(world);
const v1File = createRosterFile(v1, [o1, o2, o3]);
const revoked = (o: TestOfficer): RosterOfficer => ({ ...o.officer, status: 'revoked', revoked: { at: '2025-06-15T09:00:00.000Z', reason: 'device lost', ceremony_id: 'revoke-1' } });
const v2r: RosterBody = { ...v1, version: 2, previous_sha256: v1File.roster.payload_sha256, issued_at: '2025-07-01T10:00:00.000Z', officers: [o1.officer, o2.officer, revoked(o3)] };
const v2rFile = createRosterFile(v2r, [o1, o2]);

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2));
const KEYRING = { bytes: json(v1File.keyring), sha256: v1File.keyring.payload_sha256 };
const NEWER = { bytes: json(v2rFile.keyring), sha256: v2rFile.keyring.payload_sha256 };
const NOW = new Date('2026-06-01T00:00:00Z');
const REHEARSAL = 'rehearsal keyring: simulated devices, for rehearsals only';
const [s1, s2, s3] = [o1, o2, o3].map(officerSigner);
const release = keySigner(generateP256KeyPair().privateKey, 'release-hsm');
const avbKey = createPrivateKey(readFileSync(new URL('../../fixtures/test-keys/avb-testkey_rsa2048.PUBLIC-TEST-KEY.private.pem', import.meta.url)));
const avb = keySigner(avbKey, 'avb');
const short = (hex: string) => `${hex.slice(0, 16)}…`;
const at = (n: number, s: ManifestSigner) => `signature ${n} (key ${short(s.keyid)}, device ${s.device_serial})`;
const good = signManifest(manifestBody(), [s1, s2]);
const GOOD_BYTES = manifestSigningBytes(manifestBody());

const verify = (manifest: Buffer, keyring: { bytes: Buffer; sha256?: string } = KEYRING, opts: Partial<ManifestVerifyOptions> = {}) => verifyManifest(manifest, keyring, { now: NOW, ...opts });
/** The checks that failed, with their problems. */
const failures = (r: ManifestReport) => Object.fromEntries(r.checks.filter((c) => !c.ok).map((c) => [c.name, c.problems]));
/** A keyring envelope for `body` changed by `change`, re-signed by all three officers (as a first roster's is). */
const keyringWith = (change: (k: Record<string, unknown>) => Record<string, unknown>) => {
  const body = JSON.parse(Buffer.from(v1File.keyring.payload, 'base64').toString('utf8')) as Record<string, unknown>;
  const doc = signDocument('officiant-keyring/1', change(body), [o1, o2, o3]);
  return { bytes: json(doc), sha256: doc.payload_sha256 };
};
const unparsed = Object.fromEntries(['signatures', 'threshold', 'expiry', 'channel', 'version'].map((c) => [c, ['not checked: the manifest does not parse']]));

interface Case {
  name: string;
  manifest: () => Buffer;
  keyring?: () => { bytes: Buffer; sha256?: string };
  opts?: () => Partial<ManifestVerifyOptions>;
  failed: () => Record<string, string[]>;
}

const cases: Case[] = [
  { name: 'a threshold short by one', manifest: () => signManifest(manifestBody(), [s1]), failed: () => ({ threshold: ['threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1)'] }) },
  {
    name: 'the same key twice',
    manifest: () => signManifest(manifestBody(), [s1, s1]),
    failed: () => ({ threshold: ["threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1); signature 2 repeats crypto-officer-1's key (signature 1) and counts once"] }),
  },
  {
    name: 'a key of an officer revoked in a newer roster, given the newer keyring',
    manifest: () => signManifest(manifestBody(), [s1, s3]),
    keyring: () => NEWER,
    failed: () => ({
      signatures: [`${at(2, s3)}: not a key of the keyring (roster version 2): not a manifest-signing key`],
      threshold: ['threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1)'],
    }),
  },
  { name: 'an expired manifest', manifest: () => good, opts: () => ({ now: new Date('2027-01-01T00:00:00Z') }), failed: () => ({ expiry: ['expired at 2026-12-31T00:00:00Z (now 2027-01-01T00:00:00.000Z)'] }) },
  { name: 'a manifest at the second it expires', manifest: () => good, opts: () => ({ now: new Date('2026-12-31T00:00:00Z') }), failed: () => ({ expiry: ['expired at 2026-12-31T00:00:00Z (now 2026-12-31T00:00:00.000Z)'] }) },
  {
    name: 'a rollback against --previous',
    manifest: () => good,
    opts: () => ({ previous: signManifest(manifestBody({ version: 43 }), [s1, s2]) }),
    failed: () => ({ version: ["rollback: version 42 is below the --previous manifest's version 43"] }),
  },
  {
    name: 'a second manifest under the version of --previous',
    manifest: () => good,
    opts: () => ({ previous: signManifest(manifestBody({ expires: '2026-11-30T00:00:00Z' }), [s1, s2]) }),
    failed: () => ({ version: ["version 42 is the --previous manifest's version, but what it signs differs: one version names one manifest"] }),
  },
  {
    name: 'a signature by the release key (not in the keyring)',
    manifest: () => signManifest(manifestBody(), [s1, release]),
    failed: () => ({
      signatures: [`${at(2, release)}: not a key of the keyring (roster version 1): not a manifest-signing key`],
      threshold: ['threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1)'],
    }),
  },
  {
    name: 'a foreign signature besides a met threshold',
    manifest: () => signManifest(manifestBody(), [s1, s2, release]),
    failed: () => ({ signatures: [`${at(3, release)}: not a key of the keyring (roster version 1): not a manifest-signing key`] }),
  },
  {
    name: 'a signature by a test key',
    manifest: () => signManifest(manifestBody(), [s1, s2, avb]),
    failed: () => ({ signatures: [`${at(3, avb)}: the test key avb testkey_rsa2048 (AOSP external/avb/test/data/testkey_rsa2048.pem), which must never sign a manifest`] }),
  },
  {
    name: 'a keyring holding a key on the deny list',
    manifest: () => good,
    opts: () => ({ denyList: readDenyList([{ name: 'leaked key', source: 'a test', spki_sha256: s2.keyid, public_key: o2.officer.keys['9c']!.certificate }], 'deny').keys }),
    failed: () => ({
      keyring: ['keyring key of crypto-officer-2 (device 10000002): the test key leaked key (a test), which must never sign a manifest'],
      signatures: [`${at(2, s2)}: the test key leaked key (a test), which must never sign a manifest`],
      threshold: ['threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1)'],
    }),
  },
  {
    name: 'a body changed after it was signed',
    manifest: () => {
      const m = JSON.parse(good.toString()) as { signed: ManifestBody };
      m.signed.targets[1].length += 1;
      return json(m);
    },
    failed: () => ({
      signatures: [`${at(1, s1)}: does not verify over the signed manifest with crypto-officer-1's key`, `${at(2, s2)}: does not verify over the signed manifest with crypto-officer-2's key`],
      threshold: ['threshold not met: 0/2 distinct keyring keys signed'],
    }),
  },
  {
    name: 'a keyring key claimed for another device',
    manifest: () => signManifest(manifestBody(), [s1, { ...s2, device_serial: '10000009' }]),
    failed: () => ({ signatures: [`${at(2, { ...s2, device_serial: '10000009' })}: the key is crypto-officer-2's on device 10000002`], threshold: ['threshold not met: 1/2 distinct keyring keys signed (crypto-officer-1)'] }),
  },
  { name: 'another channel than --channel', manifest: () => good, opts: () => ({ channel: 'beta' }), failed: () => ({ channel: ['channel is "stable", expected "beta" (--channel)'] }) },
  {
    name: 'another channel than --previous',
    manifest: () => good,
    opts: () => ({ previous: signManifest(manifestBody({ channel: 'beta', version: 7 }), [s1, s2]) }),
    failed: () => ({ channel: ['channel is "stable", the --previous manifest\'s is "beta"'] }),
  },
  { name: 'a device family it is not for', manifest: () => good, opts: () => ({ device: 'cheetah' }), failed: () => ({ channel: ['device family "cheetah" is not among the manifest\'s devices (oriole, raven) (--device)'] }) },
  {
    name: 'a --previous that is not a manifest',
    manifest: () => good,
    opts: () => ({ previous: Buffer.from('{"signed":{}}') }),
    failed: () => ({ version: ['not checked: --previous: signed.type: is required'] }),
  },
  {
    name: 'another type of document',
    manifest: () => signManifest({ ...manifestBody(), type: 'officiant-release-metadata' } as unknown as ManifestBody, [s1, s2]),
    failed: () => ({ manifest: ['manifest: signed.type: must be "officiant-ota-manifest"'], ...unparsed }),
  },
  {
    name: 'a newer spec version, an unknown key, a path for a name, a name and a device twice',
    manifest: () => {
      const body = manifestBody({ spec_version: 2, devices: ['oriole', 'oriole'] });
      body.targets[1].name = '../../etc/passwd';
      body.targets[2].name = body.targets[0].name;
      return signManifest(body, [s1, s2]);
    },
    failed: () => ({
      manifest: [
        'manifest: signed.spec_version: 2: this checker reads spec version 1 only',
        'manifest: signed.targets[1].name: "../../etc/passwd" starts with a dot',
        'manifest: signed.targets[2].name: "oriole-ota-0.zip" is listed twice',
        'manifest: signed.devices[1]: "oriole" is listed twice',
      ],
      ...unparsed,
    }),
  },
  {
    name: 'unknown keys and a local time',
    manifest: () => json({ ...JSON.parse(good.toString()), comment: 'x', signed: { ...manifestBody({ expires: '2026-12-31T00:00:00+02:00' }), note: 1 } }),
    failed: () => ({ manifest: ['manifest: signed.expires: must be a UTC time such as 2026-12-31T00:00:00Z', 'manifest: signed.note: unknown key', 'manifest: comment: unknown key'], ...unparsed }),
  },
  { name: 'bytes that are not JSON', manifest: () => Buffer.from('{"signed":'), failed: () => ({ manifest: ['manifest: not JSON'], ...unparsed }) },
  {
    name: 'a keyring that is not the pinned one',
    manifest: () => good,
    keyring: () => ({ bytes: KEYRING.bytes, sha256: NEWER.sha256 }),
    failed: () => ({ keyring: [`keyring payload_sha256 ${KEYRING.sha256} is not the pinned ${NEWER.sha256} (--keyring-sha256)`] }),
  },
  {
    name: 'a keyring whose payload was changed (a key swapped in) under its old pin',
    manifest: () => good,
    keyring: () => ({ bytes: json({ ...v1File.keyring, payload: v2rFile.keyring.payload, payload_sha256: NEWER.sha256 }), sha256: KEYRING.sha256 }),
    failed: () => ({
      keyring: [
        'keyring signature 1 (crypto-officer-1, device 10000001): does not verify over the payload',
        'keyring signature 2 (crypto-officer-2, device 10000002): does not verify over the payload',
        'keyring signature 3 (crypto-officer-3, device 10000003): does not verify over the payload',
        `keyring payload_sha256 ${NEWER.sha256} is not the pinned ${KEYRING.sha256} (--keyring-sha256)`,
      ],
    }),
  },
  {
    name: 'a keyring signed before keyrings carried a manifest threshold',
    manifest: () => good,
    keyring: () => keyringWith(({ manifest_threshold: _, ...k }) => k),
    failed: () => ({ threshold: ['the keyring (roster version 1) states no manifest_threshold: it was signed before keyrings carried one; a roster ceremony must sign a new keyring'] }),
  },
  {
    name: 'a keyring whose threshold no manifest can meet',
    manifest: () => signManifest(manifestBody(), [s1, s2, s3]),
    keyring: () => keyringWith((k) => ({ ...k, manifest_threshold: 4 })),
    failed: () => ({ threshold: ["the keyring's manifest_threshold 4 is more than its 3 usable key(s): no manifest can meet it", 'threshold not met: 3/4 distinct keyring keys signed (crypto-officer-1, crypto-officer-2, crypto-officer-3)'] }),
  },
  {
    name: 'a rehearsal keyring in production',
    manifest: () => good,
    opts: () => ({ production: true }),
    failed: () => ({ keyring: ['keyring of roster version 1 is a rehearsal keyring (simulated devices): not valid in production'] }),
  },
  {
    name: 'a keyring that is not JSON',
    manifest: () => good,
    keyring: () => ({ bytes: Buffer.from('keyring') }),
    failed: () => ({ keyring: ['keyring: not JSON'], signatures: ['not checked: the keyring does not open'], threshold: ['not checked: the keyring does not open'] }),
  },
  {
    name: 'a malformed pin',
    manifest: () => good,
    keyring: () => ({ bytes: KEYRING.bytes, sha256: 'abc' }),
    failed: () => ({ keyring: ['--keyring-sha256: "abc" is not a SHA-256 (64 hex digits)'] }),
  },
];

describe('verifyManifest', () => {
  it('verifies a manifest signed by a threshold of keyring keys, pinned and not', () => {
    const r = verify(good);
    expect(failures(r)).toEqual({});
    expect(r.checks.map((c) => c.name)).toEqual([...MANIFEST_CHECKS]);
    expect(r).toMatchObject({ ok: true, problems: 0, pinned: true, keyringSha256: KEYRING.sha256 });
    expect(r.notes).toEqual([REHEARSAL, 'channel stable not compared: give --channel or --previous', 'version 42 not compared: no --previous manifest']);
    expect(r.summary).toEqual({
      channel: 'stable',
      version: 42,
      devices: ['oriole', 'raven'],
      targets: 3,
      expires: '2026-12-31T00:00:00Z',
      signers: ['crypto-officer-1', 'crypto-officer-2'],
      threshold: 2,
      keyringKeys: 3,
      rosterVersion: 1,
      keyringSha256: KEYRING.sha256,
      rehearsal: true,
    });
    const unpinned = verify(good, { bytes: KEYRING.bytes });
    expect(unpinned).toMatchObject({ ok: true, pinned: false, keyringSha256: KEYRING.sha256 });
  });

  it('verifies against --previous, --channel and --device that agree, and the same manifest again', () => {
    for (const previous of [signManifest(manifestBody({ version: 41 }), [s2, s3]), good]) {
      const r = verify(signManifest(manifestBody(), [s3, s1, s2]), KEYRING, { previous, channel: 'stable', device: 'raven' });
      expect(failures(r)).toEqual({});
      expect(r.notes).toEqual([REHEARSAL]);
      expect(r.summary?.signers).toEqual(['crypto-officer-3', 'crypto-officer-1', 'crypto-officer-2']);
    }
  });

  it('refuses with the newer keyring what the older one accepts', () => {
    const m = signManifest(manifestBody(), [s1, s3]);
    expect(verify(m).ok).toBe(true);
    expect(verify(m, NEWER).ok).toBe(false);
  });

  it.each(cases)('fails $name', ({ manifest, keyring, opts, failed }) => {
    const r = verify(manifest(), keyring?.() ?? KEYRING, opts?.() ?? {});
    expect(failures(r)).toEqual(failed());
    expect(r.ok).toBe(false);
    expect(r.summary).toBeUndefined();
    expect(r.problems).toBe(Object.values(failed()).flat().length);
  });

  it('counts every problem and shows the first 50 of a check', () => {
    const body = manifestBody({ targets: Array.from({ length: 120 }, (_, i) => ({ ...manifestBody().targets[0], name: `.hidden-${i}` })) });
    const r = verify(signManifest(body, [s1, s2]));
    expect(r.problems).toBe(120 + 5);
    expect(failures(r).manifest).toHaveLength(51);
    expect(failures(r).manifest[50]).toBe('and 70 more');
  });

  it('never throws on mutated manifests, keyrings and previous manifests', () => {
    const odd: string[] = [];
    const object = JSON.parse(good.toString()) as unknown;
    for (let run = 0; run < 400; run++) {
      const r = rng(FUZZ_SEED * 7_919 + run);
      const which = run % 4;
      const mutated = which === 0 ? Buffer.from(mutateText(good.toString('latin1'), r), 'latin1') : which === 1 ? json(mutateJson(object, r)) : good;
      const keyring = which === 2 ? { bytes: Buffer.from(mutateText(KEYRING.bytes.toString('latin1'), r), 'latin1'), sha256: KEYRING.sha256 } : KEYRING;
      const previous = which === 3 ? json(mutateJson(object, r)) : undefined;
      try {
        const report = verify(mutated, keyring, { previous });
        if (report.checks.some((c) => c.problems.some((p) => typeof p !== 'string' || /\n\s+at |internal error|Maximum call stack/.test(p)))) odd.push(`run ${run}: a problem that is not a sentence`);
        // Whatever the mutation, a manifest that verifies signs exactly what the officers signed.
        if (report.ok && !parseManifest(mutated).signedBytes!.equals(GOOD_BYTES)) odd.push(`run ${run}: a changed manifest verified`);
      } catch (err) {
        odd.push(`run ${run}: threw ${(err as Error).message}`);
      }
    }
    expect(odd).toEqual([]);
  });
});
