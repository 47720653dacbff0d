// A ceremony script as a readable numbered plan: roles, materials, then every step with who performs,
// witnesses and signs off, what happens on failure and the instructions. Pure: text in, text out.
import { custodianCount, custodianNames, type Script, type Step } from './schema.js';

/** What a quorum.approve step approves, in words. */
export function approvalSubject(approve: string, script: Script): string {
  if (approve === 'record') return 'the ceremony record so far';
  const target = script.steps.find((s) => s.id === approve);
  return target ? `step "${target.title}" (${target.id}) with its exact parameters` : `step ${approve}`;
}

/** A step parameter as people read it: lists joined, custodians from the roster counted, mappings as "key value". */
export function paramInWords(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => paramInWords(key, v)).join(', ');
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.roster === 'string' && typeof o.count === 'number') return `${o.count} officers holding the role ${o.roster} on the roster`;
    return Object.entries(o).map(([k, v]) => `${k.replace(/_/g, ' ')} ${paramInWords(k, v)}`).join(', ');
  }
  return String(value);
}

function stepDetail(step: Step, script: Script): string[] {
  const title = (r: string) => script.roles[r]?.title ?? r;
  switch (step.kind) {
    case 'room.preflight':
      return [
        `Check the laptop: network (loopback only), clock (within ${step.params.clock_tolerance_seconds} s of a reference the ${title(step.perform)} types), boot medium SHA-256, USB devices against the site's allowlist, Officiant's installed files`,
        step.params.allow_override ? 'A failed check may be overridden with a recorded reason' : 'A failed check stops the ceremony before check-in',
      ];
    case 'participants.check-in':
      return [`Check in: ${(step.params.roles ?? Object.keys(script.roles)).map((r) => `${script.roles[r]?.people ?? '?'} × ${title(r)}`).join(', ')}`];
    case 'manual.confirm':
      return [
        `Confirmed by: ${title(step.params.confirm_by)}`,
        ...step.params.record.map((f) => `Record: ${f.label}${f.pattern ? ` (form /${f.pattern}/)` : ''}`),
      ];
    case 'hsm.init-token':
      return [`Initialise the site HSM token; SO PIN and user PIN each split in halves between ${step.params.pin_holders.people} × ${title(step.params.pin_holders.role)}`];
    case 'hsm.generate-key':
      return [
        step.params.backup
          ? `Generate ${step.params.algorithm} key "${step.params.label}" (${step.params.authority} authority, ${step.params.purpose}); sensitive, for backup: extractable only wrapped under an SO-trusted wrap key`
          : `Generate ${step.params.algorithm} key "${step.params.label}" (${step.params.authority} authority, ${step.params.purpose}); sensitive, non-extractable`,
      ];
    case 'hsm.inspect-key':
      return [`Read back key "${step.params.key}": origin attributes, public key fingerprint, token identity`];
    case 'evidence.init-key':
      return [`Create the evidence-signing key "${step.params.label}" (${step.params.algorithm}) and its certificate; from here on every evidence page is signed in the HSM`];
    case 'evidence.use-key':
      return [`Activate the evidence token (${title(step.params.pin_holders.role)} × ${step.params.pin_holders.people}, one PIN half each) and prove its pinned key; from here on every evidence page is signed there`];
    case 'hsm.self-signed-certificate':
      return [`Self-signed certificate for "${step.params.key}", subject CN=${step.params.subject.CN}, valid ${step.params.validity_days} days`];
    case 'piv.enroll':
      return [
        `Enroll ${title(step.params.officer.role)} ${step.params.officer.index}'s PIV token: identity document, default PIN/PUK/management key replaced, keys in ${step.params.slots.join(', ')} made on the device, attestation verified, certificates issued by "${step.params.issuer}"`,
      ];
    case 'officer.revoke':
      return [`Recorded by: ${title(step.params.record_by)} (device serial and reason)`];
    case 'roster.sign':
      return [`New roster and manifest keyring, signed by the quorum; the next roster needs ${step.params.signing_policy.threshold} × ${title(step.params.signing_policy.role)}`];
    case 'quorum.approve':
      return [`Approval: ${step.params.threshold} distinct ${title(step.params.role)}s sign ${approvalSubject(step.params.approve, script)} with their tokens`];
    case 'backup.split':
      return [
        `Back up ${step.params.keys.join(', ')} under a new wrap key, split ${step.params.threshold} of ${custodianCount(step.params.custodians)} among ${custodianNames(step.params.custodians)}; shares sealed to each custodian's 9d key and opened by them at once (${step.params.absent_allowed} may be recorded absent)`,
      ];
    case 'backup.restore':
      return [`Restore ${step.params.keys?.join(', ') ?? 'every backed-up key'} from the backup (--backup): custodians open their shares, the wrap key is rebuilt and its check value compared, each key unwrapped and proven`];
    case 'backup.verify':
      return [`Custodians of the backup (--backup) open their shares and sign receipts: ${step.params.custodians?.join(', ') ?? 'every custodian'}`];
    case 'backup.reshare':
      return [`Re-share the backup (--backup): its custodians rebuild the wrap key; a new wrap key split ${step.params.threshold} of ${custodianCount(step.params.custodians)} among ${custodianNames(step.params.custodians)}; the old backup is superseded`];
    case 'manifest.sign':
      return [
        `Gates: every target of the manifest draft (--manifest) an artifact of a release bundle (--release) verified against the pinned release authority; version above the last signed for the channel; expires within ${step.params.max_validity_days} days`,
        `The roster's threshold of ${title(step.params.role)} officers sign the manifest with their 9c keys, each signature verified at once`,
      ];
    case 'android.sign-window':
      return [
        "The officers' approval of the signing plan (--signing-plan) opens a window: Android's tools sign through the release HSM with the plan's keys, within each key's avb and payload budget, until the plan's time limit or until the operator closes it",
      ];
    case 'policy.adopt':
      return ["Adopt the release signing policy (--policy <draft>): its digest's six words compared, signed by the roster's threshold of officers with their tokens"];
    case 'request.load':
      return ['Load the signing request (--request) and the signed policy (--policy); check signatures, expiry, shape, kinds, limits, age, replay and version'];
    case 'artifacts.stage':
      return ['Copy each artifact into the read-only staging directory while hashing it; size and SHA-256 must be the request\'s'];
    case 'policy.check':
      return ['Policy check: authority separation, kinds per key, limits, no test key in the key or any artifact or ZIP entry, no private key material'];
    case 'hsm.sign-artifacts':
      return [`Sign every staged artifact with key "${step.params.key}" in the HSM (batches of ${step.params.batch}); detached signatures/<name>.sig`];
    case 'signatures.verify':
      return ["Verify every signature in software against the authority's certificate; hash every staged file again"];
    case 'release.gates':
      return ['Release gates: counts, version above the last signed for the channel, no test key'];
    case 'release.publish':
      return ['Publish the release bundle (statement signed in the HSM) and append the signing log'];
  }
}

