// A laptop for room.preflight's unit tests: what the probe port reports, set per test (the Linux adapter
// itself is tested on a sysfs-shaped directory in test/unit/adapters/room).
import type { BluetoothAdapter, NetworkInterface, RoomProbe, UsbDevice } from '../../../../src/engine/ports.js';
import type { RoomInputs, RoomSite } from '../../../../src/engine/ceremony-inputs.types.js';

export const BOOT_SHA = 'b0'.repeat(32);
export const INSTALL_SHA = '1a'.repeat(32);

export interface Laptop {
  interfaces?: NetworkInterface[];
  usb?: UsbDevice[];
  boot?: { sha256: string; bytes: number } | { unreadable: string };
  bluetooth?: BluetoothAdapter[];
}

export class FakeRoomProbe implements RoomProbe {
  readonly source = '/sys';
  readonly hashed: string[] = [];
  constructor(private readonly laptop: Laptop = {}) {}
  networkInterfaces(): NetworkInterface[] {
    return this.laptop.interfaces ?? [{ name: 'lo', up: true, state: 'unknown', loopback: true }, { name: 'eth0', up: false, state: 'down', loopback: false }];
  }
  bluetooth(): BluetoothAdapter[] {
    return this.laptop.bluetooth ?? [];
  }
  usbDevices(): UsbDevice[] {
    return this.laptop.usb ?? [{ id: '1d6b:0002', name: 'Linux Foundation 2.0 root hub', rootHub: true }, { id: '1050:0407', name: 'Yubico YubiKey OTP+FIDO+CCID', rootHub: false }];
  }
  async sha256File(path: string) {
    this.hashed.push(path);
    return this.laptop.boot ?? { sha256: BOOT_SHA, bytes: 4096 };
  }
  async installation() {
    return { version: '0.1.0', sha256: INSTALL_SHA, files: 42 };
  }
}

export const GOOD_SITE: RoomSite = { bootMedium: { path: '/dev/sdb', sha256: BOOT_SHA }, usbAllowlist: ['1050:0407'], officiantSha256: INSTALL_SHA };

/** The laptop and the site file's room section (`'none'`: the site file has none). */
export function room(laptop: Laptop = {}, site: RoomSite | 'none' = GOOD_SITE): RoomInputs & { probe: FakeRoomProbe } {
  return { site: site === 'none' ? undefined : site, probe: new FakeRoomProbe(laptop) };
}
