// evidence.use-key: activates the site's evidence token, made before the ceremony by
// ceremonies/evidence-token-init.yaml, and proves that its key is the one the site file pins: the certificate
// file must match the pinned SHA-256, be an evidence certificate (never an authority's), not be expired nor
// a rehearsal's in production, and the token must hold the key for it and sign a fresh challenge that
// verifies under the certificate. From then on every evidence page, the packet and its manifest are signed on
// that token, so a ceremony aborted before its keys exist is still signed, and the ceremony's own token is
// logged out as soon as its last step is done. The proof only reads the token, so a crash is reconciled by
// proving again.
import { X509Certificate, createHash, verify } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import { EVIDENCE_CERT_OP, EVIDENCE_CERT_PATH } from '../evidence/packet-files.js';
import type { EvidenceKeyRecord } from '../engine/evidence-signature.js';
import type { HsmSession } from '../engine/ports.js';
import type { EvidenceTokenSite, StepContext, StepHandler } from '../engine/step-kind.types.js';
import type { StepOf } from '../script/schema.js';
import { STEP_NEEDS } from '../script/step-needs.js';

/** What the subject of every evidence certificate says (evidence.init-key); an authority's never does. */
const EVIDENCE_ONLY = 'Key ceremony evidence only';

function prove(ctx: StepContext<StepOf<'evidence.use-key'>>, session: HsmSession, site: EvidenceTokenSite): EvidenceKeyRecord {
  const fail = (why: string) => new OfficiantError('env.evidence-key', `evidence token "${site.tokenLabel}": ${why}`);
  const cert = new X509Certificate(site.certificatePem);
  const sha256 = createHash('sha256').update(cert.raw).digest('hex');
  if (sha256 !== site.certificateSha256) throw fail(`the certificate's SHA-256 ${sha256} is not the pinned ${site.certificateSha256}`);
  if (!cert.subject.includes(EVIDENCE_ONLY)) throw fail(`the pinned certificate (${cert.subject.replace(/\n/g, ', ')}) is not an evidence certificate`);
  if (cert.subject.includes('REHEARSAL') && !ctx.rehearsal) throw fail('the pinned certificate is a rehearsal\'s; production evidence needs the production evidence token');
  const now = ctx.now();
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) throw fail(`the pinned certificate is valid from ${cert.validFrom} to ${cert.validTo}, not now`);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const key = session.findKeys(site.keyLabel).find((k) => k.spki.equals(spki));
  if (!key) throw fail(`no key labelled "${site.keyLabel}" has the pinned certificate's public key`);
  if (key.algorithm !== 'EC-P256' && key.algorithm !== 'EC-P384') throw fail(`key "${key.label}" is ${key.algorithm}; evidence keys are EC`);
  const hash = key.algorithm === 'EC-P384' ? 'SHA-384' : 'SHA-256';
  const challenge = session.random(32);
  const signature = session.sign({ label: key.label, id: key.id }, challenge, hash);
  if (!verify(hash, challenge, { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw fail(`key "${key.label}" signed a test challenge that does not verify under the pinned certificate`);
  return {
    label: key.label,
    id: key.id,
    algorithm: key.algorithm,
    pem: site.certificatePem.trim(),
    sha256,
    subject: cert.subject.replace(/\n/g, ', '),
    token: site.tokenLabel,
    spkiSha256: createHash('sha256').update(key.spki).digest('hex'),
  };
}

export const evidenceUseKey: StepHandler<'evidence.use-key'> = {
  kind: 'evidence.use-key',
  needs: STEP_NEEDS['evidence.use-key'],
  async run(ctx) {
    const site = ctx.site?.evidence;
    if (!site) throw new OfficiantError('input.site-invalid', `the site file names no evidence token for HSM profile "${ctx.site?.profile ?? '?'}" (its evidence section: token_label, key_label, certificate, certificate_sha256); make one with ceremonies/evidence-token-init.yaml`);
    const session = await ctx.evidenceSession();
    const actor = ctx.people(ctx.step.params.pin_holders.role)[0];
    const params = { token: site.tokenLabel, key: site.keyLabel, sha256: site.certificateSha256 };
    const record = await ctx.effect(EVIDENCE_CERT_OP, params, { run: () => ({ ...prove(ctx, session, site) }), reconcile: () => ({ ...prove(ctx, session, site) }) }, actor);
    ctx.setToken(session.token());
    ctx.result('Evidence token', `${site.tokenLabel} (serial ${session.token().serial})`);
    ctx.result('Evidence key', `${record.label} (${record.algorithm}), CKA_ID ${record.id}; signed a test challenge that verified under its certificate`);
    ctx.result('Certificate subject', record.subject);
    ctx.result('Certificate SHA-256 (compare with the paper log)', record.sha256);
    await ctx.writeOutput(EVIDENCE_CERT_PATH, `${record.pem}\n`);
  },
};
