// The evidence key: certificate.pem is a readable EC certificate, the one the journal recorded as made in this
// ceremony's HSM, and, when the auditor pins one (--trust: PEM or SHA-256 of the DER), the trusted one.
// Without a pin the report carries the fingerprint to compare out of band.
import { EVIDENCE_CERT_OP, EVIDENCE_CERT_PATH as EVIDENCE_CERT, JOURNAL } from '../packet-files.js';
import type { Context, Group } from './check-context.js';
import { isObject, short, str } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';
import { parseCertificate, pemCertificateDer } from './evidence-certificate.js';
import type { PacketTrust } from './packet-report.types.js';

import { normalizeFingerprint } from '../../record/fingerprint.js';

export { normalizeFingerprint };

export function loadEvidenceCert(g: Group, ctx: Context): void {
  const bytes = ctx.files.get(EVIDENCE_CERT);
  if (!bytes) return g.fail(`${EVIDENCE_CERT}: missing (nothing in the packet can be checked as signed)`);
  const der = pemCertificateDer(bytes.toString('utf8'));
  if (!der) return g.fail(`${EVIDENCE_CERT}: not a PEM certificate`);
  const cert = parseCertificate(der);
  if (typeof cert === 'string') return g.fail(`${EVIDENCE_CERT}: ${cert}`);
  ctx.cert = cert;
}

export function checkEvidenceKey(g: Group, ctx: Context, trust: PacketTrust | undefined): void {
  const { cert } = ctx;
  if (!cert) return;
  // The journal says which certificate this ceremony made in its HSM.
  const output = [...ctx.entries]
    .reverse()
    .filter((e) => e.type === 'result' && e.data.op === EVIDENCE_CERT_OP && e.data.ok === true)
    .map((e) => (isObject(e.data.output) ? e.data.output : undefined))[0];
  const recorded = output ? str(output.sha256) : undefined;
  if (recorded === undefined) g.fail(`${EVIDENCE_CERT}: ${JOURNAL} records no evidence certificate (${EVIDENCE_CERT_OP})`);
  else if (recorded !== cert.sha256) g.fail(`${EVIDENCE_CERT}: SHA-256 ${short(cert.sha256)} is not the certificate ${JOURNAL} recorded (${short(recorded)})`);
  // A key proven on the site's evidence token must be the one the site pinned when the ceremony started.
  if (output && output.token !== undefined) {
    const site = isObject(ctx.entries[0]?.data.site) ? ctx.entries[0].data.site : undefined;
    const pinned = site && isObject(site.evidence) ? site.evidence : undefined;
    if (!pinned || pinned.certificateSha256 !== cert.sha256 || pinned.tokenLabel !== output.token) {
      g.fail(`${EVIDENCE_CERT}: the evidence key on token ${JSON.stringify(output.token)} is not the one the site pinned when the ceremony started (${pinned ? short(String(pinned.certificateSha256)) : 'none'})`);
    }
  }
  if (!trust || (trust.certificatePem === undefined && trust.sha256 === undefined)) {
    g.note(`evidence key ${cert.sha256} — compare out of band`);
    return;
  }
  let trusted: string | undefined;
  if (trust.certificatePem !== undefined) {
    const der = pemCertificateDer(trust.certificatePem);
    if (!der) return g.fail(`--trust: not a PEM certificate`);
    trusted = sha256Hex(der);
  } else {
    trusted = normalizeFingerprint(trust.sha256!);
    if (!trusted) return g.fail(`--trust: ${JSON.stringify(trust.sha256)} is not a SHA-256 fingerprint (64 hex digits)`);
  }
  if (trusted !== cert.sha256) g.fail(`${EVIDENCE_CERT}: evidence key ${cert.sha256} is not the trusted ${trusted}`);
  else g.note(`evidence key ${cert.sha256} — matches --trust`);
}
