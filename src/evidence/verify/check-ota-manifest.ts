// A manifest signing session's signed OTA manifest (outputs/ota-manifest.json) against the session it came from,
// believing neither the file nor the journal's own verdicts. Contract:
// - a manifest signature counts only as the manifest.sign step records it: in that step, after its gates passed
//   and its signing log line was written, by an officer who checked in by token in the step's role, active on
//   the roster the ceremony started with (a manifest authority roster), with that officer's 9c key and device,
//   over the signed bytes of the draft the ceremony started with (inputs/manifest-draft.json), once per officer;
// - the output's signed body is that draft's, byte for byte once canonical; each of its signatures is one the
//   step recorded, each key once, and the distinct keys reach the roster's threshold; the step completed;
// - a packet whose ceremony signed no manifest holds neither the file nor manifest signatures.
// Runs after the officers group (roster, check-ins) and the inputs group (which pins the draft copy). Never
// throws on bad data: values from the journal are shown through shown().
import { createPublicKey, verify } from 'node:crypto';
import { parseManifest, parseManifestDraft } from '../../custody/ota-manifest.js';
import type { ManifestBody } from '../../custody/ota-manifest.types.js';
import type { RosterBody, RosterOfficer } from '../../custody/roster.types.js';
import { sha256Hex } from '../../record/digest.js';
import type { JournalEntry } from '../../record/journal.js';
import { INPUT_COPIES, JOURNAL, MANIFEST_OUTPUT } from '../packet-files.js';
import { isObject, shown } from '../json-shape.js';
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


/** Where the manifest.sign step let signatures be made: its id, role, and the journal index after which they may count. */
function signingStep(ctx: Context): { id: string; role: string; days: number; from: number; completed: boolean; gates?: JournalEntry } | undefined {
  const step = ctx.script?.steps.find((s) => s.kind === 'manifest.sign');
  if (!step || step.kind !== 'manifest.sign') return undefined;
  const mine = (e: JournalEntry) => e.step === step.id;
  const gates = ctx.entries.findIndex((e) => mine(e) && e.type === 'step.event' && e.data.what === 'manifest-gates' && e.data.passed === true);
  const logged = ctx.entries.findIndex((e, i) => i > gates && mine(e) && e.type === 'result' && e.data.op === 'signing-log.append' && e.data.ok === true);
  const completed = ctx.entries.some((e) => mine(e) && e.type === 'step.completed');
  return { id: step.id, role: step.params.role, days: step.params.max_validity_days, from: gates < 0 || logged < 0 ? Number.POSITIVE_INFINITY : logged, completed, gates: gates < 0 ? undefined : ctx.entries[gates] };
}

/**
 * The gates' verdict is not believed: what they recorded must be the draft's own facts (signed bytes, channel,
 * version, expiry), and the expiry within the step's max_validity_days of when they passed, checked again here.
 */
function gateFacts(g: Group, ctx: Context, body: ManifestBody, digest: string): void {
  const step = signingStep(ctx);
  const e = step?.gates;
  if (!step || !e) return;
  const at = `${JOURNAL} line ${lineOf(e, ctx)}`;
  const facts: Array<[string, unknown, unknown]> = [
    ['signed_sha256', e.data.signed_sha256, digest],
    ['channel', e.data.channel, body.channel],
    ['version', e.data.version, body.version],
    ['expires', e.data.expires, body.expires],
  ];
  for (const [name, got, want] of facts) if (got !== want) g.fail(`${at}: the gates recorded ${name} ${shown(got)}, not the draft's ${shown(want)}`);
  const limit = Date.parse(e.time) + step.days * 86_400_000;
  if (!(Date.parse(body.expires) <= limit)) g.fail(`${at}: the manifest expires ${body.expires}, more than the step's ${step.days} days after its gates passed (${e.time})`);
}

/** The journal's manifest signatures that count: officer id -> base64 signature; each other one is a problem. */
function journaledSignatures(g: Group, ctx: Context, roster: RosterBody, bytes: Buffer, digest: string): Map<string, string> {
  const good = new Map<string, string>();
  const step = signingStep(ctx);
  ctx.entries.forEach((e, i) => {
    if (e.type !== 'step.event' || e.data.what !== SIGNATURE_EVENT) return;
    const at = `${JOURNAL} line ${lineOf(e, ctx)}`;
    const officer = roster.officers.find((o) => o.id === e.data.officer);
    if (!step || e.step !== step.id) return void g.fail(`${at}: a manifest signature outside the script's manifest.sign step (in ${shown(e.step)})`);
    if (i < step.from) return void g.fail(`${at}: a manifest signature before the step's gates passed and its signing log line was written`);
    if (!officer?.keys['9c']) return void g.fail(`${at}: a manifest signature by ${shown(e.data.officer)}, who has no 9c key on the ceremony's roster`);
    if (officer.status !== 'active') return void g.fail(`${at}: a manifest signature by ${officer.name}, ${officer.status} on the ceremony's roster`);
    if (!officer.roles.includes(step.role)) return void g.fail(`${at}: a manifest signature by ${officer.name}, who is not a ${step.role} on the roster`);
    if (ctx.checkedIn?.get(officer.id) !== step.role) return void g.fail(`${at}: a manifest signature by ${officer.name}, who did not check in by token as ${step.role}`);
    if (good.has(officer.id)) return void g.fail(`${at}: a second manifest signature by ${officer.name} (the step records one per officer)`);
    if (e.data.signed_sha256 !== digest) return void g.fail(`${at}: ${officer.name}'s manifest signature is over ${shown(e.data.signed_sha256)}, not the draft's signed bytes ${digest}`);
    if (e.data.keyid !== officer.keys['9c'].spki_sha256 || e.data.device !== officer.device.serial) return void g.fail(`${at}: ${officer.name}'s manifest signature names key ${shown(e.data.keyid)} on device ${shown(e.data.device)}, not their 9c key on device ${officer.device.serial}`);
    if (!signedBy(officer, bytes, e.data.sig)) return void g.fail(`${at}: ${officer.name}'s manifest signature does not verify under their 9c key over the draft's signed bytes`);
    good.set(officer.id, String(e.data.sig));
  });
  return good;
}

export function checkOtaManifest(g: Group, ctx: Context): void {
  const before = g.problems.length;
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
  if (roster.authority !== 'manifest') return void g.fail(`${MANIFEST_OUTPUT}: manifest signatures not checked: the ceremony's roster is the ${shown(roster.authority)} authority's, and only the manifest authority's officers sign manifests`);
  const draftBytes = ctx.files.get(INPUT_COPIES.manifestDraft);
  const draft = draftBytes ? parseManifestDraft(draftBytes) : undefined;
  if (!draft?.signedBytes) return void g.fail(`${MANIFEST_OUTPUT}: manifest signatures not checked: ${INPUT_COPIES.manifestDraft} ${draftBytes ? 'is not a manifest draft' : 'is missing'}`);
  const bytes = draft.signedBytes;
  const digest = sha256Hex(bytes);
  gateFacts(g, ctx, draft.body!, digest);
  const journaled = journaledSignatures(g, ctx, roster, bytes, digest);
  if (!file) return;
  if (!signingStep(ctx)?.completed) g.fail(`${MANIFEST_OUTPUT}: written, yet the manifest.sign step never completed`);

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
