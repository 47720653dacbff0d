// roster.sign: builds the next officer roster from the roster the ceremony started with (if any), the
// officers enrolled and the revocations journaled in this ceremony, and the manifest keyring derived from it
// (the 9c keys of the active officers). Signers: for a first roster, every officer it lists (each with the
// token just enrolled); afterwards, `signing_policy.threshold` distinct active officers of the previous
// roster's signing role who checked in by token. Each signer types their PIN once; the token signs both
// documents. The result is verified as an auditor would (custody/roster.ts) before it is written to
// outputs/roster.json and outputs/keyring.json.
import { OfficiantError } from '../errors.js';
import type { JournalEntry } from '../record/journal.js';
import type { Person } from '../engine/ports.js';
import { keyringBody, verifyRosterFile } from '../custody/roster.js';
import { KEYRING_TYPE, ROSTER_FILE_FORMAT, ROSTER_TYPE, type AttestationRoot, type RosterBody, type RosterFile, type RosterOfficer } from '../custody/roster.types.js';
import { certificateSha256, payloadBytes, unsignedDocument, type DocumentSignature } from '../custody/signed-document.js';
import { sha256 as sha256Of } from '../custody/piv-attestation.js';
import { X509Certificate } from 'node:crypto';
import { OFFICER_REVOKED } from './officer-revoke.js';
import { statementWords } from '../custody/quorum.js';
import { enrolledOfficers, issuerCertificate } from './shared/enrolled-officers.js';
import { deviceChoices, signWithPin } from '../engine/piv-officer.js';
import type { StepContext, StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { KEYRING_OUTPUT, ROSTER_OUTPUT } from '../evidence/packet-files.js';

/**
 * The officers of the next roster: the previous roster's, each revoked in this ceremony marked revoked (with
 * when and why, from its officer-revoked event), then the officers enrolled today, in enrollment order.
 */
export function nextOfficers(previous: RosterBody | undefined, revocations: readonly JournalEntry[], enrolled: readonly RosterOfficer[], ceremonyId: string): RosterOfficer[] {
  const officers: RosterOfficer[] = (previous?.officers ?? []).map((o) => {
    const r = revocations.find((e) => e.data.officer === o.id);
    return r ? { ...o, status: 'revoked' as const, revoked: { at: r.time, reason: String(r.data.reason), ceremony_id: ceremonyId } } : o;
  });
  officers.push(...enrolled);
  return officers;
}

export const rosterSign: StepHandler<'roster.sign'> = {
  kind: 'roster.sign',
  needs: STEP_NEEDS['roster.sign'],
  async run(ctx) {
    const policy = ctx.step.params.signing_policy;
    const previous = ctx.rosterIfAny();
    const enrolled = enrolledOfficers(ctx);
    const revocations = ctx.entries().filter((e) => e.type === 'step.event' && e.data.what === OFFICER_REVOKED);
    const ref = ctx.ceremonyRef();
    const now = new Date().toISOString();
    const officers = nextOfficers(previous?.body, revocations, enrolled, ref.ceremony_id);
    if (officers.filter((o) => o.status === 'active').length === 0) throw new OfficiantError('ceremony.step-failed', 'the new roster would have no active officer');

    const caPem = enrolled.length > 0 ? enrollmentCa(ctx) : previous?.body.enrollment_ca.pem;
    if (!caPem) throw new OfficiantError('ceremony.step-failed', 'no enrollment CA: nothing was enrolled and there is no previous roster');
    const ca = new X509Certificate(caPem);
    if (previous && previous.body.enrollment_ca.sha256 !== sha256Of(ca.raw)) {
      throw new OfficiantError('ceremony.step-failed', `officers enrolled today were certified by another enrollment CA than the roster's (${previous.body.enrollment_ca.subject}); enroll with the roster's CA`);
    }
    const roots: AttestationRoot[] = ctx.attestationRoots().map((pem) => {
      const c = new X509Certificate(pem);
      return { subject: c.subject.replace(/\n/g, ', '), sha256: sha256Of(c.raw), pem: c.toString(), simulated: ctx.rehearsal };
    });
    // The roster of this attempt, if it was drafted before an interruption: the same bytes are signed and
    // written, so files, journal and the SHA-256 people wrote down agree. A retry drafts afresh.
    const mine = ctx.entries().filter((e) => e.step === ctx.step.id);
    const attempt = mine.slice(mine.map((e) => e.type).lastIndexOf('deviation') + 1);
    const draft = attempt.find((e) => e.type === 'step.event' && e.data.what === 'roster-draft');
    const built: RosterBody = {
      format: ROSTER_TYPE,
      authority: ctx.script.authority,
      version: previous ? previous.body.version + 1 : 1,
      previous_sha256: previous?.sha256 ?? null,
      issued_at: now,
      issued_by: { script_id: ref.script_id, ceremony_id: ref.ceremony_id },
      rehearsal: officers.some((o) => o.device.simulated) || roots.some((r) => r.simulated),
      attestation_roots: roots,
      enrollment_ca: { pem: ca.toString(), sha256: sha256Of(ca.raw), subject: ca.subject.replace(/\n/g, ', ') },
      signing_policy: { role: policy.role, threshold: policy.threshold },
      officers,
    };
    const body: RosterBody = draft ? (JSON.parse(Buffer.from(String(draft.data.roster_payload), 'base64').toString('utf8')) as RosterBody) : built;
    const roster = unsignedDocument(ROSTER_TYPE, body);
    const keyring = unsignedDocument(KEYRING_TYPE, keyringBody(body, roster.payload_sha256));
    if (!draft) ctx.event('roster-draft', { version: body.version, roster_payload: roster.payload, roster_sha256: roster.payload_sha256, keyring_sha256: keyring.payload_sha256 });
    // What the signers sign, shown before anyone types a PIN.
    const words = statementWords(roster.payload_sha256);
    const added = enrolled.map((o) => o.name);
    const revokedNow = body.officers.filter((o) => o.status === 'revoked' && o.revoked?.ceremony_id === ref.ceremony_id).map((o) => `${o.name} (${o.revoked?.reason})`);
    ctx.prompter.say(`  Roster version ${body.version}${previous ? ` replacing version ${previous.body.version}` : ' (first roster)'}: ${body.officers.filter((o) => o.status === 'active').length} active officers`);
    if (added.length > 0) ctx.prompter.say(`    enrolled today: ${added.join(', ')}`);
    if (revokedNow.length > 0) ctx.prompter.say(`    revoked today: ${revokedNow.join(', ')}`);
    ctx.prompter.say(`    the next roster needs ${policy.threshold} × ${ctx.script.roles[policy.role]?.title ?? policy.role}`);
    ctx.prompter.say(`  Roster SHA-256: ${roster.payload_sha256}`);
    ctx.prompter.say(`  Everyone reads these words aloud and compares them with the screen: ${words.map((w, i) => `${i + 1}. ${w}`).join('  ')}`);

    // Who signs, and with which certificate.
    const signers: Array<{ person: Person; officer: RosterOfficer }> = [];
    if (!previous) {
      for (const o of enrolled) {
        const person = ctx.people().find((p) => p.name === o.name);
        signers.push({ person: { name: o.name, role: person?.role ?? o.roles[0], officer: o.id, device: o.device.serial }, officer: o });
      }
    } else {
      const rule = previous.body.signing_policy;
      for (const p of ctx.people(rule.role)) {
        const o = previous.body.officers.find((x) => x.id === p.officer && x.status === 'active');
        if (o) signers.push({ person: p, officer: o });
      }
      if (signers.length < rule.threshold) {
        throw new OfficiantError('ceremony.quorum-not-met', `quorum not met: ${signers.length}/${rule.threshold} active ${rule.role} officers of roster version ${previous.body.version} checked in to sign the next one`);
      }
      signers.splice(rule.threshold);
    }
    const payloads = [payloadBytes(body), Buffer.from(keyring.payload, 'base64')];
    const signedBefore = attempt.filter((e) => e.type === 'step.event' && e.data.what === 'roster-signature' && e.data.roster_sha256 === roster.payload_sha256);
    for (const [i, s] of signers.entries()) {
      const earlier = signedBefore.find((e) => e.data.officer === s.officer.id);
      const sig = (signature: string): DocumentSignature => ({ officer: s.officer.id, device_serial: s.officer.device.serial, slot: '9a', certificate: s.officer.keys['9a']!.certificate, signature });
      if (earlier) {
        // Signed before an interruption: the signature is in the journal; the officer is not asked again.
        roster.signatures.push(sig(String(earlier.data.roster_signature)));
        keyring.signatures.push(sig(String(earlier.data.keyring_signature)));
        continue;
      }
      const serial = await ctx.prompter.chooseDevice(
        { stepId: ctx.step.id, id: `signer-${i + 1}`, message: `Roster signature ${i + 1} of ${signers.length}: ${s.person.name}`, suggested: s.officer.device.serial },
        deviceChoices(ctx, previous?.body ?? body),
      );
      if (serial !== s.officer.device.serial) throw new OfficiantError('ceremony.step-failed', `device ${serial} is not ${s.person.name}'s enrolled device ${s.officer.device.serial}`);
      const yes = await ctx.prompter.confirm(s.person, `Sign roster version ${body.version}, words "${words.join(' ')}"?`, { stepId: ctx.step.id });
      if (!yes) throw new OfficiantError('ceremony.step-failed', `${s.person.name} declined to sign roster version ${body.version}`);
      const [onRoster, onKeyring] = await signWithPin(ctx, s.person, serial, payloads);
      const cert = s.officer.keys['9a']!.certificate;
      roster.signatures.push(sig(onRoster));
      keyring.signatures.push(sig(onKeyring));
      ctx.event(
        'roster-signature',
        { officer: s.officer.id, device: serial, certificate_sha256: certificateSha256(cert), roster_sha256: roster.payload_sha256, keyring_sha256: keyring.payload_sha256, roster_signature: onRoster, keyring_signature: onKeyring },
        s.person,
      );
    }
    const file: RosterFile = { format: ROSTER_FILE_FORMAT, roster, keyring, previous: previous ? (JSON.parse(previous.bytes.toString('utf8')) as RosterFile) : null };
    const check = verifyRosterFile(file, { production: !ctx.rehearsal, trustedAttestationRoots: roots.map((r) => r.sha256) });
    if (!check.ok) throw new OfficiantError('ceremony.step-failed', `the new roster does not verify: ${check.problems.join('; ')}`);
    await ctx.writeOutput(ROSTER_OUTPUT, `${JSON.stringify(file, null, 2)}\n`);
    await ctx.writeOutput(KEYRING_OUTPUT, `${JSON.stringify(keyring, null, 2)}\n`);
    ctx.event('roster-signed', { version: body.version, roster_sha256: roster.payload_sha256, keyring_sha256: keyring.payload_sha256, officers: officers.length, signers: signers.map((s) => s.officer.id) });
    ctx.result('Roster version', `${body.version}${previous ? ` (replaces version ${previous.body.version}, ${previous.sha256})` : ' (first roster)'}`);
    ctx.result('Roster SHA-256', roster.payload_sha256);
    ctx.result('Keyring SHA-256', keyring.payload_sha256);
    for (const o of officers) ctx.result(`Officer ${o.id}`, `${o.name}, ${o.roles.join(', ')}, device ${o.device.serial}${o.status === 'revoked' ? `, REVOKED (${o.revoked?.reason})` : ''}`);
    ctx.result('Signed by', signers.map((s) => `${s.officer.name} (device ${s.officer.device.serial})`).join('; '));
    ctx.result('Next roster needs', `${policy.threshold} × ${ctx.script.roles[policy.role]?.title ?? policy.role}`);
    if (body.rehearsal) ctx.result('Rehearsal', 'simulated devices: this roster is refused in production');
  },
};

function enrollmentCa(ctx: StepContext): string {
  const enrolls = ctx.script.steps.flatMap((s) => (s.kind === 'piv.enroll' ? [s.params] : []));
  const issuers = new Set(enrolls.map((p) => `${p.issuer_source}:${p.issuer}`));
  if (issuers.size !== 1) throw new OfficiantError('ceremony.step-failed', `a roster names one enrollment CA; this ceremony enrolls with ${issuers.size}`);
  // Joining a live roster: piv.enroll checked the HSM's key against the roster's CA certificate; it stays the CA.
  if (enrolls[0].issuer_source === 'roster') {
    const previous = ctx.rosterIfAny();
    if (!previous) throw new OfficiantError('ceremony.step-failed', "officers were enrolled with the roster's enrollment CA, but there is no roster");
    return previous.body.enrollment_ca.pem;
  }
  return issuerCertificate(ctx, enrolls[0].issuer).pem;
}
