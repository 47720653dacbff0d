// A release policy as signing sessions load it: a signed document (the roster's envelope, payload type
// POLICY_TYPE) whose body reads as a consistent policy (release-policy.ts), signed by the roster's threshold of
// distinct active officers holding its signing role, each with the 9a certificate the roster gives them, and
// not expired (nor issued in the future). Pure: the document, the roster and the time in; the policy, its
// payload SHA-256 (the policy's name in the journal and on pages) and every problem out.
import { openDocument } from './roster-document.js';
import { checkSignatures } from './roster-signatures.js';
import type { RosterBody } from './roster.types.js';
import { POLICY_TYPE, PolicyBody, readPolicyBody, type ReleasePolicy } from './release-policy.js';

export interface PolicyVerification {
  policy?: ReleasePolicy;
  sha256?: string;
  problems: string[];
  notes: string[];
}

export function verifyPolicyDocument(raw: unknown, roster: RosterBody, now: Date): PolicyVerification {
  const problems: string[] = [];
  const notes: string[] = [];
  const opened = openDocument('policy', raw, POLICY_TYPE, PolicyBody, problems);
  if (!opened.body || !opened.doc || !opened.bytes) return { problems, notes };
  const read = readPolicyBody(opened.body);
  problems.push(...read.problems.map((p) => `policy body: ${p}`));
  checkSignatures('policy', opened.doc, opened.bytes, { kind: 'current', roster }, problems, notes);
  const { version, issued_at, expires_at } = opened.body;
  if (now.getTime() >= Date.parse(expires_at)) problems.push(`policy version ${version} expired at ${expires_at}`);
  if (now.getTime() < Date.parse(issued_at)) problems.push(`policy version ${version} is issued at ${issued_at}, after now (${now.toISOString()})`);
  if (problems.length > 0 || !read.policy) return { problems, notes };
  return { policy: read.policy, sha256: opened.sha256, problems, notes };
}
