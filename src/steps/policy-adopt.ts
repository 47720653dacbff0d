// policy.adopt: a release signing policy takes effect. The draft (--policy, an unsigned policy body) is checked
// for shape and consistency, shown with its SHA-256 and six words; then the roster's threshold of distinct
// active officers holding its signing role, checked in by token, each confirm and sign the exact payload with
// their 9a key (the roster's signed-document envelope). The result is verified as a signing session will load
// it before it is written to outputs/policy.json. A crash re-signs the same journaled draft and keeps the
// signatures already made.
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import { POLICY_TYPE, readPolicyDraft } from '../custody/release-policy.js';
import { verifyPolicyDocument } from '../custody/release-policy-document.js';
import { certificateSha256, payloadBytes, unsignedDocument, type DocumentSignature } from '../custody/signed-document.js';
import { statementWords } from '../custody/quorum.js';
import type { RosterOfficer } from '../custody/roster.types.js';
import { deviceChoices, signWithPin } from '../engine/piv-officer.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export const POLICY_OUTPUT = 'outputs/policy.json';

export const policyAdopt: StepHandler<'policy.adopt'> = {
  kind: 'policy.adopt',
  needs: STEP_NEEDS['policy.adopt'],
  async run(ctx) {
    const read = readPolicyDraft(ctx.policyDraft().bytes);
    if (!read.policy) throw new OfficiantError('input.request-invalid', `the policy draft is refused: ${read.problems.join('; ')}`, { details: read.problems });
    const body = read.policy.body;
    const roster = ctx.roster();
    const rule = roster.signing_policy;
    if (!roster.officers.some((o) => o.status === 'active' && o.roles.includes(body.approvals.role))) {
      throw new OfficiantError('input.request-invalid', `the policy's approvals name role "${body.approvals.role}", which no active officer on the roster holds`);
    }
    const doc = unsignedDocument(POLICY_TYPE, body);
    const words = statementWords(doc.payload_sha256);
    ctx.prompter.say(`  Release signing policy version ${body.version}${body.previous_sha256 ? `, replacing ${body.previous_sha256}` : ' (first policy)'}, valid until ${body.expires_at}`);
    for (const k of body.keys) ctx.prompter.say(`    key ${k.label} (${k.algorithm}, SPKI SHA-256 ${k.spki_sha256}) signs ${k.kinds.join(', ')}`);
    ctx.prompter.say(`    each release needs ${body.approvals.threshold} approvals by ${body.approvals.role}; at most ${body.limits.max_artifacts} artifacts, ${body.limits.max_bytes} bytes, ${body.limits.max_request_age_hours} h old`);
    ctx.prompter.say(`  Policy SHA-256: ${doc.payload_sha256}`);
    ctx.prompter.say(`  Everyone reads these words aloud and compares them with the screen: ${words.map((w, i) => `${i + 1}. ${w}`).join('  ')}`);

    const signers: Array<{ person: Person; officer: RosterOfficer }> = [];
    for (const p of ctx.people(rule.role)) {
      const o = roster.officers.find((x) => x.id === p.officer && x.status === 'active');
      if (o) signers.push({ person: p, officer: o });
    }
    if (signers.length < rule.threshold) throw new OfficiantError('ceremony.quorum-not-met', `quorum not met: ${signers.length}/${rule.threshold} active ${rule.role} officers checked in to sign the policy`);
    signers.splice(rule.threshold);
    const mine = ctx.entries().filter((e) => e.step === ctx.step.id);
    const attempt = mine.slice(mine.map((e) => e.type).lastIndexOf('deviation') + 1);
    if (!attempt.some((e) => e.type === 'step.event' && e.data.what === 'policy-draft')) ctx.event('policy-draft', { version: body.version, policy_sha256: doc.payload_sha256, words });
    const before = attempt.filter((e) => e.type === 'step.event' && e.data.what === 'policy-signature' && e.data.policy_sha256 === doc.payload_sha256);
    const bytes = payloadBytes(body);
    for (const [i, s] of signers.entries()) {
      const cert = s.officer.keys['9a']!.certificate;
      const sig = (signature: string): DocumentSignature => ({ officer: s.officer.id, device_serial: s.officer.device.serial, slot: '9a', certificate: cert, signature });
      const earlier = before.find((e) => e.data.officer === s.officer.id);
      if (earlier) {
        doc.signatures.push(sig(String(earlier.data.signature)));
        continue;
      }
      const serial = await ctx.prompter.chooseDevice({ stepId: ctx.step.id, id: `signer-${i + 1}`, message: `Policy signature ${i + 1} of ${signers.length}: ${s.person.name}`, suggested: s.officer.device.serial }, deviceChoices(ctx, roster));
      if (serial !== s.officer.device.serial) throw new OfficiantError('ceremony.step-failed', `device ${serial} is not ${s.person.name}'s enrolled device ${s.officer.device.serial}`);
      const yes = await ctx.prompter.confirm(s.person, `Sign release policy version ${body.version}, words "${words.join(' ')}"?`, { stepId: ctx.step.id });
      if (!yes) throw new OfficiantError('ceremony.step-failed', `${s.person.name} declined to sign policy version ${body.version}`);
      const [signature] = await signWithPin(ctx, s.person, serial, [bytes]);
      doc.signatures.push(sig(signature));
      ctx.event('policy-signature', { officer: s.officer.id, device: serial, certificate_sha256: certificateSha256(cert), policy_sha256: doc.payload_sha256, signature }, s.person);
    }
    const check = verifyPolicyDocument(doc, roster, ctx.now());
    if (!check.policy) throw new OfficiantError('ceremony.step-failed', `the signed policy does not verify: ${check.problems.join('; ')}`);
    await ctx.writeOutput(POLICY_OUTPUT, `${JSON.stringify(doc, null, 2)}\n`);
    ctx.event('policy-adopted', { version: body.version, policy_sha256: doc.payload_sha256, signers: signers.map((s) => s.officer.id) });
    ctx.result('Policy version', `${body.version}${body.previous_sha256 ? ` (replaces ${body.previous_sha256})` : ' (first policy)'}`);
    ctx.result('Policy SHA-256', `${doc.payload_sha256} (words: ${words.join(' ')})`);
    ctx.result('Valid', `${body.issued_at} to ${body.expires_at}`);
    for (const k of body.keys) ctx.result(`Key ${k.label}`, `${k.algorithm}, SPKI SHA-256 ${k.spki_sha256}; signs ${k.kinds.join(', ')}`);
    ctx.result('Approvals per release', `${body.approvals.threshold} × ${body.approvals.role}`);
    ctx.result('Limits', `${body.limits.max_artifacts} artifacts, ${body.limits.max_bytes} bytes, requests at most ${body.limits.max_request_age_hours} h old`);
    ctx.result('Denied keys', `${read.policy.denied.length} (the AOSP and AVB test keys built in, ${body.deny_list.length} added)`);
    ctx.result('Signed by', signers.map((s) => `${s.officer.name} (device ${s.officer.device.serial})`).join('; '));
  },
};
