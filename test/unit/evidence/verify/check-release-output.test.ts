// The release statement of a signing session's packet (outputs/release/) against the session it came from: signed
// by the key of inputs/authority.pem, and naming this ceremony, its request, policy and certificate, and an
// approval statement of this journal. Built from the test bundle builder's statement (release-bundle helper).
import { beforeAll, describe, expect, it } from 'vitest';
import { Group } from '../../../../src/evidence/verify/check-context.js';
import { checkReleaseOutput } from '../../../../src/evidence/verify/check-release-output.js';
import type { NewEntry } from '../../../../src/record/journal.js';
import type { ReleaseStatement } from '../../../../src/custody/release-bundle.js';
import { buildBundle, createAuthority, resign, type BundleFiles, type TestAuthority } from '../../../helpers/release-bundle.js';
import { writeJournal } from './journal-text.js';
import { sha256Hex } from '../../../../src/record/digest.js';

let authority: TestAuthority;
let mallory: TestAuthority;
let bundle: BundleFiles;
beforeAll(async () => {
  [authority, mallory] = await Promise.all([createAuthority('ec'), createAuthority('ec', 'Mallory')]);
  bundle = buildBundle(authority, [{ name: 'system.img', kind: 'image', bytes: Buffer.from('image') }]);
}, 60_000);

const statementOf = (b: BundleFiles) => JSON.parse((b.get('release.json') as Buffer).toString('utf8')) as ReleaseStatement;

/**
 * The session the bundle's statement names: its started entry, the loaded request, an approval statement (and a
 * later one, if given), the signing step's batch with the statement's signatures, the bundle's effect.
 */
function session(b: BundleFiles, over: { release?: boolean; published?: boolean; signatures?: string[]; laterApproval?: string } = {}): NewEntry[] {
  const p = statementOf(b).predicate;
  const release = { request_sha256: p.request.sha256, policy_sha256: p.policy.sha256, certificate_sha256: p.certificate_sha256 };
  const signatures = over.signatures ?? p.artifacts.map((a) => a.signature_sha256);
  return [
    { type: 'ceremony.started', actor: 'system', data: { ceremonyId: p.ceremony_id, ...(over.release === false ? {} : { release }) } },
    { type: 'step.event', actor: 'system', step: 'load', data: { what: 'release-request', policy: { version: p.policy.version, sha256: p.policy.sha256 } } },
    { type: 'step.event', actor: 'system', step: 'approve', data: { what: 'approval-statement', sha256: p.approval_statement_sha256 } },
    ...(over.laterApproval ? ([{ type: 'step.event', actor: 'system', step: 'approve', data: { what: 'approval-statement', sha256: over.laterApproval } }] as NewEntry[]) : []),
    { type: 'result', actor: 'system', step: 'sign', data: { op: 'hsm.sign-artifacts:0', intent: 3, ok: true, output: { signatures } } },
    ...(over.published === false
      ? []
      : ([
          { type: 'intent', actor: 'system', step: 'publish', data: { op: 'release.bundle' } },
          { type: 'result', actor: 'system', step: 'publish', data: { op: 'release.bundle', intent: 6, ok: true } },
        ] as NewEntry[])),
  ];
}

function check(entries: NewEntry[], b: BundleFiles | undefined, pem = authority.pem): string[] {
  const files = new Map<string, Buffer>([['inputs/authority.pem', Buffer.from(pem)], ['inputs/request.json', bundle.get('request.json') as Buffer]]);
  if (b?.get('release.json')) files.set('outputs/release/release.json', b.get('release.json') as Buffer);
  if (b?.get('release.json.sig')) files.set('outputs/release/release.json.sig', b.get('release.json.sig') as Buffer);
  const g = new Group('outputs');
  checkReleaseOutput(g, { files, entries: writeJournal(entries).entries, started: writeJournal(entries).entries[0] });
  return g.problems;
}

