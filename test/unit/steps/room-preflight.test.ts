// room.preflight: each check judged from what the laptop shows (table rows per check), then the step: a
// production run stops on a failed check unless the script allows a recorded override, a rehearsal records
// and goes on, and everything seen is on the page and in the journal.
import { describe, expect, it } from 'vitest';
import { bootMediumFinding, clockFinding, networkFinding, officiantFinding, parseReferenceTime, usbFinding } from '../../../src/custody/room-findings.js';
import { roomPreflight } from '../../../src/steps/room-preflight.js';
import { failStep, runStep } from './fakes/step-context.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { scriptWith, step } from './fakes/scripts.js';
import { BOOT_SHA, GOOD_SITE, INSTALL_SHA, room } from './fakes/room.js';

const lo = { name: 'lo', up: true, state: 'unknown', loopback: true };
const iface = (name: string, up: boolean, state = up ? 'up' : 'down') => ({ name, up, state, loopback: false });
const dev = (id: string, name = 'Some device', rootHub = false) => ({ id, name, rootHub });
const hub = dev('1d6b:0002', 'root hub', true);

describe('room findings', () => {
  it.each([
    ['only loopback up', [lo, iface('eth0', false), iface('wlan0', false, 'dormant')], undefined],
    ['no interface at all: they were not read (fail closed)', [], 'no loopback interface seen: the network interfaces could not be read'],
    ['a cable plugged in', [lo, iface('eth0', true)], 'network interface up: eth0 (only loopback may be up)'],
    ['administratively up without a carrier still counts', [lo, iface('wlan0', true, 'dormant'), iface('eth1', true, 'down')], 'network interfaces up: wlan0, eth1 (only loopback may be up)'],
  ])('network: %s', (_n, interfaces, problem) => {
    expect(networkFinding(interfaces).problem).toBe(problem);
  });

  it.each([
    ['a blocked adapter', [{ name: 'hci0', blocked: true }], undefined],
    ['an adapter not blocked', [{ name: 'hci0', blocked: false }], 'bluetooth adapter not blocked: hci0 (rfkill block bluetooth)'],
  ])('bluetooth: %s', (_n, adapters, problem) => {
    expect(networkFinding([lo], adapters).problem).toBe(problem);
  });

  const laptop = new Date('2026-12-05T23:59:50Z');
  it.each([
    ['HH:MM:SS the same day', '23:59:20', '2026-12-05T23:59:20.000Z'],
    ['HH:MM just after midnight is the next day', '00:00', '2026-12-06T00:00:00.000Z'],
    ['a full UTC time', '2026-12-05T23:58:00Z', '2026-12-05T23:58:00.000Z'],
    ['not a time', '25:00', undefined],
    ['nonsense', 'noon', undefined],
  ])('reference time: %s', (_n, typed, iso) => {
    expect(parseReferenceTime(typed, laptop)?.toISOString()).toBe(iso);
  });

  it.each([
    ['within the tolerance', '2026-12-05T23:58:00Z', 120, undefined],
    ['ahead by more', '2026-12-05T23:57:49Z', 120, "the laptop's clock is 121 s ahead of the reference (tolerance 120 s)"],
    ['behind by more', '2026-12-06T00:02:00Z', 60, "the laptop's clock is 130 s behind the reference (tolerance 60 s)"],
    ['no reference', undefined, 60, 'the reference time typed is not a time'],
  ])('clock: %s', (_n, reference, tolerance, problem) => {
    expect(clockFinding(laptop, reference ? new Date(reference) : undefined, tolerance).problem).toBe(problem);
  });

  it.each([
    ['the named medium, matching', GOOD_SITE.bootMedium, { sha256: BOOT_SHA, bytes: 10 }, undefined],
    ['another medium', GOOD_SITE.bootMedium, { sha256: 'cc'.repeat(32), bytes: 10 }, `the boot medium's SHA-256 is not the site file's ${BOOT_SHA}`],
    ['unreadable', GOOD_SITE.bootMedium, { unreadable: '/dev/sdb: permission denied' }, 'the boot medium cannot be read: /dev/sdb: permission denied'],
    ['none named', undefined, undefined, "the site file names no boot medium (room.boot_medium): the laptop's software is unchecked"],
  ])('boot medium: %s', (_n, named, read, problem) => {
    expect(bootMediumFinding(named, read).problem).toBe(problem);
  });

  it.each([
    ['root hubs and allowed tokens', [hub, dev('1050:0407')], ['1050:0407'], undefined],
    ['a stick nobody listed', [hub, dev('1050:0407'), dev('0781:5581', 'SanDisk Ultra')], ['1050:0407'], "USB device not on the site file's allowlist: 0781:5581 (SanDisk Ultra)"],
    ['no allowlist: any device fails', [hub, dev('1050:0407', 'YubiKey')], [], "USB device not on the site file's allowlist: 1050:0407 (YubiKey)"],
    ['a gadget with the root hubs\' vendor id is still a device', [hub, dev('1d6b:0104', 'Multifunction Composite Gadget')], [], "USB device not on the site file's allowlist: 1d6b:0104 (Multifunction Composite Gadget)"],
    ['no root hub: the devices were not read (fail closed)', [], [], 'no USB root hub seen: the USB devices could not be read'],
  ])('usb: %s', (_n, devices, allow, problem) => {
    expect(usbFinding(devices, allow).problem).toBe(problem);
  });

  it.each([
    ['pinned and matching', INSTALL_SHA, undefined],
    ['pinned, another installation', 'dd'.repeat(32), `Officiant's installed files are not the ones the site file pins (${'dd'.repeat(32)})`],
    ['not pinned: recorded for the paper log', undefined, undefined],
  ])('officiant: %s', (_n, pinned, problem) => {
    const f = officiantFinding({ version: '0.1.0', sha256: INSTALL_SHA, files: 3 }, pinned);
    expect(f.problem).toBe(problem);
    expect(f.seen).toContain(INSTALL_SHA);
  });
});

