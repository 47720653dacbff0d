// `officiant manifest draft`: the unsigned OTA manifest the release pipeline prepares for the manifest signing
// ceremony, from release bundles that verified against the pinned release authority (the caller verifies them:
// cli/commands/manifest-draft.ts). Each artifact of each bundle becomes a target (name, length, SHA-256, kind,
// and the SHA-256 of the release.json it comes from). Every problem is listed, each naming its flag, and
// nothing is returned when there is one; the bytes are read back by the ceremony's own reader
// (parseManifestDraft), so a draft this writes is one the ceremony loads. Pure.
import { statementWords } from '../custody/quorum.js';
import { MANIFEST_SPEC_VERSION, MANIFEST_TYPE, type ManifestBody, type ManifestTarget } from '../custody/ota-manifest.types.js';
import { parseManifestDraft } from '../custody/ota-manifest.js';
import type { ReleaseStatement } from '../custody/release-bundle.js';
import type { ReleaseReport } from '../custody/verify-release-bundle.js';
import { createHash } from 'node:crypto';
import { flagOfField, inputProblem, loaded, type InputProblem, type Loaded } from './problems.js';
import { timeFromFlag } from './time-flag.js';

export interface ManifestDraftFlags {
  channel: string;
  version: string;
  expires: string;
  device: string[];
  release: string[];
  trust: string;
  out: string;
}

/** A bundle named by --release, as the caller found it: its verification against --trust, and its statement. */
export interface DraftRelease {
  dir: string;
  /** Why it could not be read at all (no such directory, not a bundle). */
  unreadable?: string;
  report?: ReleaseReport;
  statement?: ReleaseStatement;
}

export interface ManifestDraft {
  body: ManifestBody;
  /** What is written: `{ "signed": ..., "signatures": [] }`, 2-space JSON, one trailing newline. */
  bytes: Buffer;
  /** SHA-256 of the bytes officers will sign (the canonical JSON of the body), and its six words. */
  signedSha256: string;
  words: string[];
  releases: Array<{ dir: string; build: string; channel: string; version: number; statementSha256: string; targets: number }>;
}

const WHOLE = /^\d{1,15}$/;

export function draftManifest(flags: ManifestDraftFlags, releases: readonly DraftRelease[], now: Date, outExists: boolean): Loaded<ManifestDraft> {
  const problems: Array<[string, string]> = [];
  const version = WHOLE.test(flags.version) ? Number(flags.version) : undefined;
  if (version === undefined) problems.push(['--version', `${JSON.stringify(flags.version)} is not a whole number`]);
  const expires = timeFromFlag(flags.expires, now);
  if (!expires) problems.push(['--expires', `${JSON.stringify(flags.expires)} is neither a time (2027-03-31T00:00:00Z) nor a duration (30d, 720h)`]);
  else if (Date.parse(expires) <= now.getTime()) problems.push(['--expires', `${expires} has passed already`]);
  if (flags.device.length === 0) problems.push(['--device', 'name at least one device family the manifest is for']);
  if (releases.length === 0) problems.push(['--release', 'name at least one release bundle: every target comes from a verified release']);

  const targets: ManifestTarget[] = [];
  const from = new Map<string, string>();
  const summaries: ManifestDraft['releases'] = [];
  for (const r of releases) {
    if (r.unreadable) {
      problems.push(['--release', `${r.dir}: ${r.unreadable}`]);
      continue;
    }
    if (!r.report?.ok || !r.report.summary || !r.statement) {
      const failing = r.report?.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.problems[0] ?? 'fails'}`) ?? [];
      problems.push(['--release', `${r.dir}: does not verify against the release authority --trust pins (${r.report?.problems ?? 0} problem(s)${failing.length > 0 ? `; ${failing.slice(0, 3).join('; ')}` : ''}); check it with officiant release verify`]);
      continue;
    }
    const s = r.report.summary;
    for (const a of r.statement.predicate.artifacts) {
      const earlier = from.get(a.name);
      if (earlier) problems.push(['--release', `${r.dir}: ${a.name} is also a target of ${earlier}: a device could not tell which one to take`]);
      from.set(a.name, r.dir);
      targets.push({ name: a.name, length: a.size, sha256: a.sha256, kind: a.kind, release_sha256: s.statementSha256 });
    }
    summaries.push({ dir: r.dir, build: s.buildId, channel: s.channel, version: s.version, statementSha256: s.statementSha256, targets: r.statement.predicate.artifacts.length });
  }

  const body: ManifestBody = {
    type: MANIFEST_TYPE,
    spec_version: MANIFEST_SPEC_VERSION,
    version: version ?? 1,
    expires: expires ? `${expires.slice(0, 19)}Z` : now.toISOString(),
    channel: flags.channel,
    devices: flags.device,
    targets,
  };
  const bytes = Buffer.from(`${JSON.stringify({ signed: body, signatures: [] }, null, 2)}\n`, 'utf8');
  // The ceremony's own read of a draft, on the very bytes written: no second set of rules here. Every problem of
  // a flag not already named above (a bad --version is not named twice, an empty target list follows from a
  // bundle named above).
  const read = parseManifestDraft(bytes);
  const named = new Set(problems.map(([flag]) => flag));
  for (const p of read.problems.map(flagOf)) if (!named.has(p[0])) problems.push(p);

  const all: InputProblem[] = [
    ...(outExists ? [inputProblem('input.file-exists', flags.out, '--out', `${flags.out} already exists`)] : []),
    ...problems.map(([flag, message]) => inputProblem('input.manifest-draft', flags.out, flag, `${flag}: ${message}`)),
  ];
  const group = `the manifest draft was not written: ${all.length} problem(s)`;
  if (all.length > 0 || !read.body || !read.signedBytes) return { problems: all.map((x) => ({ ...x, group })) };
  const signedSha256 = createHash('sha256').update(read.signedBytes).digest('hex');
  return loaded({ body: read.body, bytes, signedSha256, words: statementWords(signedSha256), releases: summaries }, []);
}

// The body's fields, and the flag that sets each: the reader's problems name fields, a person typed flags.
const FIELD_FLAGS: Array<[RegExp, string]> = [
  [/^signed\.version\b/, '--version'],
  [/^signed\.expires\b/, '--expires'],
  [/^signed\.channel\b/, '--channel'],
  [/^signed\.devices\b/, '--device'],
  [/^signed\.targets\b/, '--release'],
];

const flagOf = (problem: string) => flagOfField(problem, 'draft', 'manifest', FIELD_FLAGS);
