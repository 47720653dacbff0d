// The enrollment CA of the roster a ceremony started with, for piv.enroll into a live roster: its key is found on
// the enrollment HSM by label and must be the key of the CA certificate the roster names (a key of that label
// that is not the roster's CA certifies nobody the roster will accept). Journaled once per step.
import 'reflect-metadata';
import { X509Certificate as NodeCertificate, createHash, createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { OfficiantError } from '../../errors.js';
import type { GeneratedKey, StepContext } from '../../engine/step-kind.types.js';
import type { CertificateRecord } from './x509-in-hsm.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function rosterIssuer(ctx: StepContext, label: string): Promise<{ key: GeneratedKey; cert: CertificateRecord }> {
  const roster = ctx.rosterIfAny()?.body;
  if (!roster) throw new OfficiantError('ceremony.step-failed', `enrolling with the roster's enrollment CA ("${label}") needs the roster: give --roster <roster.json> (rehearsals: --officers <enrollment rehearsal dir>)`);
  const session = await ctx.session();
  const found = session.findKeys(label);
  if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `the roster's enrollment CA key "${label}": expected one key with that label on token ${session.token().label}, found ${found.length}`);
  const key = found[0];
  const caPem = roster.enrollment_ca.pem;
  const caSpki = new NodeCertificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  if (!caSpki.equals(key.spki)) {
    throw new OfficiantError('ceremony.step-failed', `key "${label}" on token ${session.token().label} is not the enrollment CA of roster version ${roster.version} (${roster.enrollment_ca.subject}): officers it certified would be refused`);
  }
  const ca = new x509.X509Certificate(caPem);
  // The key's SPKI equals the roster CA's (checked above): it reads.
  const spkiPem = createPublicKey({ key: key.spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
  const cert: CertificateRecord = { pem: ca.toString('pem'), sha256: roster.enrollment_ca.sha256, serial: ca.serialNumber, notBefore: ca.notBefore.toISOString(), notAfter: ca.notAfter.toISOString(), subject: ca.subject };
  if (new Date(cert.notAfter) < ctx.now()) throw new OfficiantError('ceremony.step-failed', `the roster's enrollment CA certificate expired on ${cert.notAfter}`);
  ctx.event('enrollment-ca', { label, key_id: key.id, spki_sha256: sha256(key.spki), certificate_sha256: cert.sha256, roster_version: roster.version });
  return { key: { label: key.label, id: key.id, algorithm: key.algorithm, purpose: "the roster's enrollment CA", spkiPem, spkiSha256: sha256(key.spki) }, cert };
}
