// evidence.init-key: an EC key in the HSM and its self-signed, non-CA certificate whose subject says it signs
// evidence only (and REHEARSAL in rehearsals); the fingerprint people write down is the certificate's.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { evidenceInitKey } from '../../../src/steps/evidence-init-key.js';
import { EVIDENCE_CERT_OP, EVIDENCE_CERT_PATH } from '../../../src/evidence/packet-files.js';
import { effectOutputs } from '../../../src/record/ledger.js';
import { FakeHsmSession } from './fakes/fake-hsm.js';
import { failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const people = [ADMIN, WITNESS];
const s = scriptWith([step('evidence', 'evidence.init-key', { algorithm: 'EC-P384', subject: { CN: 'Evidence', O: 'Example' } })]);

describe('evidence.init-key', () => {
  it.each([
    [true, 'O=Example, OU=Key ceremony evidence only - never signs release artifacts or OTA manifests - REHEARSAL, CN=Evidence'],
    [false, 'O=Example, OU=Key ceremony evidence only - never signs release artifacts or OTA manifests, CN=Evidence'],
  ])('rehearsal %s: key, certificate and the fingerprint to read aloud', async (rehearsal, subject) => {
    const session = new FakeHsmSession();
    const run = await runStep(evidenceInitKey, { script: s, stepId: 'evidence', people, session, rehearsal });
    const [key] = session.findKeys('officiant-evidence');
    expect(key.algorithm).toBe('EC-P384');
    const cert = new X509Certificate(run.outputs.get(EVIDENCE_CERT_PATH)!.toString());
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe(subject.split(', ').join('\n'));
    expect(run.result('Certificate SHA-256 (read aloud, write down)')).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
    const [record] = effectOutputs(run.journal.entries, EVIDENCE_CERT_OP);
    expect(record).toMatchObject({ label: 'officiant-evidence', id: key.id, algorithm: 'EC-P384', subject });
    expect(session.signed).toEqual([{ label: 'officiant-evidence', hash: 'SHA-384' }]);
  });

  it('refuses an existing label', async () => {
    const session = new FakeHsmSession();
    session.otherLabels.add('officiant-evidence');
    const { error } = await failStep(evidenceInitKey, { script: s, stepId: 'evidence', people, session });
    expect([error.code, error.message]).toEqual(['env.key-label-used', 'a key labelled "officiant-evidence" already exists on token "unit-token"']);
  });
});
