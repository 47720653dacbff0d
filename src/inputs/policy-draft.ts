// The release policy draft people review before the policy ceremony (`officiant policy draft`), built from flags
// and files so that nobody writes its JSON by hand. The signing key's SPKI SHA-256 comes from the authority's
// certificate, never typed, and so does its algorithm unless --algorithm names it; version and previous_sha256
// come from the adopted policy it replaces (--previous). The bytes about to be written are then read exactly
// as the policy ceremony reads a draft (custody readPolicyDraft): whatever the ceremony would refuse is refused
// here, every problem at once, each named by the flag that set it. Nothing is written here.
import { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { readAuthorityCertificate } from '../custody/authority-certificate.js';
import { POLICY_TYPE, PolicyBody, readPolicyDraft, SIGNATURE_ALGORITHMS } from '../custody/release-policy.js';
import { openDocument } from '../custody/roster-document.js';
import { statementWords } from '../custody/quorum.js';
import { unsignedDocument } from '../custody/signed-document.js';
import { DRAFT_DEFAULTS, draftKeys, draftNumbers, type DraftFlagProblems } from './policy-draft-flags.js';
import type { InputFiles } from './input-files.types.js';
import { flagOfField, inputProblem, loaded, readBytes, type InputProblem, type Loaded } from './problems.js';
import { timeFromFlag } from './time-flag.js';

export interface PolicyDraftFlags {
  authority: string;
  certificate: string;
  label: string;
  /** Comma-separated artifact kinds the key signs. */
  kinds: string;
  algorithm?: string;
  /** `<role>:<count>` or `<count>`. */
  approvals?: string;
  maxArtifacts?: string;
  maxBytes?: string;
  maxRequestAgeHours?: string;
  /** An ISO time or a duration from now (90d). */
  expires?: string;
  previous?: string;
  requireBuilderSignature?: boolean;
  builderKey?: string[];
  deny?: string[];
  out: string;
}

export interface PolicyDraft {
  body: PolicyBody;
  /** What is written: 2-space JSON, one trailing newline. */
  bytes: Buffer;
  /** The SHA-256 the policy ceremony shows (of the body's canonical JSON): the policy's name once adopted. */
  policySha256: string;
  words: string[];
  certificate: { name: string; keyDescription: string };
}

/** The draft, or every reason the policy ceremony would refuse it (and an --out that exists). */
export function draftPolicy(files: InputFiles, flags: PolicyDraftFlags, now: Date): Loaded<PolicyDraft> {
  const problems: Array<[string, string]> = [];
  const fileProblems: InputProblem[] = [];
  const p: DraftFlagProblems = { flag: (flag, message) => problems.push([flag, message]), file: (problem) => fileProblems.push(problem) };
  const exists = files.exists(flags.out) ? [inputProblem('input.file-exists', flags.out, '--out', `${flags.out} already exists`)] : [];
  if (flags.authority !== 'release') p.flag('--authority', flags.authority === 'manifest' ? 'the manifest authority has no release signing policy: policy draft is for the release authority' : `unknown authority ${JSON.stringify(flags.authority)} (release)`);

  const cert = readBytes(files, flags.certificate, 'certificate');
  if (cert.problem) p.file(cert.problem);
  const authority = cert.bytes ? readAuthorityCertificate(cert.bytes) : undefined;
  if (typeof authority === 'string') p.flag('--certificate', `${flags.certificate}: ${authority}`);
  const key = typeof authority === 'object' ? authority : undefined;
  const algorithm = flags.algorithm ?? key?.algorithm ?? SIGNATURE_ALGORITHMS[0];
  if (key && flags.algorithm && (SIGNATURE_ALGORITHMS as readonly string[]).includes(flags.algorithm) && flags.algorithm !== key.algorithm) {
    p.flag('--algorithm', `${flags.algorithm} does not fit the certificate's ${key.keyDescription} key, which signs ${key.algorithm}`);
  }

  const previous = flags.previous ? readPrevious(files, flags.previous, p) : undefined;
  const issuedAt = wholeSeconds(now.toISOString());
  const expires = timeFromFlag(flags.expires ?? DRAFT_DEFAULTS.expires, now);
  if (!expires) p.flag('--expires', `${JSON.stringify(flags.expires)} is neither a time (2027-03-31T00:00:00Z) nor a duration (90d, 2160h)`);
  const numbers = draftNumbers(flags, p);
  const keys = draftKeys(files, flags, p);
  const body = {
    format: POLICY_TYPE,
    authority: 'release',
    version: previous ? previous.version + 1 : 1,
    previous_sha256: previous?.sha256 ?? null,
    issued_at: issuedAt,
    expires_at: expires ? wholeSeconds(expires) : wholeSeconds(timeFromFlag(DRAFT_DEFAULTS.expires, now)!),
    keys: [{ label: flags.label, spki_sha256: key?.spkiSha256 ?? '0'.repeat(64), algorithm, kinds: flags.kinds.split(',').map((k) => k.trim()).filter((k) => k !== '') }],
    approvals: numbers.approvals,
    limits: numbers.limits,
    version_rule: 'increasing-per-channel',
    require_builder_signature: flags.requireBuilderSignature === true,
    builder_keys: keys.builder.map((k) => ({ keyid: k.spkiSha256, public_key: spkiPem(k.key) })),
    deny_list: keys.denied.map((k) => ({ name: k.name, source: k.source, spki_sha256: k.spkiSha256, public_key: spkiPem(k.key) })),
  };
  const bytes = Buffer.from(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
  // The policy ceremony's own read of a draft, on the very bytes written: no second set of rules here.
  const read = readPolicyDraft(bytes);
  for (const problem of read.problems) p.flag(...flagOf(problem));

  const all = [...exists, ...fileProblems, ...problems.map(([flag, message]) => inputProblem('input.request-invalid', flags.out, flag, `${flag}: ${message}`))];
  const group = `the policy draft was not written: ${all.length} problem(s)`;
  if (all.length > 0 || !read.policy || !key) return { problems: all.map((x) => ({ ...x, group })) };
  const policySha256 = unsignedDocument(POLICY_TYPE, read.policy.body).payload_sha256;
  return loaded({ body: read.policy.body, bytes, policySha256, words: statementWords(policySha256), certificate: { name: key.name, keyDescription: key.keyDescription } }, []);
}

// The policy's fields, and the flag that sets each: the ceremony's problems name fields, a person typed flags.
const FIELD_FLAGS: Array<[RegExp, string]> = [
  [/^keys\[\d+\]\.label\b/, '--label'],
  [/^keys\[\d+\]\.spki_sha256\b/, '--certificate'],
  [/^keys\[\d+\]\.algorithm\b/, '--algorithm'],
  [/^keys\[\d+\]\.kinds\b/, '--kinds'],
  [/^approvals\b/, '--approvals'],
  [/^limits\.max_artifacts\b/, '--max-artifacts'],
  [/^limits\.max_bytes\b/, '--max-bytes'],
  [/^limits\.max_request_age_hours\b/, '--max-request-age-hours'],
  [/^(issued_at|expires_at)\b/, '--expires'],
  [/^(version|previous_sha256)\b/, '--previous'],
  [/^(builder_keys|require_builder_signature)\b/, '--builder-key'],
  [/^deny_list\b/, '--deny'],
];

/** A problem of the ceremony's read as `[flag, fact (the policy's field)]`. */
const flagOf = (problem: string) => flagOfField(problem, 'policy', 'policy', FIELD_FLAGS);

/** The adopted policy a new version replaces: its version and SHA-256 (the payload its officers signed). */
function readPrevious(files: InputFiles, path: string, p: DraftFlagProblems): { version: number; sha256: string } | undefined {
  const read = readBytes(files, path, 'previous policy');
  if (read.problem) return void p.file(read.problem);
  let raw: unknown;
  try {
    raw = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    return void p.flag('--previous', `${path}: is not valid JSON`);
  }
  if ((raw as { format?: unknown } | null)?.format === POLICY_TYPE) return void p.flag('--previous', `${path}: is a draft, not an adopted policy: give the policy ceremony's outputs/policy.json`);
  const problems: string[] = [];
  const opened = openDocument('policy', raw, POLICY_TYPE, PolicyBody as z.ZodType<PolicyBody>, problems);
  for (const problem of problems) p.flag('--previous', `${path}: ${problem}`);
  return opened.body && opened.sha256 && problems.length === 0 ? { version: opened.body.version, sha256: opened.sha256 } : undefined;
}

const wholeSeconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
const spkiPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
