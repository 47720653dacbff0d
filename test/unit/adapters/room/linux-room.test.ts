// The Linux probe reads a sysfs-shaped directory as the kernel lays it out (class/net/<if>/{flags,type,
// operstate}, bus/usb/devices/<dev>/{idVendor,idProduct,manufacturer,product}) and hashes files as sha256sum would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LinuxRoomProbe } from '../../../../src/adapters/room/linux-room.js';

const root = mkdtempSync(join(tmpdir(), 'officiant-room-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(rel: string, content: string): void {
  const file = join(root, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${content}\n`);
}

const sys = join(root, 'sys');
put('sys/class/net/lo/flags', '0x9');
put('sys/class/net/lo/type', '772');
put('sys/class/net/lo/operstate', 'unknown');
put('sys/class/net/enp0s31f6/flags', '0x1003');
put('sys/class/net/enp0s31f6/type', '1');
put('sys/class/net/enp0s31f6/operstate', 'up');
put('sys/class/net/wlp2s0/flags', '0x1002');
put('sys/class/net/wlp2s0/type', '1');
put('sys/class/net/wlp2s0/operstate', 'down');
put('sys/bus/usb/devices/usb1/idVendor', '1d6b');
put('sys/bus/usb/devices/usb1/idProduct', '0002');
put('sys/bus/usb/devices/usb1/product', 'EHCI Host Controller');
put('sys/bus/usb/devices/1-2/idVendor', '1050');
put('sys/bus/usb/devices/1-2/idProduct', '0407');
put('sys/bus/usb/devices/1-2/manufacturer', 'Yubico');
put('sys/bus/usb/devices/1-2/product', 'YubiKey OTP+FIDO+CCID');
put('sys/bus/usb/devices/1-2:1.0/bInterfaceClass', '0b');
put('sys/bus/usb/devices/1-3/idVendor', '1d6b');
put('sys/bus/usb/devices/1-3/idProduct', '0104');
put('sys/bus/usb/devices/1-3/product', 'Gadget\u001b[2J');
put('sys/class/bluetooth/hci0/rfkill3/soft', '1');
put('sys/class/bluetooth/hci0/rfkill3/hard', '0');
put('sys/class/bluetooth/hci1/rfkill4/soft', '0');
put('sys/class/net/eth9/type', '1');
put('install/package.json', '{"name":"officiant"}');
put('install/bin/officiant.js', '#!/usr/bin/env node');
put('install/templates/a.yaml', 'a: 1');
put('install/templates/sub/b.yaml', 'b: 2');
put('boot.img', 'a boot image');

const probe = new LinuxRoomProbe(sys, { root: join(root, 'install'), version: '9.9.9', parts: ['package.json', 'bin', 'templates', 'missing-dir'] });

describe('LinuxRoomProbe', () => {
  it('reads each interface: administratively up (IFF_UP), its operational state, loopback by its type', () => {
    expect(probe.networkInterfaces()).toEqual([
      { name: 'enp0s31f6', up: true, state: 'up', loopback: false },
      // Its flags cannot be read: counted as up (the check fails closed).
      { name: 'eth9', up: true, state: 'unreadable', loopback: false },
      { name: 'lo', up: true, state: 'unknown', loopback: true },
      { name: 'wlp2s0', up: false, state: 'down', loopback: false },
    ]);
  });

  it('lists USB devices (not their interfaces) as vendor:product with their names, root hubs marked', () => {
    expect(probe.usbDevices()).toEqual([
      { id: '1050:0407', name: 'Yubico YubiKey OTP+FIDO+CCID', rootHub: false },
      // A gadget shares the root hubs' vendor id: it is a device all the same, its name without escape codes.
      { id: '1d6b:0104', name: 'Gadget?[2J', rootHub: false },
      { id: '1d6b:0002', name: 'EHCI Host Controller', rootHub: true },
    ]);
  });

  it('reads each bluetooth adapter: blocked when an rfkill switch is on', () => {
    expect(probe.bluetooth()).toEqual([
      { name: 'hci0', blocked: true },
      { name: 'hci1', blocked: false },
    ]);
  });

  it('hashes a boot image as sha256sum does, and says why a path cannot be read', async () => {
    const expected = execFileSync('sha256sum', [join(root, 'boot.img')], { encoding: 'utf8' }).split(' ')[0];
    expect(await probe.sha256File(join(root, 'boot.img'))).toEqual({ sha256: expected, bytes: 13 });
    const head = execFileSync('sh', ['-c', `head -c 6 ${join(root, 'boot.img')} | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    expect(await probe.sha256File(join(root, 'boot.img'), 6)).toEqual({ sha256: head, bytes: 6 });
    expect(await probe.sha256File(join(root, 'nope.img'))).toEqual({ unreadable: `${join(root, 'nope.img')}: not found` });
    expect(await probe.sha256File(sys)).toEqual({ unreadable: `${sys} is neither a file nor a block device` });
  });

  it('digests the installation as `sha256sum` over its sorted file list would, reproducibly', async () => {
    const listing = execFileSync('sh', ['-c', 'find package.json bin templates -type f | LC_ALL=C sort | xargs sha256sum'], { cwd: join(root, 'install'), encoding: 'utf8' });
    const expected = execFileSync('sha256sum', { input: listing, encoding: 'utf8' }).split(' ')[0];
    expect(await probe.installation()).toEqual({ version: '9.9.9', sha256: expected, files: 4 });
  });
});
