// verifyRosterFile over rosters made with real crypto (test/helpers/roster-fixture.ts): each case breaks one
// thing the way a mistake or an attacker would, and the exact problems are asserted, so a check that stops
// firing, or starts firing on a good roster, fails here.
import { createHash, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/record/canonical-json.js';
import { keyringBody, officerByCertificate, officerByDevice, officerById, verifyRosterFile, type RosterVerifyOptions } from '../../../src/custody/roster.js';
import { KEYRING_TYPE, ROSTER_TYPE, type RosterBody, type RosterFile, type RosterOfficer } from '../../../src/custody/roster.types.js';
import { unsignedDocument } from '../../../src/custody/signed-document.js';
import { createIssuer, createOfficer, createRosterBody, createRosterFile, createRosterWorld, signDocument, tamper, type TestOfficer } from '../../helpers/roster-fixture.js';

const world = await createRosterWorld();
const [o1, o2, o3] = world.officers;
const REHEARSAL = 'rehearsal roster: simulated devices, for rehearsals only';
const ROOT_SUBJECT = world.root.subject;

const v1 = createRosterBody(world);
const v1File = createRosterFile(v1, [o1, o2, o3]);
const v1Sha = v1File.roster.payload_sha256;
const afterV1: RosterVerifyOptions = { production: false, previous: { body: v1, sha256: v1Sha } };
const v2 = createRosterBody(world, { version: 2, previous_sha256: v1Sha, issued_at: '2025-07-01T10:00:00.000Z' });

const revoked = (o: TestOfficer): RosterOfficer => ({ ...o.officer, status: 'revoked', revoked: { at: '2025-06-15T09:00:00.000Z', reason: 'device lost', ceremony_id: 'revoke-1' } });
const v2r: RosterBody = { ...v2, officers: [o1.officer, o2.officer, revoked(o3)] };
const v2rSha = createRosterFile(v2r, [o1, o2]).roster.payload_sha256;
const v3: RosterBody = { ...v2r, version: 3, previous_sha256: v2rSha, issued_at: '2025-08-01T10:00:00.000Z' };

// Officers who differ from the roster's in one respect, all real crypto.
const stranger = await createOfficer({ id: 'crypto-officer-3', serial: '10000003' }, world);
const sameNameCa = await createIssuer(world.ca.subject);
const otherCaOfficer = await createOfficer({ id: 'crypto-officer-2', serial: '10000002', certIssuer: sameNameCa }, world);
const otherKeyOfficer = await createOfficer({ id: 'crypto-officer-2', serial: '10000002', attestOtherKey: ['9c'] }, world);
const otherSerialOfficer = await createOfficer({ id: 'crypto-officer-2', serial: '10000002', attestedSerial: '10000099' }, world);
const noSerialOfficer = await createOfficer({ id: 'crypto-officer-2', serial: '10000002', attestedSerial: null }, world);
const otherRoot = await createIssuer(world.root.subject);
const otherRootOfficer = await createOfficer({ id: 'crypto-officer-2', serial: '10000002' }, { ca: world.ca, root: otherRoot });
const real = await createRosterWorld({ simulated: false });
// A device attested under the simulated root that claims to be real.
const fakeReal = await createOfficer({ id: 'crypto-officer-3', serial: '10000003', simulated: false }, { ca: real.ca, root: world.root });

/** The first roster with crypto-officer-2 replaced, signed by all three. */
function withOfficer2(o: TestOfficer): RosterFile {
  return createRosterFile(createRosterBody(world, {}, [o1, o, o3]), [o1, o, o3]);
}

interface Case {
  name: string;
  file: () => unknown;
  opts?: RosterVerifyOptions;
  problems: string[];
  notes?: string[];
}

const cases: Case[] = [
  { name: 'a valid first roster', file: () => v1File, problems: [] },
  {
    name: 'a first roster one officer did not sign',
    file: () => createRosterFile(v1, [o1, o2], { keyringSigners: [o1, o2, o3] }),
    problems: ['roster is not signed by crypto-officer-3 (device 10000003): the first roster needs every officer it lists'],
  },
  {
    name: 'a keyring one officer did not sign',
    file: () => createRosterFile(v1, [o1, o2, o3], { keyringSigners: [o2, o3] }),
    problems: ['keyring is not signed by crypto-officer-1 (device 10000001): the first roster needs every officer it lists'],
  },
  {
    name: 'a signature by a certificate the roster does not give the officer',
    file: () => createRosterFile(v1, [o1, o2, stranger], { keyringSigners: [o1, o2, o3] }),
    problems: ['roster signature 3 (crypto-officer-3, device 10000003): certificate is not the 9a certificate of crypto-officer-3 in this roster'],
  },
  {
    name: 'a signature by someone who is no officer',
    file: () => {
      const f = createRosterFile(v1, [o1, o2, o3]);
      const bytes = Buffer.from(f.roster.payload, 'base64');
      return { ...f, roster: { ...f.roster, signatures: [...f.roster.signatures, { ...stranger.signature(bytes), officer: 'mallory', device_serial: '10000009' }] } };
    },
    problems: ['roster signature 4 (mallory, device 10000009): not an officer of this roster'],
  },
  {
    name: 'a signature naming another device than the officer holds',
    file: () => {
      const f = createRosterFile(v1, [o1, o2, o3]);
      return { ...f, roster: { ...f.roster, signatures: f.roster.signatures.map((s, i) => (i === 1 ? { ...s, device_serial: '10000009' } : s)) } };
    },
    problems: ['roster signature 2 (crypto-officer-2, device 10000009): crypto-officer-2 holds device 10000002 in this roster'],
  },
  {
    name: 'a tampered roster payload with a matching payload_sha256',
    file: () => ({ ...v1File, roster: tamper(v1File.roster, (b) => ({ ...b, signing_policy: { role: 'crypto-officer', threshold: 3 } })) }),
    problems: [
      'roster signature 1 (crypto-officer-1, device 10000001): does not verify over the payload',
      'roster signature 2 (crypto-officer-2, device 10000002): does not verify over the payload',
      'roster signature 3 (crypto-officer-3, device 10000003): does not verify over the payload',
      `keyring roster_sha256 is "${v1Sha}", the roster gives "${tampered().payload_sha256}"`,
      'keyring manifest_threshold is 2, the roster gives 3',
    ],
  },
  {
    name: 'a tampered roster payload with the old payload_sha256',
    file: () => ({ ...v1File, roster: { ...v1File.roster, payload: tampered().payload } }),
    problems: [
      `roster payload_sha256 does not match the payload (which hashes to ${tampered().payload_sha256})`,
      'roster signature 1 (crypto-officer-1, device 10000001): does not verify over the payload',
      'roster signature 2 (crypto-officer-2, device 10000002): does not verify over the payload',
      'roster signature 3 (crypto-officer-3, device 10000003): does not verify over the payload',
      `keyring roster_sha256 is "${v1Sha}", the roster gives "${tampered().payload_sha256}"`,
      'keyring manifest_threshold is 2, the roster gives 3',
    ],
  },
  {
    name: 'the same officer twice instead of another on a first roster',
    file: () => createRosterFile(v1, [o1, o1, o2], { keyringSigners: [o1, o2, o3] }),
    problems: ['roster is not signed by crypto-officer-3 (device 10000003): the first roster needs every officer it lists'],
    notes: ['roster signature 2 (crypto-officer-1, device 10000001): a second signature by crypto-officer-1 counts once', REHEARSAL],
  },
  { name: 'a later roster signed by a quorum of the previous one', file: () => createRosterFile(v2, [o2, o3]), opts: afterV1, problems: [] },
  {
    name: 'a later roster signed twice by the same officer',
    file: () => createRosterFile(v2, [o1, o1], { keyringSigners: [o1, o2] }),
    opts: afterV1,
    problems: ['roster quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)'],
    notes: ['roster signature 2 (crypto-officer-1, device 10000001): a second signature by crypto-officer-1 counts once', REHEARSAL],
  },
  {
    name: 'a later roster below the threshold',
    file: () => createRosterFile(v2, [o2]),
    opts: afterV1,
    problems: ['roster quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)', 'keyring quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)'],
  },
  {
    name: 'a later roster signed by an officer revoked in the previous one',
    file: () => createRosterFile(v3, [o1, o3], { keyringSigners: [o1, o2] }),
    opts: { production: false, previous: { body: v2r, sha256: v2rSha } },
    problems: [
      'roster signature 2 (crypto-officer-3, device 10000003): crypto-officer-3 is revoked in the previous roster (version 2)',
      'roster quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 2)',
    ],
  },
  {
    name: 'a later roster signed by an officer without the signing role',
    file: () => createRosterFile({ ...v2, signing_policy: { role: 'crypto-officer', threshold: 2 } }, [o1, o2]),
    opts: { production: false, previous: { body: { ...v1, officers: [o1.officer, { ...o2.officer, roles: ['auditor'] }, o3.officer] }, sha256: v1Sha } },
    problems: [
      'roster signature 2 (crypto-officer-2, device 10000002): crypto-officer-2 does not hold role crypto-officer in the previous roster (version 1)',
      'roster quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)',
      'keyring signature 2 (crypto-officer-2, device 10000002): crypto-officer-2 does not hold role crypto-officer in the previous roster (version 1)',
      'keyring quorum not met: 1/2 distinct crypto-officer signatures (policy of roster version 1)',
    ],
  },
  {
    name: 'a later roster naming the wrong previous roster',
    file: () => createRosterFile({ ...v2, previous_sha256: sha('another roster') }, [o1, o2]),
    opts: afterV1,
    problems: [`previous_sha256 is ${sha('another roster')}, not the previous roster's ${v1Sha}`],
  },
  {
    name: 'a later roster skipping a version',
    file: () => createRosterFile({ ...v2, version: 3 }, [o1, o2]),
    opts: afterV1,
    problems: ['version is 3, expected 2 (the previous roster is version 1)'],
  },
  {
    name: 'a later roster without its previous roster',
    file: () => createRosterFile(v2, [o1, o2]),
    problems: [`roster version 2 replaces roster ${v1Sha}: the previous roster is needed to check who signed it`],
  },
  {
    name: 'a keyring that omits a key',
    file: () => createRosterFile(v1, [o1, o2, o3], { keyring: (k) => ({ ...k, keys: k.keys.filter((x) => x.officer !== 'crypto-officer-2') }) }),
    problems: ['keyring omits the 9c key of crypto-officer-2 (device 10000002)'],
  },
  {
    name: 'a keyring that changes a key',
    file: () =>
      createRosterFile(v1, [o1, o2, o3], {
        keyring: (k) => ({ ...k, keys: k.keys.map((x) => (x.officer === 'crypto-officer-2' ? { ...x, ...keyOf(stranger) } : x)) }),
      }),
    problems: ['keyring key of crypto-officer-2 (device 10000002) differs from the roster: certificate, certificate_sha256, spki_sha256, public_key'],
  },
  {
    name: 'a keyring that adds a key',
    file: () =>
      createRosterFile(v1, [o1, o2, o3], {
        keyring: (k) => ({ ...k, keys: [...k.keys, { ...k.keys[0], officer: 'mallory', name: 'Mallory', device_serial: '10000009', ...keyOf(stranger) }] }),
      }),
    problems: ['keyring lists mallory, who is not an officer of the roster'],
  },
  {
    name: 'a keyring in another order',
    file: () => createRosterFile(v1, [o1, o2, o3], { keyring: (k) => ({ ...k, keys: [...k.keys].reverse() }) }),
    problems: ['keyring keys are not in officer id order'],
  },
  {
    name: 'a keyring with a revoked officer\'s key',
    file: () => createRosterFile(v3, [o1, o2], { keyring: (k) => ({ ...k, keys: [...k.keys, keyringBody(v2, v2rSha).keys[2]] }) }),
    opts: { production: false, previous: { body: v2r, sha256: v2rSha } },
    problems: ['keyring lists crypto-officer-3 (device 10000003), who has no active 9c key in the roster'],
  },
  {
    name: 'a keyring signed before keyrings carried manifest_threshold',
    file: () => createRosterFile(v1, [o1, o2, o3], { keyring: ({ manifest_threshold: _, ...legacy }) => legacy }),
    problems: [],
  },
  {
    name: 'a keyring whose manifest threshold is not the roster\'s signing threshold',
    file: () => createRosterFile(v1, [o1, o2, o3], { keyring: (k) => ({ ...k, manifest_threshold: 3 }) }),
    problems: ['keyring manifest_threshold is 3, the roster gives 2'],
  },
  {
    name: 'a keyring whose manifest threshold is below dual control',
    file: () => createRosterFile(v1, [o1, o2, o3], { keyring: (k) => ({ ...k, manifest_threshold: 1 }) }),
    problems: ['keyring body: manifest_threshold: dual control: at least 2 distinct keys'],
  },
  {
    name: 'slot certificates from a CA with the enrollment CA\'s name but another key',
    file: () => withOfficer2(otherCaOfficer),
    problems: ['officer crypto-officer-2 (device 10000002) 9a certificate: not issued by the enrollment ca', 'officer crypto-officer-2 (device 10000002) 9c certificate: not issued by the enrollment ca'],
  },
  {
    name: 'an attestation of another key',
    file: () => withOfficer2(otherKeyOfficer),
    problems: ['officer crypto-officer-2 (device 10000002) 9c attestation: attests a different key than the 9c certificate'],
  },
  {
    name: 'an attestation of another device serial',
    file: () => withOfficer2(otherSerialOfficer),
    problems: ['officer crypto-officer-2 (device 10000002) 9a attestation: attests device 10000099, not 10000002', 'officer crypto-officer-2 (device 10000002) 9c attestation: attests device 10000099, not 10000002'],
  },
  {
    name: 'attestations without a serial',
    file: () => withOfficer2(noSerialOfficer),
    problems: [],
    notes: ['officer crypto-officer-2 (device 10000002) 9a attestation: carries no device serial', 'officer crypto-officer-2 (device 10000002) 9c attestation: carries no device serial', REHEARSAL],
  },
  {
    name: 'a device certificate from a root with the same name but another key',
    file: () => withOfficer2(otherRootOfficer),
    problems: ['officer crypto-officer-2 (device 10000002): device attestation certificate is not issued by any attestation root of the roster'],
  },
  {
    name: 'an attestation signed by another device',
    file: () => {
      const body = createRosterBody(world);
      body.officers = body.officers.map((o) => (o.id === 'crypto-officer-2' ? { ...o, device: { ...o.device, attestation_certificate: o3.officer.device.attestation_certificate } } : o));
      return createRosterFile(body, [o1, o2, o3]);
    },
    problems: ['officer crypto-officer-2 (device 10000002) 9a attestation: not signed by the device attestation certificate', 'officer crypto-officer-2 (device 10000002) 9c attestation: not signed by the device attestation certificate'],
  },
  {
    name: 'a certificate hash that does not match',
    file: () => {
      const body = createRosterBody(world);
      body.officers = body.officers.map((o) => (o.id === 'crypto-officer-1' ? { ...o, keys: { ...o.keys, '9c': { ...o.keys['9c']!, certificate_sha256: sha('x'), spki_sha256: sha('y') } } } : o));
      return createRosterFile(body, [o1, o2, o3]);
    },
    problems: ['officer crypto-officer-1 (device 10000001) 9c certificate: certificate_sha256 does not match the certificate', "officer crypto-officer-1 (device 10000001) 9c certificate: spki_sha256 does not match the certificate's key"],
  },
  {
    name: 'two officers with one device and one key',
    file: () => {
      const twin = { ...o1.officer, id: 'crypto-officer-9', name: 'Twin' };
      return createRosterFile({ ...v1, officers: [o1.officer, o2.officer, o3.officer, twin] }, [o1, o2, o3, { ...o1, officer: twin, signature: (b: Buffer) => ({ ...o1.signature(b), officer: 'crypto-officer-9' }) }]);
    },
    problems: [
      'device 10000001 is listed for 2 officers: crypto-officer-1, crypto-officer-9',
      `key ${o1.officer.keys['9a']!.spki_sha256} is listed 2 times: crypto-officer-1 9a, crypto-officer-9 9a`,
      `key ${o1.officer.keys['9c']!.spki_sha256} is listed 2 times: crypto-officer-1 9c, crypto-officer-9 9c`,
    ],
  },
  {
    name: 'a revoked officer without a record, an active one with one, in a first roster',
    file: () => {
      const body = { ...v1, officers: [o1.officer, { ...o2.officer, status: 'revoked' as const }, { ...o3.officer, revoked: revoked(o3).revoked }] };
      return createRosterFile(body, [o1, o2, o3]);
    },
    problems: [
      'officer crypto-officer-2 (device 10000002): revoked without a revoked record',
      'officer crypto-officer-3 (device 10000003): active but has a revoked record',
      'officer crypto-officer-2 (device 10000002): revoked in the first roster',
    ],
  },
  {
    name: 'a release roster carrying a manifest keyring',
    file: () => createRosterFile({ ...v1, authority: 'release' }, [o1, o2, o3]),
    problems: ['keyring: a manifest keyring cannot derive from a release roster'],
  },
  {
    name: 'a rehearsal flag that hides simulated devices',
    file: () => createRosterFile({ ...v1, rehearsal: false }, [o1, o2, o3]),
    problems: ['rehearsal is false but a device or attestation root is simulated'],
    notes: [],
  },
  {
    name: 'a body with an unknown key and a missing one',
    file: () => {
      const { issued_by: _, ...rest } = v1;
      return { ...v1File, roster: signDocument(ROSTER_TYPE, { ...rest, officers: [{ ...o1.officer, shoe_size: 44 }, o2.officer, o3.officer] }, [o1, o2, o3]) };
    },
    problems: ['roster body: issued_by: is required', 'roster body: officers[0].shoe_size: unknown key'],
    notes: [],
  },
  {
    name: 'a payload that is not canonical JSON',
    file: () => {
      const bytes = Buffer.from(JSON.stringify(v1, null, 1));
      const doc = { ...unsignedDocument(ROSTER_TYPE, v1), payload: bytes.toString('base64'), payload_sha256: sha(bytes) };
      const keyring = signDocument(KEYRING_TYPE, keyringBody(v1, sha(bytes)), [o1, o2, o3]);
      return { ...v1File, roster: { ...doc, signatures: [o1, o2, o3].map((o) => o.signature(bytes)) }, keyring };
    },
    problems: ['roster payload is not canonical JSON (sorted keys, no whitespace)'],
  },
  {
    name: 'a keyring envelope with the roster\'s payload type',
    file: () => ({ ...v1File, keyring: { ...v1File.keyring, payload_type: ROSTER_TYPE } }),
    problems: ['keyring payload_type is "officiant-roster/1", expected officiant-keyring/1'],
  },
  { name: 'not a roster file', file: () => ({ format: 'something' }), problems: ['roster file: format: must be "officiant-roster-file/1"', 'roster file: roster: is required', 'roster file: keyring: is required'], notes: [] },
  {
    name: 'production: a rehearsal roster',
    file: () => v1File,
    opts: { production: true, trustedAttestationRoots: [world.root.sha256] },
    problems: [
      'roster is a rehearsal roster: not valid in production',
      'device 10000001 is simulated: a rehearsal roster is not valid in production',
      'device 10000002 is simulated: a rehearsal roster is not valid in production',
      'device 10000003 is simulated: a rehearsal roster is not valid in production',
      `attestation root "${ROOT_SUBJECT}" is simulated: a rehearsal roster is not valid in production`,
    ],
    notes: [],
  },
];

function tampered() {
  return tamper(v1File.roster, (b) => ({ ...b, signing_policy: { role: 'crypto-officer', threshold: 3 } }));
}

function sha(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

function keyOf(o: TestOfficer) {
  const k = keyringBody(createRosterBody(world, {}, [o]), 'x'.repeat(64)).keys[0];
  return { certificate: k.certificate, certificate_sha256: k.certificate_sha256, spki_sha256: k.spki_sha256, public_key: k.public_key };
}

describe('verifyRosterFile', () => {
  it.each(cases)('$name', ({ file, opts, problems, notes }) => {
    const r = verifyRosterFile(file(), opts ?? { production: false });
    expect(r.problems).toEqual(problems);
    expect(r.notes).toEqual(notes ?? [REHEARSAL]);
    expect(r.ok).toBe(problems.length === 0);
    if (r.ok) expect(r.keyring).toBeDefined();
    else expect(r.keyring).toBeUndefined();
  });

  it('returns the roster, its sha256 and the keyring the officers signed', () => {
    const r = verifyRosterFile(JSON.parse(JSON.stringify(v1File)), { production: false });
    expect(r.roster).toEqual(v1);
    expect(r.rosterSha256).toBe(createHash('sha256').update(Buffer.from(v1File.roster.payload, 'base64')).digest('hex'));
    expect(canonicalJson(r.keyring)).toBe(Buffer.from(v1File.keyring.payload, 'base64').toString('utf8'));
  });

  describe('production', () => {
    const body = createRosterBody(real);
    const file = createRosterFile(body, real.officers);
    const rootSubject = real.root.subject;

    it('accepts real devices under a trusted root', () => {
      const r = verifyRosterFile(file, { production: true, trustedAttestationRoots: [real.root.sha256.toUpperCase()] });
      expect(r.problems).toEqual([]);
      expect(r.notes).toEqual([]);
      expect(r.ok).toBe(true);
    });

    it('refuses a root nobody said to trust', () => {
      expect(verifyRosterFile(file, { production: true, trustedAttestationRoots: [world.root.sha256] }).problems).toEqual([
        `attestation root "${rootSubject}" (sha256 ${real.root.sha256}) is not a trusted vendor root`,
      ]);
      expect(verifyRosterFile(file, { production: true }).problems).toEqual(['production needs the trusted vendor attestation roots: none given']);
    });

    it('refuses a device under a simulated root that says it is real', () => {
      const signers = [...real.officers.slice(0, 2), fakeReal];
      const mixed = createRosterBody(real, { rehearsal: true, attestation_roots: [...body.attestation_roots, { subject: world.root.subject, sha256: world.root.sha256, pem: world.root.pem, simulated: true }] }, signers);
      const r = verifyRosterFile(createRosterFile(mixed, signers), { production: false });
      expect(r.problems).toEqual(['officer crypto-officer-3 (device 10000003): device attests through a simulated root but is not marked simulated']);
    });
  });
});

describe('keyringBody', () => {
  it('lists the 9c key of every active officer, by officer id, whatever the roster order', () => {
    const body = { ...v2r, officers: [revoked(o3), o2.officer, o1.officer] };
    const k = keyringBody(body, v2rSha);
    expect(k.keys.map((x) => [x.officer, x.device_serial, x.spki_sha256])).toEqual([
      ['crypto-officer-1', '10000001', o1.officer.keys['9c']!.spki_sha256],
      ['crypto-officer-2', '10000002', o2.officer.keys['9c']!.spki_sha256],
    ]);
    expect(k).toMatchObject({ format: 'officiant-keyring/1', authority: 'manifest', roster_version: 2, roster_sha256: v2rSha, issued_at: v2r.issued_at, rehearsal: true, manifest_threshold: 2 });
    expect(keyringBody({ ...body, signing_policy: { role: 'crypto-officer', threshold: 3 } }, v2rSha).manifest_threshold).toBe(3);
    expect(canonicalJson(keyringBody({ ...body, officers: [...body.officers].reverse() }, v2rSha))).toBe(canonicalJson(k));
  });

  it('gives each public key as the PEM that checks the officer\'s 9c signatures', () => {
    const k = keyringBody(v1, v1Sha);
    world.officers.forEach((o, i) => {
      const data = Buffer.from(`manifest ${i}`);
      // The 9c key signs manifests; a node signature with it stands in for the token.
      const signature = sign('sha256', data, o.keys['9c']!);
      expect(verify('sha256', data, k.keys[i].public_key, signature)).toBe(true);
      expect(createHash('sha256').update(Buffer.from(k.keys[i].public_key.replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex')).toBe(k.keys[i].spki_sha256);
    });
  });
});

describe('lookups', () => {
  it('find officers by id, device serial and 9a certificate hash', () => {
    expect(officerById(v1, 'crypto-officer-2')).toBe(v1.officers[1]);
    expect(officerByDevice(v1, '10000003')).toBe(v1.officers[2]);
    expect(officerByCertificate(v1, o1.officer.keys['9a']!.certificate_sha256.toUpperCase())).toBe(v1.officers[0]);
    expect(officerByCertificate(v1, o1.officer.keys['9c']!.certificate_sha256)).toBeUndefined();
    expect(officerById(v1, 'mallory')).toBeUndefined();
    expect(officerByDevice(v1, '10000009')).toBeUndefined();
  });
});
