// room.preflight as verify recomputes it: a completed preflight recorded each check once, read /sys in
// production, and went past a failed check only by an override the script allows, naming exactly those checks;
// a rehearsal says it went on. Each row is a journal an insider (or a bug) could leave.
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../../src/record/journal.js';
import { checkRoom } from '../../../../src/evidence/verify/rules-room.js';
import { judgeRoom, type RoomObservation } from '../../../../src/custody/room-findings.js';
import { parseScript } from '../../../../src/script/rules.js';

const scriptText = (override: boolean) => `id: room-test
title: Room test
version: 1
authority: release
roles:
  admin: { title: Administrator, people: 1 }
  witness: { title: Witness, people: 1 }
steps:
  - id: room
    kind: room.preflight
    title: Check the laptop
    instructions: Read the clock.
    perform: admin
    witness: [witness]
    params: { allow_override: ${override} }
  - id: check-in
    kind: participants.check-in
    title: Check in
    instructions: Everyone shows an identity document.
    perform: admin
    witness: [witness]
`;
const script = (override = false) => parseScript('s.yaml', scriptText(override)).script!;

const SHA = 'b0'.repeat(32);
const site = { bootMedium: { path: '/dev/sdb', sha256: SHA }, usbAllowlist: ['1050:0407'] };
const observation = (changes: Partial<RoomObservation> = {}): RoomObservation => ({
  source: '/sys',
  interfaces: [{ name: 'lo', up: true, state: 'unknown', loopback: true }, { name: 'eth0', up: false, state: 'down', loopback: false }],
  bluetooth: [],
  usb: [{ id: '1d6b:0002', name: 'root hub', rootHub: true }, { id: '1050:0407', name: 'YubiKey', rootHub: false }],
  allowlist: ['1050:0407'],
  laptop_time: '2026-12-05T10:00:00.000Z',
  reference_time: '2026-12-05T10:00:30.000Z',
  tolerance_seconds: 120,
  boot: { named: { path: '/dev/sdb', sha256: SHA }, read: { sha256: SHA, bytes: 4096 } },
  installation: { version: '0.1.0', sha256: '1a'.repeat(32), files: 3 },
  pinned_installation: null,
  ...changes,
});
const ethUp = observation({ interfaces: [{ name: 'lo', up: true, state: 'unknown', loopback: true }, { name: 'eth0', up: true, state: 'up', loopback: false }] });
const e = (type: string, data: Record<string, unknown> = {}, step = 'room') => ({ type, step, data, actor: 'system' }) as unknown as JournalEntry;
function journal(opts: { mode?: string; observation?: RoomObservation; findings?: unknown; extra?: JournalEntry[]; checked?: number } = {}): JournalEntry[] {
  const o = opts.observation ?? observation();
  const checked = Array.from({ length: opts.checked ?? 1 }, () => e('step.event', { what: 'room-checked', observation: o, findings: opts.findings ?? judgeRoom(o) }));
  return [e('ceremony.started', { mode: opts.mode ?? 'production', room: site }, '-'), e('step.started'), ...checked, ...(opts.extra ?? []), e('step.completed')];
}
const override = (checks: string[]) => e('step.event', { what: 'room-override', checks, deviation: 'went on' });
const allOk = (o: RoomObservation) => judgeRoom(o).map((f) => ({ ...f, ok: true, problem: undefined }));

function problems(entries: JournalEntry[], allow = false): string[] {
  const out: string[] = [];
  checkRoom(entries, script(allow), { fail: (m) => out.push(m), note: () => undefined });
  return out;
}

