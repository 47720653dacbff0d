// policy.check: the staged release against the policy, before anyone approves it. Authority separation (this
// is the release authority: no manifest kind, and the script is a release script), every kind allowed for the
// signing key, counts and bytes within limits (request.load checked them on the request; here on what was
// staged), the signing key not a test key, and no artifact carrying a test key or private-key material: each
// staged file scanned, and every entry of a ZIP (APK, APEX, OTA package, target-files, nested zips) decompressed,
// recursively. A hit refuses the request naming the artifact, the entry inside it and what was found.
import { join } from 'node:path';
import { OfficiantError } from '../errors.js';
import { AUTHORITY_KINDS } from '../custody/release-request.js';
import { deniedKey } from '../custody/deny-list.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { ARTIFACTS_STAGED, openRelease, POLICY_CHECKED, requireEvent, STAGED_ARTIFACTS } from './shared/release-session.js';

export const policyCheck: StepHandler<'policy.check'> = {
  kind: 'policy.check',
  needs: STEP_NEEDS['policy.check'],
  async run(ctx) {
    const r = openRelease(ctx);
    requireEvent(ctx, ARTIFACTS_STAGED, 'artifacts.stage');
    const problems: string[] = [];
    if (ctx.script.authority !== 'release') problems.push(`this script serves the ${ctx.script.authority} authority: only the release authority signs with an HSM key`);
    const manifestKinds = AUTHORITY_KINDS.manifest as readonly string[];
    for (const a of r.request.artifacts) if (manifestKinds.includes(a.kind)) problems.push(`${a.name}: ${a.kind} is the manifest authority's kind; the release key never signs it`);
    const key = r.policy.body.keys.find((k) => k.label === r.keyLabel);
    if (!key) problems.push(`the policy lists no key "${r.keyLabel}"`);
    for (const a of r.request.artifacts) if (key && !key.kinds.includes(a.kind)) problems.push(`${a.name}: kind ${a.kind} is not one key "${r.keyLabel}" may sign`);
    const { limits } = r.policy.body;
    const bytes = r.request.artifacts.reduce((n, a) => n + a.size, 0);
    if (r.request.artifacts.length > limits.max_artifacts) problems.push(`${r.request.artifacts.length} artifacts, over the policy's ${limits.max_artifacts}`);
    if (bytes > limits.max_bytes) problems.push(`${bytes} bytes, over the policy's ${limits.max_bytes}`);
    const denied = deniedKey(r.policy.denied, r.certificate.spkiSha256);
    if (denied) problems.push(`the signing key is the test key ${denied.name} (${denied.source})`);
    if (problems.length > 0) throw new OfficiantError('ceremony.step-failed', `the release is refused by the policy: ${problems.join('; ')}`, { details: problems });

    const dir = join(r.inputs.staging, STAGED_ARTIFACTS);
    let entries = 0;
    const findings: string[] = [];
    for (const a of r.request.artifacts) {
      const scan = await r.inputs.files.scan(join(dir, a.name), a.name, r.policy.denied);
      entries += scan.entries;
      for (const f of scan.findings) {
        const where = f.entry ? `${a.name}, entry ${f.entry}` : a.name;
        findings.push(f.kind === 'denied-key' ? `${where}: carries the test key ${f.what}` : f.kind === 'private-key' ? `${where}: holds private-key material (${f.what})` : `${where}: cannot be scanned (${f.what})`);
      }
    }
    if (findings.length > 0) throw new OfficiantError('ceremony.step-failed', `the release is refused: ${findings.length} finding(s): ${findings.slice(0, 20).join('; ')}${findings.length > 20 ? `; and ${findings.length - 20} more` : ''}`, { details: findings });
    ctx.event(POLICY_CHECKED, { artifacts: r.request.artifacts.length, zip_entries: entries, denied_keys: r.policy.denied.length, findings: 0, policy_sha256: r.policySha256 });
    ctx.result('Authority separation', 'release authority, release kinds only');
    ctx.result('Kinds allowed for the key', `${r.keyLabel}: ${key!.kinds.join(', ')}`);
    ctx.result('Limits', `${r.request.artifacts.length} of ${limits.max_artifacts} artifacts, ${bytes} of ${limits.max_bytes} bytes`);
    ctx.result('Signing key', `not a test key (${r.policy.denied.length} denied keys checked)`);
    ctx.result('Test keys and private keys in artifacts', `none found in ${r.request.artifacts.length} artifact(s) and ${entries} ZIP entr${entries === 1 ? 'y' : 'ies'}`);
  },
};
