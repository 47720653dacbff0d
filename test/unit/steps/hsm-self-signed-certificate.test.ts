// hsm.self-signed-certificate: the root certificate of a key generated earlier, signed in the HSM, written as
// PEM; the certificate is journaled in the operation's result, so a resume writes the same one.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { hsmSelfSignedCertificate } from '../../../src/steps/hsm-self-signed-certificate.js';
import { hsmGenerateKey } from '../../../src/steps/hsm-generate-key.js';
import { FakeHsmSession } from './fakes/fake-hsm.js';
import { createStepContext, failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const people = [ADMIN, WITNESS];
const s = scriptWith([
  step('gen', 'hsm.generate-key', { label: 'root', algorithm: 'EC-P256', authority: 'manifest', purpose: 'manifest root' }),
  step('cert', 'hsm.self-signed-certificate', { key: 'root', subject: { CN: 'Manifest Root', O: 'Example' }, validity_days: 365, path_length: 0 }),
]);

describe('hsm.self-signed-certificate', () => {
  it('writes a CA certificate for the generated key that verifies with it', async () => {
    const session = new FakeHsmSession();
    const gen = await runStep(hsmGenerateKey, { script: s, stepId: 'gen', people, session });
    const run = await runStep(hsmSelfSignedCertificate, { script: s, stepId: 'cert', people, session, journal: gen.journal });
    const pem = run.outputs.get('outputs/root.cert.pem')!.toString();
    const cert = new X509Certificate(pem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(gen.ctx.generatedKey('root')!.spkiPem);
    expect(run.result('Subject')).toBe('O=Example, CN=Manifest Root');
    expect(run.result('Certificate SHA-256')).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(run.result('Subject public key SHA-256')).toBe(gen.ctx.generatedKey('root')!.spkiSha256);
    const intent = run.journal.entries.find((e) => e.type === 'intent' && e.data.op === 'hsm.sign-certificate')!;
    expect(intent.data.params).toEqual({ key: 'root', subject: 'O=Example, CN=Manifest Root', serial: cert.serialNumber.toLowerCase() });
  });

  it('on a second run (resume) writes the journaled certificate without signing again', async () => {
    const session = new FakeHsmSession();
    const gen = await runStep(hsmGenerateKey, { script: s, stepId: 'gen', people, session });
    const first = await runStep(hsmSelfSignedCertificate, { script: s, stepId: 'cert', people, session, journal: gen.journal });
    const signed = session.signed.length;
    const again = createStepContext({ script: s, stepId: 'cert', people, session, journal: first.journal, needs: hsmSelfSignedCertificate.needs });
    await hsmSelfSignedCertificate.run(again.ctx as never);
    expect(session.signed.length).toBe(signed);
    expect(again.outputs.get('outputs/root.cert.pem')!.equals(first.outputs.get('outputs/root.cert.pem')!)).toBe(true);
  });

  it('fails without a generation record', async () => {
    const { error } = await failStep(hsmSelfSignedCertificate, { script: s, stepId: 'cert', people, session: new FakeHsmSession() });
    expect(error.message).toBe('key "root" has no generation record in the journal');
  });
});
