// hsm.sign-artifacts on a fake HSM with real RSA keys and the real file adapter: every staged artifact is signed
// once, each signature verifies over the staged file under the authority's certificate, a second run keeps the
// signatures already on disk (no new HSM signature), and nothing is signed when a staged file changed after
// staging or when no approval names this release (an approval placed before the release was loaded).
import { createVerify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hsmSignArtifacts } from '../../../src/steps/hsm-sign-artifacts.js';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { createReleaseWorld, overwriteStaged } from './fakes/release-world.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { failStep, runStep } from './fakes/step-context.js';

const w = await createReleaseWorld();
const base = () => ({ piv: new FakePivReader(w.rw.officers), prompter: new TablePrompter({ secrets: Object.fromEntries(w.officers.map((o) => [`${o.name}.piv-pin`, OFFICER_PIN])) }) });

describe('hsm.sign-artifacts', () => {
  it('signs each staged artifact once; a second run keeps the signatures on disk', async () => {
    const o = await w.chain('sign', base());
    const before = w.session.signed.length;
    const fake = await runStep(hsmSignArtifacts, o);
    expect(w.session.signed.length - before).toBe(2);
    const cert = new X509Certificate(o.release!.certificate.bytes);
    for (const name of ['system.img', 'app.apk']) {
      const v = createVerify('sha256').update(readFileSync(join(o.release!.staging, 'artifacts', name)));
      expect(v.verify(cert.publicKey, readFileSync(join(o.release!.staging, 'signatures', `${name}.sig`))), name).toBe(true);
    }
    // Re-entered (a retry, or a resume whose batch result was lost): nothing signed again.
    await runStep(hsmSignArtifacts, { ...o, journal: undefined, earlier: fake.journal.entries.slice(1).filter((e) => e.type !== 'intent' && e.type !== 'result') as never });
    expect(w.session.signed.length - before).toBe(2);
  });

  it('signs every batch when the release spans several (batches of one here), each batch an effect of its own', async () => {
    const script = { ...w.script, steps: w.script.steps.map((s) => (s.kind === 'hsm.sign-artifacts' ? { ...s, params: { ...s.params, batch: 1 } } : s)) };
    const o = await w.chain('sign', { ...base(), script });
    const before = w.session.signed.length;
    const fake = await runStep(hsmSignArtifacts, o);
    expect(w.session.signed.length - before).toBe(2);
    expect(fake.journal.entries.filter((e) => e.type === 'intent' && e.step === 'sign').map((e) => e.data.op)).toEqual(['hsm.sign-artifacts:0', 'hsm.sign-artifacts:1']);
    for (const name of ['system.img', 'app.apk']) expect(readFileSync(join(o.release!.staging, 'signatures', `${name}.sig`)).length, name).toBe(256);
  });

  it('signs nothing when a staged file changed after staging', async () => {
    const o = await w.chain('sign', base());
    overwriteStaged(o.release!.staging, 'app.apk', Buffer.alloc(500, 1));
    const before = w.session.signed.length;
    const { error } = await failStep(hsmSignArtifacts, o);
    expect(error.message).toMatch(/^staged file\(s\) changed after staging; nothing in this batch was signed: app\.apk: staged copy is now SHA-256/);
    expect(w.session.signed.length).toBe(before);
  });

  it('signs nothing when no approval names this release', async () => {
    const [checkIn, load, stage, check, approve, ...rest] = w.script.steps;
    const early = { ...w.script, steps: [checkIn, approve, load, stage, check, ...rest] };
    const o = await w.chain('sign', { ...base(), script: early });
    const before = w.session.signed.length;
    const { error } = await failStep(hsmSignArtifacts, o);
    expect(error.message).toContain('no approval of step sign names this release');
    expect(w.session.signed.length).toBe(before);
  });
});
