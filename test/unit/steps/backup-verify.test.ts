// backup.verify over a real 2-of-3 sealed backup set: each custodian's token opens their share (ECDH with the
// 9d key), the share matches its commitment and the token signs a receipt the roster verifies; a share file
// that is not the recorded one is refused for that custodian and fails the step, naming them.
import { describe, expect, it } from 'vitest';
import { backupVerify } from '../../../src/steps/backup-verify.js';
import { checkReceipt, type ShareReceipt } from '../../../src/custody/backup-manifest.js';
import { createBackupWorld } from './fakes/backup-world.js';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const bw = await createBackupWorld();
const s = scriptWith([step('verify', 'backup.verify', {})], { officers: 3 });
const answers = (extra: ConstructorParameters<typeof TablePrompter>[0] = {}) =>
  new TablePrompter({ records: { 'verify.backup-check-value': bw.kcv.toUpperCase() }, secrets: Object.fromEntries(bw.people.map((p) => [`${p.name}.piv-pin`, OFFICER_PIN])), ...extra });
const base = { script: s, stepId: 'verify', people: [ADMIN, WITNESS, ...bw.people], roster: bw.roster, backup: bw.backup };

describe('backup.verify', () => {
  it('every custodian opens their share and signs a receipt that verifies against the roster', async () => {
    const run = await runStep(backupVerify, { ...base, piv: new FakePivReader(bw.custodians), prompter: answers() });
    expect(run.events('backup-check-value-confirmed')).toEqual([{ what: 'backup-check-value-confirmed', kcv: bw.kcv, typed: bw.kcv }]);
    const receipts = run.events('share-receipt');
    expect(receipts.map((r) => r.officer)).toEqual(['custodian-1', 'custodian-2', 'custodian-3']);
    for (const r of receipts) expect(checkReceipt(bw.roster.body, r.receipt as unknown as ShareReceipt, String(r.signature)).ok).toBe(true);
    expect(run.result('Share 2: Officer custodian-2')).toMatch(/^device 20000002: opened, matches its commitment; receipt signed \(verified\): /);
  });

  it('a custodian not present is named on the page, the others verify', async () => {
    const run = await runStep(backupVerify, { ...base, piv: new FakePivReader(bw.custodians), prompter: answers({ confirm: [['verify#present:custodian-3', false]] }) });
    expect(run.events('custodian-not-present').map((e) => e.officer)).toEqual(['custodian-3']);
    expect(run.result('Share 3: Officer custodian-3')).toBe('not present: not verified in this ceremony');
  });

  it('a share file that is not the recorded one fails the step for its custodian', async () => {
    const file = bw.made.manifest.custodians[0].share_file;
    const tampered = { ...bw.backup, read: (rel: string) => (rel === file ? Buffer.from('{}') : bw.backup.read(rel)) };
    const { error, fake } = await failStep(backupVerify, { ...base, backup: tampered, piv: new FakePivReader(bw.custodians), prompter: answers() });
    expect(error.message).toMatch(/^1 share\(s\) did not open for their custodian: Officer custodian-1 \(share 1\): share file shares\/custodian-1\.share\.json of Officer custodian-1 is not the one recorded in the backup \(SHA-256 [0-9a-f]{16}…, recorded [0-9a-f]{16}…\): corrupted or replaced$/);
    expect(fake.events('share-receipt').map((r) => r.officer)).toEqual(['custodian-2', 'custodian-3']);
  });

  it('takes the check value as people copy it, in groups of four, and shows it so', async () => {
    const grouped = bw.kcv.replace(/(.{4})(?=.)/g, '$1 ');
    const prompter = answers({ records: { 'verify.backup-check-value': grouped } });
    const run = await runStep(backupVerify, { ...base, piv: new FakePivReader(bw.custodians), prompter });
    expect(run.events('backup-check-value-confirmed')).toEqual([{ what: 'backup-check-value-confirmed', kcv: bw.kcv, typed: bw.kcv }]);
    expect(prompter.said).toContain(`  Check value ${grouped}: matches the paper record`);
    expect(run.result('Backup')).toContain(`wrap key check value ${grouped}`);
  });

  it('a wrong check value typed from paper stops the step before any custodian is asked', async () => {
    const prompter = answers({ records: { 'verify.backup-check-value': '0'.repeat(32) } });
    const { error } = await failStep(backupVerify, { ...base, piv: new FakePivReader(bw.custodians), prompter });
    expect(error.message).toBe("the check value typed from paper does not match this backup's: read the paper record of ceremony backup-ceremony again; if it still differs, this is not that backup set: stop");
    expect(prompter.asked.filter((a) => a.kind === 'chooseDevice')).toEqual([]);
  });
});