export function renderPlan(script: Script, scriptSha256: string): string {
  const title = (r: string) => script.roles[r]?.title ?? r;
  const lines: string[] = [];
  lines.push(`${script.title}`);
  lines.push(`Script ${script.id} version ${script.version} · ${script.authority} authority · SHA-256 ${scriptSha256}`);
  if (script.description) lines.push('', script.description.trim());
  lines.push('', 'Roles:');
  for (const [id, role] of Object.entries(script.roles)) {
    lines.push(`  - ${role.title} (${id}): ${role.people} ${role.people === 1 ? 'person' : 'people'}${role.description ? ` — ${role.description.trim()}` : ''}`);
  }
  const { hsm, pin_holders: holders } = script.site;
  const site = [
    ...(hsm ? [`HSM profile: ${hsm} (module and token label come from the site file)`] : []),
    ...(holders ? [`Token activation: user PIN split between ${holders.people} × ${title(holders.role)}`] : []),
  ];
  if (site.length > 0) lines.push('', ...site);
  if (script.materials.length > 0) {
    lines.push('', 'Bring:');
    for (const m of script.materials) lines.push(`  - ${m}`);
  }
  lines.push('', 'Steps:');
  script.steps.forEach((step, i) => {
    lines.push('', `${String(i + 1).padStart(2)}. ${step.title}  [${step.kind}, id ${step.id}]`);
    lines.push(`    Performed by: ${title(step.perform)}`);
    if (step.witness.length > 0) lines.push(`    Witnessed by: ${step.witness.map(title).join(', ')}`);
    if (step.sign_off.length > 0) lines.push(`    Signed off by: ${step.sign_off.map(title).join(', ')}`);
    for (const d of stepDetail(step, script)) lines.push(`    ${d}`);
    lines.push(`    On failure: ${step.on_failure === 'retry' ? 'retry with a recorded reason, or abort' : 'abort the ceremony'}`);
    for (const l of step.instructions.trim().split('\n')) lines.push(`    | ${l}`);
  });
  return `${lines.join('\n')}\n`;
}
