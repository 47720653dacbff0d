// Words for people. Hints by error code (what to do next; the library's messages state facts, these say how
// to get unstuck; shown under the error by cli/main.ts), and the lines a ceremony command prints around a run:
// what is starting, where things are, what to write on the paper log. Loaded by `officiant --help` too, so it
// imports no PKCS#11 or PDF code.
import type { Standing } from '../record/standing.js';
import type { PacketReport } from '../evidence/verify-packet.js';
import type { ReleaseSummary } from '../custody/verify-release-bundle.js';
import type { ManifestReport } from '../custody/verify-ota-manifest.js';
import { resolve } from 'node:path';
import type { ErrorCode } from '../errors.js';
import type { ManifestDraft } from '../inputs/manifest-draft.js';
import type { PolicyDraft } from '../inputs/policy-draft.js';
import type { LoadedBackup } from '../engine/ceremony-inputs.types.js';
import type { RunResult } from '../engine/runner.js';
import { headWords } from '../record/digest-words.js';
import type { Script } from '../script/schema.js';

export const HINTS: Partial<Record<ErrorCode, string>> = {
  'input.script-invalid': 'fix the lines above; `officiant validate <script>` re-checks without touching any HSM',
  'input.answers-invalid': 'fix the answers file; secrets belong in environment variables referenced as ${NAME}',
  'input.missing-answer': 'add the missing answers, then run `officiant resume <out> --answers <file>` (what is recorded is kept)',
  'input.out-dir-used': 'each ceremony needs its own output directory',
  'input.file-exists': 'choose another file name; Officiant never overwrites a file',
  'input.script-changed': 'a ceremony resumes only with the exact script it started with',
  'input.site-invalid': 'fix the site file where named above, or give the HSM profile with --site <file> or --module and --token-label',
  'env.module-load': 'check the PKCS#11 module path (--module or the site file); for SoftHSM run ./scripts/setup.sh',
  'env.token-missing': 'connect the HSM / insert the token, then resume; `pkcs11-tool --module <path> -L` lists tokens',
  'env.token-label-used': 'this ceremony creates that token; pick another token_label in the site file or use a fresh HSM',
  'env.key-label-used': 'key labels are never reused; remove the old key under a witnessed procedure or use another label',
  'env.no-free-slot': 'the HSM has no uninitialised slot for a new token',
  'env.sandbox-missing': 'the throwaway rehearsal token store is gone; start a new rehearsal with another --out',
  'env.permission': 'check the permissions of the output directory',
  'ceremony.journal-corrupt': 'the journal is damaged beyond a torn last line; keep the directory as evidence and contact the ceremony administrator',
  'hsm.pin-incorrect': 'each PIN holder re-enters their half; a wrong entry counts against the token\'s retry limit',
  'hsm.pin-locked': 'the token PIN is locked; it needs the SO to unblock it under a witnessed procedure',
  'interrupt.paused': 'the ceremony is paused; continue with `officiant resume <out>`',
  'input.not-a-bundle': 'give the directory the signing ceremony wrote: request.json, authority.pem, release.json, release.json.sig, artifacts/, signatures/',
  'input.no-such-directory': 'create the directory first, or name one that exists',
  'input.signing-plan': 'a signing plan names the target_files and otatools digests, the commands, each key with its algorithm and budgets, and a time limit (docs/android-signing.md)',
  'env.no-window': 'a signing window is opened by the android.sign-window step of a signing session; set OFFICIANT_SIGNING_WINDOW to the socket it prints',
  'input.manifest-draft': 'an OTA manifest to sign is drafted with officiant manifest draft from release bundles (docs/ota-manifests.md)',
  'input.not-a-manifest': 'give the manifest (JSON: signed, signatures) and the keyring.json `officiant keyring export` wrote; --keyring-sha256 is the keyring sha256 it printed',
};

/** What a finished (or aborted) ceremony leaves, and the words to read aloud and write on the paper log. */
export function summaryLines(result: RunResult, out: string): string[] {
  const rel = resolve(out);
  return [
    '',
    result.outcome === 'done' ? `Ceremony ${result.ceremonyId} completed: ${result.steps} steps.` : `Ceremony ${result.ceremonyId} ABORTED: ${result.reason ?? ''}`,
    `Packet:        ${rel}/packet.pdf and manifest.json; check it with: officiant verify ${rel}`,
    `Evidence:      ${rel}/steps/ (one PDF per step)`,
    `Journal:       ${rel}/journal.jsonl`,
    `Closing entry: ${result.journalHead}`,
    `Read aloud and write on the paper log: ${headWords(result.journalHead).map((w, i) => `${i + 1}. ${w}`).join('  ')}`,
    `Outputs:       ${rel}/outputs/`,
  ];
}

/** At most this many lines of an error's details are printed; the rest are counted. */
export const SHOWN_PROBLEMS = 50;

/** The details of an error as printed: the first SHOWN_PROBLEMS lines, then how many more there are. */
export function shownDetails(details: readonly string[]): string[] {
  if (details.length <= SHOWN_PROBLEMS) return [...details];
  return [...details.slice(0, SHOWN_PROBLEMS), `… and ${details.length - SHOWN_PROBLEMS} more not shown`];
}

