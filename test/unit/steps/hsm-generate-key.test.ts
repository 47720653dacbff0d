// hsm.generate-key: the key record carries the public key as PEM and the SHA-256 of its DER SPKI; the CKA_ID
// drawn from the token is journaled in the intent before the call; a label in use is refused.
import { describe, expect, it } from 'vitest';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { hsmGenerateKey, keyRecordJson, publicKeyPath, spkiPem, spkiSha256 } from '../../../src/steps/hsm-generate-key.js';
import { FakeHsmSession } from './fakes/fake-hsm.js';
import { failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const gen = (backup: boolean) => scriptWith([step('gen', 'hsm.generate-key', { label: 'root', algorithm: 'EC-P384', authority: 'manifest', purpose: 'manifest root', backup })]);
const people = [ADMIN, WITNESS];

describe('keyRecordJson', () => {
  it.each(['ec', 'rsa'] as const)('%s: PEM and SHA-256 describe the same public key', (type) => {
    const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
    const rec = keyRecordJson({ label: 'k', id: '01', algorithm: 'EC-P256', spki, attributes: {} as never }, 'testing');
    expect(createPublicKey(rec.spkiPem).export({ type: 'spki', format: 'der' }).equals(spki)).toBe(true);
    expect(rec.spkiSha256).toBe(createHash('sha256').update(spki).digest('hex'));
    expect(rec).toMatchObject({ label: 'k', id: '01', algorithm: 'EC-P256', purpose: 'testing' });
    expect(spkiPem(spki)).toBe(rec.spkiPem);
    expect(spkiSha256(spki)).toBe(rec.spkiSha256);
  });

  it('names the public key file after the label', () => {
    expect(publicKeyPath('root')).toBe('outputs/root.pub.pem');
  });
});

describe('hsm.generate-key', () => {
  it.each([false, true])('generates on the token with the journaled CKA_ID and writes the public key (backup: %s)', async (backup) => {
    const session = new FakeHsmSession();
    const run = await runStep(hsmGenerateKey, { script: gen(backup), stepId: 'gen', people, session });
    const intent = run.journal.entries.find((e) => e.type === 'intent' && e.data.op === 'hsm.generate-key')!;
    const [held] = session.findKeys('root');
    expect(intent.data.params).toEqual({ label: 'root', algorithm: 'EC-P384', id: held.id, ...(backup ? { backup: true } : {}) });
    expect(intent.actor).toBe('Ada Admin (Ceremony Administrator)');
    expect(held.id).toMatch(/^[0-9a-f]{32}$/);
    expect(held.attributes.extractable).toBe(backup);
    expect(run.ctx.generatedKey('root')).toEqual(keyRecordJson(held, 'manifest root'));
    expect(run.outputs.get('outputs/root.pub.pem')!.toString()).toBe(spkiPem(held.spki));
    expect(run.result('Public key SHA-256 (SPKI)')).toBe(spkiSha256(held.spki));
    expect(run.result('Backup') !== undefined).toBe(backup);
    expect(run.token?.serial).toBe('f00d0001');
    expect([...run.used]).toEqual(['hsm']);
  });

  it('refuses a label already on the token and makes no key', async () => {
    const session = new FakeHsmSession();
    session.otherLabels.add('root');
    const { error } = await failStep(hsmGenerateKey, { script: gen(false), stepId: 'gen', people, session });
    expect([error.code, error.message]).toEqual(['env.key-label-used', 'a key labelled "root" already exists on token "unit-token"']);
    expect(session.keys).toEqual([]);
  });
});
