// A release session's signed release statement (outputs/release/): its signature verifies with the key of the
// authority certificate the session started with (inputs/authority.pem, itself checked against the journal's
// first entry), and the statement is this session's: its ceremony, its request, its policy, its certificate and
// the digest of the approval statement the officers signed in this journal. A statement and signature copied in
// from another session, or re-signed by another key, fail here even when the packet's manifest was re-signed.
import { readAuthorityCertificate, signatureVerifier } from '../../custody/authority-certificate.js';
import { parseReleaseStatement } from '../../custody/release-bundle.js';
import { parseSigningRequest } from '../../custody/release-request.js';
import { INPUT_COPIES, RELEASE_OUTPUTS } from '../packet-files.js';
import { isObject } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';
import type { Context, Group } from './check-context.js';

export function checkReleaseOutput(g: Group, ctx: Context): void {
  const { statement: statementPath, signature: signaturePath } = RELEASE_OUTPUTS;
  const bytes = ctx.files.get(statementPath);
  const sig = ctx.files.get(signaturePath);
  const release = isObject(ctx.started?.data.release) ? ctx.started.data.release : undefined;
  const published = ctx.entries.some((e) => e.type === 'result' && e.data.op === 'release.bundle' && e.data.ok === true);
  if (!bytes && !sig) {
    if (published) g.fail(`${statementPath}: missing, yet the journal records the release as published`);
    return;
  }
  if (!release) return void g.fail(`${statementPath}: a release statement in a packet whose ceremony signed no release`);
  if (!bytes || !sig) return void g.fail(`${!bytes ? statementPath : signaturePath}: missing (the other of the pair is there)`);
  const pem = ctx.files.get(INPUT_COPIES.certificate);
  const cert = pem ? readAuthorityCertificate(pem) : `${INPUT_COPIES.certificate} is missing`;
  if (typeof cert === 'string') return void g.fail(`${signaturePath}: not checked: ${cert}`);
  const before = g.problems.length;
  const verifier = signatureVerifier(cert);
  verifier.update(bytes);
  if (!verifier.verify(sig)) g.fail(`${signaturePath}: does not verify over ${statementPath} with the key of ${INPUT_COPIES.certificate}`);
  const { statement, problems } = parseReleaseStatement(bytes);
  if (!statement) return void g.fail(`${statementPath}: ${problems.join('; ')}`);
  const p = statement.predicate;
  const approvals = ctx.entries.filter((e) => e.type === 'step.event' && e.data.what === 'approval-statement').map((e) => String(e.data.sha256));
  const loaded = ctx.entries.find((e) => e.type === 'step.event' && e.data.what === 'release-request');
  const policy = isObject(loaded?.data.policy) ? loaded.data.policy.sha256 : undefined;
  const bound: Array<[string, unknown, unknown]> = [
    ['ceremony_id', p.ceremony_id, ctx.started?.data.ceremonyId],
    ['request.sha256', p.request.sha256, release.request_sha256],
    ['policy.sha256', p.policy.sha256, policy],
    ['certificate_sha256', p.certificate_sha256, cert.sha256],
    ['signing_key.spki_sha256', p.signing_key.spki_sha256, cert.spkiSha256],
  ];
  for (const [field, got, want] of bound) if (got !== want) g.fail(`${statementPath}: predicate.${field} ${String(got)} is not this session's ${String(want)}`);
  // The approval in force when the bundle was written: the last statement before publish's bundle (publish names it).
  const writing = ctx.entries.map((e) => e.type === 'intent' && e.data.op === 'release.bundle').lastIndexOf(true);
  const inForce = ctx.entries.slice(0, writing < 0 ? ctx.entries.length : writing).filter((e) => e.type === 'step.event' && e.data.what === 'approval-statement').pop();
  if (!approvals.includes(p.approval_statement_sha256)) g.fail(`${statementPath}: predicate.approval_statement_sha256 ${p.approval_statement_sha256} names no approval statement of this journal`);
  else if (p.approval_statement_sha256 !== inForce?.data.sha256) g.fail(`${statementPath}: predicate.approval_statement_sha256 ${p.approval_statement_sha256} is not the approval in force when the bundle was written (${String(inForce?.data.sha256)})`);
  bindArtifacts(g, ctx, p.artifacts);
  // Named, with the SHA-256 of the statement (the bundle's release.json byte for byte): a packet is only evidence of
  // the bundle whose statement it holds, and without this the report said nothing to set beside the bundle.
  const n = p.artifacts.length;
  const named = `release ${p.request.build_id} ${p.request.channel} v${p.request.version}, ${n} artifact${n === 1 ? '' : 's'}`;
  if (g.problems.length === before) g.note(`${statementPath}: ${named}, signed by the authority's key (${INPUT_COPIES.certificate}) for this session's request, policy and approval; release.json SHA-256 ${sha256Hex(bytes)} (the bundle's must be the same)`);
}

/** The statement's artifacts are the request's (inputs/), and their signatures the ones the signing step recorded. */
function bindArtifacts(g: Group, ctx: Context, artifacts: ReadonlyArray<{ name: string; size: number; sha256: string; signature_sha256: string }>): void {
  const { statement: statementPath } = RELEASE_OUTPUTS;
  const requestBytes = ctx.files.get(INPUT_COPIES.request);
  const request = requestBytes ? parseSigningRequest(requestBytes, 'release').request : undefined;
  const line = (a: { name: string; size: number; sha256: string }) => `${a.name} ${a.size} ${a.sha256}`;
  if (request && request.artifacts.map(line).join('\n') !== artifacts.map(line).join('\n')) {
    g.fail(`${statementPath}: predicate.artifacts (names, sizes, SHA-256) are not the request's in ${INPUT_COPIES.request}`);
  }
  const batches = new Map<number, string[]>();
  for (const e of ctx.entries) {
    const op = String(e.data.op ?? '');
    if (e.type !== 'result' || e.data.ok !== true || !op.startsWith('hsm.sign-artifacts:') || !isObject(e.data.output)) continue;
    const made = e.data.output.signatures;
    if (Array.isArray(made)) batches.set(Number(op.slice(op.indexOf(':') + 1)), made.map(String));
  }
  const recorded = [...batches].sort(([a], [b]) => a - b).flatMap(([, s]) => s);
  if (recorded.join('\n') !== artifacts.map((a) => a.signature_sha256).join('\n')) {
    g.fail(`${statementPath}: predicate.artifacts[].signature_sha256 are not the signatures the journal recorded (hsm.sign-artifacts)`);
  }
}
