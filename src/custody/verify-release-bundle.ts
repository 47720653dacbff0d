// verifyReleaseBundle(reader, trust): a release bundle (release-bundle.ts) checked by someone outside the trust
// boundary (a release engineer, an OTA service), believing nothing it says about itself: whoever handed it over
// may have written anything into it. The certificate must be the pinned one and no test key; release.json must
// be signed by it and say, in the one form the authority writes, what the request asked for; every artifact is
// streamed once (hashed and its signature checked in the same pass) and nothing is in the bundle that the
// statement does not name. Files are read through the ReleaseBundleReader port, only paths the listing gave as
// regular files, and a file meant to be read whole is refused unread when it is too large. Never throws: every
// problem is a sentence naming the file in its check; a check whose input is broken says it was not checked.
import { createHash } from 'node:crypto';
import { fingerprintOf, normalizeFingerprint } from '../record/fingerprint.js';
import { sha256Hex } from '../record/digest.js';
import { pemCertificate, readAuthorityCertificate, signatureVerifier, type AuthorityCertificate } from './authority-certificate.js';
import { builtInDenyList, deniedKey, type DeniedKey } from './deny-list.js';
import { BUNDLE, BUNDLE_LIMITS, artifactPath, parseReleaseStatement, signaturePath, type ReleaseStatement } from './release-bundle.js';
import type { BundleEntry, ReleaseBundleReader } from './release-bundle-reader.types.js';
import { capped, parseSigningRequest } from './release-request.js';

export const RELEASE_CHECKS = ['certificate', 'test keys', 'statement signature', 'statement', 'signing key', 'subjects', 'request', 'artifacts', 'signatures', 'files'] as const;
export type ReleaseCheckName = (typeof RELEASE_CHECKS)[number];

/** The authority the checker trusts: its certificate's SHA-256 (of the DER), or the certificate itself (PEM). */
export type ReleaseTrust = { sha256: string; certificatePem?: undefined } | { certificatePem: string; sha256?: undefined };

export interface ReleaseCheck {
  name: ReleaseCheckName;
  ok: boolean;
  /** Sentences, at most 50 per check, then how many more. */
  problems: string[];
}

/** What a bundle that holds is: only given when every check holds. */
export interface ReleaseSummary {
  buildId: string;
  channel: string;
  version: number;
  artifacts: number;
  signer: string;
  certificateSha256: string;
  key: string;
  /** SHA-256 of release.json: the same as the signing session's packet holds (outputs/release/release.json). */
  statementSha256: string;
}

export interface ReleaseReport {
  ok: boolean;
  checks: ReleaseCheck[];
  /** Every problem counted, also those past a check's first 50. */
  problems: number;
  summary?: ReleaseSummary;
}

/** Files and directories a bundle may hold: both per artifact, the fixed ones, and some slack to name the excess. */
const MAX_ENTRIES = 2 * BUNDLE_LIMITS.artifacts + 16;