describe('verify: room.preflight', () => {
  it.each<[string, JournalEntry[], boolean, string[]]>([
    ['every check passed', journal(), false, []],
    ['a failed check overridden as the script allows, naming it', journal({ observation: ethUp, extra: [override(['network'])] }), true, []],
    ['a rehearsal that says it went on', journal({ mode: 'rehearsal', observation: { ...ethUp, source: '/tmp/sys' }, extra: [e('step.event', { what: 'room-not-stopped' })] }), false, []],
    ['a failed check and no override allowed', journal({ observation: ethUp, extra: [override(['network'])] }), false, ['room: step 1 room: completed although the laptop failed network and the script allows no override']],
    ['a failed check, override allowed but none recorded', journal({ observation: ethUp }), true, ['room: step 1 room: completed although the laptop failed network, without an override naming exactly those checks']],
    ['an override naming other checks', journal({ observation: ethUp, extra: [override(['usb'])] }), true, ['room: step 1 room: completed although the laptop failed network, without an override naming exactly those checks']],
    ['a rehearsal going on silently', journal({ mode: 'rehearsal', observation: ethUp }), false, ['room: step 1 room: a rehearsal went on past failed checks (network) without saying so']],
    ['a production laptop read from elsewhere than /sys', journal({ observation: observation({ source: '/tmp/fake-sys' }) }), false, ['room: step 1 room: the laptop was read from "/tmp/fake-sys", not /sys']],
    [
      'an interface up recorded as passed (a doctored build)',
      journal({ observation: ethUp, findings: allOk(ethUp) }),
      false,
      ['room: step 1 room: the network check is recorded passed, but what was recorded fails it: network interface up: eth0 (only loopback may be up)', 'room: step 1 room: completed although the laptop failed network and the script allows no override'],
    ],
    ['judged against an allowlist the site file never had', journal({ observation: observation({ allowlist: ['1050:0407', '0781:5581'] }) }), false, ["room: step 1 room: the laptop was judged against other expectations than the site file's the ceremony started with"]],
    ['a check missing from the record', journal({ findings: judgeRoom(observation()).slice(1) }), false, ['room: step 1 room: the network check is recorded 0 times, expected once', 'room: step 1 room: 4 checks recorded, expected 5 (network, clock, boot medium, usb, officiant)']],
    ['an observation that is not one', journal({ observation: 'all fine' as unknown as RoomObservation, findings: [] }), false, ['room: step 1 room: the record of what the laptop showed is not as Officiant writes it']],
    ['interfaces that are not objects', journal({ observation: observation({ interfaces: [null as never] }), findings: [] }), false, ['room: step 1 room: the record of what the laptop showed is not as Officiant writes it']],
    ['a tolerance the script never gave', journal({ observation: observation({ tolerance_seconds: 1e12, laptop_time: '2031-12-05T10:00:00.000Z' }) }), false, ['room: step 1 room: the clock was judged with a tolerance of 1000000000000 s; the script says 120 s']],
    ['a production record claiming the rehearsal clock', journal({ observation: observation({ reference_note: "rehearsal: the laptop's own clock stood in for the reference" }) }), false, ['room: step 1 room: a production ceremony recorded no reference time typed ("rehearsal: the laptop\'s own clock stood in for the reference")']],
    ['a boot read that is not an object', journal({ observation: observation({ boot: { named: null, read: 'x' as never } }), findings: [] }), false, ['room: step 1 room: the record of what the laptop showed is not as Officiant writes it']],
    ['two records of the laptop', journal({ checked: 2 }), false, ['room: step 1 room: completed with 2 records of what the laptop showed, expected one']],
    ['no record at all', journal({ checked: 0 }), false, ['room: step 1 room: completed with 0 records of what the laptop showed, expected one']],
  ])('%s', (_n, entries, allow, expected) => {
    expect(problems(entries, allow)).toEqual(expected);
  });

  it('notes what an auditor compares with the paper log', () => {
    const notes: string[] = [];
    checkRoom(journal(), script(), { fail: () => undefined, note: (m) => notes.push(m) });
    expect(notes).toEqual([
      `room: step 1 room: boot medium SHA-256 ${SHA}; Officiant installation SHA-256 ${'1a'.repeat(32)}; reference time 2026-12-05T10:00:30.000Z, laptop 2026-12-05T10:00:00.000Z (compare with the paper log)`,
      `room: step 1 room: judged against the site file's boot medium ${SHA}, USB allowlist [1050:0407], installation pin none (compare with the site file)`,
    ]);
  });
});
