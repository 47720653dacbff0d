// room.preflight as verify recomputes it: a completed preflight recorded each check once, read /sys in
// production, and went past a failed check only by an override the script allows, naming exactly those checks;
// a rehearsal says it went on. Each row is a journal an insider (or a bug) could leave.
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../../src/record/journal.js';
import { checkRoom } from '../../../../src/evidence/verify/rules-room.js';
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

const ok = (check: string) => ({ check, ok: true, seen: 'as expected' });
const bad = (check: string) => ({ check, ok: false, seen: 'x', problem: 'y' });
const ALL_OK = ['network', 'clock', 'boot medium', 'usb', 'officiant'].map(ok);
const e = (type: string, data: Record<string, unknown> = {}, step = 'room') => ({ type, step, data, actor: 'system' }) as unknown as JournalEntry;
function journal(opts: { mode?: string; findings?: unknown; source?: string; extra?: JournalEntry[]; checked?: number } = {}): JournalEntry[] {
  const checked = Array.from({ length: opts.checked ?? 1 }, () => e('step.event', { what: 'room-checked', source: opts.source ?? '/sys', findings: opts.findings ?? ALL_OK }));
  return [e('ceremony.started', { mode: opts.mode ?? 'production' }, '-'), e('step.started'), ...checked, ...(opts.extra ?? []), e('step.completed')];
}
const failedNetwork = ALL_OK.map((f) => (f.check === 'network' ? bad('network') : f));
const override = (checks: string[]) => e('step.event', { what: 'room-override', checks, deviation: 'went on' });

function problems(entries: JournalEntry[], allow = false): string[] {
  const out: string[] = [];
  checkRoom(entries, script(allow), { fail: (m) => out.push(m) });
  return out;
}

describe('verify: room.preflight', () => {
  it.each<[string, JournalEntry[], boolean, string[]]>([
    ['every check passed', journal(), false, []],
    ['a failed check overridden as the script allows, naming it', journal({ findings: failedNetwork, extra: [override(['network'])] }), true, []],
    ['a rehearsal that says it went on', journal({ mode: 'rehearsal', findings: failedNetwork, source: '/tmp/sys', extra: [e('step.event', { what: 'room-not-stopped' })] }), false, []],
    ['a failed check and no override allowed', journal({ findings: failedNetwork, extra: [override(['network'])] }), false, ['room: step 1 room: completed although the laptop failed network and the script allows no override']],
    ['a failed check, override allowed but none recorded', journal({ findings: failedNetwork }), true, ['room: step 1 room: completed although the laptop failed network, without an override naming exactly those checks']],
    ['an override naming other checks', journal({ findings: failedNetwork, extra: [override(['usb'])] }), true, ['room: step 1 room: completed although the laptop failed network, without an override naming exactly those checks']],
    ['a rehearsal going on silently', journal({ mode: 'rehearsal', findings: failedNetwork }), false, ['room: step 1 room: a rehearsal went on past failed checks (network) without saying so']],
    ['a production laptop read from elsewhere than /sys', journal({ source: '/tmp/fake-sys' }), false, ['room: step 1 room: the laptop was read from "/tmp/fake-sys", not /sys']],
    ['a check missing from the record', journal({ findings: ALL_OK.slice(1) }), false, ['room: step 1 room: the record of the laptop does not hold each check once (network, clock, boot medium, usb, officiant)']],
    ['findings that are not a list', journal({ findings: 'all fine' }), false, ['room: step 1 room: the record of the laptop does not hold each check once (network, clock, boot medium, usb, officiant)']],
    ['two records of the laptop', journal({ checked: 2 }), false, ['room: step 1 room: completed with 2 records of what the laptop showed, expected one']],
    ['no record at all', journal({ checked: 0 }), false, ['room: step 1 room: completed with 0 records of what the laptop showed, expected one']],
  ])('%s', (_n, entries, allow, expected) => {
    expect(problems(entries, allow)).toEqual(expected);
  });
});
