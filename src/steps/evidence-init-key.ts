// evidence.init-key: creates the ceremony environment's evidence-signing key inside the HSM (EC, sensitive,
// non-extractable) and its self-signed certificate naming its purpose. From the step on, every evidence page,
// the packet and its manifest are signed by this key; pages recorded earlier are signed right after it exists.
// It is never an authority key: it signs evidence only. Its certificate fingerprint is shown for people to
// write down and compare with what verify prints.
import { OfficiantError } from '../errors.js';
import { keyRecordJson } from './hsm-generate-key.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { certificateSerial, dnString, selfSignedCertificate } from './shared/x509-in-hsm.js';

import { EVIDENCE_CERT_OP, EVIDENCE_CERT_PATH } from '../evidence/packet-files.js';
import type { StepOf } from '../script/schema.js';
import { STEP_NEEDS } from '../script/step-needs.js';

/** The subject of an evidence certificate: its OU says what it signs, and a rehearsal's says so. */
export function evidenceSubject(subject: StepOf<'evidence.init-key'>['params']['subject'], rehearsal: boolean): string {
  return dnString({ OU: `Key ceremony evidence only - never signs release artifacts or OTA manifests${rehearsal ? ' - REHEARSAL' : ''}`, ...subject });
}

export const evidenceInitKey: StepHandler<'evidence.init-key'> = {
  kind: 'evidence.init-key',
  needs: STEP_NEEDS['evidence.init-key'],
  async run(ctx) {
    const { label, algorithm, subject, validity_days } = ctx.step.params;
    const session = await ctx.session();
    const id = session.random(16).toString('hex');
    const key = await ctx.effect(
      'hsm.generate-key',
      { label, algorithm, id },
      {
        run: () => {
          if (session.labelInUse(label)) throw new OfficiantError('env.key-label-used', `a key labelled "${label}" already exists on token "${ctx.site!.tokenLabel}"`);
          return keyRecordJson(session.generateKeyPair({ label, id, algorithm }), 'ceremony evidence signing');
        },
        reconcile: (intent) => {
          const mine = session.findKeys(label).find((k) => k.id === intent.id);
          return mine ? keyRecordJson(mine, 'ceremony evidence signing') : undefined;
        },
      },
      ctx.people(ctx.step.perform)[0],
    );
    const serial = certificateSerial(session);
    const name = evidenceSubject(subject, ctx.rehearsal);
    const cert = await ctx.effect(
      EVIDENCE_CERT_OP,
      { key: label, subject: name, serial: serial.toString('hex') },
      {
        run: async () => ({
          ...(await selfSignedCertificate(session, key, { subject: name, serial, validityDays: validity_days, ca: false })),
          label: key.label,
          id: key.id,
          algorithm: key.algorithm,
        }),
      },
      ctx.people(ctx.step.perform)[0],
    );
    ctx.setToken(session.token());
    ctx.result('Evidence key', `${key.label} (${key.algorithm}), CKA_ID ${key.id}`);
    ctx.result('Certificate subject', cert.subject);
    ctx.result('Certificate SHA-256 (read aloud, write down)', cert.sha256);
    ctx.result('Purpose', 'signs this ceremony environment\'s evidence pages, packets and manifests; nothing else');
    await ctx.writeOutput(EVIDENCE_CERT_PATH, `${cert.pem}\n`);
  },
};