export const pausedLine = (out: string) => `Paused; what is recorded is kept. To continue: officiant resume ${resolve(out)}`;

export const ceremonyBanner = (script: Script, out: string) => `Ceremony: ${script.title} (${script.id} v${script.version}) → ${resolve(out)}`;

export function resumeBanner(script: Script, out: string, standing?: Standing): string[] {
  const head = `Resuming ${script.title} (${script.id} v${script.version}) in ${out}`;
  if (!standing) return [head];
  const { done, next, stopped, total } = standing;
  const last = done.at(-1);
  return [
    head,
    `  Done: ${done.length} of ${total} steps${last ? ` (the last: step ${last.number}, "${last.title}")` : ''}`,
    ...(stopped ? [`  Stopped: ${stopped.reason} (${stopped.time})`] : []),
    next === undefined
      ? '  Next: the closing (the officers\' countersignature and the seal)'
      : next.state === 'failed'
        ? `  Next: step ${next.number} of ${total}, "${next.title}", failed before the stop (${next.failure}): its performer decides retry or abort first`
        : next.state === 'under way'
          ? `  Next: step ${next.number} of ${total}, "${next.title}", under way at the stop: it is shown again and starts over; what it already did on the HSM is taken from the journal, never done twice`
          : `  Next: step ${next.number} of ${total}, "${next.title}"`,
    '  Nobody types a PIN before the step it is for is on the screen.',
  ];
}

export function rehearsalBanner(args: {
  script: Script;
  out: string;
  sandbox: string;
  newDevices: string[];
  officers?: { version: number; dir: string };
  backup?: LoadedBackup;
  evidence?: { label: string; halves?: string[] };
}): string[] {
  const { script, out } = args;
  return [
    `Rehearsal: ${script.title} (${script.id} v${script.version}) → ${resolve(out)}`,
    `Sandbox HSM: ${args.sandbox} (throwaway SoftHSM; simulated people and their PINs stay there)`,
    ...(args.newDevices.length > 0 ? [`Simulated PIV tokens: ${args.newDevices.join(', ')} (attested by the sandbox's SIMULATED attestation CA)`] : []),
    ...(args.officers ? [`Officers: roster version ${args.officers.version} from ${resolve(args.officers.dir)} (simulated tokens)`] : []),
    ...(args.backup ? [`Backup: ${args.backup.dir} (ceremony ${args.backup.manifest.ceremony.ceremony_id})`] : []),
    ...(args.evidence
      ? [
          `Evidence token: ${args.evidence.label} (simulated, made for this rehearsal; production uses the token of ceremonies/evidence-token-init.yaml)`,
          ...(args.evidence.halves ? [`  REHEARSAL ONLY: its PIN holders type the halves ${args.evidence.halves.map((h) => `"${h}"`).join(' and ')} when asked for the evidence token's PIN`] : []),
        ]
      : []),
  ];
}

/**
 * verify's last line for a packet that holds: plain `verified` only when the evidence key is pinned (--trust);
 * otherwise it says so and what to compare. An aborted ceremony's packet says `aborted`.
 */
export function verifiedLine(files: number, r: PacketReport): string {
  const tail = r.rehearsal ? 'rehearsal' : '';
  // An abort nobody countersigned (it came before the check-in completed) rests on the evidence key and the
  // paper log alone: say so where people look.
  const aborted = r.outcome !== 'aborted' ? '' : r.countersigned || r.pinned.head ? ' (aborted)' : ' (aborted, NOT COUNTERSIGNED: compare its journal head with the paper log, --head)';
  const extra = [r.pinned.head ? 'journal head pinned by --head' : undefined, r.pinned.roster ? 'roster pinned by --roster' : undefined].filter(Boolean).join('; ');
  const suffix = `${extra ? `; ${extra}` : ''}${tail ? ` (${tail})` : ''}`;
  if (r.pinned.evidenceKey) return `verified${aborted}: ${files} files, evidence key ${r.evidenceKeySha256} pinned by --trust${suffix}`;
  return `verified${aborted}, evidence key NOT PINNED: ${files} files signed by evidence key ${r.evidenceKeySha256}${extra ? `; ${extra}` : ''}; compare the key with the fingerprint on the paper log, or pass --trust${tail ? ` (${tail})` : ''}`;
}

/** release verify's and manifest verify's lines per check: `ok   <check>`, or `FAIL <check>: <problem>` and the check's other problems under it. */
export function checkLines(checks: ReadonlyArray<{ name: string; ok: boolean; problems: readonly string[] }>): string[] {
  return checks.flatMap((c) => (c.ok ? [`ok   ${c.name}`] : c.problems.map((p, i) => terminalSafe(i === 0 ? `FAIL ${c.name}: ${p}` : `       ${p}`))));
}

