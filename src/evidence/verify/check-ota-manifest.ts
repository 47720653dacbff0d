// A manifest signing session's signed OTA manifest (outputs/ota-manifest.json) against the session it came from,
// believing neither the file nor the journal's own verdicts. Contract:
// - every signature the journal records (manifest-signature) verifies, over the signed bytes of the draft the
//   ceremony started with (inputs/manifest-draft.json), under the 9c key the roster the ceremony started with
//   lists for that officer and device;
// - the output's signed body is that draft's, byte for byte once canonical; each of its signatures is one the
//   journal recorded, by an active officer's 9c key, each key once, and the distinct keys reach the roster's
//   threshold;
// - a packet whose ceremony signed no manifest holds neither the file nor manifest signatures.
// Runs after the officers group (which reads the roster) and the inputs group (which pins the draft copy).
import { createPublicKey, verify } from 'node:crypto';
import { parseManifest, parseManifestDraft } from '../../custody/ota-manifest.js';
import type { RosterBody, RosterOfficer } from '../../custody/roster.types.js';
import { sha256Hex } from '../../record/digest.js';
import type { JournalEntry } from '../../record/journal.js';
import { INPUT_COPIES, JOURNAL, MANIFEST_OUTPUT } from '../packet-files.js';
import { isObject } from '../json-shape.js';
import { lineOf, type Context, type Group } from './check-context.js';

const SIGNATURE_EVENT = 'manifest-signature';

/** Whether sig (base64) is the officer's 9c signature over bytes; false for anything unreadable. */
function signedBy(officer: RosterOfficer, bytes: Buffer, sig: unknown): boolean {
  const key = officer.keys['9c'];
  if (!key || typeof sig !== 'string') return false;
  try {
    return verify('sha256', bytes, createPublicKey(key.certificate), Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

/** The journal's manifest signatures that verify: officer id -> base64 signature. */
function journaledSignatures(g: Group, ctx: Context, events: JournalEntry[], roster: RosterBody, bytes: Buffer, digest: string): Map<string, string> {
  const good = new Map<string, string>();
  for (const e of events) {
    const at = `${JOURNAL} line ${lineOf(e, ctx)}`;
    const officer = roster.officers.find((o) => o.id === e.data.officer);
    if (!officer?.keys['9c']) {
      g.fail(`${at}: a manifest signature by ${String(e.data.officer)}, who has no 9c key on the ceremony's roster`);
      continue;
    }
    if (e.data.signed_sha256 !== digest) g.fail(`${at}: ${officer.name}'s manifest signature is over ${String(e.data.signed_sha256)}, not the draft's signed bytes ${digest}`);
    else if (e.data.keyid !== officer.keys['9c'].spki_sha256 || e.data.device !== officer.device.serial) g.fail(`${at}: ${officer.name}'s manifest signature names key ${String(e.data.keyid)} on device ${String(e.data.device)}, not their 9c key on device ${officer.device.serial}`);
    else if (!signedBy(officer, bytes, e.data.sig)) g.fail(`${at}: ${officer.name}'s manifest signature does not verify under their 9c key over the draft's signed bytes`);
    else good.set(officer.id, String(e.data.sig));
  }
  return good;
}

export function checkOtaManifest(g: Group, ctx: Context): void {
  const file = ctx.files.get(MANIFEST_OUTPUT);
  const events = ctx.entries.filter((e) => e.type === 'step.event' && e.data.what === SIGNATURE_EVENT);
  const record = isObject(ctx.started?.data.manifest) ? ctx.started.data.manifest : undefined;
  if (!record) {
    if (file) g.fail(`${MANIFEST_OUTPUT}: an OTA manifest in a packet whose ceremony signed none (${JOURNAL} line 1)`);
    if (events.length > 0) g.fail(`${JOURNAL}: ${events.length} manifest signature(s) in a ceremony that signed no manifest`);
    return;
  }
  const roster = ctx.roster;
  if (!roster) return void g.fail(`${MANIFEST_OUTPUT}: manifest signatures not checked: the ceremony's roster cannot be read`);
  const draftBytes = ctx.files.get(INPUT_COPIES.manifestDraft);
  const draft = draftBytes ? parseManifestDraft(draftBytes) : undefined;
  if (!draft?.signedBytes) return void g.fail(`${MANIFEST_OUTPUT}: manifest signatures not checked: ${INPUT_COPIES.manifestDraft} ${draftBytes ? 'is not a manifest draft' : 'is missing'}`);
  const bytes = draft.signedBytes;
  const digest = sha256Hex(bytes);
  const journaled = journaledSignatures(g, ctx, events, roster, bytes, digest);
  if (!file) return;

  const before = g.problems.length;
  const parsed = parseManifest(file, MANIFEST_OUTPUT);
  if (!parsed.manifest || !parsed.signedBytes) return void g.fail(`${MANIFEST_OUTPUT}: ${parsed.problems.slice(0, 5).join('; ')}`);
  if (!parsed.signedBytes.equals(bytes)) g.fail(`${MANIFEST_OUTPUT}: the signed body is not the draft the ceremony started with (${INPUT_COPIES.manifestDraft}): SHA-256 ${sha256Hex(parsed.signedBytes)}, not ${digest}`);
  const keys = new Set<string>();
  for (const [i, s] of parsed.manifest.signatures.entries()) {
    const at = `${MANIFEST_OUTPUT}: signature ${i + 1}`;
    const officer = roster.officers.find((o) => o.keys['9c']?.spki_sha256 === s.keyid);
    if (!officer) g.fail(`${at}: key ${s.keyid} is no officer's 9c key on the ceremony's roster (version ${roster.version})`);
    else if (officer.status !== 'active') g.fail(`${at}: ${officer.name} is ${officer.status} on the ceremony's roster`);
    else if (s.device_serial !== officer.device.serial) g.fail(`${at}: device ${s.device_serial} is not ${officer.name}'s enrolled device ${officer.device.serial}`);
    else if (!signedBy(officer, bytes, s.sig)) g.fail(`${at}: ${officer.name}'s signature does not verify over the draft's signed bytes`);
    else if (journaled.get(officer.id) !== s.sig) g.fail(`${at}: ${officer.name}'s signature is not the one the ceremony recorded (${SIGNATURE_EVENT} in ${JOURNAL})`);
    else if (keys.has(s.keyid)) g.fail(`${at}: ${officer.name}'s key signs twice`);
    else keys.add(s.keyid);
  }
  const threshold = roster.signing_policy.threshold;
  if (keys.size < threshold) g.fail(`${MANIFEST_OUTPUT}: ${keys.size} good signature(s) by distinct officers' keys, below the roster's threshold of ${threshold}`);
  if (g.problems.length === before) {
    const m = parsed.manifest.signed;
    g.note(`${MANIFEST_OUTPUT}: channel ${m.channel} version ${m.version}, ${m.targets.length} target(s), expires ${m.expires}; ${keys.size} signature(s) by distinct officers' 9c keys of roster version ${roster.version} (threshold ${threshold}), each the one the ceremony recorded; signed bytes SHA-256 ${digest}`);
  }
}
