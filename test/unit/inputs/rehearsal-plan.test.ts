// What a rehearsal brings from earlier rehearsals (--officers: an enrollment rehearsal; --from: a rehearsed
// ceremony that made a backup), checked before any sandbox is touched. Rosters are real signed rosters of
// simulated officers (test/helpers/roster-fixture.ts). Every problem at once, each naming its file.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planRehearsal } from '../../../src/inputs/rehearsal-plan.js';
import { loadScript } from '../../../src/inputs/script.js';
import type { Script } from '../../../src/script/schema.js';
import type { RosterFile } from '../../../src/custody/roster.types.js';
import { createRosterBody, createRosterFile, createRosterWorld, tamper, type RosterWorld } from '../../helpers/roster-fixture.js';
import { createBackupSet, placeBackupSet } from './backup-fixture.js';
import { MemoryInputFiles } from './memory-input-files.js';

const text = (file: string) => readFileSync(new URL(`../../../ceremonies/${file}`, import.meta.url), 'utf8');
const script = (file: string): Script => loadScript(new MemoryInputFiles().file('/s.yaml', text(file)), '/s.yaml').value!.script;
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const POINTER = { sandbox: '/tmp/officiant-sandboxes/sandbox-1' };

let world: RosterWorld;
let roster: RosterFile;
let restore: Script;
let init: Script;

beforeAll(async () => {
  world = await createRosterWorld({ officers: 3, simulated: true });
  roster = createRosterFile(createRosterBody(world), world.officers);
  restore = script('release-authority-restore.yaml');
  init = script('release-authority-init.yaml');
});

describe('planRehearsal', () => {
  it('with --officers: the enrollment rehearsal\'s roster output and its sandbox pointer', () => {
    const files = new MemoryInputFiles().file('/r/enroll/rehearsal.json', json(POINTER)).file('/r/enroll/outputs/roster.json', json(roster));
    const plan = planRehearsal(files, init, { out: '/r/init', officers: '/r/enroll' });
    expect(plan.problems).toEqual([]);
    expect(plan.value?.backup).toBeUndefined();
    expect([plan.value?.officers?.dir, plan.value?.officers?.pointer, plan.value?.officers?.roster.sha256]).toEqual(['/r/enroll', POINTER, roster.roster.payload_sha256]);
  });

  it('with --from: the backup set it made (wrapped keys checked), the roster copy it ran with and its sandbox', () => {
    const set = createBackupSet(['release-root']);
    const files = placeBackupSet(new MemoryInputFiles(), '/r/init/outputs', set).file('/r/init/rehearsal.json', json({ ...POINTER, people: 'people-1.json' })).file('/r/init/roster.json', json(roster));
    const plan = planRehearsal(files, restore, { out: '/r/restore', from: '/r/init' });
    expect(plan.problems).toEqual([]);
    expect(plan.value?.backup?.manifest.keys.map((k) => k.label)).toEqual(['release-root']);
    expect(plan.value?.officers?.pointer).toEqual({ ...POINTER, people: 'people-1.json' });
    expect(plan.value?.officers?.dir).toBe('/r/init');
  });

  it('reports a used --out, --from with --officers, and everything the --from directory lacks, at once', () => {
    const files = new MemoryInputFiles().file('/r/out/journal.jsonl', '{}\n').dir('/r/wrong');
    const plan = planRehearsal(files, restore, { out: '/r/out', from: '/r/wrong', officers: '/r/enroll' });
    expect(plan.value).toBeUndefined();
    expect(plan.problems.map((p) => [p.code, p.file, p.message])).toEqual([
      ['input.out-dir-used', '/r/out/journal.jsonl', `${resolve('/r/out')} already holds a ceremony journal; resume it with \`officiant resume /r/out\` or choose another --out`],
      ['input.not-a-ceremony', 'command line', '--from already brings the officers of that rehearsal: give --from or --officers, not both'],
      ['input.backup-invalid', '/r/wrong/outputs', "/r/wrong/outputs holds no backup/manifest.json: give the directory a backup step wrote (its outputs/ directory), with the custodians' share files in shares/"],
      ['input.not-a-ceremony', '/r/wrong/rehearsal.json', '/r/wrong is not a rehearsal output directory (no rehearsal.json)'],
      ['input.not-a-ceremony', '/r/wrong/roster.json', '/r/wrong holds no roster.json: --from takes a rehearsal run with officers (rehearse … --officers)'],
    ]);
  });

  it.each([
    [
      'an enrollment rehearsal that did not finish (no outputs/roster.json)',
      new MemoryInputFiles().file('/r/enroll/rehearsal.json', json(POINTER)),
      [['input.not-a-ceremony', '/r/enroll holds no outputs/roster.json: rehearse an enrollment (ceremonies/officer-enrollment.yaml) to the end first']],
    ],
    [
      'a pointer that is not JSON',
      new MemoryInputFiles().file('/r/enroll/rehearsal.json', 'sandbox').file('/r/enroll/outputs/roster.json', '{}'),
      [['input.not-a-ceremony', '/r/enroll/rehearsal.json: the rehearsal pointer is not valid JSON']],
    ],
  ])('--officers with %s', (_, files, expected) => {
    const problems = planRehearsal(files, init, { out: '/r/init', officers: '/r/enroll' }).problems;
    expect(problems.slice(0, expected.length).map((p) => [p.code, p.message])).toEqual(expected);
  });

  it('lists every reason a changed roster output does not verify', () => {
    const forged: RosterFile = { ...roster, roster: tamper(roster.roster, (b) => ({ ...b, officers: b.officers.slice(0, 2) })) };
    const files = new MemoryInputFiles().file('/r/enroll/rehearsal.json', json(POINTER)).file('/r/enroll/outputs/roster.json', json(forged));
    const problems = planRehearsal(files, init, { out: '/r/init', officers: '/r/enroll' }).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.code === 'input.roster-invalid' && p.file === '/r/enroll/outputs/roster.json' && p.group === `/r/enroll/outputs/roster.json: the roster does not verify (${problems.length} problem(s))`)).toBe(true);
  });
});
