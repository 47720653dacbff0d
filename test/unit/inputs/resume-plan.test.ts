// What `resume <out>` reads from an output directory, checked against the journal's first entry: the script
// copy, the site copy, a rehearsal's pointer, the roster copy (real crypto) and the backup set. Every problem at
// once, each naming its file; the journal decides production or rehearsal, whatever the files around it say.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { planResume } from '../../../src/inputs/resume-plan.js';
import { Journal, type JsonObject } from '../../../src/record/journal.js';
import type { RosterFile } from '../../../src/custody/roster.types.js';
import { createRosterBody, createRosterFile, createRosterWorld, type RosterWorld } from '../../helpers/roster-fixture.js';
import { createBackupSet, placeBackupSet, type TestBackupSet } from './backup-fixture.js';
import { MemoryInputFiles } from './memory-input-files.js';

const RESTORE = readFileSync(new URL('../../../ceremonies/release-authority-restore.yaml', import.meta.url), 'utf8');
const OUT = '/evidence/restore-1';
const BACKUP = '/media/usb/outputs';
const SITE = { profile: 'release-hsm', module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'release-2026' };
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** A journal whose first entry records what the ceremony started with, as the runner writes it. */
function journal(data: JsonObject, more: JsonObject[] = []): string {
  let text = '';
  const file = { readAll: () => Buffer.from(text), append: (l: string) => void (text += l), truncate: () => undefined };
  const j = Journal.open(file, { now: () => new Date('2026-02-01T10:00:00.000Z') });
  j.append({ type: 'ceremony.started', actor: 'system', data });
  for (const d of more) j.append({ type: 'ceremony.resumed', actor: 'system', data: d });
  return text;
}

let world: RosterWorld;
let roster: RosterFile;
let other: RosterFile;
let backup: TestBackupSet;

beforeAll(async () => {
  world = await createRosterWorld({ officers: 3, simulated: false });
  roster = createRosterFile(createRosterBody(world), world.officers);
  other = createRosterFile(createRosterBody(world, { issued_at: '2025-07-01T10:00:00.000Z' }), world.officers);
  backup = createBackupSet(['release-root']);
});

/** A production restore that paused: everything in place and as recorded. */
function directory(mode: 'production' | 'rehearsal' = 'production'): MemoryInputFiles {
  const files = placeBackupSet(new MemoryInputFiles(), BACKUP, backup);
  const rosterText = json(roster);
  files
    .file(`${OUT}/script.yaml`, RESTORE)
    .file(`${OUT}/site.json`, json(SITE))
    .file(`${OUT}/roster.json`, rosterText)
    .file(
      `${OUT}/journal.jsonl`,
      journal({
        mode,
        site: { ...SITE, slot: null },
        piv: { module: '/usr/lib/libykcs11.so', attestationRoots: [world.root.pem] },
        roster: { file_sha256: sha256(rosterText) },
        backup: { dir: BACKUP, manifest_sha256: sha256(files.read(`${BACKUP}/backup/manifest.json`)) },
      }),
    );
  return files;
}

