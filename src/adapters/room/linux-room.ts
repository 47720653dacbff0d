// The ceremony laptop as Linux shows it: network interfaces and USB devices from sysfs (/sys/class/net,
// /sys/bus/usb/devices), a boot medium's SHA-256 read from the block device or image file, and Officiant's own
// installed files hashed. It reports what it finds and never decides: room.preflight does. `sysRoot` is /sys
// on a ceremony laptop; tests hand it a directory laid out the same way (recorded as the probe's source).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hashDescriptor } from '../fs/hash-file.js';
import { join, relative } from 'node:path';
import type { NetworkInterface, RoomProbe, UsbDevice } from '../../engine/ports.js';

const ARPHRD_LOOPBACK = 772;
const IFF_UP = 0x1;
const LINUX_FOUNDATION = '1d6b';

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
function digest(path: string): { sha256: string; bytes: number } | { unreadable: string } {
  let fd: number | undefined;
  try {
    const kind = statSync(path);
    if (!kind.isFile() && !kind.isBlockDevice()) return { unreadable: `${path} is neither a file nor a block device` };
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isBlockDevice()) return { unreadable: `${path} is neither a file nor a block device` };
    const { size, sha256 } = hashDescriptor(fd);
    return { sha256, bytes: size };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { unreadable: `${path}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied (run as a user who may read it)' : (code ?? 'cannot read')}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function filesUnder(root: string, dir: string, out: string[]): void {
  for (const name of list(join(root, dir))) {
    const rel = join(dir, name);
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    if (st?.isDirectory()) filesUnder(root, rel, out);
    else if (st?.isFile()) out.push(rel);
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
      const flags = Number.parseInt(readText(join(dir, name, 'flags')) ?? '0', 16);
      const type = Number(readText(join(dir, name, 'type')) ?? '0');
      return { name, up: (flags & IFF_UP) !== 0, state: readText(join(dir, name, 'operstate')) ?? 'unknown', loopback: type === ARPHRD_LOOPBACK };
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
        return { id: `${vendor}:${product}`, name: words.join(' ') || '(no name)', rootHub: vendor === LINUX_FOUNDATION };
      });
  }

  async sha256File(path: string): Promise<{ sha256: string; bytes: number } | { unreadable: string }> {
    return digest(path);
  }

  async installation(): Promise<{ version: string; sha256: string; files: number }> {
    const { root, version, parts } = this.install;
    const files: string[] = [];
    for (const part of parts) {
      const st = statSync(join(root, part), { throwIfNoEntry: false });
      if (st?.isDirectory()) filesUnder(root, part, files);
      else if (st?.isFile()) files.push(part);
    }
    // One line per file, "sha256  path" as sha256sum prints it, sorted by path: the same installation gives the
    // same digest on every laptop, and `sha256sum` over the same list reproduces it.
    const lines = files
      .map((rel) => relative(root, join(root, rel)))
      .sort()
      .map((rel) => {
        const d = digest(join(root, rel));
        return `${'sha256' in d ? d.sha256 : 'unreadable'}  ${rel}\n`;
      });
    return { version, sha256: createHash('sha256').update(lines.join('')).digest('hex'), files: lines.length };
  }
}
