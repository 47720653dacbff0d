// Officers: the roster the ceremony started with, a roster a roster.sign step wrote, and every token check-in
// and approval recomputed against that roster (verify-approvals.ts). Sets the parsed script and the roster on
// the context for the backup check.
import { verifyRosterFile } from '../../custody/roster.js';
import type { RosterBody } from '../../custody/roster.types.js';
import { JOURNAL, ROSTER_COPY, ROSTER_OUTPUT, SCRIPT_COPY as SCRIPT } from '../packet-files.js';
import { verifyCeremonyIdentity } from '../verify-approvals.js';
import type { Context, Group } from './check-context.js';
import { isObject, short, str } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';
import { pemCertificateDer } from './evidence-certificate.js';
import { checkRosterPin } from './check-pins.js';
import { checkCountersign } from './check-countersign.js';
import type { PacketPins } from './packet-report.types.js';

/** A roster file's JSON verified with verifyRosterFile; every problem and note is reported against `file`. */
function checkRosterJson(g: Group, file: string, bytes: Buffer, opts: Parameters<typeof verifyRosterFile>[1]): ReturnType<typeof verifyRosterFile> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    g.fail(`${file}: not valid JSON`);
    return undefined;
  }
  const v = verifyRosterFile(json, opts);
  for (const p of v.problems) g.fail(`${file}: ${p}`);
  for (const n of v.notes) g.note(`${file}: ${n}`);
  return v;
}

/**
 * The roster the ceremony started with (its copy must be the file recorded in ceremony.started, and verify as
 * a roster: in production with nothing simulated and attestation roots from the site's piv section), the
 * roster a roster.sign step wrote (verified against the one it replaces), and every token check-in and
 * approval recomputed against the roster (verify-approvals.ts).
 */
export function checkOfficers(g: Group, ctx: Context, rosterPin?: PacketPins['roster']): void {
  const { files, started } = ctx;
  if (!started) return;
  const production = started.data.mode === 'production';
  const piv = isObject(started.data.piv) ? started.data.piv : undefined;
  const rootPems = piv && Array.isArray(piv.attestationRoots) ? piv.attestationRoots : [];
  const trustedAttestationRoots: string[] = [];
  rootPems.forEach((pem, i) => {
    const der = typeof pem === 'string' ? pemCertificateDer(pem) : undefined;
    if (der) trustedAttestationRoots.push(sha256Hex(der));
    else g.fail(`${JOURNAL}: line 1: piv attestation root ${i + 1} is not a PEM certificate`);
  });

  const recorded = started.data.roster ?? null;
  const copy = files.get(ROSTER_COPY);
  let roster: { body: RosterBody; sha256: string } | undefined;
  if (recorded !== null && !isObject(recorded)) {
    g.fail(`${JOURNAL}: line 1: roster is neither null nor a record of the roster file`);
  } else if (recorded === null) {
    if (copy) g.fail(`${ROSTER_COPY}: the ceremony started without a roster (${JOURNAL} line 1), yet the packet holds one`);
  } else if (!copy) {
    g.fail(`${ROSTER_COPY}: missing (the ceremony started with roster version ${JSON.stringify(recorded.version)}, ${JOURNAL} line 1)`);
  } else {
    const actual = sha256Hex(copy);
    if (actual !== recorded.file_sha256) g.fail(`${ROSTER_COPY}: SHA-256 ${short(actual)} is not the ${short(str(recorded.file_sha256))} recorded when the ceremony started (${JOURNAL} line 1)`);
    const v = checkRosterJson(g, ROSTER_COPY, copy, { production, trustedAttestationRoots });
    if (v?.roster && v.rosterSha256) {
      roster = { body: v.roster, sha256: v.rosterSha256 };
      if (v.rosterSha256 !== recorded.sha256) g.fail(`${ROSTER_COPY}: roster sha256 ${short(v.rosterSha256)} is not the ${short(str(recorded.sha256))} recorded when the ceremony started (${JOURNAL} line 1)`);
      if (v.roster.version !== recorded.version) g.fail(`${ROSTER_COPY}: roster version ${v.roster.version}, ${JOURNAL} line 1 records ${JSON.stringify(recorded.version)}`);
      if (v.roster.rehearsal !== recorded.rehearsal) g.fail(`${ROSTER_COPY}: rehearsal is ${v.roster.rehearsal}, ${JOURNAL} line 1 records ${JSON.stringify(recorded.rehearsal)}`);
      if (v.ok) g.note(`${ROSTER_COPY}: roster version ${v.roster.version} (sha256 ${v.rosterSha256}), ${v.roster.officers.length} officers, verified`);
    }
  }

  const written = files.get(ROSTER_OUTPUT);
  let writtenSha256: string | undefined;
  if (written) {
    const v = checkRosterJson(g, ROSTER_OUTPUT, written, { previous: roster, production, trustedAttestationRoots });
    writtenSha256 = v?.rosterSha256;
    if (v?.ok && v.roster) {
      const signed = roster ? `signed under the policy of roster version ${roster.body.version}` : 'signed by every officer it lists';
      g.note(`${ROSTER_OUTPUT}: roster version ${v.roster.version} (sha256 ${v.rosterSha256}), ${v.roster.officers.length} officers, ${signed}`);
    }
  }

  if (rosterPin) checkRosterPin(g, ctx, { pin: rosterPin, started: roster, writtenSha256, production, trustedAttestationRoots });
  else if (roster || writtenSha256) g.note(`roster not pinned: compare ${[roster?.sha256, writtenSha256].filter(Boolean).join(' / ')} with the roster you hold, or pass --roster`);

  // The ceremony group parsed the script; it said why when it could not.
  if (!ctx.script) return g.fail(`${SCRIPT}: not a valid ceremony script: check-ins and approvals not verified`);
  if (recorded !== null && !roster) return g.fail(`${JOURNAL}: check-ins and approvals not verified: the ceremony's roster (${ROSTER_COPY}) cannot be read`);
  const identity = verifyCeremonyIdentity({ entries: ctx.entries, script: ctx.script, roster: roster?.body });
  for (const p of identity.problems) g.fail(`${JOURNAL}: ${p}`);
  for (const n of identity.notes) g.note(`${JOURNAL}: ${n}`);
  const ref = { script_id: ctx.script.id, ceremony_id: String(started.data.ceremonyId), script_sha256: String(started.data.scriptSha256) };
  const end = checkCountersign({ entries: ctx.entries, ref, roster: roster?.body, checkedIn: identity.checkedIn, headPinned: ctx.headPinned === true });
  for (const p of end.problems) g.fail(`${JOURNAL}: ${p}`);
  for (const n of end.notes) g.note(`${JOURNAL}: ${n}`);
  ctx.countersigned = end.countersigned === true;
  ctx.checkedIn = identity.checkedIn;
  ctx.roster = roster?.body;
}
