// Pre-flight with fakes (an output directory in memory, an HSM that answers from a table): each refusal with
// its exact code and message, the order the checks run in, and that the HSM is opened only when the script
// needs it and is always closed again. HSM trouble before the start is the environment's (env.hsm).
import { describe, expect, it } from 'vitest';
import type { CeremonyDeps, LoadedBackup, LoadedRoster, PivSite } from '../../../src/engine/runner.js';
import { preflight } from '../../../src/engine/preflight.js';
import type { HsmSite } from '../../../src/engine/step-kind.types.js';
import { OfficiantError } from '../../../src/errors.js';
import { Script } from '../../../src/script/schema.js';
import { caught } from '../../helpers/caught.js';
import { fixedClock, MemoryJournalFile, MemoryOutputStore, needsOnlyRegistry, PreflightHsm } from './fakes.js';

const ROOT = '/ceremonies/out';
const SITE: HsmSite = { profile: 'vault-hsm', module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'root-ca' };

const step = (id: string, kind: string, params?: object, perform = 'admin') => ({ id, kind, title: id, instructions: 'Do it.', perform, ...(params ? { params } : {}) });
const checkIn = step('check-in', 'participants.check-in');
const initToken = step('init-token', 'hsm.init-token', { pin_holders: { role: 'admin', people: 2 } });
const generate = (label: string) => step(`gen-${label}`, 'hsm.generate-key', { label, algorithm: 'EC-P256', authority: 'release', purpose: 'test' });
const evidence = step('evidence', 'evidence.init-key', { label: 'evidence-key' });
const approve = step('approve', 'quorum.approve', { role: 'officer', threshold: 2, approve: 'record' });
const restore = step('restore', 'backup.restore');

function script(steps: object[], roles: Record<string, object> = {}) {
  return Script.parse({
    id: 'preflight-test',
    title: 'Pre-flight test',
    version: 1,
    authority: 'release',
    site: { hsm: 'vault-hsm' },
    roles: { admin: { title: 'Administrator', people: 2 }, officer: { title: 'Crypto Officer', people: 2 }, ...roles },
    steps,
  });
}

const roster = (rehearsal: boolean) => ({ bytes: Buffer.from('{}'), sha256: 'a'.repeat(64), body: { rehearsal } }) as unknown as LoadedRoster;
const piv: PivSite = { module: '/usr/lib/libykcs11.so', attestationRoots: [], open: () => { throw new Error('pre-flight must not open PIV tokens'); } };
const backup = { dir: '/backups/b1' } as unknown as LoadedBackup;

interface Case {
  steps: object[];
  roles?: Record<string, object>;
  files?: string[];
  answers?: string[];
  site?: HsmSite | null;
  rehearsal?: boolean;
  roster?: LoadedRoster;
  piv?: PivSite;
  backup?: LoadedBackup;
  hsm?: ConstructorParameters<typeof PreflightHsm>[0];
}

function run(c: Case) {
  const store = new MemoryOutputStore(ROOT);
  for (const f of c.files ?? []) store.write(f, 'x');
  const hsm = new PreflightHsm(c.hsm);
  let opened = 0;
  const deps: CeremonyDeps = {
    script: script(c.steps, c.roles),
    steps: needsOnlyRegistry(),
    scriptText: '',
    site: c.site === null ? undefined : (c.site ?? SITE),
    rehearsal: c.rehearsal ?? false,
    openHsm: () => {
      opened++;
      return hsm;
    },
    prompter: {} as CeremonyDeps['prompter'],
    store,
    journalFile: new MemoryJournalFile(),
    clock: fixedClock,
    renderer: {} as CeremonyDeps['renderer'],
    footer: '',
    roster: c.roster,
    piv: c.piv,
    backup: c.backup,
  };
  const check = () => preflight(deps, { answers: c.answers ?? [] });
  return { check, hsm, opened: () => opened, store };
}

const pivRole = { officer: { title: 'Crypto Officer', people: 2, identity: 'piv' } };

