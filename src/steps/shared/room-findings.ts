// What room.preflight concludes from what the laptop shows: one finding per check, each with what was seen
// (recorded whether or not it passed) and, when it failed, the problem in a sentence. Pure: the probe reads,
// these judge, the step asks and records.
import type { NetworkInterface, UsbDevice } from '../../engine/ports.js';
import type { RoomSite } from '../../engine/ceremony-inputs.types.js';

export interface Finding {
  check: 'network' | 'clock' | 'boot medium' | 'usb' | 'officiant';
  ok: boolean;
  /** What was seen, for the page and the journal. */
  seen: string;
  /** Why it failed (undefined when it passed). */
  problem?: string;
}

export function networkFinding(interfaces: readonly NetworkInterface[]): Finding {
  const seen = interfaces.map((n) => `${n.name}${n.loopback ? ' (loopback)' : ''} ${n.up ? 'up' : 'down'}, ${n.state}`).join('; ') || 'no network interface';
  const live = interfaces.filter((n) => !n.loopback && n.up);
  return live.length === 0
    ? { check: 'network', ok: true, seen }
    : { check: 'network', ok: false, seen, problem: `network interface${live.length > 1 ? 's' : ''} up: ${live.map((n) => n.name).join(', ')} (only loopback may be up)` };
}

/** The reference time typed: HH:MM[:SS] (UTC, the day closest to the laptop's) or a full ISO 8601 time in UTC. */
export const REFERENCE_TIME = { pattern: '([0-2][0-9]:[0-5][0-9](:[0-5][0-9])?|[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?Z)', example: '14:05:30' };

export function parseReferenceTime(typed: string, laptop: Date): Date | undefined {
  const text = typed.trim();
  if (/^\d{4}-\d\d-\d\dT/.test(text)) {
    const t = new Date(text);
    return Number.isNaN(t.getTime()) ? undefined : t;
  }
  const m = /^(\d\d):(\d\d)(?::(\d\d))?$/.exec(text);
  if (!m || Number(m[1]) > 23) return undefined;
  const base = Date.UTC(laptop.getUTCFullYear(), laptop.getUTCMonth(), laptop.getUTCDate(), Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
  // Near midnight the reference may be on the day before or after the laptop's: the closest one is meant.
  const day = 86_400_000;
  return new Date([base - day, base, base + day].reduce((a, b) => (Math.abs(b - laptop.getTime()) < Math.abs(a - laptop.getTime()) ? b : a)));
}

export function clockFinding(laptop: Date, reference: Date | undefined, toleranceSeconds: number, note?: string): Finding {
  if (!reference) return { check: 'clock', ok: false, seen: `laptop ${laptop.toISOString()}`, problem: 'the reference time typed is not a time' };
  const skew = Math.round((laptop.getTime() - reference.getTime()) / 1000);
  const seen = `laptop ${laptop.toISOString()}, reference ${reference.toISOString()}${note ? ` (${note})` : ''}: ${Math.abs(skew)} s ${skew >= 0 ? 'ahead' : 'behind'}, tolerance ${toleranceSeconds} s`;
  return Math.abs(skew) <= toleranceSeconds ? { check: 'clock', ok: true, seen } : { check: 'clock', ok: false, seen, problem: `the laptop's clock is ${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} the reference (tolerance ${toleranceSeconds} s)` };
}

export function bootMediumFinding(named: RoomSite['bootMedium'], read: { sha256: string; bytes: number } | { unreadable: string } | undefined): Finding {
  if (!named) return { check: 'boot medium', ok: false, seen: 'none named', problem: "the site file names no boot medium (room.boot_medium): the laptop's software is unchecked" };
  if (!read || 'unreadable' in read) return { check: 'boot medium', ok: false, seen: named.path, problem: `the boot medium cannot be read: ${read && 'unreadable' in read ? read.unreadable : named.path}` };
  const seen = `${named.path}: SHA-256 ${read.sha256} (${read.bytes} bytes)`;
  return read.sha256 === named.sha256 ? { check: 'boot medium', ok: true, seen } : { check: 'boot medium', ok: false, seen, problem: `the boot medium's SHA-256 is not the site file's ${named.sha256}` };
}

export function usbFinding(devices: readonly UsbDevice[], allowlist: readonly string[]): Finding {
  const allowed = new Set(allowlist);
  const seen = devices.map((d) => `${d.id} ${d.name}${d.rootHub ? ' (root hub)' : allowed.has(d.id) ? '' : ' NOT ALLOWED'}`).join('; ') || 'no USB device';
  const unknown = devices.filter((d) => !d.rootHub && !allowed.has(d.id));
  return unknown.length === 0 ? { check: 'usb', ok: true, seen } : { check: 'usb', ok: false, seen, problem: `USB device${unknown.length > 1 ? 's' : ''} not on the site file's allowlist: ${unknown.map((d) => `${d.id} (${d.name})`).join(', ')}` };
}

export function officiantFinding(found: { version: string; sha256: string; files: number }, pinned: string | undefined): Finding {
  const seen = `Officiant ${found.version}, ${found.files} installed files, SHA-256 ${found.sha256}${pinned === undefined ? ' (not pinned in the site file: compare with the paper log)' : ''}`;
  return pinned === undefined || pinned === found.sha256 ? { check: 'officiant', ok: true, seen } : { check: 'officiant', ok: false, seen, problem: `Officiant's installed files are not the ones the site file pins (${pinned})` };
}
