// The rules for officers' tokens: who may approve, what an approval may name, what enrollment needs, and the
// dual-control minimum for approvals. Each row edits a valid script and expects exactly these problems.
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';

const BASE = `id: officers
title: Officers
version: 1
authority: manifest
site:
  hsm: test-hsm
roles:
  admin:
    title: Administrator
    people: 1
  officer:
    title: Crypto Officer
    people: 3
    identity: piv
  candidate:
    title: Candidate
    people: 2
steps:
  - id: check-in
    kind: participants.check-in
    title: Check in
    instructions: Everyone checks in.
    perform: admin
  - id: init
    kind: hsm.init-token
    title: Token
    instructions: PIN halves.
    perform: candidate
    params:
      pin_holders: { role: candidate, people: 2 }
  - id: evidence
    kind: evidence.init-key
    title: Evidence key
    instructions: Evidence key.
    perform: candidate
  - id: ca-key
    kind: hsm.generate-key
    title: CA key
    instructions: CA key.
    perform: candidate
    on_failure: abort
    params: { label: ca, algorithm: EC-P256, authority: manifest, purpose: enrollment CA }
  - id: ca-cert
    kind: hsm.self-signed-certificate
    title: CA certificate
    instructions: CA certificate.
    perform: candidate
    params: { key: ca, subject: { CN: CA }, validity_days: 10 }
  - id: approve
    kind: quorum.approve
    title: Approve
    instructions: Approve the enrollment.
    perform: officer
    params: { role: officer, threshold: 2, approve: enroll-1 }
  - id: enroll-1
    kind: piv.enroll
    title: Enroll
    instructions: Enroll candidate 1.
    perform: admin
    params: { officer: { role: candidate, index: 1 }, issuer: ca }
  - id: roster
    kind: roster.sign
    title: Roster
    instructions: Sign the roster.
    perform: officer
    params: { signing_policy: { role: officer, threshold: 2 } }
`;

function problems(text: string): string[] {
  const r = parseScript('s.yaml', text);
  return r.errors.map(formatProblem).map((l) => l.replace(/^s\.yaml:\d+:\d+ /, ''));
}

describe('rules for officers, approvals and enrollment', () => {
  it('accepts the base script', () => {
    expect(problems(BASE)).toEqual([]);
  });

  it.each([
    {
      name: 'an approval threshold of 1 (dual control)',
      edit: (s: string) => s.replace('threshold: 2, approve: enroll-1', 'threshold: 1, approve: enroll-1'),
      want: ['steps[5].params.threshold: dual control: at least 2 distinct people must approve'],
    },
    {
      name: 'more approvals than the role checks in',
      edit: (s: string) => s.replace('threshold: 2, approve: enroll-1', 'threshold: 4, approve: enroll-1'),
      want: ['steps[5].params.threshold: 4 approvals needed but role "officer" checks in 3 people'],
    },
    {
      name: 'approvers whose role checks in by document',
      edit: (s: string) => s.replace('params: { role: officer, threshold: 2, approve: enroll-1 }', 'params: { role: candidate, threshold: 2, approve: enroll-1 }'),
      want: ['steps[5].params.role: approvers sign with their PIV tokens: role "candidate" needs identity: piv'],
    },
    {
      name: 'a roster needed, but nobody checks in by token to countersign the record',
      edit: (s: string) => s.replace('    people: 3\n    identity: piv\n', '    people: 3\n'),
      want: [
        'steps[5].kind: quorum.approve needs the officer roster, but no role checks in by PIV token: officers present must countersign the record when the ceremony ends',
        'steps[5].params.role: approvers sign with their PIV tokens: role "officer" needs identity: piv',
      ],
    },
    {
      name: 'an approval of an earlier step',
      edit: (s: string) => s.replace('approve: enroll-1 }', 'approve: ca-key }'),
      want: ['steps[5].params.approve: approves steps[3], which comes before it; approvals precede what they approve'],
    },
    {
      name: 'an approval of a step that does not exist',
      edit: (s: string) => s.replace('approve: enroll-1 }', 'approve: nowhere }'),
      want: ['steps[5].params.approve: no step "nowhere" to approve (a later step id, or "record")'],
    },
    {
      name: 'enrolling a person who is not there',
      edit: (s: string) => s.replace('index: 1 }', 'index: 3 }'),
      want: ['steps[6].params.officer.index: role "candidate" has 2 people; there is no person 3'],
    },
    {
      name: 'enrolling a role that checks in by token',
      edit: (s: string) => s.replace('officer: { role: candidate, index: 1 }', 'officer: { role: officer, index: 1 }'),
      want: ['steps[6].params.officer.role: role "officer" checks in by PIV token; people being enrolled have no token yet (identity: document)'],
    },
    {
      name: 'an enrollment CA without a certificate',
      edit: (s: string) => s.replace("params: { key: ca, subject: { CN: CA }, validity_days: 10 }", "params: { key: ca, subject: { CN: CA }, validity_days: 10 }").replace('issuer: ca }', 'issuer: evidence-ca }'),
      want: ['steps[6].params.issuer: enrollment CA key "evidence-ca" is not generated by an earlier step'],
    },
    {
      name: 'a roster signed before an enrollment',
      edit: (s: string) =>
        `${s}  - id: enroll-2
    kind: piv.enroll
    title: Enroll 2
    instructions: Enroll candidate 2.
    perform: admin
    params: { officer: { role: candidate, index: 2 }, issuer: ca }
`,
      want: ['steps[7].kind: steps[8] changes the officers after the roster is signed'],
    },
    {
      name: 'enrollment without the identity slot 9a',
      edit: (s: string) => s.replace('params: { officer: { role: candidate, index: 1 }, issuer: ca }', 'params: { officer: { role: candidate, index: 1 }, issuer: ca, slots: [9c, 9d] }'),
      want: ['steps[6].params.slots: must include 9a: the key officers prove their presence and approve with'],
    },
    {
      name: 'a roster policy of one signer',
      edit: (s: string) => s.replace('signing_policy: { role: officer, threshold: 2 }', 'signing_policy: { role: officer, threshold: 1 }'),
      want: ['steps[7].params.signing_policy.threshold: dual control: at least 2 distinct people'],
    },
  ])('refuses $name', ({ edit, want }) => {
    expect(problems(edit(BASE))).toEqual(want);
  });
});

describe('what an approval may bind', () => {
  it('refuses approving a step whose values are typed in later', () => {
    const text = BASE.replace(
      'params: { role: officer, threshold: 2, approve: enroll-1 }',
      'params: { role: officer, threshold: 2, approve: revoke }',
    ).replace(
      '  - id: enroll-1',
      `  - id: revoke
    kind: officer.revoke
    title: Revoke
    instructions: Type the serial.
    perform: admin
    params: { record_by: admin }
  - id: enroll-1`,
    );
    expect(problems(text)).toEqual(['steps[5].params.approve: steps[6] (officer.revoke) takes values typed in at the time, which an approval cannot bind; approve "record" after it instead']);
  });
});
