// Who may sign a roster or its keyring, and whether they did: the first roster by every officer it lists, a
// later one by `signing_policy.threshold` DISTINCT active officers of the previous roster holding the role,
// each with the 9a certificate the previous roster gives them (a second signature by one officer counts once).
import { who } from './roster-common.js';
import { officerById } from './roster-lookup.js';
import type { RosterBody } from './roster.types.js';
import { certificateSha256, signatureValid, type SignedDocument } from './signed-document.js';

/**
 * Who may sign: every officer of a first roster; a threshold of the previous roster's (a later roster, its
 * keyring); a threshold of the current roster's (a document the officers adopt, such as a release policy).
 */
export type Signers = { kind: 'first'; roster: RosterBody } | { kind: 'previous'; roster: RosterBody } | { kind: 'current'; roster: RosterBody } | { kind: 'unknown' };

/** The previous roster is already verified by the caller; `sha256` is its payload_sha256. */
export function checkRosterChain(roster: RosterBody, prev: { body: RosterBody; sha256: string } | undefined, problems: string[]): Signers {
  if (!prev) {
    if (roster.version === 1 && roster.previous_sha256 === null) {
      for (const o of roster.officers) if (o.status !== 'active') problems.push(`officer ${who(o)}: revoked in the first roster`);
      return { kind: 'first', roster };
    }
    problems.push(`roster version ${roster.version} replaces roster ${roster.previous_sha256 ?? '(none)'}: the previous roster is needed to check who signed it`);
    return { kind: 'unknown' };
  }
  if (roster.previous_sha256 !== prev.sha256) problems.push(`previous_sha256 is ${roster.previous_sha256 ?? 'null'}, not the previous roster's ${prev.sha256}`);
  if (roster.version !== prev.body.version + 1) problems.push(`version is ${roster.version}, expected ${prev.body.version + 1} (the previous roster is version ${prev.body.version})`);
  if (roster.authority !== prev.body.authority) problems.push(`authority is ${roster.authority}, the previous roster's is ${prev.body.authority}`);
  return { kind: 'previous', roster: prev.body };
}

export function checkSignatures(name: 'roster' | 'keyring' | 'policy', doc: SignedDocument, bytes: Buffer, signers: Signers, problems: string[], notes: string[]): void {
  const counted = new Set<string>();
  const named = new Set<string>();
  doc.signatures.forEach((s, i) => {
    const at = `${name} signature ${i + 1} (${s.officer}, device ${s.device_serial})`;
    named.add(s.officer);
    if (signers.kind === 'unknown') {
      if (!signatureValid(s.certificate, bytes, s.signature)) problems.push(`${at}: does not verify over the payload`);
      return;
    }
    const where = signers.kind === 'first' ? 'this roster' : `the ${signers.kind === 'previous' ? 'previous ' : ''}roster (version ${signers.roster.version})`;
    const officer = officerById(signers.roster, s.officer);
    if (!officer) return problems.push(`${at}: not an officer of ${where}`);
    const own: string[] = [];
    if (officer.device.serial !== s.device_serial) own.push(`${officer.id} holds device ${officer.device.serial} in ${where}`);
    let certSha: string | undefined;
    try {
      certSha = certificateSha256(s.certificate);
    } catch {
      certSha = undefined;
    }
    if (certSha === undefined || certSha !== officer.keys['9a']?.certificate_sha256) own.push(`certificate is not the 9a certificate of ${officer.id} in ${where}`);
    if (signers.kind !== 'first') {
      if (officer.status !== 'active') own.push(`${officer.id} is revoked in ${where}`);
      const role = signers.roster.signing_policy.role;
      if (!officer.roles.includes(role)) own.push(`${officer.id} does not hold role ${role} in ${where}`);
    }
    // Only a certificate the roster gives this officer says anything: verifying with any other is meaningless.
    if (certSha !== undefined && certSha === officer.keys['9a']?.certificate_sha256 && !signatureValid(s.certificate, bytes, s.signature)) own.push('does not verify over the payload');
    for (const p of own) problems.push(`${at}: ${p}`);
    if (own.length > 0) return;
    if (counted.has(officer.id)) return notes.push(`${at}: a second signature by ${officer.id} counts once`);
    counted.add(officer.id);
  });

  if (signers.kind === 'first') {
    // Officers whose signature is there but bad are already named above.
    for (const o of signers.roster.officers) if (!named.has(o.id)) problems.push(`${name} is not signed by ${who(o)}: the first roster needs every officer it lists`);
  } else if (signers.kind !== 'unknown') {
    const { role, threshold } = signers.roster.signing_policy;
    if (counted.size < threshold) problems.push(`${name} quorum not met: ${counted.size}/${threshold} distinct ${role} signatures (policy of roster version ${signers.roster.version})`);
  }
}