/** release verify's last line for a bundle that holds. */
export const releaseVerifiedLine = (s: ReleaseSummary) =>
  `verified: release ${s.buildId} ${s.channel} v${s.version}, ${s.artifacts} artifact${s.artifacts === 1 ? '' : 's'}, signed by ${s.signer} (certificate SHA-256 ${s.certificateSha256}); release.json SHA-256 ${s.statementSha256}, as in the signing session's packet`;

/**
 * manifest verify's last line for a manifest that holds: plain `verified` only when the keyring is pinned
 * (--keyring-sha256); otherwise it says so and what to compare.
 */
export function manifestVerifiedLine(r: ManifestReport): string {
  const s = r.summary!;
  const what = `OTA manifest ${s.channel} v${s.version} for ${s.devices.join(', ')}, ${s.targets} target${s.targets === 1 ? '' : 's'}, expires ${s.expires}, signed by ${s.signers.length} of ${s.keyringKeys} keyring keys (${s.signers.join(', ')}; threshold ${s.threshold})`;
  const tail = s.rehearsal ? ' (rehearsal)' : '';
  if (r.pinned) return `verified: ${what}; keyring ${s.keyringSha256} (roster version ${s.rosterVersion}) pinned by --keyring-sha256${tail}`;
  return `verified, keyring NOT PINNED: ${what}; keyring ${s.keyringSha256} (roster version ${s.rosterVersion}): compare it with the keyring sha256 \`officiant keyring export\` printed, or pass --keyring-sha256${tail}`;
}

/**
 * A line as it may reach a terminal: control and direction characters (which a bundle's maker could put in a file
 * name or a certificate's name to move the cursor or reorder what is shown) written as \u escapes. Newlines stay.
 */
export function terminalSafe(line: string): string {
  return line.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Why a production manifest signing session cannot start without the site file's manifest authority section. */
export function noManifestAuthority(site: string | undefined): string {
  const where = site ? `${site} has no manifest_authority section` : 'no site file (--site)';
  return `${where}: a manifest signing session pins the release authority certificate and keeps the manifest signing log the site file names (manifest_authority: release_certificate, release_certificate_sha256, signing_log); see docs/ota-manifests.md`;
}

/** What `officiant manifest draft` says about the draft it wrote. */
export function manifestDraftLines(d: ManifestDraft, out: string): string[] {
  const b = d.body;
  return [
    `OTA manifest draft: channel ${b.channel}, version ${b.version}, for ${b.devices.join(', ')}`,
    `  expires:  ${b.expires}`,
    `  targets:  ${b.targets.length}, from ${d.releases.length} verified release(s):`,
    ...d.releases.map((r) => `    ${r.dir}: build ${r.build}, channel ${r.channel}, version ${r.version}, ${r.targets} target(s), release.json SHA-256 ${r.statementSha256}`),
    `signed bytes SHA-256: ${d.signedSha256}`,
    `  words: ${d.words.map((w, i) => `${i + 1}. ${w}`).join('  ')} (the manifest signing ceremony shows the same)`,
    `written: ${out} (unsigned: a device refuses it until a threshold of officers signs it)`,
  ];
}

/** What `officiant policy draft` says about the draft it wrote, and what to do next. */
export function policyDraftLines(d: PolicyDraft, out: string): string[] {
  const b = d.body;
  const k = b.keys[0];
  const gib = b.limits.max_bytes % 2 ** 30 === 0 ? ` (${b.limits.max_bytes / 2 ** 30} GiB)` : '';
  return [
    `release policy draft, version ${b.version}${b.previous_sha256 ? `, replacing policy ${b.previous_sha256}` : ' (first policy)'}`,
    `  key:        ${k.label}: ${d.certificate.keyDescription}, ${k.algorithm}, certificate ${d.certificate.name}`,
    `  SPKI SHA-256: ${k.spki_sha256}`,
    `  kinds:      ${k.kinds.join(', ')}`,
    `  approvals:  ${b.approvals.threshold} × ${b.approvals.role} per release`,
    `  limits:     ${b.limits.max_artifacts} artifacts, ${b.limits.max_bytes} bytes${gib}, requests at most ${b.limits.max_request_age_hours} h old`,
    `  builder:    ${b.require_builder_signature ? `a request must be signed by one of ${b.builder_keys.length} builder key(s)` : `signature not required${b.builder_keys.length > 0 ? ` (${b.builder_keys.length} key(s) listed)` : ''}`}`,
    `  denied:     the AOSP and AVB test keys${b.deny_list.length > 0 ? `, and ${b.deny_list.map((x) => x.name).join(', ')}` : ''}`,
    `  valid:      ${b.issued_at} to ${b.expires_at}`,
    `policy SHA-256: ${d.policySha256}`,
    `  words: ${d.words.map((w, i) => `${i + 1}. ${w}`).join('  ')} (the policy ceremony shows the same)`,
    `written: ${out}`,
    `next: review and print it, then adopt it: officiant run ceremonies/release-policy.yaml --roster <roster.json> --policy ${out}`,
    `  (a rehearsal: officiant rehearse ceremonies/release-policy.yaml --from <release-authority-init rehearsal> --policy ${out})`,
  ];
}
