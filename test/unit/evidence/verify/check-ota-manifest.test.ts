// The signed OTA manifest of a manifest signing session's packet (outputs/ota-manifest.json) against the session:
// the draft it started with, the signatures its journal recorded, and the 9c keys of the roster it started
// with. What an insider who can write the archive would try: a signature from another session or key, a body
// changed after signing, a key listed twice, a revoked officer, a manifest in a packet that signed none.
import 'reflect-metadata';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Group } from '../../../../src/evidence/verify/check-context.js';
import { checkOtaManifest } from '../../../../src/evidence/verify/check-ota-manifest.js';
import { manifestSigningBytes } from '../../../../src/custody/ota-manifest.js';
import type { ManifestBody } from '../../../../src/custody/ota-manifest.types.js';
import type { RosterBody } from '../../../../src/custody/roster.types.js';
import type { NewEntry } from '../../../../src/record/journal.js';
import { createRosterBody, createRosterWorld, type RosterWorld, type TestOfficer } from '../../../helpers/roster-fixture.js';
import { manifestBody, officerSigner, signManifest, keySigner } from '../../../helpers/ota-manifest.js';
import { writeJournal } from './journal-text.js';
import { loadScript } from '../../../../src/inputs/script.js';
import { MemoryInputFiles } from '../../inputs/memory-input-files.js';
import { readFileSync } from 'node:fs';

const SCRIPT = loadScript(new MemoryInputFiles().file('/m.yaml', readFileSync(new URL('../../../../ceremonies/manifest-signing.yaml', import.meta.url), 'utf8')), '/m.yaml').value!.script;
const STEP = 'sign-manifest';

let world: RosterWorld;
let roster: RosterBody;
// Expires within the step's 31 days of the journal's clock (2026-11-26, journal-text.ts).
const body = manifestBody({ expires: '2026-12-20T00:00:00Z' });
const bytes = manifestSigningBytes(body);
const digest = createHash('sha256').update(bytes).digest('hex');
const draft = Buffer.from(`${JSON.stringify({ signed: body, signatures: [] }, null, 2)}\n`);

beforeAll(async () => {
  world = await createRosterWorld({ officers: 3 });
  roster = createRosterBody(world);
}, 60_000);

const sigOf = (o: TestOfficer, over: ManifestBody = body) => sign('sha256', manifestSigningBytes(over), o.keys['9c']!).toString('base64');
function event(o: TestOfficer, data: Record<string, unknown> = {}): NewEntry {
  const key = o.officer.keys['9c']!;
  return { type: 'step.event', actor: o.officer.name, step: STEP, data: { what: 'manifest-signature', officer: o.officer.id, device: o.officer.device.serial, keyid: key.spki_sha256, signed_sha256: digest, sig: sigOf(o), verified: true, ...data } };
}

interface Case {
  name: string;
  /** The journal after ceremony.started. */
  events?: () => NewEntry[];
  /** The output, given the journal's events (default: their signatures, in order). */
  manifest?: (events: NewEntry[]) => Buffer | undefined;
  started?: Record<string, unknown> | null;
  roster?: () => RosterBody;
  draftCopy?: Buffer | null;
  /** The step's entries before the signatures (default: gates passed, the log line written). */
  before?: NewEntry[];
  completed?: boolean;
  checkedIn?: Map<string, string>;
  problem?: RegExp;
}

const GATES: NewEntry[] = [
  { type: 'step.event', actor: 'system', step: STEP, data: { what: 'manifest-gates', passed: true, signed_sha256: digest, channel: body.channel, version: body.version, expires: body.expires } },
  { type: 'intent', actor: 'system', step: STEP, data: { op: 'signing-log.append', params: {} } },
  { type: 'result', actor: 'system', step: STEP, data: { op: 'signing-log.append', intent: 3, ok: true, output: { seq: 1, hash: 'h' } } },
];

