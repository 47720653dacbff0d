// Fuzzing the JSON documents people hand a run: rosters (with their keyring) and backup manifests, each with
// FUZZ_RUNS seeded mutations (test/helpers/fuzz.ts) of text and structure. Whatever the input, a loader returns
// its problems: never a TypeError, a decode error or a stack overflow. (YAML inputs: fuzz-inputs.test.ts.)
import { describe, expect, it } from 'vitest';
import { loadBackup } from '../../../src/inputs/backup-set.js';
import { loadRoster } from '../../../src/inputs/roster.js';
import { fuzz, mutateJson, mutateText, plainProblems } from '../../helpers/fuzz.js';
import { createRosterBody, createRosterFile, createRosterWorld } from '../../helpers/roster-fixture.js';
import { createBackupSet, placeBackupSet } from './backup-fixture.js';
import { MemoryInputFiles } from './memory-input-files.js';

const either = (s: string, r: () => number) => (r() < 0.5 ? mutateText(s, r) : JSON.stringify(mutateJson(JSON.parse(s), r)));

// A hang guard only: the size of a run is FUZZ_RUNS, and a loaded machine must not turn it red.
describe('fuzzing the JSON documents (seeded; FUZZ_RUNS each)', { timeout: 600_000 }, () => {
  it('rosters, with their keyring: text and structure mutated', async () => {
    const world = await createRosterWorld({ officers: 1, simulated: true });
    const seed = `${JSON.stringify(createRosterFile(createRosterBody(world), world.officers), null, 2)}\n`;
    const failures = fuzz([seed], either, (t) => loadRoster(new MemoryInputFiles().file('/r/roster.json', t), '/r/roster.json', { production: false }), plainProblems('roster.json'));
    expect(failures).toEqual([]);
  });

  it('found by fuzzing: a roster certificate whose key does not decode is a problem, not an internal error', async () => {
    const world = await createRosterWorld({ officers: 2, simulated: true });
    const body = createRosterBody(world);
    // A point off the curve: the certificate parses, its public key does not (Node decodes it lazily and throws).
    const pem = body.officers[0].keys['9a']!.certificate;
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('034200', 'hex'));
    der[at + 4] ^= 0x55;
    body.officers[0].keys['9a']!.certificate = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const loaded = loadRoster(new MemoryInputFiles().file('/r/roster.json', JSON.stringify(createRosterFile(body, world.officers))), '/r/roster.json', { production: false });
    const messages = loaded.problems.map((p) => p.message);
    expect(messages.some((m) => m.includes('9a certificate: its public key cannot be read')), messages.join('\n')).toBe(true);
  });

  it('backup manifests: text and structure mutated', () => {
    const set = createBackupSet();
    const seed = `${JSON.stringify(set.manifest, null, 2)}\n`;
    const failures = fuzz([seed], either, (t) => loadBackup(placeBackupSet(new MemoryInputFiles(), '/b', set, t), '/b', { blobs: false }), plainProblems('/b'));
    expect(failures).toEqual([]);
  });
});
