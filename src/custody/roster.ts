// The officer roster and the manifest keyring derived from it, verified as pure functions over the data they
// are handed (no files, no clock). Contract:
// - verifyRosterFile reports EVERY problem it finds, each a short lowercase fact naming the officer and device;
//   `ok` is true only when there is none. Notes are facts that do not invalidate (a duplicate signature, an
//   attestation without a serial).
// - Who may sign: the first roster (version 1, no previous) is signed by every officer it lists; a later
//   roster by `signing_policy.threshold` DISTINCT active officers of the previous roster holding
//   `signing_policy.role`, each with the 9a certificate the previous roster gives them. The keyring carries
//   signatures under the same rule, and its body must be exactly keyringBody(roster, rosterSha256) (without
//   manifest_threshold for a keyring signed before keyrings carried it).
// - Every slot key is certified by the enrollment CA and attested by its device, whose attestation
//   certificate chains to one of the roster's attestation roots. In production nothing simulated passes, and
//   every attestation root must be one the caller trusts (by SHA-256 of its DER).
// This file holds the entry point and the checks of the roster body itself; roster-schema.ts (shape),
// roster-document.ts (opening a signed document), roster-signatures.ts, roster-attestation.ts and keyring.ts
// hold the rest.
import { SIMULATED_MARK } from './piv-attestation.js';
import { compareKeyring, expectedKeyring } from './keyring.js';
import { counts, SLOTS, who } from './roster-common.js';
import { openDocument } from './roster-document.js';
import { checkCertificates, parseCertificate } from './roster-attestation.js';
import { KeyringBodySchema, RosterBodySchema, RosterFileSchema, zodProblems } from './roster-schema.js';
import { checkRosterChain, checkSignatures, type Signers } from './roster-signatures.js';
import { KEYRING_TYPE, ROSTER_TYPE, type KeyringBody, type RosterBody } from './roster.types.js';

// The lookups and the keyring derivation are part of the roster's public face.
export { officerByCertificate, officerByDevice, officerById } from './roster-lookup.js';
export { keyringBody } from './keyring.js';

export interface RosterVerifyOptions {
  /** The roster this one replaces, already verified by the caller, and its payload_sha256. */
  previous?: { body: RosterBody; sha256: string };
  production: boolean;
  /** SHA-256 (of the DER) of the vendor attestation roots accepted in production. */
  trustedAttestationRoots?: string[];
}

export interface RosterVerification {
  ok: boolean;
  roster?: RosterBody;
  rosterSha256?: string;
  keyring?: KeyringBody;
  problems: string[];
  notes: string[];
}

export function verifyRosterFile(file: unknown, opts: RosterVerifyOptions): RosterVerification {
  const problems: string[] = [];
  const notes: string[] = [];
  const outer = RosterFileSchema.safeParse(file);
  if (!outer.success) {
    problems.push(...zodProblems('roster file', outer.error, file));
    return { ok: false, problems, notes };
  }
  if (!opts.previous && outer.data.previous) {
    // The file carries the roster it replaces (and that one its own, back to version 1): verify the chain
    // from the first roster, whose officers all signed it, and take the verified previous roster as given.
    const prior = verifyRosterFile(outer.data.previous, { ...opts, previous: undefined });
    problems.push(...prior.problems.map((p) => `previous roster: ${p}`));
    if (!prior.ok || !prior.roster || !prior.rosterSha256) return { ok: false, problems, notes };
    notes.push(...prior.notes.map((n) => `previous roster: ${n}`));
    return verifyRosterFile({ ...outer.data, previous: undefined }, { ...opts, previous: { body: prior.roster, sha256: prior.rosterSha256 } });
  }
  const roster = openDocument('roster', outer.data.roster, ROSTER_TYPE, RosterBodySchema, problems);
  const keyring = openDocument('keyring', outer.data.keyring, KEYRING_TYPE, KeyringBodySchema, problems);

  let signers: Signers = { kind: 'unknown' };
  const body = roster.body;
  if (body) {
    checkRosterBody(body, opts, problems, notes);
    signers = checkRosterChain(body, opts.previous, problems);
  }
  if (roster.doc && roster.bytes) checkSignatures('roster', roster.doc, roster.bytes, signers, problems, notes);
  if (keyring.doc && keyring.bytes) checkSignatures('keyring', keyring.doc, keyring.bytes, signers, problems, notes);

  let expected: KeyringBody | undefined;
  if (body && roster.sha256) {
    if (body.authority !== 'manifest') problems.push(`keyring: a manifest keyring cannot derive from a ${body.authority} roster`);
    try {
      expected = expectedKeyring(body, roster.sha256, keyring.body);
    } catch {
      problems.push('keyring: cannot derive the keyring from the roster: a 9c certificate does not parse');
    }
    if (expected && keyring.body) compareKeyring(keyring.body, expected, body, problems);
  }
  if (body?.rehearsal && !opts.production) notes.push('rehearsal roster: simulated devices, for rehearsals only');

  const ok = problems.length === 0;
  return {
    ok,
    ...(body ? { roster: body, rosterSha256: roster.sha256 } : {}),
    ...(ok && expected ? { keyring: expected } : {}),
    problems,
    notes,
  };
}

