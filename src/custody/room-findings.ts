// What room.preflight concludes from what the laptop showed, and what verify recomputes from the journal: one
// finding per check, each with what was seen and, when it failed, the problem in a sentence. Pure, total (never
// throws): the step judges an observation it has just made; verify judges the one the journal recorded, so a
// recorded "ok" that the recorded facts do not support is caught.

export interface NetworkInterface {
  name: string;
  /** Administratively up (IFF_UP): it could carry traffic. */
  up: boolean;
  /** The kernel's operational state (up, down, dormant, unknown...). */
  state: string;
  loopback: boolean;
}

export interface UsbDevice {
  /** vendor:product, 4 lowercase hex digits each, as lsusb prints them. */
  id: string;
  /** Manufacturer and product strings, when the device gives them. */
  name: string;
  /** One of the kernel's own root hubs (usbN): always present, never a device someone plugged in. */
  rootHub: boolean;
}

export interface BluetoothAdapter {
  name: string;
  /** Turned off by rfkill (soft or hard). */
  blocked: boolean;
}

/** Everything room.preflight looked at, as journaled (`room-checked`). */
export interface RoomObservation {
  /** Where the kernel's view was read (/sys on a ceremony laptop). */
  source: string;
  interfaces: NetworkInterface[];
  bluetooth: BluetoothAdapter[];
  usb: UsbDevice[];
  /** The site file's allowlist, as the ceremony started with it. */
  allowlist: string[];
  laptop_time: string;
  /** The reference time as understood (ISO), or null when what was typed is not a time. */
  reference_time: string | null;
  /** Set when nobody typed a reference (an automated rehearsal): the laptop's clock stood in. */
  reference_note?: string;
  tolerance_seconds: number;
  boot: { named: { path: string; sha256: string } | null; read: { sha256: string; bytes: number } | { unreadable: string } | null };
  installation: { version: string; sha256: string; files: number };
  pinned_installation: string | null;
}

export type Check = 'network' | 'clock' | 'boot medium' | 'usb' | 'officiant';
export const CHECKS: readonly Check[] = ['network', 'clock', 'boot medium', 'usb', 'officiant'];

export interface Finding {
  check: Check;
  ok: boolean;
  /** What was seen, for the page and the journal. */
  seen: string;
  /** Why it failed (undefined when it passed). */
  problem?: string;
}

export function networkFinding(interfaces: readonly NetworkInterface[], bluetooth: readonly BluetoothAdapter[] = []): Finding {
  const seen = [
    interfaces.map((n) => `${n.name}${n.loopback ? ' (loopback)' : ''} ${n.up ? 'up' : 'down'}, ${n.state}`).join('; ') || 'no network interface',
    ...bluetooth.map((b) => `bluetooth ${b.name} ${b.blocked ? 'blocked' : 'NOT blocked'}`),
  ].join('; ');
  const problems: string[] = [];
  const live = interfaces.filter((n) => !n.loopback && n.up);
  if (live.length > 0) problems.push(`network interface${live.length > 1 ? 's' : ''} up: ${live.map((n) => n.name).join(', ')} (only loopback may be up)`);
  // Every Linux system has a loopback interface: none seen means the interfaces were not read (fail closed).
  if (!interfaces.some((n) => n.loopback)) problems.push('no loopback interface seen: the network interfaces could not be read');
  const radios = bluetooth.filter((b) => !b.blocked);
  if (radios.length > 0) problems.push(`bluetooth adapter${radios.length > 1 ? 's' : ''} not blocked: ${radios.map((b) => b.name).join(', ')} (rfkill block bluetooth)`);
  return problems.length === 0 ? { check: 'network', ok: true, seen } : { check: 'network', ok: false, seen, problem: problems.join('; ') };
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
  if (!reference || Number.isNaN(laptop.getTime()) || Number.isNaN(reference.getTime())) return { check: 'clock', ok: false, seen: `laptop ${Number.isNaN(laptop.getTime()) ? 'unknown' : laptop.toISOString()}`, problem: 'the reference time typed is not a time' };
  const skew = Math.round((laptop.getTime() - reference.getTime()) / 1000);
  const seen = `laptop ${laptop.toISOString()}, reference ${reference.toISOString()}${note ? ` (${note})` : ''}: ${Math.abs(skew)} s ${skew >= 0 ? 'ahead' : 'behind'}, tolerance ${toleranceSeconds} s`;
  return Math.abs(skew) <= toleranceSeconds ? { check: 'clock', ok: true, seen } : { check: 'clock', ok: false, seen, problem: `the laptop's clock is ${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} the reference (tolerance ${toleranceSeconds} s)` };
}

export function bootMediumFinding(named: RoomObservation['boot']['named'] | undefined, read: RoomObservation['boot']['read'] | undefined): Finding {
  if (!named) return { check: 'boot medium', ok: false, seen: 'none named', problem: "the site file names no boot medium (room.boot_medium): the laptop's software is unchecked" };
  if (!read || 'unreadable' in read) return { check: 'boot medium', ok: false, seen: named.path, problem: `the boot medium cannot be read: ${read && 'unreadable' in read ? read.unreadable : named.path}` };
  const seen = `${named.path}: SHA-256 ${read.sha256} (${read.bytes} bytes)`;
  return read.sha256 === named.sha256 ? { check: 'boot medium', ok: true, seen } : { check: 'boot medium', ok: false, seen, problem: `the boot medium's SHA-256 is not the site file's ${named.sha256}` };
}

export function usbFinding(devices: readonly UsbDevice[], allowlist: readonly string[]): Finding {
  const allowed = new Set(allowlist);
  const seen = devices.map((d) => `${d.id} ${d.name}${d.rootHub ? ' (root hub)' : allowed.has(d.id) ? '' : ' NOT ALLOWED'}`).join('; ') || 'no USB device';
  const problems: string[] = [];
  const unknown = devices.filter((d) => !d.rootHub && !allowed.has(d.id));
  if (unknown.length > 0) problems.push(`USB device${unknown.length > 1 ? 's' : ''} not on the site file's allowlist: ${unknown.map((d) => `${d.id} (${d.name})`).join(', ')}`);
  // A laptop with USB has root hubs: none seen means the devices were not read (fail closed).
  if (!devices.some((d) => d.rootHub)) problems.push('no USB root hub seen: the USB devices could not be read');
  return problems.length === 0 ? { check: 'usb', ok: true, seen } : { check: 'usb', ok: false, seen, problem: problems.join('; ') };
}

export function officiantFinding(found: { version: string; sha256: string; files: number }, pinned: string | null | undefined): Finding {
  const seen = `Officiant ${found.version}, ${found.files} installed files, SHA-256 ${found.sha256}${pinned == null ? ' (not pinned in the site file: compare with the paper log)' : ''}`;
  return pinned == null || pinned === found.sha256 ? { check: 'officiant', ok: true, seen } : { check: 'officiant', ok: false, seen, problem: `Officiant's installed files are not the ones the site file pins (${pinned})` };
}

/** Every check, judged from one observation: what the step shows and journals, and what verify recomputes. */
export function judgeRoom(o: RoomObservation): Finding[] {
  return [
    networkFinding(o.interfaces, o.bluetooth),
    clockFinding(new Date(o.laptop_time), o.reference_time === null ? undefined : new Date(o.reference_time), o.tolerance_seconds, o.reference_note),
    bootMediumFinding(o.boot.named, o.boot.read),
    usbFinding(o.usb, o.allowlist),
    officiantFinding(o.installation, o.pinned_installation),
  ];
}
