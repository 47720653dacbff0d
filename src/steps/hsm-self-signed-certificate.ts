// hsm.self-signed-certificate: makes the authority's root certificate with @peculiar/x509, the signature
// computed inside the HSM by the generated key (never outside). The certificate is journaled in the
// operation's result, so a resume writes the same certificate instead of signing a second, different one.
import { OfficiantError } from '../errors.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { certificateSerial, dnString, selfSignedCertificate } from './shared/x509-in-hsm.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export const hsmSelfSignedCertificate: StepHandler<'hsm.self-signed-certificate'> = {
  kind: 'hsm.self-signed-certificate',
  needs: STEP_NEEDS['hsm.self-signed-certificate'],
  async run(ctx) {
    const { key: label, subject, validity_days, path_length } = ctx.step.params;
    const key = ctx.generatedKey(label);
    if (!key) throw new OfficiantError('ceremony.step-failed', `key "${label}" has no generation record in the journal`);
    const session = await ctx.session();
    const serial = certificateSerial(session);
    const cert = await ctx.effect(
      'hsm.sign-certificate',
      { key: label, subject: dnString(subject), serial: serial.toString('hex') },
      { run: () => selfSignedCertificate(session, key, { subject: dnString(subject), serial, validityDays: validity_days, ca: true, pathLength: path_length }) },
      ctx.people(ctx.step.perform)[0],
    );
    ctx.setToken(session.token());
    ctx.result('Subject', cert.subject);
    ctx.result('Serial', cert.serial);
    ctx.result('Valid', `${cert.notBefore} to ${cert.notAfter}`);
    ctx.result('Certificate SHA-256', cert.sha256);
    ctx.result('Subject public key SHA-256', key.spkiSha256);
    await ctx.writeOutput(`outputs/${label}.cert.pem`, `${cert.pem}\n`);
  },
};
