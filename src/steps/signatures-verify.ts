// signatures.verify: every signature checked in software against the public key in the authority's certificate
// (not the HSM's word that it signed), over the staged file's bytes, and every staged file hashed again against
// the request. Reads only; nothing to journal but what it found.
import { join } from 'node:path';
import { OfficiantError } from '../errors.js';
import { sha256Hex } from '../record/digest.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { openRelease, requireEvent, SIGNATURES_VERIFIED, STAGED_ARTIFACTS, STAGED_SIGNATURES } from './shared/release-session.js';

export const signaturesVerify: StepHandler<'signatures.verify'> = {
  kind: 'signatures.verify',
  needs: STEP_NEEDS['signatures.verify'],
  async run(ctx) {
    const r = openRelease(ctx);
    const signed = requireEvent(ctx, 'artifacts-signed', 'hsm.sign-artifacts');
    const { files, staging } = r.inputs;
    const problems: string[] = [];
    const digests: string[] = [];
    for (const a of r.request.artifacts) {
      const file = join(staging, STAGED_ARTIFACTS, a.name);
      const now = files.hash(file);
      if (now.size !== a.size || now.sha256 !== a.sha256) problems.push(`${a.name}: staged copy is SHA-256 ${now.sha256} (${now.size} bytes), the request's is ${a.sha256}`);
      const sig = files.readFile(join(staging, STAGED_SIGNATURES, `${a.name}.sig`));
      if (!sig) {
        problems.push(`${a.name}: no signature file`);
        continue;
      }
      digests.push(sha256Hex(sig));
      if (!files.verifyFile(file, sig, r.certificate.publicKey)) problems.push(`${a.name}: its signature does not verify under the authority's certificate`);
    }
    if (problems.length === 0 && sha256Hex(digests.join('\n')) !== signed.signatures_sha256) problems.push('the signature files are not the ones the signing step recorded');
    if (problems.length > 0) throw new OfficiantError('ceremony.step-failed', `signature check failed: ${problems.slice(0, 20).join('; ')}`, { details: problems });
    ctx.event(SIGNATURES_VERIFIED, { artifacts: r.request.artifacts.length, certificate_sha256: r.certificate.sha256, signatures_sha256: String(signed.signatures_sha256) });
    ctx.result('Verified in software', `${r.request.artifacts.length} signature(s) under the authority's certificate ${r.certificate.sha256} (${r.certificate.subject})`);
    ctx.result('Staged files hashed again', `${r.request.artifacts.length}, each as the request lists it`);
  },
};