const short = (hex: string) => (hex.length > 16 ? `${hex.slice(0, 16)}…` : hex);
/** A name from the bundle, quoted so that no control or direction character reaches a terminal. */
const shown = (s: unknown) =>
  typeof s === 'number' ? String(s) : JSON.stringify(String(s).slice(0, 200)).replace(/[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const errCode = (err: unknown) => String((err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? err).slice(0, 80);
const typeWord = (e: BundleEntry) => ({ file: 'a file', directory: 'a directory', symlink: 'a symbolic link', other: 'a FIFO, socket or device' })[e.type];

export function verifyReleaseBundle(reader: ReleaseBundleReader, trust: ReleaseTrust, options: { denyList?: readonly DeniedKey[] } = {}): ReleaseReport {
  const found = new Map<ReleaseCheckName, string[]>(RELEASE_CHECKS.map((n) => [n, []]));
  const fail = (check: ReleaseCheckName, problem: string) => void found.get(check)!.push(problem);
  const guard = (check: ReleaseCheckName, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      fail(check, `could not be checked: ${errCode(err)}`);
    }
  };
  const report = (summary?: ReleaseSummary): ReleaseReport => {
    const checks = RELEASE_CHECKS.map((name) => ({ name, ok: found.get(name)!.length === 0, problems: capped(found.get(name)!) }));
    const problems = RELEASE_CHECKS.reduce((n, name) => n + found.get(name)!.length, 0);
    return { ok: problems === 0, checks, problems, ...(problems === 0 && summary ? { summary } : {}) };
  };

  const entries = new Map<string, BundleEntry>();
  try {
    const listed = reader.list(MAX_ENTRIES);
    if (listed.length > MAX_ENTRIES) fail('files', `the bundle holds more than ${MAX_ENTRIES} files and directories (2 per artifact and the ${Object.keys(BUNDLE).length} of the bundle)`);
    for (const e of listed.slice(0, MAX_ENTRIES)) entries.set(e.path, e);
  } catch (err) {
    fail('files', `the bundle cannot be listed (${errCode(err)})`);
    for (const name of RELEASE_CHECKS.filter((n) => n !== 'files')) fail(name, 'not checked: the bundle cannot be listed');
    return report();
  }

  const entryProblem = (path: string): string | undefined => {
    const e = entries.get(path);
    if (!e) return `${path}: missing`;
    return e.type === 'file' ? undefined : `${path}: is ${typeWord(e)}, not a regular file`;
  };
  const readSmall = (path: string, max: number, what: string): Buffer | string => {
    const bad = entryProblem(path);
    if (bad) return bad;
    const tooLarge = (n: number) => `${path}: ${n} bytes, more than the ${max} ${what} may have (not read)`;
    if (entries.get(path)!.size > max) return tooLarge(entries.get(path)!.size);
    try {
      const bytes = reader.read(path, max);
      return bytes.length > max ? tooLarge(bytes.length) : bytes;
    } catch (err) {
      return `${path}: cannot be read (${errCode(err)})`;
    }
  };

  let cert: AuthorityCertificate | undefined;
  guard('certificate', () => {
    const bytes = readSmall(BUNDLE.certificate, BUNDLE_LIMITS.certificateBytes, 'a certificate');
    const read = typeof bytes === 'string' ? bytes : readAuthorityCertificate(bytes);
    if (typeof read === 'string') fail('certificate', typeof bytes === 'string' ? read : `${BUNDLE.certificate}: ${read}`);
    else cert = read;
    const pinned = trustedSha256(trust);
    if (pinned.problem) fail('certificate', pinned.problem);
    else if (cert && cert.sha256 !== pinned.sha256) fail('certificate', `${BUNDLE.certificate}: certificate ${cert.sha256} is not the trusted ${pinned.sha256} (--trust)`);
  });
  const noCert = `not checked: ${BUNDLE.certificate} is not a usable certificate`;
  guard('test keys', () => {
    if (!cert) return fail('test keys', noCert);
    const test = deniedKey(options.denyList ?? builtInDenyList(), cert.spkiSha256);
    if (test) fail('test keys', `${BUNDLE.certificate}: its key is the test key ${test.name} (${test.source}), which must never sign a release`);
  });

  const statementBytes = readSmall(BUNDLE.statement, BUNDLE_LIMITS.statementBytes, 'a release statement');
  guard('statement signature', () => {
    const sig = readSmall(BUNDLE.statementSignature, BUNDLE_LIMITS.signatureBytes, 'a signature');
    if (typeof sig === 'string') return fail('statement signature', sig);
    if (typeof statementBytes === 'string') return fail('statement signature', `not checked: ${BUNDLE.statement} was not read`);
    if (!cert) return fail('statement signature', noCert);
    const v = signatureVerifier(cert);
    v.update(statementBytes);
    if (!v.verify(sig)) fail('statement signature', `${BUNDLE.statementSignature}: does not verify over ${BUNDLE.statement} with the key of ${BUNDLE.certificate}`);
  });
  let statement: ReleaseStatement | undefined;
  guard('statement', () => {
    if (typeof statementBytes === 'string') return fail('statement', statementBytes);
    const parsed = parseReleaseStatement(statementBytes);
    parsed.problems.forEach((p) => fail('statement', p));
    statement = parsed.statement;
  });

  const noStatement = `not checked: ${BUNDLE.statement} is not a release statement`;
  guard('signing key', () => {
    if (!statement) return fail('signing key', noStatement);
    if (!cert) return fail('signing key', noCert);
    const { signing_key: key, certificate_sha256: certSha } = statement.predicate;
    if (key.spki_sha256 !== cert.spkiSha256) fail('signing key', `${BUNDLE.statement}: predicate.signing_key.spki_sha256 ${short(key.spki_sha256)} is not the key of ${BUNDLE.certificate} (${short(cert.spkiSha256)})`);
    if (certSha !== cert.sha256) fail('signing key', `${BUNDLE.statement}: predicate.certificate_sha256 ${short(certSha)} is not ${BUNDLE.certificate}'s (${short(cert.sha256)})`);
    if (key.algorithm !== cert.algorithm) fail('signing key', `${BUNDLE.statement}: predicate.signing_key.algorithm is ${key.algorithm}, but the key of ${BUNDLE.certificate} (${cert.keyDescription}) signs ${cert.algorithm}`);
  });
  guard('subjects', () => (statement ? subjectProblems(statement).forEach((p) => fail('subjects', p)) : fail('subjects', noStatement)));
  guard('request', () => {
    if (!statement) return fail('request', noStatement);
    const bytes = readSmall(BUNDLE.request, BUNDLE_LIMITS.requestBytes, 'a signing request');
    if (typeof bytes === 'string') return fail('request', bytes);
    requestProblems(bytes, statement).forEach((p) => fail('request', p));
  });
  guard('artifacts', () => {
    if (!statement) {
      fail('artifacts', noStatement);
      return fail('signatures', noStatement);
    }
    if (!cert) fail('signatures', `not verified: ${BUNDLE.certificate} is not a usable certificate`);
    for (const [i, a] of statement.predicate.artifacts.entries()) {
      const path = artifactPath(a.name);
      const sigPath = signaturePath(a.name);
      const sig = readSmall(sigPath, BUNDLE_LIMITS.signatureBytes, 'a signature');
      if (typeof sig === 'string') fail('signatures', sig);
      else if (sha256Hex(sig) !== a.signature_sha256) fail('signatures', `${sigPath}: SHA-256 ${short(sha256Hex(sig))} is not the ${short(a.signature_sha256)} ${BUNDLE.statement} states (predicate.artifacts[${i}].signature_sha256)`);
      const canVerify = typeof sig !== 'string' && cert !== undefined;
      const bad = entryProblem(path) ?? (entries.get(path)!.size !== a.size ? `${path}: ${entries.get(path)!.size} bytes, ${BUNDLE.statement} states ${a.size}` : undefined);
      if (bad) {
        fail('artifacts', bad);
        if (canVerify) fail('signatures', `${sigPath}: not verified: ${path} is not the artifact ${BUNDLE.statement} states`);
        continue;
      }
      const hash = createHash('sha256');
      const verifier = canVerify ? signatureVerifier(cert!) : undefined;
      let size: number;
      try {
        size = reader.stream(path, (chunk) => {
          hash.update(chunk);
          verifier?.update(chunk);
        });
      } catch (err) {
        fail('artifacts', `${path}: cannot be read (${errCode(err)})`);
        if (canVerify) fail('signatures', `${sigPath}: not verified: ${path} cannot be read`);
        continue;
      }
      const digest = hash.digest('hex');
      if (size !== a.size) fail('artifacts', `${path}: ${size} bytes read, ${BUNDLE.statement} states ${a.size} (it changed while it was read)`);
      else if (digest !== a.sha256) fail('artifacts', `${path}: SHA-256 ${short(digest)} is not the ${short(a.sha256)} ${BUNDLE.statement} states`);
      if (verifier && !verifier.verify(sig as Buffer)) fail('signatures', `${sigPath}: does not verify over ${path} with the key of ${BUNDLE.certificate}`);
    }
  });
  guard('files', () => extraEntries(entries, statement).forEach((p) => fail('files', p)));

  const p = statement?.predicate;
  return report(
    p && cert && typeof statementBytes !== 'string'
      ? { buildId: p.request.build_id, channel: p.request.channel, version: p.request.version, artifacts: p.artifacts.length, signer: cert.name, certificateSha256: cert.sha256, key: cert.keyDescription, statementSha256: sha256Hex(statementBytes) }
      : undefined,
  );
}

function trustedSha256(trust: ReleaseTrust | undefined): { sha256?: string; problem?: string } {
  if (trust?.certificatePem !== undefined) {
    const der = pemCertificate(String(trust.certificatePem), false);
    return der ? { sha256: fingerprintOf(der) } : { problem: '--trust: not a PEM certificate' };
  }
  if (trust?.sha256 !== undefined) {
    const sha256 = normalizeFingerprint(String(trust.sha256));
    return sha256 ? { sha256 } : { problem: `--trust: ${shown(trust.sha256)} is not a SHA-256 fingerprint (64 hex digits)` };
  }
  return { problem: '--trust: no authority given; a release is only as good as the certificate it is checked against' };
}

/** The subjects name the predicate's artifacts with their digests, in order, each once. */
function subjectProblems(s: ReleaseStatement): string[] {
  const problems: string[] = [];
  const { subject } = s;
  const artifacts = s.predicate.artifacts;
  if (subject.length !== artifacts.length) problems.push(`${BUNDLE.statement}: subject lists ${subject.length} artifacts, predicate.artifacts ${artifacts.length}`);
  for (let i = 0; i < Math.min(subject.length, artifacts.length); i++) {
    if (subject[i].name !== artifacts[i].name) problems.push(`${BUNDLE.statement}: subject[${i}].name ${shown(subject[i].name)} is not predicate.artifacts[${i}].name ${shown(artifacts[i].name)}`);
    else if (subject[i].digest.sha256 !== artifacts[i].sha256) problems.push(`${BUNDLE.statement}: subject[${i}].digest.sha256 ${short(subject[i].digest.sha256)} is not predicate.artifacts[${i}].sha256 ${short(artifacts[i].sha256)}`);
  }
  const seen = new Set<string>();
  artifacts.forEach((a, i) => {
    if (seen.has(a.name)) problems.push(`${BUNDLE.statement}: predicate.artifacts[${i}].name ${shown(a.name)} is listed twice`);
    seen.add(a.name);
  });
  return problems;
}

/** request.json is the request release.json names, and release.json signs exactly what it asked for. */
function requestProblems(bytes: Buffer, s: ReleaseStatement): string[] {
  const r = s.predicate.request;
  const problems: string[] = [];
  const sha = sha256Hex(bytes);
  if (sha !== r.sha256) problems.push(`${BUNDLE.request}: SHA-256 ${short(sha)} is not the ${short(r.sha256)} ${BUNDLE.statement} states (predicate.request.sha256)`);
  const { request, problems: bad } = parseSigningRequest(bytes, 'release');
  problems.push(...bad.map((p) => `${BUNDLE.request}: ${p}`));
  if (!request) return problems;
  const fields: Array<[string, unknown, unknown]> = [
    ['id', request.requestId, r.id],
    ['build_id', request.buildId, r.build_id],
    ['source_revision', request.sourceRevision, r.source_revision],
    ['channel', request.channel, r.channel],
    ['version', request.version, r.version],
  ];
  for (const [field, asked, stated] of fields) {
    if (asked !== stated) problems.push(`${BUNDLE.request}: ${field} ${shown(asked)} is not predicate.request.${field} ${shown(stated)} in ${BUNDLE.statement}`);
  }
  const artifacts = s.predicate.artifacts;
  if (request.artifacts.length !== artifacts.length) problems.push(`${BUNDLE.request}: asks for ${request.artifacts.length} artifacts, ${BUNDLE.statement} lists ${artifacts.length}`);
  request.artifacts.slice(0, artifacts.length).forEach((a, i) => {
    for (const field of ['name', 'kind', 'size', 'sha256'] as const) {
      if (a[field] !== artifacts[i][field]) problems.push(`${BUNDLE.request}: artifact ${i} ${field} ${shown(a[field])} is not predicate.artifacts[${i}].${field} ${shown(artifacts[i][field])} in ${BUNDLE.statement}`);
    }
  });
  return problems;
}

/** Every entry the layout has no place for (a directory's contents counted under it), and layout directories that are not directories. */
function extraEntries(entries: ReadonlyMap<string, BundleEntry>, s: ReleaseStatement | undefined): string[] {
  const files = new Set<string>([BUNDLE.request, BUNDLE.certificate, BUNDLE.statement, BUNDLE.statementSignature]);
  for (const a of s?.predicate.artifacts ?? []) files.add(artifactPath(a.name)).add(signaturePath(a.name));
  const dirs = new Set<string>([BUNDLE.artifacts, BUNDLE.signatures]);
  const problems: string[] = [];
  // The listing is depth first, so what an unexpected directory holds follows it: counted there, not named one by one.
  let extraDir: { path: string; at: number; holds: number } | undefined;
  const closeDir = () => {
    if (extraDir) problems[extraDir.at] = `unexpected directory ${shown(`${extraDir.path}/`)}${extraDir.holds > 0 ? ` (holding ${extraDir.holds} ${extraDir.holds === 1 ? 'entry' : 'entries'})` : ''}`;
    extraDir = undefined;
  };
  for (const e of entries.values()) {
    if (extraDir && e.path.startsWith(`${extraDir.path}/`)) {
      extraDir.holds++;
      continue;
    }
    closeDir();
    if (dirs.has(e.path)) {
      if (e.type !== 'directory') problems.push(`${e.path}: is ${typeWord(e)}, not a directory`);
      continue;
    }
    // A listed file whose own check names what is wrong with it; without a statement only the fixed ones are known.
    if (files.has(e.path)) continue;
    if (!s && (e.path.startsWith(`${BUNDLE.artifacts}/`) || e.path.startsWith(`${BUNDLE.signatures}/`))) continue;
    if (e.type === 'directory') extraDir = { path: e.path, at: problems.push('') - 1, holds: 0 };
    else problems.push(`unexpected ${typeWord(e).replace(/^an? /, '')} ${shown(e.path)}`);
  }
  closeDir();
  if (!s) problems.push(`${BUNDLE.artifacts}/ and ${BUNDLE.signatures}/ not checked: ${BUNDLE.statement} is not a release statement`);
  return problems;
}
