// Officer rosters as a run loads them, made with real crypto (test/helpers/roster-fixture.ts): verified the way
// an auditor would, and for a run also the one the site file pins. Every problem at once: a roster that does not
// verify lists each reason under one headline, and a missing pin is reported with them.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPinnedRoster, loadRoster } from '../../../src/inputs/roster.js';
import type { RosterFile } from '../../../src/custody/roster.types.js';
import { createRosterBody, createRosterFile, createRosterWorld, tamper, type RosterWorld } from '../../helpers/roster-fixture.js';
import { MemoryInputFiles } from './memory-input-files.js';

const PATH = '/site/roster.json';
let production: RosterWorld;
let rehearsal: RosterWorld;
let good: RosterFile;
let simulated: RosterFile;

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

beforeAll(async () => {
  production = await createRosterWorld({ officers: 3, simulated: false });
  rehearsal = await createRosterWorld({ officers: 2, simulated: true });
  good = createRosterFile(createRosterBody(production), production.officers);
  simulated = createRosterFile(createRosterBody(rehearsal), rehearsal.officers);
});

describe('loadRoster', () => {
  it('loads a roster that verifies: its exact bytes, its body and the SHA-256 a later roster names', () => {
    const text = json(good);
    const loaded = loadRoster(new MemoryInputFiles().file(PATH, text), PATH, { production: true, trustedRoots: [production.root.pem] });
    expect(loaded.problems).toEqual([]);
    expect(loaded.value?.bytes.toString('utf8')).toBe(text);
    expect(loaded.value?.sha256).toBe(good.roster.payload_sha256);
    expect(loaded.value?.body.officers.map((o) => o.id)).toEqual(['crypto-officer-1', 'crypto-officer-2', 'crypto-officer-3']);
  });

  it.each([
    ['missing', (f: MemoryInputFiles) => f, 'input.not-a-ceremony', `cannot read roster ${PATH}: no such file`],
    ['unreadable', (f: MemoryInputFiles) => f.denied(PATH), 'env.permission', `cannot read roster ${PATH}: permission denied`],
    ['not JSON', (f: MemoryInputFiles) => f.file(PATH, '{ roster'), 'input.roster-invalid', `${PATH}: the roster is not valid JSON`],
  ])('a roster file that is %s is one problem', (_, setup, code, message) => {
    const loaded = loadRoster(setup(new MemoryInputFiles()), PATH, { production: false });
    expect(loaded.problems).toEqual([{ code, file: PATH, field: '(file)', message }]);
  });

  it('lists every reason a rehearsal roster is refused in production, under one headline', () => {
    const loaded = loadRoster(new MemoryInputFiles().file(PATH, json(simulated)), PATH, { production: true, trustedRoots: [production.root.pem] });
    expect(loaded.value).toBeUndefined();
    expect(loaded.problems.length).toBeGreaterThanOrEqual(2);
    const group = `${PATH}: the roster does not verify (${loaded.problems.length} problem(s))`;
    expect(loaded.problems.every((p) => p.code === 'input.roster-invalid' && p.file === PATH && p.group === group)).toBe(true);
    for (const serial of ['10000001', '10000002']) expect(loaded.problems.some((p) => p.message.includes(serial))).toBe(true);
    // The same roster is what a rehearsal runs with.
    expect(loadRoster(new MemoryInputFiles().file(PATH, json(simulated)), PATH, { production: false }).problems).toEqual([]);
  });
});

describe('loadPinnedRoster (run --roster)', () => {
  const site = (rosterSha256?: string) => ({ siteFile: '/site/site.yaml', piv: { attestationRoots: [production.root.pem], rosterSha256 } });

  it('accepts the roster the site file pins', () => {
    const loaded = loadPinnedRoster(new MemoryInputFiles().file(PATH, json(good)), PATH, site(good.roster.payload_sha256));
    expect(loaded.problems).toEqual([]);
    expect(loaded.value?.sha256).toBe(good.roster.payload_sha256);
  });

  it('refuses a roster that verifies but is not the pinned one, naming both SHA-256s', () => {
    const loaded = loadPinnedRoster(new MemoryInputFiles().file(PATH, json(good)), PATH, site('00'.repeat(32)));
    expect(loaded.problems).toEqual([
      {
        code: 'input.roster-invalid',
        file: PATH,
        field: '(file)',
        message: `${PATH} is roster version 1 (${good.roster.payload_sha256}), not the one the site file pins (${'00'.repeat(32)}): use the current roster, or update the site file after the ceremony that replaced it`,
      },
    ]);
  });

  it('reports a tampered roster and a site file without a pin at once', () => {
    const forged: RosterFile = { ...good, roster: tamper(good.roster, (b) => ({ ...b, signing_policy: { role: 'crypto-officer', threshold: 1 } })) };
    const loaded = loadPinnedRoster(new MemoryInputFiles().file(PATH, json(forged)), PATH, site(undefined));
    expect(loaded.value).toBeUndefined();
    const [first, ...rest] = loaded.problems;
    expect(first.group).toMatch(/^\/site\/roster\.json: the roster does not verify \(\d+ problem\(s\)\)$/);
    expect(rest.at(-1)).toEqual({
      code: 'input.roster-invalid',
      file: '/site/site.yaml',
      field: 'piv.roster_sha256',
      message: 'the site file must pin the current roster: add piv.roster_sha256 (the roster SHA-256 on the evidence page of the ceremony that signed it)',
    });
  });
});
