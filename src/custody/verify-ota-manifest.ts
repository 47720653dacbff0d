// verifyManifest(manifest, keyring, options): an OTA manifest checked by a device or an OTA service, believing
// nothing it says about itself. The keyring must open and be the pinned one (manifest-keyring.ts); every
// signature must be a good one by a keyring key on the device the keyring names (a foreign or broken signature
// fails the manifest even when the others meet the threshold: the ceremony checks each signature right after
// making it, so one that fails is tampering or a mistake); the DISTINCT keys that signed must reach the
// keyring's manifest_threshold; the manifest must not have expired at `now`, must be for the channel (and
// device family) expected, and its version must not be below the manifest trusted before (`previous`, whose
// signatures are not checked again: it was checked when it was trusted, perhaps by keys since revoked).
// Pure; never throws: every problem is a sentence in its named check; a check whose input is broken says it
// was not checked.
import { verify } from 'node:crypto';
import { builtInDenyList, deniedKey, type DeniedKey } from './deny-list.js';
import { openManifestKeyring, type ManifestKeyring } from './manifest-keyring.js';
import { parseManifest, type ParsedManifest } from './ota-manifest.js';
import type { OtaManifest } from './ota-manifest.types.js';
import { capped } from './release-request.js';

export const MANIFEST_CHECKS = ['keyring', 'manifest', 'signatures', 'threshold', 'expiry', 'channel', 'version'] as const;
export type ManifestCheckName = (typeof MANIFEST_CHECKS)[number];

export interface ManifestCheck {
  name: ManifestCheckName;
  ok: boolean;
  /** Sentences, at most 50 per check, then how many more. */
  problems: string[];
}

/** What a manifest that holds is: only given when every check holds. */
export interface ManifestSummary {
  channel: string;
  version: number;
  devices: string[];
  targets: number;
  expires: string;
  /** The officers whose keys signed, each once, in signature order. */
  signers: string[];
  threshold: number;
  keyringKeys: number;
  rosterVersion: number;
  keyringSha256: string;
  rehearsal: boolean;
}

export interface ManifestReport {
  ok: boolean;
  checks: ManifestCheck[];
  /** Every problem counted, also those past a check's first 50. */
  problems: number;
  notes: string[];
  /** The keyring is the one pinned (--keyring-sha256): without it a good report says NOT PINNED. */
  pinned: boolean;
  keyringSha256?: string;
  summary?: ManifestSummary;
}

export interface ManifestVerifyOptions {
  now: Date;
  /** The manifest the device trusts now, as it was handed over then. */
  previous?: Uint8Array;
  /** The channel and the device family the device is on. */
  channel?: string;
  device?: string;
  /** Refuse a rehearsal keyring (simulated devices). */
  production?: boolean;
  denyList?: readonly DeniedKey[];
}

const short = (hex: string) => `${hex.slice(0, 16)}…`;
const errCode = (err: unknown) => String((err as Error)?.message ?? err).slice(0, 80);