const two = () => [world.officers[0], world.officers[1]];
/** The manifest file with the journaled events' signatures in order, then those of `more` (a signed manifest). */
function output(events: NewEntry[], more?: Buffer): Buffer {
  const signatures = events.map((e) => ({ keyid: e.data.keyid, device_serial: e.data.device, sig: e.data.sig }));
  const extra = more ? (JSON.parse(more.toString('utf8')) as { signatures: unknown[] }).signatures : [];
  return Buffer.from(JSON.stringify({ signed: body, signatures: [...signatures, ...extra] }));
}
const CASES: Case[] = [
  { name: 'the session\'s own manifest, with the signatures its journal recorded' },
  { name: 'an aborted session: signatures journaled, no manifest written', manifest: () => undefined },
  { name: 'a signature the journal never recorded (made elsewhere by the same key)', manifest: (ev) => output([ev[0]], signManifest(body, [officerSigner(world.officers[1])])), problem: /signature 2: Officer crypto-officer-2's signature is not the one the ceremony recorded/ },
  { name: 'the body changed after signing', manifest: () => signManifest({ ...body, version: 43 }, two().map(officerSigner)), problem: /the signed body is not the draft the ceremony started with/ },
  { name: 'a key that is no officer\'s', manifest: (ev) => output([ev[0]], signManifest(body, [keySigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, '99999999')])), problem: /signature 2: key [0-9a-f]{64} is no officer's 9c key on the ceremony's roster/ },
  { name: 'one key twice', manifest: (ev) => output([ev[0], ev[0]]), problem: /signature 2: Officer crypto-officer-1's key signs twice[\s\S]*1 good signature\(s\) by distinct officers' keys, below the roster's threshold of 2/ },
  { name: 'short of the threshold', manifest: (ev) => output([ev[0]]), problem: /1 good signature\(s\) .* below the roster's threshold of 2/ },
  {
    name: 'a revoked officer',
    roster: () => createRosterBody(world, { officers: world.officers.map((o, i) => (i === 1 ? { ...o.officer, status: 'revoked' as const } : o.officer)) }),
    problem: /signature 2: Officer crypto-officer-2 is revoked on the ceremony's roster/,
  },
  { name: 'a journaled signature that does not verify', events: () => [event(world.officers[0]), event(world.officers[1], { sig: sigOf(world.officers[1], { ...body, version: 7 }) })], problem: /line 6: Officer crypto-officer-2's manifest signature does not verify under their 9c key/ },
  { name: 'a journaled signature over other bytes', events: () => [event(world.officers[0], { signed_sha256: 'a'.repeat(64) }), event(world.officers[1])], problem: /line 5: .* is over a{64}, not the draft's signed bytes/ },
  { name: 'a journaled signature naming another device', events: () => [event(world.officers[0], { device: '1' }), event(world.officers[1])], problem: /line 5: .* names key [0-9a-f]{64} on device 1, not their 9c key on device 10000001/ },
  { name: 'a manifest in a packet whose ceremony signed none', started: null, events: () => [], problem: /an OTA manifest in a packet whose ceremony signed none/ },
  { name: 'manifest signatures in a ceremony that signed none', started: null, manifest: () => undefined, problem: /2 manifest signature\(s\) in a ceremony that signed no manifest/ },
  { name: 'the draft copy missing', draftCopy: null, problem: /not checked: inputs\/manifest-draft.json is missing/ },
  { name: 'a signature journaled in another step', events: () => [event(world.officers[0]), { ...event(world.officers[1]), step: 'check-in' }], problem: /line \d+: a manifest signature outside the script's manifest.sign step \(in check-in\)/ },
  { name: 'a signature journaled before the gates passed', before: [], problem: /line 2: a manifest signature before the step's gates passed and its signing log line was written/ },
  { name: 'a signer who did not check in', checkedIn: new Map([['crypto-officer-1', 'crypto-officer']]), problem: /a manifest signature by Officer crypto-officer-2, who did not check in by token as crypto-officer/ },
  { name: 'a roster of the release authority', roster: () => createRosterBody(world, { authority: 'release' }), problem: /the ceremony's roster is the release authority's/ },
  { name: 'an officer not in the signing role', roster: () => createRosterBody(world, { officers: world.officers.map((o, i) => (i === 1 ? { ...o.officer, roles: ['auditor'] } : o.officer)) }), problem: /Officer crypto-officer-2, who is not a crypto-officer on the roster/ },
  { name: 'a second journaled signature by one officer', events: () => [event(world.officers[0]), event(world.officers[1]), event(world.officers[1])], problem: /a second manifest signature by Officer crypto-officer-2/ },
  { name: 'a manifest whose step never completed', completed: false, problem: /written, yet the manifest.sign step never completed/ },
  { name: 'a journaled officer that is not a string (never a throw)', events: () => [event(world.officers[0]), { ...event(world.officers[1]), step: { toString: 1 } as unknown as string }], problem: /outside the script's manifest.sign step \(in \{"toString":1\}\)/ },
  { name: 'gates that recorded another version than the draft\'s', before: [{ ...GATES[0], data: { ...GATES[0].data, version: 99 } }, GATES[1], GATES[2]], problem: /line 2: the gates recorded version 99, not the draft's 42/ },
  {
    name: 'a draft that expires later than the step allows after its gates passed (the verdict not believed)',
    before: [{ ...GATES[0], data: { ...GATES[0].data, expires: '2027-06-01T00:00:00Z' } }, GATES[1], GATES[2]],
    draftCopy: Buffer.from(JSON.stringify({ signed: { ...body, expires: '2027-06-01T00:00:00Z' }, signatures: [] })),
    problem: /the manifest expires 2027-06-01T00:00:00Z, more than the step's 31 days after its gates passed/,
  },
  { name: 'not JSON', manifest: () => Buffer.from('{'), problem: /outputs\/ota-manifest.json: not JSON/ },
];

function check(c: Case): Group {
  const events = c.events ? c.events() : two().map((o) => event(o));
  const started: NewEntry = { type: 'ceremony.started', actor: 'system', data: { ceremonyId: 'c-1', ...(c.started === null ? {} : { manifest: { draft_sha256: 'x' } }) } };
  const completed: NewEntry[] = c.completed === false ? [] : [{ type: 'step.completed', actor: 'system', step: STEP, data: {} }];
  const { entries } = writeJournal([started, ...(c.before ?? GATES), ...events, ...completed]);
  const files = new Map<string, Buffer>();
  const manifest = c.manifest ? c.manifest(events) : output(events.length > 0 ? events : two().map((o) => event(o)));
  if (manifest) files.set('outputs/ota-manifest.json', manifest);
  if (c.draftCopy !== null) files.set('inputs/manifest-draft.json', c.draftCopy ?? draft);
  const g = new Group('outputs');
  const checkedIn = c.checkedIn ?? new Map(world.officers.map((o) => [o.officer.id, 'crypto-officer']));
  checkOtaManifest(g, { files, entries, started: entries[0], roster: c.roster ? c.roster() : roster, script: SCRIPT, checkedIn });
  return g;
}

describe('checkOtaManifest', () => {
  it.each(CASES)('$name', (c) => {
    const g = check(c);
    if (c.problem) expect(g.problems.join('\n')).toMatch(c.problem);
    else expect(g.problems).toEqual([]);
  });

  it('names what holds: channel, version, the signers\' count against the threshold, and the signed bytes', () => {
    const g = check(CASES[0]);
    expect(g.notes.join('\n')).toMatch(new RegExp(`channel stable version 42, 3 target\\(s\\).*2 signature\\(s\\) by distinct officers' 9c keys of roster version 1 \\(threshold 2\\).*${digest}`));
  });
});
