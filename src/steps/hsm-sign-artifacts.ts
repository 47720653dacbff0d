// hsm.sign-artifacts: one logged-in session of the release token signs the SHA-256 of every staged artifact with
// the release key (RSA PKCS#1 v1.5 or ECDSA, by key type), each staged file hashed again just before (a file
// changed after staging refuses the batch before anything in it is signed). Each signature is written as
// signatures/<name>.sig in staging, in the form `openssl dgst -sha256 -verify` reads. Journaled per batch of
// artifacts (intent, signatures, result). Re-entered after a crash or a retry, a signature already written that
// verifies over its staged file is kept, so an artifact is signed again only if its signature was lost before it
// reached the disk.
import { join } from 'node:path';
import { OfficiantError } from '../errors.js';
import { sha256Hex } from '../record/digest.js';
import { canonicalJson } from '../record/canonical-json.js';
import { lastApprovalOf, releaseSubjectOf } from '../custody/quorum.js';
import { p1363ToDer } from '../evidence/cms.js';
import { spkiSha256 } from '../custody/deny-list.js';
import { createPublicKey } from 'node:crypto';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { openRelease, POLICY_CHECKED, requireEvent, STAGED_ARTIFACTS, STAGED_SIGNATURES } from './shared/release-session.js';

export const hsmSignArtifacts: StepHandler<'hsm.sign-artifacts'> = {
  kind: 'hsm.sign-artifacts',
  needs: STEP_NEEDS['hsm.sign-artifacts'],
  async run(ctx) {
    const r = openRelease(ctx);
    requireEvent(ctx, POLICY_CHECKED, 'policy.check');
    // Only what the officers approved is signed: the last approval of this step must name this very release.
    const last = lastApprovalOf(ctx.entries(), ctx.step.id)?.statement.approve;
    const approved = last?.what === 'step' ? last.release : undefined;
    const now = releaseSubjectOf(ctx.entries());
    if (!approved || !now || canonicalJson(approved) !== canonicalJson(now)) {
      throw new OfficiantError('ceremony.step-failed', `no approval of step ${ctx.step.id} names this release (request ${r.request.requestId}): officers approve the release after it is loaded, staged and checked, and before it is signed`);
    }
    const { files, staging } = r.inputs;
    const label = ctx.step.params.key;
    const session = await ctx.session();
    const found = session.findKeys(label);
    if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one key "${label}" on token ${session.token().label}, found ${found.length}`);
    const key = found[0];
    const spki = spkiSha256(createPublicKey({ key: key.spki, format: 'der', type: 'spki' }));
    if (spki !== r.certificate.spkiSha256) throw new OfficiantError('ceremony.step-failed', `key "${label}" on the token (SPKI SHA-256 ${spki}) is not the key in the authority's certificate (${r.certificate.spkiSha256})`);
    const ec = key.algorithm.startsWith('EC');
    const artifacts = join(staging, STAGED_ARTIFACTS);
    const sigDir = join(staging, STAGED_SIGNATURES);
    const list = r.request.artifacts;
    const batchSize = ctx.step.params.batch;
    let signedNow = 0;
    const sigDigests: string[] = [];
    for (let from = 0; from < list.length; from += batchSize) {
      const batch = list.slice(from, from + batchSize);
      // Each batch is an effect of its own (its op names where it starts): a recorded batch is not the next one.
      const out = await ctx.effect(`hsm.sign-artifacts:${from}`, { key: label, from, count: batch.length, first: batch[0].name }, {
        run: () => {
          const changed: string[] = [];
          for (const a of batch) {
            const now = files.hash(join(artifacts, a.name));
            if (now.size !== a.size || now.sha256 !== a.sha256) changed.push(`${a.name}: staged copy is now SHA-256 ${now.sha256} (${now.size} bytes), the request's is ${a.sha256}`);
          }
          if (changed.length > 0) throw new OfficiantError('ceremony.step-failed', `staged file(s) changed after staging; nothing in this batch was signed: ${changed.join('; ')}`, { details: changed });
          // Signatures that reached the disk before an interruption and verify are kept.
          const todo = batch.filter((a) => {
            const sig = files.readFile(join(sigDir, `${a.name}.sig`));
            return !sig || !files.verifyFile(join(artifacts, a.name), sig, r.certificate.publicKey);
          });
          const made = todo.length > 0 ? session.signDigests({ label: key.label, id: key.id }, todo.map((a) => Buffer.from(a.sha256, 'hex'))) : [];
          todo.forEach((a, i) => files.writeFile(join(sigDir, `${a.name}.sig`), ec ? p1363ToDer(made[i]) : made[i]));
          signedNow += todo.length;
          const digests = batch.map((a) => sha256Hex(files.readFile(join(sigDir, `${a.name}.sig`))!));
          return { signed: todo.length, kept: batch.length - todo.length, signatures_sha256: sha256Hex(digests.join('\n')), signatures: digests };
        },
      });
      sigDigests.push(...((out as { signatures: string[] }).signatures ?? []));
    }
    ctx.event('artifacts-signed', { key: label, spki_sha256: spki, artifacts: list.length, signatures_sha256: sha256Hex(sigDigests.join('\n')) });
    ctx.result('Signed with', `${label} (${key.algorithm}), SPKI SHA-256 ${spki}, on token ${session.token().label}`);
    ctx.result('Signatures', `${list.length} (${signedNow} made in this attempt), one per artifact, in ${sigDir}`);
    ctx.result('Signature list SHA-256', sha256Hex(sigDigests.join('\n')));
  },
};