const refusals: Array<[string, Case, string, string]> = [
  ['the out dir holds a journal', { steps: [checkIn], files: ['journal.jsonl', 'script.yaml'] }, 'input.out-dir-used', `${ROOT} already holds a ceremony journal; resume it with \`officiant resume ${ROOT}\` or choose another --out`],
  ['the out dir is not empty', { steps: [checkIn], files: ['notes.txt', 'old/page.pdf'] }, 'input.out-dir-used', `${ROOT} is not empty (2 entries); choose an empty or new --out`],
  ['answers have problems', { steps: [checkIn], answers: ['answers.yaml: no answer for role officer', 'answers.yaml: bob is listed twice'] }, 'input.missing-answer', 'answers incomplete: 2 problem(s)'],
  [
    'a role checks in by PIV token and there is no roster',
    { steps: [checkIn], roles: pivRole },
    'input.roster-missing',
    'this ceremony needs the officer roster (role officer checks in by PIV token): give --roster <roster.json>, or --officers <enrollment rehearsal dir> to rehearse',
  ],
  [
    'a step approves by token and there is no roster',
    { steps: [checkIn, approve] },
    'input.roster-missing',
    'this ceremony needs the officer roster (it approves, revokes or backs up by token): give --roster <roster.json>, or --officers <enrollment rehearsal dir> to rehearse',
  ],
  [
    'a restore and no backup',
    { steps: [checkIn, restore], roster: roster(false), piv },
    'input.backup-missing',
    'step restore works from an existing backup: give --backup <dir> (the directory holding backup/manifest.json and shares/), or rehearse with --from <rehearsed ceremony dir>',
  ],
  ['officers use PIV tokens and the site has no piv section', { steps: [checkIn, approve], roster: roster(false) }, 'input.site-invalid', "this ceremony uses officers' PIV tokens: the site file needs a piv section (module, attestation_roots)"],
  ['a rehearsal roster in production', { steps: [checkIn, approve], roster: roster(true), piv }, 'env.roster', 'the roster lists simulated devices: it is valid for rehearsals only'],
  ['the HSM is used and no site profile was given', { steps: [checkIn, generate('root')], site: null }, 'input.site-invalid', 'the script uses HSM profile "vault-hsm" but no site profile was given'],
  ['initialising, and the token label is taken', { steps: [checkIn, initToken], hsm: { tokens: ['root-ca'], free: [1] } }, 'env.token-label-used', 'a token labelled "root-ca" already exists; this ceremony initialises a new one'],
  ['initialising, and no slot is free', { steps: [checkIn, initToken], hsm: { free: [] } }, 'env.no-free-slot', 'no uninitialised slot to initialise token "root-ca"'],
  ['initialising, and the chosen slot is not free', { steps: [checkIn, initToken], site: { ...SITE, slot: 3 }, hsm: { free: [1, 2] } }, 'env.no-free-slot', 'no uninitialised slot 3 to initialise token "root-ca"'],
  ['the token is missing', { steps: [checkIn, generate('root')] }, 'env.token-missing', 'token "root-ca" is not present (module /usr/lib/softhsm/libsofthsm2.so)'],
  [
    'key labels are in use (generated keys and the evidence key)',
    { steps: [checkIn, evidence, generate('root'), generate('issuing')], hsm: { tokens: ['root-ca'], labelsInUse: ['evidence-key', 'issuing', 'other'] } },
    'env.key-label-used',
    'key label(s) already on token "root-ca": evidence-key, issuing',
  ],
  ['an HSM error before the start', { steps: [checkIn, generate('root')], hsm: { failWith: new OfficiantError('hsm.general', 'C_GetSlotList failed: CKR_GENERAL_ERROR') } }, 'env.hsm', 'C_GetSlotList failed: CKR_GENERAL_ERROR'],
];

describe('preflight refuses', () => {
  it.each(refusals)('%s', (_, c, code, message) => {
    const r = run(c);
    const err = caught(r.check);
    expect({ code: err.code, message: err.message }).toEqual({ code, message });
    // An HSM opened for the check is closed again, refusal or not.
    expect(r.hsm.closed).toBe(r.opened());
  });

  it('lists every answers problem in the details', () => {
    const answers = ['answers.yaml: no answer for role officer', 'answers.yaml: bob is listed twice'];
    expect(caught(run({ steps: [checkIn], answers }).check).details).toEqual(answers);
  });

  it('keeps the HSM error as the cause of env.hsm', () => {
    const failWith = new OfficiantError('hsm.general', 'CKR_GENERAL_ERROR');
    expect(caught(run({ steps: [generate('root')], hsm: { failWith } }).check).cause).toBe(failWith);
  });

  it('checks the out dir before the answers, and the answers before the roster', () => {
    expect(caught(run({ steps: [checkIn], roles: pivRole, files: ['x'], answers: ['a'] }).check).code).toBe('input.out-dir-used');
    expect(caught(run({ steps: [checkIn], roles: pivRole, answers: ['a'] }).check).code).toBe('input.missing-answer');
  });
});

describe('preflight passes', () => {
  it('an empty out dir but for lock files, and no HSM step: the HSM is never opened', () => {
    const r = run({ steps: [checkIn], files: ['.officiant.lock'] });
    expect(r.check).not.toThrow();
    expect(r.opened()).toBe(0);
  });

  it('initialising on a free slot: looks up the token and the free slots, no login', () => {
    const r = run({ steps: [checkIn, initToken, generate('root')], site: { ...SITE, slot: 2 }, hsm: { free: [1, 2] } });
    expect(r.check).not.toThrow();
    expect(r.hsm.calls).toEqual(['findToken', 'freeSlots']);
    expect(r.hsm.closed).toBe(1);
  });

  it('an existing token with free labels: looks up the token and its labels', () => {
    const r = run({ steps: [checkIn, generate('root')], hsm: { tokens: ['root-ca'], labelsInUse: ['other'] } });
    expect(r.check).not.toThrow();
    expect(r.hsm.calls).toEqual(['findToken', 'labelsInUse']);
    expect(r.hsm.closed).toBe(1);
  });

  it('a rehearsal roster in a rehearsal', () => {
    expect(run({ steps: [checkIn, approve], roster: roster(true), piv, rehearsal: true }).check).not.toThrow();
  });

  it('a restore with its backup, roster and PIV site', () => {
    expect(run({ steps: [checkIn, restore], roster: roster(false), piv, backup, hsm: { tokens: ['root-ca'] } }).check).not.toThrow();
  });
});
