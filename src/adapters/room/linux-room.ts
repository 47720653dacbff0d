// The ceremony laptop as Linux shows it: network interfaces and USB devices from sysfs (/sys/class/net,
// /sys/bus/usb/devices), a boot medium's SHA-256 read from the block device or image file, and Officiant's own
// installed files hashed. It reports what it finds and never decides: room.preflight does. `sysRoot` is /sys
// on a ceremony laptop; tests hand it a directory laid out the same way (recorded as the probe's source).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { hashDescriptor } from '../fs/hash-file.js';
import { join, relative } from 'node:path';
import type { BluetoothAdapter, NetworkInterface, RoomProbe, UsbDevice } from '../../engine/ports.js';

const ARPHRD_LOOPBACK = 772;
const IFF_UP = 0x1;
const LINUX_FOUNDATION = '1d6b';

/** A device's own strings, shown on the screen and the page: no control characters (no escape sequences), at most 80. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 80);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Streams a regular file or a block device through SHA-256 (a FIFO or character device is refused unopened). */
function digest(path: string, limit?: number): { sha256: string; bytes: number } | { unreadable: string } {
  let fd: number | undefined;
  try {
    const kind = statSync(path);
    if (!kind.isFile() && !kind.isBlockDevice()) return { unreadable: `${path} is neither a file nor a block device` };
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isBlockDevice()) return { unreadable: `${path} is neither a file nor a block device` };
    const { size, sha256 } = hashDescriptor(fd, limit);
    return { sha256, bytes: size };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { unreadable: `${path}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied (run as a user who may read it)' : (code ?? 'cannot read')}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What is at a path without following a link; undefined when it cannot be looked at (gone, no permission). */
function entryOf(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function linkDigest(path: string): string {
  try {
    return createHash('sha256').update(`link:${readlinkSync(path)}`).digest('hex');
  } catch {
    return 'unreadable';
  }
}

/** Regular files under a directory; a symbolic link is not followed (no loop), only listed as a link. */
function filesUnder(root: string, dir: string, out: string[]): void {
  for (const name of list(join(root, dir))) {
    const rel = join(dir, name);
    const st = entryOf(join(root, rel));
    if (st?.isDirectory()) filesUnder(root, rel, out);
    else if (st?.isFile() || st?.isSymbolicLink()) out.push(rel);
  }
}

export class LinuxRoomProbe implements RoomProbe {
  constructor(
    readonly source: string,
    /** The installation's root and what of it is Officiant: these paths (files or directories) are hashed. */
    private readonly install: { root: string; version: string; parts: readonly string[] },
  ) {}

  networkInterfaces(): NetworkInterface[] {
    const dir = join(this.source, 'class/net');
    return list(dir).map((name) => {
      // Flags that cannot be read count as up: the check fails closed.
      const flags = Number.parseInt(readText(join(dir, name, 'flags')) ?? 'ffff', 16);
      const type = Number(readText(join(dir, name, 'type')) ?? '0');
      return { name: printable(name), up: Number.isNaN(flags) || (flags & IFF_UP) !== 0, state: printable(readText(join(dir, name, 'operstate')) ?? 'unreadable'), loopback: type === ARPHRD_LOOPBACK };
    });
  }

  bluetooth(): BluetoothAdapter[] {
    const dir = join(this.source, 'class/bluetooth');
    return list(dir)
      .filter((name) => /^hci\d+$/.test(name))
      .map((name) => {
        // Blocked when any of its rfkill switches is on (soft: rfkill block; hard: the laptop's switch).
        const switches = list(join(dir, name)).filter((f) => /^rfkill\d+$/.test(f));
        const blocked = switches.some((r) => readText(join(dir, name, r, 'soft')) === '1' || readText(join(dir, name, r, 'hard')) === '1');
        return { name, blocked };
      });
  }

  usbDevices(): UsbDevice[] {
    const dir = join(this.source, 'bus/usb/devices');
    // Interfaces (1-1:1.0) carry no ids of their own; devices and root hubs (usb1) do.
    return list(dir)
      .filter((name) => !name.includes(':') && existsSync(join(dir, name, 'idVendor')))
      .map((name) => {
        const vendor = (readText(join(dir, name, 'idVendor')) ?? '????').toLowerCase();
        const product = (readText(join(dir, name, 'idProduct')) ?? '????').toLowerCase();
        const words = [readText(join(dir, name, 'manufacturer')), readText(join(dir, name, 'product'))].filter((w) => w !== undefined && w !== '');
        // A root hub is the kernel's own (usb1, usb2, ...): never judged by its vendor id, which USB gadgets share.
        return { id: `${vendor}:${product}`, name: printable(words.join(' ')) || '(no name)', rootHub: /^usb\d+$/.test(name) && vendor === LINUX_FOUNDATION };
      });
  }

  async sha256File(path: string, limit?: number): Promise<{ sha256: string; bytes: number } | { unreadable: string }> {
    return digest(path, limit);
  }

  async installation(): Promise<{ version: string; sha256: string; files: number }> {
    const { root, version, parts } = this.install;
    const files: string[] = [];
    for (const part of parts) {
      const st = entryOf(join(root, part));
      if (st?.isDirectory()) filesUnder(root, part, files);
      else if (st?.isFile()) files.push(part);
    }
    // One line per file, "sha256  path" as sha256sum prints it, sorted by path: the same installation gives the
    // same digest on every laptop, and `sha256sum` over the same list reproduces it.
    const lines = files
      .map((rel) => relative(root, join(root, rel)))
      .sort()
      .map((rel) => {
        const path = join(root, rel);
        // A link is hashed by where it points (never followed: no loop), so sha256sum reproduces the digest only
        // for an installation without links, as npm lays one out.
        if (entryOf(path)?.isSymbolicLink()) return `${linkDigest(path)}  ${rel}\n`;
        const d = digest(path);
        return `${'sha256' in d ? d.sha256 : 'unreadable'}  ${rel}\n`;
      });
    return { version, sha256: createHash('sha256').update(lines.join('')).digest('hex'), files: lines.length };
  }
}