describe('planResume', () => {
  it('gives what the ceremony started with: script, site, PIV, roster and backup', () => {
    const plan = planResume(directory(), `${OUT}/`);
    expect(plan.problems).toEqual([]);
    const v = plan.value!;
    expect([v.out, v.script.id, v.text, v.rehearsal, v.pointer]).toEqual([OUT, 'release-authority-restore', RESTORE, false, undefined]);
    expect(v.site).toEqual({ ...SITE, slot: undefined });
    expect(v.piv).toEqual({ module: '/usr/lib/libykcs11.so', attestationRoots: [world.root.pem] });
    expect(v.roster?.sha256).toBe(roster.roster.payload_sha256);
    expect(v.backup?.dir).toBe(BACKUP);
  });

  it('reports a changed site copy, a changed roster copy and a moved backup set at once', () => {
    const files = directory().file(`${OUT}/site.json`, json({ ...SITE, module: '/tmp/evil.so' })).file(`${OUT}/roster.json`, json(other)).remove(`${BACKUP}/backup/manifest.json`).remove(`${BACKUP}/backup/release-root.wrapped`);
    const plan = planResume(files, OUT);
    expect(plan.value).toBeUndefined();
    expect(plan.problems.map((p) => [p.code, p.file, p.message])).toEqual([
      ['input.site-invalid', `${OUT}/site.json`, `${OUT}/site.json differs from the site recorded when the ceremony started; refusing to load a module it names`],
      ['env.roster', `${OUT}/roster.json`, `${OUT}/roster.json differs from the roster the ceremony started with`],
      ['input.backup-invalid', BACKUP, `the backup set this ceremony started with is no longer at ${BACKUP}: give its new place with --backup <dir>`],
    ]);
  });

  it.each([
    ['does not exist', (f: MemoryInputFiles) => f, `--backup /elsewhere: no such directory`],
    ['holds another manifest', (f: MemoryInputFiles) => placeBackupSet(f, '/elsewhere', createBackupSet(['release-root'])), `/elsewhere: the backup manifest differs from the one the ceremony started with`],
  ])('refuses a --backup that %s', (_, setup, message) => {
    const plan = planResume(setup(directory()), OUT, { backup: '/elsewhere' });
    expect(plan.problems.map((p) => [p.code, p.message])).toEqual([['input.backup-invalid', message]]);
  });

  it('reports a script copy that no longer parses together with a site copy that is not JSON', () => {
    const plan = planResume(directory().file(`${OUT}/script.yaml`, `${RESTORE}\nbogus: 1\n`).file(`${OUT}/site.json`, '{'), OUT);
    expect(plan.problems).toEqual([
      { code: 'input.script-invalid', file: `${OUT}/script.yaml`, field: '(file)', message: `${OUT}/script.yaml no longer parses` },
      { code: 'input.not-a-ceremony', file: `${OUT}/site.json`, field: '(file)', message: `${OUT}/site.json: the site copy is not valid JSON` },
    ]);
  });

  it('takes rehearsal from the journal and then needs the pointer to its sandbox', () => {
    const files = directory('rehearsal');
    expect(planResume(files, OUT).problems.map((p) => [p.code, p.message])).toEqual([
      ['env.sandbox-missing', `${OUT} is a rehearsal but rehearsal.json (where its sandbox is) is missing`],
    ]);
    const plan = planResume(files.file(`${OUT}/rehearsal.json`, json({ sandbox: '/tmp/sandbox-1', interactive: true })), OUT);
    expect(plan.problems).toEqual([]);
    expect([plan.value?.rehearsal, plan.value?.pointer]).toEqual([true, { sandbox: '/tmp/sandbox-1', interactive: true }]);
  });

  it.each([
    ['no journal', (f: MemoryInputFiles) => f.remove(`${OUT}/journal.jsonl`), 'input.not-a-ceremony', `${OUT} holds no ceremony journal (it stopped before its first journal entry: delete it and start again)`],
    ['an empty journal', (f: MemoryInputFiles) => f.file(`${OUT}/journal.jsonl`, ''), 'input.not-a-ceremony', `${OUT} holds no ceremony journal (it stopped before its first journal entry: delete it and start again)`],
    ['nothing at all', () => new MemoryInputFiles(), 'input.not-a-ceremony', `${OUT} holds no ceremony journal`],
  ])('a directory with %s is the one problem', (_, setup, code, message) => {
    expect(planResume(setup(directory()), OUT).problems).toEqual([{ code, file: `${OUT}/journal.jsonl`, field: '(file)', message }]);
  });

  it('stops at a damaged journal: nothing is checked against entries that do not verify', () => {
    const text = journal({ mode: 'production', site: null }, [{ n: 1 }, { n: 2 }]);
    const lines = text.split('\n');
    lines[0] = lines[0].replace('"production"', '"rehearsal"');
    const plan = planResume(directory().file(`${OUT}/journal.jsonl`, lines.join('\n')), OUT);
    expect(plan.problems).toEqual([
      { code: 'ceremony.journal-corrupt', file: `${OUT}/journal.jsonl`, field: '(file)', message: 'journal line 1: hash does not match its content and it is not the last line' },
    ]);
  });
});
