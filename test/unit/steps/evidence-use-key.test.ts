// evidence.use-key: the site's evidence token is activated and its key proven to be the one the site file
// pins: the certificate must match the pin, be an evidence certificate (not a rehearsal's in production, not
// expired), and the token must hold its key and sign a fresh challenge that verifies under it. The journal
// records the certificate with the token it lives on, and the key's SPKI the token reported.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { evidenceUseKey } from '../../../src/steps/evidence-use-key.js';
import { EVIDENCE_CERT_OP, EVIDENCE_CERT_PATH } from '../../../src/evidence/packet-files.js';
import { effectOutputs } from '../../../src/record/ledger.js';
import { dnString } from '../../../src/steps/shared/x509-in-hsm.js';
import { FakeHsmSession } from './fakes/fake-hsm.js';
import { evidenceTokenWorld, type EvidenceTokenOptions } from './fakes/evidence-token.js';
import { SITE, failStep, runStep } from './fakes/step-context.js';
import { ADMIN, WITNESS, scriptWith, step } from './fakes/scripts.js';

const holders = [{ name: 'Hal', role: 'holder' }, { name: 'Hoa', role: 'holder' }];
const people = [ADMIN, WITNESS, ...holders];
const s = scriptWith([step('evidence', 'evidence.use-key', { pin_holders: { role: 'holder', people: 2 } })], { extraRoles: { holder: { title: 'PIN holder', people: 2 } } });
const DAY = 24 * 3600 * 1000;

describe('evidence.use-key', () => {
  it('proves the pinned key on the evidence token and records its certificate there', async () => {
    const { evidenceSession, site, evidence } = await evidenceTokenWorld();
    const run = await runStep(evidenceUseKey, { script: s, stepId: 'evidence', people, evidenceSession, site });
    const [key] = evidenceSession.findKeys('officiant-evidence');
    const [record] = effectOutputs(run.journal.entries, EVIDENCE_CERT_OP);
    expect(record).toMatchObject({ label: 'officiant-evidence', id: key.id, algorithm: 'EC-P256', sha256: evidence.certificateSha256, token: 'unit-evidence' });
    const cert = new X509Certificate(run.outputs.get(EVIDENCE_CERT_PATH)!);
    expect(cert.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(evidence.certificateSha256);
    expect(record.spkiSha256).toMatch(/^[0-9a-f]{64}$/);
    // One test signature, made by the evidence key; the ceremony's own token is never touched.
    expect(evidenceSession.signed).toEqual([{ label: 'officiant-evidence', hash: 'SHA-256' }]);
    expect(run.result('Certificate SHA-256 (compare with the paper log)')).toBe(evidence.certificateSha256);
    expect(run.used).toEqual(new Set(['evidenceToken']));
  });

  type Row = [string, EvidenceTokenOptions & { rehearsal?: boolean; now?: Date }, (w: Awaited<ReturnType<typeof evidenceTokenWorld>>) => void, string];
  const rows: Row[] = [
    ['a certificate file that is not the pinned one', {}, (w) => void (w.evidence.certificateSha256 = 'ab'.repeat(32)), `is not the pinned ${'ab'.repeat(32)}`],
    ['a certificate that is not an evidence certificate', { subject: dnString({ CN: 'Release root' }) }, () => {}, 'is not an evidence certificate'],
    ['a rehearsal certificate in production', { rehearsal: false }, () => {}, "the pinned certificate is a rehearsal's"],
    ['an expired certificate', { now: new Date(Date.now() + 40 * DAY) }, () => {}, 'not now'],
    ['a token without the pinned key', {}, (w) => void (w.evidence.keyLabel = 'other-label'), 'no key labelled "other-label"'],
  ];
  it.each(rows)('refuses %s (env.evidence-key, nothing signed)', async (_, opts, spoil, message) => {
    const w = await evidenceTokenWorld({ ...opts, rehearsal: true });
    spoil(w);
    const { error } = await failStep(evidenceUseKey, { script: s, stepId: 'evidence', people, evidenceSession: w.evidenceSession, site: w.site, rehearsal: opts.rehearsal ?? true, now: opts.now });
    expect(error.code).toBe('env.evidence-key');
    expect(error.message).toContain('evidence token "unit-evidence"');
    expect(error.message).toContain(message);
    expect(w.evidenceSession.signed).toEqual([]);
  });

  it('refuses a key that signs something other than what its certificate holds', async () => {
    const w = await evidenceTokenWorld();
    const other = await evidenceTokenWorld();
    // Same label and certificate, but the token's key is another one: the SPKI does not match.
    const { error } = await failStep(evidenceUseKey, { script: s, stepId: 'evidence', people, evidenceSession: other.evidenceSession, site: w.site });
    expect(error.message).toContain('has the pinned certificate\'s public key');
  });

  it('without an evidence section in the site file: bad input naming what to add', async () => {
    const { error } = await failStep(evidenceUseKey, { script: s, stepId: 'evidence', people, evidenceSession: new FakeHsmSession(), site: SITE });
    expect(error.code).toBe('input.site-invalid');
    expect(error.message).toContain('ceremonies/evidence-token-init.yaml');
  });
});
