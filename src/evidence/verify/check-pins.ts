// Pins: what the auditor holds from outside the packet. The journal head written on the paper log (--head, 64
// hex digits or its six words) must be the head the ceremony closed with. The roster the auditor holds
// (--roster, its SHA-256 or the file) must be the one the ceremony started with or wrote, or a later version
// of it; then nobody it shows revoked before the ceremony started may appear in the ceremony.
import { verifyRosterFile } from '../../custody/roster.js';
import type { RosterBody } from '../../custody/roster.types.js';
import { headWords } from '../../record/digest-words.js';
import { JOURNAL, ROSTER_COPY } from '../packet-files.js';
import { isObject, short } from '../json-shape.js';
import type { Context, Group } from './check-context.js';
import { normalizeFingerprint } from './check-evidence-key.js';
import type { PacketPins } from './packet-report.types.js';

export function checkHeadPin(g: Group, ctx: Context, pin: string): void {
  const head = ctx.final?.hash;
  if (!head || !/^[0-9a-f]{64}$/.test(head)) return g.fail(`${JOURNAL}: no closing entry with a SHA-256 hash to compare with the journal head on the paper log (--head)`);
  const hex = normalizeFingerprint(pin);
  const words = pin.trim().toLowerCase().replace(/\d+\.\s*/g, ' ').split(/[\s,]+/).filter(Boolean);
  if (hex) {
    if (hex !== head) return g.fail(`${JOURNAL}: the ceremony closed with journal head ${head}, not the ${hex} on the paper log (--head)`);
  } else if (words.length === 6 && words.every((w) => /^[a-z]+$/.test(w))) {
    const actual = headWords(head);
    if (actual.join(' ') !== words.join(' ')) return g.fail(`${JOURNAL}: the ceremony closed with journal head words "${actual.join(' ')}", not the "${words.join(' ')}" on the paper log (--head)`);
  } else {
    return g.fail(`--head: ${JSON.stringify(pin.slice(0, 80))} is neither a journal head (64 hex digits) nor its six words`);
  }
  g.note(`${JOURNAL}: journal head ${head} matches the paper log (--head)`);
}

/** The payload SHA-256 of a roster file and of every roster it carries as previous, newest first. */
function chainOf(file: unknown): string[] {
  const out: string[] = [];
  let f: unknown = file;
  for (let depth = 0; isObject(f) && depth < 1000; depth++) {
    const doc = f.roster;
    if (isObject(doc) && typeof doc.payload_sha256 === 'string') out.push(doc.payload_sha256);
    f = f.previous;
  }
  return out;
}

/**
 * Officers and devices the journal shows taking part: in a participants list, an accepted check-in or approval,
 * a share receipt, or as a custodian of a backup this ceremony made. Someone the runner turned away (a refused
 * check-in, approval or share, a custodian recorded absent) did not take part.
 */
function actingOfficers(ctx: Context): { ids: Set<string>; devices: Set<string> } {
  const ids = new Set<string>();
  const devices = new Set<string>();
  const add = (o: unknown) => {
    if (!isObject(o)) return;
    if (typeof o.officer === 'string') ids.add(o.officer);
    if (typeof o.device === 'string') devices.add(o.device);
    if (typeof o.device_serial === 'string') devices.add(o.device_serial);
  };
  for (const e of ctx.entries) {
    if (e.type === 'step.event' && e.data.what === 'participants' && Array.isArray(e.data.people)) e.data.people.forEach(add);
    if (e.type === 'step.event' && (e.data.what === 'check-in' || e.data.what === 'approval' || e.data.what === 'share-receipt')) add(e.data);
    const made = e.type === 'result' && e.data.ok === true && isObject(e.data.output) && isObject(e.data.output.manifest) ? e.data.output.manifest : undefined;
    if (made && Array.isArray(made.custodians)) made.custodians.forEach(add);
  }
  return { ids, devices };
}

export interface RosterPinInput {
  pin: NonNullable<PacketPins['roster']>;
  started?: { body: RosterBody; sha256: string };
  writtenSha256?: string;
  production: boolean;
  trustedAttestationRoots: string[];
}

export function checkRosterPin(g: Group, ctx: Context, input: RosterPinInput): void {
  // Officers who check in by token are checked against the roster the ceremony started with: a ceremony with
  // such roles and no starting roster cannot be pinned by a roster it merely carries as an output.
  const officersCheckIn = ctx.script !== undefined && Object.values(ctx.script.roles).some((r) => r.identity === 'piv');
  if (officersCheckIn && !input.started) return g.fail(`--roster: officers check in by token in this ceremony, but it recorded no roster it started with`);
  const known = [input.started?.sha256, input.writtenSha256].filter((s): s is string => s !== undefined);
  if (known.length === 0) return g.fail(`--roster: the ceremony used and wrote no roster, so there is nothing to compare it with`);
  if ('sha256' in input.pin) {
    const want = normalizeFingerprint(input.pin.sha256);
    if (!want) return g.fail(`--roster: ${JSON.stringify(input.pin.sha256.slice(0, 80))} is neither a roster file nor a roster SHA-256 (64 hex digits)`);
    if (!known.includes(want)) return g.fail(`${ROSTER_COPY}: roster sha256 ${known.map(short).join(' / ')} is not the pinned ${want} (--roster)`);
    return g.note(`${ROSTER_COPY}: roster ${want} matches --roster`);
  }
  const v = verifyRosterFile(input.pin.file, { production: input.production, trustedAttestationRoots: input.trustedAttestationRoots });
  if (!v.ok || !v.roster || !v.rosterSha256) return g.fail(`--roster: the roster given does not verify (${v.problems[0] ?? 'unreadable'})`);
  if (known.includes(v.rosterSha256)) return g.note(`${ROSTER_COPY}: roster version ${v.roster.version} (${v.rosterSha256}) matches --roster`);
  const chain = chainOf(input.pin.file);
  if (!known.some((k) => chain.includes(k))) return g.fail(`${ROSTER_COPY}: the pinned roster version ${v.roster.version} (${short(v.rosterSha256)}) is neither this ceremony's roster (${known.map(short).join(' / ')}) nor a later version of it (--roster)`);
  // A later roster: whoever it shows revoked before the ceremony started must not take part in it.
  const startedAt = ctx.started?.time ?? '';
  const acting = actingOfficers(ctx);
  let revokedActing = 0;
  for (const o of v.roster.officers) {
    if (o.status !== 'revoked' || !o.revoked || !(o.revoked.at < startedAt)) continue;
    if (!acting.ids.has(o.id) && !acting.devices.has(o.device.serial)) continue;
    revokedActing++;
    g.fail(`${JOURNAL}: ${o.name} (${o.id}, device ${o.device.serial}) takes part in this ceremony, but the pinned roster version ${v.roster.version} shows them revoked at ${o.revoked.at} (${o.revoked.reason}), before the ceremony started at ${startedAt} (--roster)`);
  }
  if (revokedActing === 0) g.note(`${ROSTER_COPY}: the pinned roster version ${v.roster.version} is a later version of this ceremony's roster; nobody it revoked before ${startedAt} takes part`);
}