export function verifyManifest(manifestBytes: Uint8Array, keyring: { bytes: Uint8Array; sha256?: string }, opts: ManifestVerifyOptions): ManifestReport {
  const found = new Map<ManifestCheckName, string[]>(MANIFEST_CHECKS.map((n) => [n, []]));
  const fail = (check: ManifestCheckName, problem: string) => void found.get(check)!.push(problem);
  const notes: string[] = [];
  const guard = (check: ManifestCheckName, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      fail(check, `could not be checked: ${errCode(err)}`);
    }
  };
  const denyList = opts.denyList ?? builtInDenyList();

  let ring: ManifestKeyring = { pinned: false, keys: new Map(), problems: [], notes: [] };
  guard('keyring', () => {
    ring = openManifestKeyring(keyring.bytes, { pin: keyring.sha256, production: opts.production, denyList });
    ring.problems.forEach((p) => fail('keyring', p));
    notes.push(...ring.notes);
  });
  let parsed: ParsedManifest = { problems: [] };
  guard('manifest', () => {
    parsed = parseManifest(manifestBytes);
    parsed.problems.forEach((p) => fail('manifest', p));
  });
  const m = parsed.manifest;
  const noManifest = 'not checked: the manifest does not parse';
  const noKeyring = 'not checked: the keyring does not open';

  const signers: string[] = [];
  const repeats: string[] = [];
  guard('signatures', () => {
    if (!m) return fail('signatures', noManifest);
    if (!ring.body) return fail('signatures', noKeyring);
    const seen = new Map<string, number>();
    m.signatures.forEach((s, i) => {
      const at = `signature ${i + 1} (key ${short(s.keyid)}, device ${s.device_serial})`;
      const test = deniedKey(denyList, s.keyid);
      if (test) return fail('signatures', `${at}: the test key ${test.name} (${test.source}), which must never sign a manifest`);
      const k = ring.keys.get(s.keyid);
      if (!k) return fail('signatures', `${at}: not a key of the keyring (roster version ${ring.body!.roster_version}): not a manifest-signing key`);
      const own: string[] = [];
      if (k.deviceSerial !== s.device_serial) own.push(`the key is ${k.officer}'s on device ${k.deviceSerial}`);
      if (!verify('sha256', parsed.signedBytes!, k.key, Buffer.from(s.sig, 'base64'))) own.push(`does not verify over the signed manifest with ${k.officer}'s key`);
      own.forEach((p) => fail('signatures', `${at}: ${p}`));
      if (own.length > 0) return;
      const first = seen.get(s.keyid);
      if (first !== undefined) return void repeats.push(`signature ${i + 1} repeats ${k.officer}'s key (signature ${first}) and counts once`);
      seen.set(s.keyid, i + 1);
      signers.push(k.officer);
    });
  });
  guard('threshold', () => {
    if (!m) return fail('threshold', noManifest);
    if (!ring.body) return fail('threshold', noKeyring);
    const threshold = ring.body.manifest_threshold;
    if (threshold === undefined) return fail('threshold', `the keyring (roster version ${ring.body.roster_version}) states no manifest_threshold: it was signed before keyrings carried one; a roster ceremony must sign a new keyring`);
    if (threshold > ring.keys.size) fail('threshold', `the keyring's manifest_threshold ${threshold} is more than its ${ring.keys.size} usable key(s): no manifest can meet it`);
    if (signers.length < threshold) {
      const who = signers.length > 0 ? ` (${signers.join(', ')})` : '';
      fail('threshold', `threshold not met: ${signers.length}/${threshold} distinct keyring keys signed${who}${repeats.length > 0 ? `; ${repeats.join('; ')}` : ''}`);
    } else notes.push(...repeats);
  });
  guard('expiry', () => {
    if (!m) return fail('expiry', noManifest);
    if (Number.isNaN(opts.now.getTime())) return fail('expiry', 'not checked: no valid time to check against (--now)');
    if (opts.now.getTime() >= Date.parse(m.signed.expires)) fail('expiry', `expired at ${m.signed.expires} (now ${opts.now.toISOString()})`);
  });
  let previous: ParsedManifest | undefined;
  guard('version', () => {
    if (opts.previous !== undefined) previous = parseManifest(opts.previous, '--previous');
  });
  guard('channel', () => {
    if (!m) return fail('channel', noManifest);
    const channel = m.signed.channel;
    if (opts.channel !== undefined && channel !== opts.channel) fail('channel', `channel is ${JSON.stringify(channel)}, expected ${JSON.stringify(opts.channel.slice(0, 64))} (--channel)`);
    const before = previous?.manifest?.signed.channel;
    if (before !== undefined && channel !== before) fail('channel', `channel is ${JSON.stringify(channel)}, the --previous manifest's is ${JSON.stringify(before)}`);
    if (opts.device !== undefined && !m.signed.devices.includes(opts.device)) fail('channel', `device family ${JSON.stringify(opts.device.slice(0, 64))} is not among the manifest's devices (${m.signed.devices.slice(0, 10).join(', ')}${m.signed.devices.length > 10 ? ', …' : ''}) (--device)`);
    if (opts.channel === undefined && before === undefined) notes.push(`channel ${channel} not compared: give --channel or --previous`);
  });
  guard('version', () => {
    if (!m) return fail('version', noManifest);
    if (!previous) return void notes.push(`version ${m.signed.version} not compared: no --previous manifest`);
    if (!previous.manifest) return fail('version', `not checked: ${previous.problems[0] ?? '--previous: not a manifest'}`);
    rollbackProblems(m, parsed.signedBytes!, previous.manifest, previous.signedBytes!).forEach((p) => fail('version', p));
  });

  const problems = MANIFEST_CHECKS.reduce((n, name) => n + found.get(name)!.length, 0);
  const checks = MANIFEST_CHECKS.map((name) => ({ name, ok: found.get(name)!.length === 0, problems: capped(found.get(name)!) }));
  const body = ring.body;
  const summary: ManifestSummary | undefined =
    problems === 0 && m && body && ring.sha256
      ? {
          channel: m.signed.channel,
          version: m.signed.version,
          devices: m.signed.devices,
          targets: m.signed.targets.length,
          expires: m.signed.expires,
          signers,
          threshold: body.manifest_threshold!,
          keyringKeys: ring.keys.size,
          rosterVersion: body.roster_version,
          keyringSha256: ring.sha256,
          rehearsal: body.rehearsal,
        }
      : undefined;
  return { ok: problems === 0, checks, problems, notes, pinned: ring.pinned, ...(ring.sha256 ? { keyringSha256: ring.sha256 } : {}), ...(summary ? { summary } : {}) };
}

/** The version only goes up; one version never names two different manifests. */
function rollbackProblems(m: OtaManifest, bytes: Buffer, previous: OtaManifest, previousBytes: Buffer): string[] {
  const [now, before] = [m.signed.version, previous.signed.version];
  if (now < before) return [`rollback: version ${now} is below the --previous manifest's version ${before}`];
  if (now === before && !bytes.equals(previousBytes)) return [`version ${now} is the --previous manifest's version, but what it signs differs: one version names one manifest`];
  return [];
}
