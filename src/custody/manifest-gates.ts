// The gates an OTA manifest passes before any officer signs it (the manifest signing ceremony): signed metadata
// proves nothing about a file unless the file's own verification holds, so every target must be an artifact of
// a release bundle that verified against the pinned release-authority certificate, signed for the manifest's
// channel, with that bundle's name, length, SHA-256 and kind; the version must be above the last the manifest authority signed for the channel
// (its signing log); the manifest must not have expired, nor live longer than the policy allows. A key that
// would sign the manifest must be neither the release authority's nor a known test key. Pure; never throws:
// every problem is a sentence naming the target, field or key.
import { builtInDenyList, deniedKey, type DeniedKey } from './deny-list.js';
import type { ManifestBody } from './ota-manifest.types.js';
import { BUNDLE, BUNDLE_LIMITS, parseReleaseStatement, type ReleaseStatement } from './release-bundle.js';
import type { ReleaseBundleReader } from './release-bundle-reader.types.js';
import type { ReleaseReport } from './verify-release-bundle.js';
import { sha256Hex } from '../record/digest.js';
import { lastVersion, type SigningLogEntry } from '../record/signing-log.js';

/** A release bundle the ceremony was given, verified against the pinned release authority. */
export interface GateRelease {
  /** Where it was read from, to name it. */
  name: string;
  report: ReleaseReport;
  /** Its release.json, when it verified. */
  statement?: ReleaseStatement;
}

export interface ManifestGateInputs {
  body: ManifestBody;
  releases: readonly GateRelease[];
  /** The manifest authority's signing log. */
  log: readonly SigningLogEntry[];
  /** The longest a manifest may stay valid, in days, counted from `now`. */
  maxValidityDays: number;
  now: Date;
}

const DAY = 86_400_000;
const short = (hex: string) => `${hex.slice(0, 16)}…`;

/**
 * The bundle's release.json as it is now, only when it is byte for byte the statement `report` verified (its
 * SHA-256): a file swapped while the artifacts were being hashed is no verified statement.
 */
export function verifiedStatement(reader: ReleaseBundleReader, report: ReleaseReport): ReleaseStatement | undefined {
  if (!report.ok || !report.summary) return undefined;
  const bytes = reader.read(BUNDLE.statement, BUNDLE_LIMITS.statementBytes);
  return sha256Hex(bytes) === report.summary.statementSha256 ? parseReleaseStatement(bytes).statement : undefined;
}

/** Every reason the manifest may not be signed; empty when every gate holds. */
export function manifestGateProblems(g: ManifestGateInputs): string[] {
  const problems: string[] = [];
  const verified = new Map<string, { release: GateRelease; statement: ReleaseStatement }>();
  for (const r of g.releases) {
    if (!r.report.ok || !r.report.summary || !r.statement) {
      const failing = r.report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.problems[0] ?? 'fails'}`);
      problems.push(`release ${r.name}: does not verify against the pinned release authority (${r.report.problems} problem(s)${failing.length > 0 ? `; ${failing.slice(0, 3).join('; ')}` : ''})`);
      continue;
    }
    verified.set(r.report.summary.statementSha256, { release: r, statement: r.statement });
  }
  for (const t of g.body.targets) {
    const from = verified.get(t.release_sha256);
    if (!from) {
      problems.push(`target ${t.name}: its release (release.json SHA-256 ${short(t.release_sha256)}) is not among the verified releases: nothing proves this file was signed by the release authority`);
      continue;
    }
    const a = from.statement.predicate.artifacts.find((x) => x.name === t.name);
    if (from.statement.predicate.request.channel !== g.body.channel) problems.push(`target ${t.name}: release ${from.release.name} was signed for channel ${from.statement.predicate.request.channel}, not ${g.body.channel}`);
    else if (!a) problems.push(`target ${t.name}: release ${from.release.name} has no artifact of that name`);
    else if (a.sha256 !== t.sha256) problems.push(`target ${t.name}: SHA-256 ${short(t.sha256)} is not the release's ${short(a.sha256)}: not the file the release authority signed`);
    else if (a.size !== t.length) problems.push(`target ${t.name}: ${t.length} bytes, the release says ${a.size}`);
    else if (a.kind !== t.kind) problems.push(`target ${t.name}: kind ${t.kind}, the release signed it as ${a.kind}`);
  }
  const last = lastVersion(g.log, 'manifest', g.body.channel);
  if (last !== undefined && g.body.version <= last) {
    problems.push(`version ${g.body.version} is not above ${last}, the last manifest signed for channel ${g.body.channel}: a device would take it as a rollback or a replay`);
  }
  const expires = Date.parse(g.body.expires);
  if (expires <= g.now.getTime()) problems.push(`expires ${g.body.expires}: has passed already`);
  else if (expires - g.now.getTime() > g.maxValidityDays * DAY) problems.push(`expires ${g.body.expires}: more than ${g.maxValidityDays} days from now, the longest a manifest may stay valid`);
  return problems;
}

/**
 * Why a key may not sign a manifest, or undefined: the release authority's own key (keys of one authority never
 * sign for the other), or a key on the test-key deny list.
 */
export function manifestSignerProblem(spkiSha256: string, releaseSpkiSha256: readonly string[], denyList: readonly DeniedKey[] = builtInDenyList()): string | undefined {
  if (releaseSpkiSha256.includes(spkiSha256)) return `key ${short(spkiSha256)} is the release authority's: it never signs a manifest`;
  const denied = deniedKey(denyList, spkiSha256);
  return denied ? `key ${short(spkiSha256)} is ${denied.name} (${denied.source}), a published test key` : undefined;
}
