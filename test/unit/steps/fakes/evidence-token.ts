// An evidence token for unit tests: a fake HSM session holding an EC evidence key, and the site that pins its
// certificate (self-signed in that session, as evidence.init-key makes it), or a variant of either.
import { createHash } from 'node:crypto';
import type { EvidenceTokenSite, HsmSite } from '../../../../src/engine/step-kind.types.js';
import { pemToDer } from '../../../../src/custody/pem.js';
import { evidenceSubject } from '../../../../src/steps/evidence-init-key.js';
import { keyRecordJson } from '../../../../src/steps/hsm-generate-key.js';
import { certificateSerial, selfSignedCertificate } from '../../../../src/steps/shared/x509-in-hsm.js';
import { FakeHsmSession } from './fake-hsm.js';
import { SITE } from './step-context.js';

export interface EvidenceTokenOptions {
  rehearsal?: boolean;
  /** The certificate's subject; defaults to an evidence certificate's. */
  subject?: string;
  validityDays?: number;
}

export async function evidenceTokenWorld(o: EvidenceTokenOptions = {}): Promise<{ evidenceSession: FakeHsmSession; site: HsmSite; evidence: EvidenceTokenSite }> {
  const evidenceSession = new FakeHsmSession();
  const key = keyRecordJson(evidenceSession.generateKeyPair({ label: 'officiant-evidence', id: 'ee'.repeat(16), algorithm: 'EC-P256' }), 'ceremony evidence signing');
  const cert = await selfSignedCertificate(evidenceSession, key, {
    subject: o.subject ?? evidenceSubject({ CN: 'Unit evidence' }, o.rehearsal ?? true),
    serial: certificateSerial(evidenceSession),
    validityDays: o.validityDays ?? 30,
    ca: false,
  });
  const evidence: EvidenceTokenSite = {
    tokenLabel: 'unit-evidence',
    keyLabel: 'officiant-evidence',
    certificatePem: cert.pem,
    certificateSha256: createHash('sha256').update(pemToDer(cert.pem)).digest('hex'),
  };
  evidenceSession.signed.length = 0;
  return { evidenceSession, site: { ...SITE, evidence }, evidence };
}
