// room.preflight in production, through the CLI: the laptop read from a sysfs-shaped directory
// (OFFICIANT_SYSFS_ROOT), a real boot image file hashed, the site file's room section. A failed check stops the
// ceremony before anyone checks in; an override the script allows is recorded as a deviation with its reason;
// and verify says a production packet whose laptop was not read from /sys is not to be trusted.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { officiant, ROOT } from '../../helpers/cli.js';
import { parseJournal } from '../../../src/record/journal.js';

const work = mkdtempSync(join(tmpdir(), 'officiant-room-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function put(rel: string, content: string): string {
  const file = join(work, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  return file;
}

function laptop(name: string, ethUp: boolean): string {
  const sys = join(work, name);
  const iface = (n: string, flags: string, type: string, state: string) => {
    put(`${name}/class/net/${n}/flags`, `${flags}\n`);
    put(`${name}/class/net/${n}/type`, `${type}\n`);
    put(`${name}/class/net/${n}/operstate`, `${state}\n`);
  };
  iface('lo', '0x9', '772', 'unknown');
  iface('eth0', ethUp ? '0x1003' : '0x1002', '1', ethUp ? 'up' : 'down');
  put(`${name}/bus/usb/devices/1-2/idVendor`, '1050\n');
  put(`${name}/bus/usb/devices/1-2/idProduct`, '0407\n');
  put(`${name}/bus/usb/devices/1-2/product`, 'YubiKey OTP+FIDO+CCID\n');
  put(`${name}/bus/usb/devices/usb1/idVendor`, '1d6b\n');
  put(`${name}/bus/usb/devices/usb1/idProduct`, '0002\n');
  return sys;
}

const image = Buffer.from('the ceremony laptop boot image, as made on the day');
put('boot.img', image.toString());
const site = put('site.yaml', `room:\n  boot_medium: { path: boot.img, sha256: ${createHash('sha256').update(image).digest('hex')} }\n  usb_allowlist: ["1050:0407"]\n`);
const now = new Date().toISOString().slice(11, 19);
const answers = (extra = '') => put(`answers-${Math.random().toString(36).slice(2)}.yaml`, `people:\n  ceremony-administrator: [Ada Admin]\n  internal-witness: [Wes Witness]\nrecords:\n  room: { reference-time: "${now}"${extra} }\nconfirm: true\n`);
const script = (allow: boolean) => put(`script-${allow}.yaml`, readFileSync(join(ROOT, 'test/fixtures/room-preflight.yaml'), 'utf8').replace('allow_override: ALLOW', `allow_override: ${allow}`));

describe('room.preflight in a production run', () => {
  it('stops before anyone checks in when a network interface is up, naming it; nothing after it ran', async () => {
    const out = join(work, 'stopped');
    const r = await officiant(['run', script(false), '--out', out, '--site', site, '--answers', answers()], { env: { ...process.env, OFFICIANT_SYSFS_ROOT: laptop('sys-up', true) } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('Network: FAILED: network interface up: eth0 (only loopback may be up)');
    expect(r.stdout).toContain('Boot medium: OK: ');
    const entries = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
    expect(entries.find((e) => e.type === 'step.failed')?.data.message).toBe('the laptop failed 1 check(s): network interface up: eth0 (only loopback may be up)');
    expect(entries.some((e) => e.step === 'check-in')).toBe(false);
    expect(entries.at(-1)?.type).toBe('ceremony.sealed');
  });

  it('passes a laptop as the site file describes it; verify then names the substituted /sys it was read from', async () => {
    const out = join(work, 'passed');
    const r = await officiant(['run', script(false), '--out', out, '--site', site, '--answers', answers()], { env: { ...process.env, OFFICIANT_SYSFS_ROOT: laptop('sys-ok', false) } });
    expect(r.code, r.stderr).toBe(0);
    const checked = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries.find((e) => e.data.what === 'room-checked')!;
    expect((checked.data.findings as Array<{ ok: boolean }>).every((f) => f.ok)).toBe(true);
    const v = await officiant(['verify', out]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`room: step 1 room: the laptop was read from "${join(work, 'sys-ok')}", not /sys`);
  });

  it('with allow_override, goes on past a failed check with the reason recorded as a deviation on the page', async () => {
    const out = join(work, 'override');
    const reason = 'laptop wired to the isolated label printer; cable stays in the room';
    const r = await officiant(['run', script(true), '--out', out, '--site', site, '--answers', answers(`, override-by: "Ada Admin", override-reason: "${reason}"`)], { env: { ...process.env, OFFICIANT_SYSFS_ROOT: laptop('sys-up2', true) } });
    expect(r.code, r.stderr).toBe(0);
    const entries = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
    expect(entries.find((e) => e.data.what === 'room-override')?.data).toMatchObject({ checks: ['network'], deviation: `Ada Admin went on despite network: ${reason}`, decided_by: 'Ada Admin (not yet checked in)' });
    expect(entries.some((e) => e.type === 'step.completed' && e.step === 'check-in')).toBe(true);
  });
});