describe('checkReleaseOutput', () => {
  it("passes the session's own statement, signed by its authority", () => {
    expect(check(session(bundle), bundle)).toEqual([]);
  });

  it('names the release it passes, so the report can be set beside the bundle it is said to be of', () => {
    // A packet of one release beside the bundle of another both verified, and neither report named anything the
    // other did: the note names the release and the SHA-256 of release.json, the bundle's own file byte for byte.
    const g = new Group('outputs');
    const entries = writeJournal(session(bundle)).entries;
    const files = new Map<string, Buffer>([
      ['inputs/authority.pem', Buffer.from(authority.pem)],
      ['outputs/release/release.json', bundle.get('release.json') as Buffer],
      ['outputs/release/release.json.sig', bundle.get('release.json.sig') as Buffer],
    ]);
    checkReleaseOutput(g, { files, entries, started: entries[0] });
    const p = statementOf(bundle).predicate;
    expect(g.problems).toEqual([]);
    expect(g.notes).toEqual([
      `outputs/release/release.json: release ${p.request.build_id} ${p.request.channel} v${p.request.version}, 1 artifact, signed by the authority's key (inputs/authority.pem) for this session's request, policy and approval; release.json SHA-256 ${sha256Hex(bundle.get('release.json') as Buffer)} (the bundle's must be the same)`,
    ]);
  });

  it('passes a packet without a release statement whose session published nothing', () => {
    expect(check(session(bundle, { published: false }), undefined)).toEqual([]);
  });

  it("reports a statement re-signed by a forger whose certificate replaced the packet's (the inputs check also finds it)", () => {
    expect(check(session(bundle), resign(bundle, mallory, () => undefined), mallory.pem)).toEqual([
      `outputs/release/release.json: predicate.certificate_sha256 ${authority.sha256} is not this session's ${mallory.sha256}`,
      `outputs/release/release.json: predicate.signing_key.spki_sha256 ${authority.spkiSha256} is not this session's ${mallory.spkiSha256}`,
    ]);
  });

  it.each<[string, () => string[], string[] | (() => string[])]>([
    ['a statement re-signed by another key', () => check(session(bundle), resign(bundle, mallory, () => undefined)), ['outputs/release/release.json.sig: does not verify over outputs/release/release.json with the key of inputs/authority.pem']],
    ['the statement missing from a published session', () => check(session(bundle), undefined), ['outputs/release/release.json: missing, yet the journal records the release as published']],
    ['a statement in a session that signed no release', () => check(session(bundle, { release: false }), bundle), ['outputs/release/release.json: a release statement in a packet whose ceremony signed no release']],
    [
      "another ceremony's statement",
      () => check(session(bundle), resign(bundle, authority, (s) => void (s.predicate.ceremony_id = 'another-ceremony'))),
      [`outputs/release/release.json: predicate.ceremony_id another-ceremony is not this session's release-sign-20261205T1000Z`],
    ],
    [
      'an approval the journal does not hold',
      () => check(session(bundle), resign(bundle, authority, (s) => void (s.predicate.approval_statement_sha256 = 'e'.repeat(64)))),
      [`outputs/release/release.json: predicate.approval_statement_sha256 ${'e'.repeat(64)} names no approval statement of this journal`],
    ],
    [
      'an approval that is not the one in force when the bundle was written (a later attempt replaced it)',
      () => check(session(bundle, { laterApproval: '9'.repeat(64) }), bundle),
      () => [`outputs/release/release.json: predicate.approval_statement_sha256 ${statementOf(bundle).predicate.approval_statement_sha256} is not the approval in force when the bundle was written (${'9'.repeat(64)})`],
    ],
    [
      'signatures the signing step did not record',
      () => check(session(bundle, { signatures: ['0'.repeat(64)] }), bundle),
      ['outputs/release/release.json: predicate.artifacts[].signature_sha256 are not the signatures the journal recorded (hsm.sign-artifacts)'],
    ],
    [
      "artifacts that are not the request's",
      () => check(session(bundle), resign(bundle, authority, (s) => void (s.predicate.artifacts[0].size += 1))),
      ["outputs/release/release.json: predicate.artifacts (names, sizes, SHA-256) are not the request's in inputs/request.json"],
    ],
    [
      'another policy',
      () => check(session(bundle), resign(bundle, authority, (s) => void (s.predicate.policy.sha256 = 'a'.repeat(64)))),
      () => [`outputs/release/release.json: predicate.policy.sha256 ${'a'.repeat(64)} is not this session's ${statementOf(bundle).predicate.policy.sha256}`],
    ],
    [
      'another request',
      () => check(session(bundle), resign(bundle, authority, (s) => void (s.predicate.request.sha256 = 'f'.repeat(64)))),
      () => [`outputs/release/release.json: predicate.request.sha256 ${'f'.repeat(64)} is not this session's ${statementOf(bundle).predicate.request.sha256}`],
    ],
  ])('reports %s', (_what, run, problems) => {
    expect(run()).toEqual(typeof problems === 'function' ? problems() : problems);
  });
});