function checkRosterBody(roster: RosterBody, opts: RosterVerifyOptions, problems: string[], notes: string[]): void {
  // Identity: one entry per officer, per device and per key, or one person could count twice.
  for (const [id, n] of counts(roster.officers.map((o) => o.id))) if (n > 1) problems.push(`officer id ${id} appears ${n} times`);
  for (const [serial, n] of counts(roster.officers.map((o) => o.device.serial))) {
    if (n > 1) problems.push(`device ${serial} is listed for ${n} officers: ${roster.officers.filter((o) => o.device.serial === serial).map((o) => o.id).join(', ')}`);
  }
  const keyOwners = new Map<string, string[]>();
  for (const o of roster.officers) {
    for (const slot of SLOTS) {
      const k = o.keys[slot];
      if (k) keyOwners.set(k.spki_sha256, [...(keyOwners.get(k.spki_sha256) ?? []), `${o.id} ${slot}`]);
    }
  }
  for (const [spki, owners] of keyOwners) if (owners.length > 1) problems.push(`key ${spki} is listed ${owners.length} times: ${owners.join(', ')}`);

  for (const o of roster.officers) {
    if (o.status === 'revoked' && o.revoked === null) problems.push(`officer ${who(o)}: revoked without a revoked record`);
    if (o.status === 'active' && o.revoked !== null) problems.push(`officer ${who(o)}: active but has a revoked record`);
    if (o.status === 'active' && !o.keys['9a']) problems.push(`officer ${who(o)}: active without a 9a key`);
    if (o.status === 'active' && !o.keys['9c']) problems.push(`officer ${who(o)}: active without a 9c key`);
  }

  const holders = roster.officers.filter((o) => o.status === 'active' && o.roles.includes(roster.signing_policy.role)).length;
  if (holders < roster.signing_policy.threshold) {
    problems.push(`signing policy cannot be met: ${roster.signing_policy.threshold} ${roster.signing_policy.role} signatures needed, ${holders} active officer(s) hold the role`);
  }

  // Simulation is a label people rely on: it must agree with the attestation chain and the rehearsal flag.
  const simulated = roster.officers.some((o) => o.device.simulated) || roster.attestation_roots.some((r) => r.simulated);
  if (roster.rehearsal !== simulated) {
    problems.push(roster.rehearsal ? 'rehearsal is true but no device or attestation root is simulated' : 'rehearsal is false but a device or attestation root is simulated');
  }
  if (opts.production) {
    if (roster.rehearsal) problems.push('roster is a rehearsal roster: not valid in production');
    for (const o of roster.officers) if (o.device.simulated) problems.push(`device ${o.device.serial} is simulated: a rehearsal roster is not valid in production`);
    const trusted = new Set((opts.trustedAttestationRoots ?? []).map((s) => s.toLowerCase().replace(/:/g, '')));
    if (trusted.size === 0) problems.push('production needs the trusted vendor attestation roots: none given');
    for (const r of roster.attestation_roots) {
      // The flag is the roster's own word; the sandbox CA's name is checked as well, whatever the flag says.
      const named = SIMULATED_MARK.test(parseCertificate(r.pem)?.subject ?? '') || SIMULATED_MARK.test(r.subject);
      if (r.simulated || named) problems.push(`attestation root "${r.subject}" is simulated: a rehearsal roster is not valid in production`);
      else if (trusted.size > 0 && !trusted.has(r.sha256)) problems.push(`attestation root "${r.subject}" (sha256 ${r.sha256}) is not a trusted vendor root`);
    }
  }

  checkCertificates(roster, problems, notes);
}
