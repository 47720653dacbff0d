// piv-devices.json: what a SoftHSM token cannot hold about a simulated PIV device (model, firmware, form
// factor, the PUK, PIN and PUK tries left, the "inserted" flag). Contract: the file is written atomically with
// mode 0600 (a crash leaves the old file or the new one); the PUK is kept only as scrypt(PUK, salt); an
// unreadable file is env.sandbox-missing, an unwritable one env.fs, an unknown device env.piv-absent.
import { randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OfficiantError } from '../../errors.js';

export const DEVICES_FILE = 'piv-devices.json';

export interface SimulatedDeviceRecord {
  serial: string;
  model: string;
  firmware: string;
  /** Yubico form factor byte (0x01 USB-A keychain). */
  formFactor: number;
  inserted: boolean;
  pinTriesLeft: number;
  pukTriesLeft: number;
  /** scrypt(PUK, salt), hex; the PUK itself is never stored. */
  puk: { salt: string; hash: string };
  createdAt: string;
}

export interface FleetFile {
  version: 1;
  devices: SimulatedDeviceRecord[];
}

/** Atomic 0600 write: a crash leaves the old file or the new one, never half of either. */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function loadFleetFile(dir: string): FleetFile {
  const file = join(dir, DEVICES_FILE);
  if (!existsSync(file)) return { version: 1, devices: [] };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as FleetFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.devices)) throw new Error('unknown layout');
    return parsed;
  } catch (err) {
    throw new OfficiantError('env.sandbox-missing', `rehearsal sandbox ${dir} has an unreadable ${DEVICES_FILE}`, { cause: err });
  }
}

export function saveFleetFile(dir: string, file: FleetFile): void {
  try {
    writePrivateFile(join(dir, DEVICES_FILE), `${JSON.stringify(file, null, 2)}\n`);
  } catch (err) {
    throw new OfficiantError('env.fs', `cannot write ${DEVICES_FILE} in ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

/** Changes one device's record with `fn` and saves the file; env.piv-absent for a device the file does not name. */
export function updateDeviceRecord<T>(dir: string, serial: string, fn: (rec: SimulatedDeviceRecord) => T): T {
  const file = loadFleetFile(dir);
  const rec = file.devices.find((d) => d.serial === serial);
  if (!rec) throw new OfficiantError('env.piv-absent', `device ${serial} is not inserted`);
  const out = fn(rec);
  saveFleetFile(dir, file);
  return out;
}

/**
 * scrypt's cost for a simulated device's PUK: a light one. The PUK is random and the sandbox keeps the simulated
 * people's secrets in its own files anyway; the default cost (N = 16384) made PUK checks a tenth of an
 * enrollment rehearsal.
 */
const PUK_SCRYPT = { N: 1024 };

export function hashPuk(puk: Buffer): { salt: string; hash: string } {
  const salt = randomBytes(16);
  return { salt: salt.toString('hex'), hash: pukDigest(puk, salt, 32).toString('hex') };
}

/** scrypt(PUK, salt) as the fleet file keeps it. */
export function pukDigest(puk: Buffer, salt: Buffer, length: number): Buffer {
  return scryptSync(puk, salt, length, PUK_SCRYPT);
}

/** The serial after the highest one in the file (the first device is 10000001). */
export function nextSerial(file: FleetFile): string {
  const highest = file.devices.reduce((m, d) => Math.max(m, Number(d.serial) || 0), 10000000);
  return String(highest + 1);
}
