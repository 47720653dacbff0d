// hsm.inspect-key: the key read back must be the one generated (CKA_ID and public key) and its attributes must
// prove it never left the HSM, or for a backup key that it leaves only wrapped under an SO-trusted key.
import { describe, expect, it } from 'vitest';
import { hsmInspectKey, requiredAttributes, wrongAttributes } from '../../../src/steps/hsm-inspect-key.js';
import { hsmGenerateKey } from '../../../src/steps/hsm-generate-key.js';
import { attributesFor, FakeHsmSession } from './fakes/fake-hsm.js';
import { failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';
import type { KeyAttributes } from '../../../src/engine/ports.js';

const people = [ADMIN, WITNESS];
const s = (backup: boolean) => scriptWith([step('gen', 'hsm.generate-key', { label: 'root', algorithm: 'EC-P256', authority: 'manifest', purpose: 'manifest root', backup }), step('inspect', 'hsm.inspect-key', { key: 'root' })]);

describe('wrongAttributes', () => {
  it.each<[string, boolean, Partial<KeyAttributes>, string[]]>([
    ['a key born in the HSM that never leaves it', false, {}, []],
    ['extractable', false, { extractable: true }, ['CKA_EXTRACTABLE']],
    ['imported, once in the clear', false, { local: false, alwaysSensitive: false, neverExtractable: false }, ['CKA_LOCAL', 'CKA_NEVER_EXTRACTABLE', 'CKA_ALWAYS_SENSITIVE']],
    ['a backup key as generated', true, {}, []],
    ['a backup key that could leave under any key', true, { wrapWithTrusted: false }, ['CKA_WRAP_WITH_TRUSTED']],
    ['a backup key that claims never to be extractable', true, { neverExtractable: true }, ['CKA_NEVER_EXTRACTABLE']],
  ])('%s', (_n, backup, change, wrong) => {
    expect(wrongAttributes({ ...attributesFor(backup), ...change }, backup)).toEqual(wrong);
  });

  it('a backup key must also show CKA_WRAP_WITH_TRUSTED', () => {
    expect(requiredAttributes(true).map(([, , cka]) => cka)).toContain('CKA_WRAP_WITH_TRUSTED');
    expect(requiredAttributes(false).map(([, , cka]) => cka)).not.toContain('CKA_WRAP_WITH_TRUSTED');
  });
});

describe('hsm.inspect-key', () => {
  async function generated(backup: boolean) {
    const session = new FakeHsmSession();
    const gen = await runStep(hsmGenerateKey, { script: s(backup), stepId: 'gen', people, session });
    return { session, journal: gen.journal };
  }

  it.each([false, true])('records the attributes and writes the inspection (backup: %s)', async (backup) => {
    const { session, journal } = await generated(backup);
    const run = await runStep(hsmInspectKey, { script: s(backup), stepId: 'inspect', people, session, journal });
    expect(run.result('CKA_EXTRACTABLE')).toBe(String(backup));
    expect(run.result('CKA_LOCAL')).toBe('true');
    const inspection = JSON.parse(run.outputs.get('outputs/root.inspection.json')!.toString());
    expect(inspection).toMatchObject({ label: 'root', id: session.keys[0].record.id, attributes: attributesFor(backup), token: { serial: 'f00d0001' } });
    expect(run.result('Backup') !== undefined).toBe(backup);
  });

  it('refuses attributes that do not prove the key never left the HSM, showing the expected values', async () => {
    const { session, journal } = await generated(false);
    session.keys[0].record.attributes.extractable = true;
    const { error, fake } = await failStep(hsmInspectKey, { script: s(false), stepId: 'inspect', people, session, journal });
    expect(error.message).toBe('key "root" attributes do not prove it never left the HSM: CKA_EXTRACTABLE');
    expect(fake.result('CKA_EXTRACTABLE')).toBe('true  (expected false)');
  });

  it('refuses a key on the token that is not the one generated', async () => {
    const { session, journal } = await generated(false);
    session.keys.length = 0;
    session.generateKeyPair({ label: 'root', id: 'ff'.repeat(16), algorithm: 'EC-P256' });
    const { error } = await failStep(hsmInspectKey, { script: s(false), stepId: 'inspect', people, session, journal });
    expect(error.message).toBe('key "root" on the token is not the key generated earlier (CKA_ID or public key differs)');
  });

  it('fails without a generation record, before touching the token', async () => {
    const { error, fake } = await failStep(hsmInspectKey, { script: s(false), stepId: 'inspect', people, session: new FakeHsmSession() });
    expect(error.message).toBe('key "root" has no generation record in the journal');
    expect(fake.used.size).toBe(0);
  });
});
