// release.publish: the release bundle, written atomically (built in a temporary directory beside it, then
// renamed): the request as loaded, the authority's certificate, each staged artifact and its signature, and the
// release statement (an in-toto Statement of every artifact's digest and its signature file's digest, the
// approval statement's digest and the ceremony) signed inside the HSM by the release key, detached, in the form
// openssl checks. Then the authority's signing log gets this session's line. Both are journaled effects; after a
// crash a bundle already in place (with this ceremony's statement) and a log line already appended are kept.
import { join } from 'node:path';
import { OfficiantError } from '../errors.js';
import { sha256Hex } from '../record/digest.js';
import { artifactsDigest, lastVersion, signedRequest, signingLogLine, type SigningLogEntry } from '../record/signing-log.js';
import { p1363ToDer } from '../evidence/cms.js';
import { RELEASE_OUTPUTS } from '../evidence/packet-files.js';
import { BUNDLE, releaseStatement, statementBytes, type ReleaseKind } from '../custody/release-bundle.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { GATES_PASSED, openRelease, requireEvent, signingLog, STAGED_ARTIFACTS, STAGED_SIGNATURES } from './shared/release-session.js';

export const releasePublish: StepHandler<'release.publish'> = {
  kind: 'release.publish',
  needs: STEP_NEEDS['release.publish'],
  async run(ctx) {
    const r = openRelease(ctx);
    const gates = requireEvent(ctx, GATES_PASSED, 'release.gates');
    if (gates.passed !== true) throw new OfficiantError('ceremony.step-failed', 'the release gates did not pass: nothing is published');
    const { files, staging, bundle } = r.inputs;
    const approval = ctx.entries().filter((e) => e.type === 'step.event' && e.data.what === 'approval-statement').pop();
    if (!approval) throw new OfficiantError('ceremony.step-failed', 'no approval statement in the journal: a release is published only after its approval');
    const ref = ctx.ceremonyRef();
    const q = r.request;
    const sigs = q.artifacts.map((a) => files.readFile(join(staging, STAGED_SIGNATURES, `${a.name}.sig`)));
    if (sigs.some((s) => !s)) throw new OfficiantError('ceremony.step-failed', 'a signature file is missing from staging');
    const key = r.policy.body.keys.find((k) => k.label === r.keyLabel)!;
    staleRelease(signingLog(r), q, ref.ceremony_id);
    const published = await ctx.effect('release.bundle', { bundle, request_id: q.requestId }, {
      run: async () => {
        const statement = releaseStatement({
          scriptId: ref.script_id,
          ceremonyId: ref.ceremony_id,
          request: { id: q.requestId, sha256: r.inputs.request.sha256, buildId: q.buildId, sourceRevision: q.sourceRevision, channel: q.channel, version: q.version },
          policy: { version: r.policy.body.version, sha256: r.policySha256 },
          approvalStatementSha256: String(approval.data.sha256),
          signingKey: { label: r.keyLabel, spkiSha256: r.certificate.spkiSha256, algorithm: key.algorithm },
          certificateSha256: r.certificate.sha256,
          artifacts: q.artifacts.map((a, i) => ({ name: a.name, kind: a.kind as ReleaseKind, size: a.size, sha256: a.sha256, signatureSha256: sha256Hex(sigs[i]!) })),
          signedAt: ctx.now().toISOString(),
        });
        const bytes = statementBytes(statement);
        const session = await ctx.session();
        const found = session.findKeys(r.keyLabel);
        if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one key "${r.keyLabel}", found ${found.length}`);
        const raw = session.sign({ label: found[0].label, id: found[0].id }, bytes);
        const sig = found[0].algorithm.startsWith('EC') ? p1363ToDer(raw) : raw;
        if (!r.certificate.publicKey || !verifyBytes(bytes, sig, r.certificate.publicKey)) throw new OfficiantError('ceremony.step-failed', "the release statement's signature does not verify under the authority's certificate");
        // The staged copies, hashed once more as they go into the bundle (staging does not wait for the disk; a
        // copy lost since, to a power cut, is refused here rather than shipped).
        const changed = q.artifacts.filter((a) => {
          const now = files.hash(join(staging, STAGED_ARTIFACTS, a.name));
          return now.size !== a.size || now.sha256 !== a.sha256;
        });
        if (changed.length > 0) throw new OfficiantError('ceremony.step-failed', `staged file(s) no longer as requested, nothing published: ${changed.map((a) => a.name).join(', ')}`);
        const tmp = `${bundle}.tmp`;
        files.remove(tmp);
        files.makeDir(tmp);
        files.writeFile(join(tmp, BUNDLE.request), r.inputs.request.bytes);
        files.writeFile(join(tmp, BUNDLE.certificate), Buffer.from(`${r.certificate.pem.trim()}\n`));
        for (const [i, a] of q.artifacts.entries()) {
          files.placeCopy(join(staging, STAGED_ARTIFACTS, a.name), join(tmp, BUNDLE.artifacts, a.name));
          files.writeFile(join(tmp, BUNDLE.signatures, `${a.name}.sig`), sigs[i]!);
        }
        files.writeFile(join(tmp, BUNDLE.statement), bytes);
        files.writeFile(join(tmp, BUNDLE.statementSignature), sig);
        files.rename(tmp, bundle);
        return { bundle, statement_sha256: sha256Hex(bytes), signature_sha256: sha256Hex(sig) };
      },
      reconcile: () => {
        // The rename is the last act: a bundle in place with this ceremony's statement was published.
        const bytes = files.readFile(join(bundle, BUNDLE.statement));
        const sig = files.readFile(join(bundle, BUNDLE.statementSignature));
        if (!bytes || !sig || !bytes.includes(Buffer.from(ref.ceremony_id))) return undefined;
        return { bundle, statement_sha256: sha256Hex(bytes), signature_sha256: sha256Hex(sig) };
      },
    });
    const out = published as { statement_sha256: string; signature_sha256: string };
    await ctx.writeOutput(RELEASE_OUTPUTS.statement, files.readFile(join(bundle, BUNDLE.statement))!);
    await ctx.writeOutput(RELEASE_OUTPUTS.signature, files.readFile(join(bundle, BUNDLE.statementSignature))!);
    const line = await ctx.effect('signing-log.append', { log: r.inputs.signingLog, request_id: q.requestId }, {
      run: () => {
        const log = signingLog(r);
        staleRelease(log, q, ref.ceremony_id);
        const fields = { at: ctx.now().toISOString(), authority: 'release' as const, request_id: q.requestId, channel: q.channel, version: q.version, ceremony_id: ref.ceremony_id, artifacts: q.artifacts.length, artifacts_sha256: artifactsDigest(q.artifacts), signatures: { [r.keyLabel]: q.artifacts.length + 1 } };
        const text = signingLogLine(log, fields);
        files.appendLog(r.inputs.signingLog, text);
        const entry = JSON.parse(text) as { seq: number; hash: string };
        return { seq: entry.seq, hash: entry.hash };
      },
      reconcile: () => {
        const mine = signedRequest(signingLog(r), q.requestId);
        return mine && mine.ceremony_id === ref.ceremony_id ? { seq: mine.seq, hash: mine.hash } : undefined;
      },
    });
    const l = line as { seq: number; hash: string };
    ctx.result('Release bundle', bundle);
    ctx.result('Release statement SHA-256', out.statement_sha256);
    ctx.result('Statement signature', `by ${r.keyLabel} in the HSM, SHA-256 ${out.signature_sha256}; verified under the authority's certificate`);
    ctx.result('Contents', `${q.artifacts.length} artifact(s) with detached signatures, the request, the authority certificate, the statement and its signature`);
    ctx.result('Signing log', `line ${l.seq} of ${r.inputs.signingLog}, head ${l.hash}`);
    ctx.result('Check it', `officiant release verify ${bundle} --trust ${r.certificate.sha256}`);
  },
};

/**
 * Refuses to publish when the signing log, read again, already holds this request or a version of its channel as
 * high, from another ceremony (a session that signed while this one was paused). Lines of this ceremony (a crash
 * after its own line was appended) do not count.
 */
function staleRelease(log: readonly SigningLogEntry[], q: { requestId: string; channel: string; version: number }, ceremonyId: string): void {
  const others = log.filter((e) => e.ceremony_id !== ceremonyId);
  const replay = signedRequest(others, q.requestId);
  if (replay) throw new OfficiantError('ceremony.step-failed', `request ${q.requestId} was signed by another session since the gates passed (signing log line ${replay.seq}): nothing is published`);
  const last = lastVersion(others, 'release', q.channel);
  if (last !== undefined && q.version <= last) throw new OfficiantError('ceremony.step-failed', `version ${last} of channel ${q.channel} was signed by another session since the gates passed; version ${q.version} is not above it: nothing is published`);
}

function verifyBytes(data: Buffer, sig: Buffer, key: import('node:crypto').KeyObject): boolean {
  try {
    return cryptoVerify('sha256', data, key, sig);
  } catch {
    return false;
  }
}
import { verify as cryptoVerify } from 'node:crypto';