describe('room.preflight', () => {
  const script = (params: Record<string, unknown> = {}) => scriptWith([step('room', 'room.preflight', params)]);
  const now = new Date('2026-12-05T10:00:00Z');
  // A production ceremony unless a test says rehearsal (the fake context defaults to a rehearsal).
  const rehearsal = false;
  const typed = (extra: Record<string, string> = {}) => new TablePrompter({ records: { 'room.reference-time': '10:00:30', ...extra } });

  it('records every check and passes a laptop that is as the site file says', async () => {
    const run = await runStep(roomPreflight, { script: script(), stepId: 'room', rehearsal, room: room(), now, prompter: typed() });
    expect(run.results.map((r) => r.label)).toEqual(['Network', 'Clock', 'Boot medium', 'USB devices', 'Officiant']);
    expect(run.results.every((r) => r.value.startsWith('OK: '))).toBe(true);
    const [checked] = run.events('room-checked');
    expect(checked).toMatchObject({ typed_reference: '10:00:30', observation: { source: '/sys', reference_time: '2026-12-05T10:00:30.000Z', allowlist: ['1050:0407'] } });
    expect(run.prompter.asked.map((a) => a.what)).toEqual(['room.reference-time']);
  });

  it('stops a production run on a failed check, naming every problem, before anyone checks in', async () => {
    const { error, fake } = await failStep(roomPreflight, { script: script(), stepId: 'room', rehearsal, room: room({ interfaces: [lo, iface('eth0', true)], usb: [hub, dev('0781:5581', 'SanDisk Ultra')] }), now, prompter: typed() });
    expect(error.message).toBe("the laptop failed 2 check(s): network interface up: eth0 (only loopback may be up); USB device not on the site file's allowlist: 0781:5581 (SanDisk Ultra)");
    expect(fake.events('room-checked')).toHaveLength(1);
  });

  it('with allow_override, the administrator may go on with a reason recorded as a deviation', async () => {
    const prompter = typed({ 'room.override-by': 'Ada Admin', 'room.override-reason': 'the site has no boot medium image yet; laptop reinstalled today' });
    const run = await runStep(roomPreflight, { script: script({ allow_override: true }), stepId: 'room', rehearsal, room: room({}, { usbAllowlist: ['1050:0407'] }), now, prompter });
    expect(run.events('room-override')).toEqual([{ what: 'room-override', checks: ['boot medium'], deviation: 'Ada Admin went on despite boot medium: the site has no boot medium image yet; laptop reinstalled today', decided_by: 'Ada Admin (not yet checked in)' }]);
    expect(prompter.asked.map((a) => a.what)).toEqual(['room.reference-time', expect.stringContaining('Go on anyway'), 'room.override-by', 'room.override-reason']);
  });

  it('with allow_override, a "no" stops it', async () => {
    const prompter = new TablePrompter({ records: { 'room.reference-time': '10:00:30' }, confirm: [['room', false]] });
    const { error } = await failStep(roomPreflight, { script: script({ allow_override: true }), stepId: 'room', rehearsal, room: room({ interfaces: [iface('eth0', true)] }), now, prompter });
    expect(error.message).toContain('network interface up: eth0');
  });

  it('a rehearsal records what it finds and never stops; an automated one takes the laptop clock as the reference, saying so', async () => {
    const run = await runStep(roomPreflight, { script: script(), stepId: 'room', rehearsal: true, room: room({ interfaces: [lo, iface('eth0', true)] }, 'none'), now, prompter: new TablePrompter() });
    expect(run.events('room-not-stopped')[0].deviation).toBe(
      "rehearsal: 3 check(s) failed and were recorded (a production run stops here): network interface up: eth0 (only loopback may be up); the site file names no boot medium (room.boot_medium): the laptop's software is unchecked; USB device not on the site file's allowlist: 1050:0407 (Yubico YubiKey OTP+FIDO+CCID)",
    );
    expect(run.results.find((r) => r.label === 'Clock')?.value).toContain("rehearsal: the laptop's own clock stood in for the reference");
    expect(run.prompter.asked).toEqual([]);
  });

  it('a wrong time typed fails the clock check', async () => {
    const { error } = await failStep(roomPreflight, { script: script(), stepId: 'room', rehearsal, room: room(), now, prompter: new TablePrompter({ records: { 'room.reference-time': '09:50:00' } }) });
    expect(error.message).toBe("the laptop failed 1 check(s): the laptop's clock is 600 s ahead of the reference (tolerance 120 s)");
  });
});
