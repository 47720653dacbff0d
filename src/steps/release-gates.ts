// release.gates: the last checks before anything leaves the session, each with its result on the page:
// signatures counted against the request, the version still above the last one signed for its channel (the
// signing log read again: another session may have signed since this one loaded it), the request id still
// unsigned, and no test key found by the policy check. Any gate that fails stops the release.
import { OfficiantError } from '../errors.js';
import { lastVersion, signedRequest } from '../record/signing-log.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { GATES_PASSED, openRelease, POLICY_CHECKED, requireEvent, SIGNATURES_VERIFIED, signingLog } from './shared/release-session.js';

export const releaseGates: StepHandler<'release.gates'> = {
  kind: 'release.gates',
  needs: STEP_NEEDS['release.gates'],
  async run(ctx) {
    const r = openRelease(ctx);
    const verified = requireEvent(ctx, SIGNATURES_VERIFIED, 'signatures.verify');
    const checked = requireEvent(ctx, POLICY_CHECKED, 'policy.check');
    const log = signingLog(r);
    const q = r.request;
    const last = lastVersion(log, 'release', q.channel);
    const replay = signedRequest(log, q.requestId);
    const gates: Array<[string, boolean, string]> = [
      ['Signatures match the request', verified.artifacts === q.artifacts.length, `${String(verified.artifacts)} signature(s) verified for ${q.artifacts.length} requested artifact(s)`],
      ['Version above the last signed', last === undefined || q.version > last, last === undefined ? `version ${q.version}; nothing signed before for channel ${q.channel}` : `version ${q.version}, last signed for channel ${q.channel}: ${last}`],
      ['Request not signed before', !replay, replay ? `request ${q.requestId} is on signing log line ${replay.seq}` : `request ${q.requestId} is not in the signing log (${log.length} line(s))`],
      ['No test key, no private key', checked.findings === 0, `${String(checked.artifacts)} artifact(s) and ${String(checked.zip_entries)} ZIP entries scanned; ${String(checked.findings)} finding(s)`],
    ];
    for (const [name, ok, detail] of gates) ctx.result(`${ok ? 'PASS' : 'FAIL'}: ${name}`, detail);
    const failed = gates.filter(([, ok]) => !ok);
    ctx.event(GATES_PASSED, { passed: failed.length === 0, gates: gates.map(([name, ok, detail]) => ({ name, ok, detail })) });
    if (failed.length > 0) throw new OfficiantError('ceremony.step-failed', `release gate(s) failed: ${failed.map(([n, , d]) => `${n} (${d})`).join('; ')}`);
  },
};
