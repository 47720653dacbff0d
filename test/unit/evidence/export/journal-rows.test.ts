// How the export's index words each journal entry: the action (type plus operation, event or deviation) and
// its result as an auditor reads it.
import { describe, expect, it } from 'vitest';
import { actionOf, resultOf } from '../../../../src/evidence/export/journal-rows.js';
import { actionInWords } from '../../../../src/evidence/export/action-words.js';
import type { EntryType, JournalEntry, JsonObject } from '../../../../src/record/journal.js';

const entry = (type: EntryType, data: JsonObject): JournalEntry => ({ seq: 1, time: '2026-11-26T12:00:00.000Z', type, actor: 'system', data, prev: '0'.repeat(64), hash: '1'.repeat(64) });

describe('actionOf', () => {
  it.each<[EntryType, JsonObject, string]>([
    ['intent', { op: 'hsm.generate-key' }, 'intent hsm.generate-key'],
    ['result', { op: 'write:outputs/a.pem' }, 'result write:outputs/a.pem'],
    ['reconciled', { op: 'hsm.init-token' }, 'reconciled hsm.init-token'],
    ['step.event', { what: 'sign-off' }, 'step.event sign-off'],
    ['deviation', { action: 'skip' }, 'deviation skip'],
    ['step.started', { kind: 'manual.confirm' }, 'step.started manual.confirm'],
    ['step.started', {}, 'step.started'],
    ['ceremony.sealed', { op: 'x' }, 'ceremony.sealed'],
  ])('%s %j -> %s', (type, data, want) => {
    expect(actionOf(entry(type, data))).toBe(want);
  });
});

describe('resultOf', () => {
  it.each<[EntryType, JsonObject, string]>([
    ['result', { ok: true }, 'ok'],
    ['result', { ok: false, error: { message: 'CKR_PIN_INCORRECT' } }, 'failed: CKR_PIN_INCORRECT'],
    ['result', { ok: false }, 'failed'],
    ['reconciled', { reconciled: true, ok: true }, 'reconciled'],
    ['step.event', { what: 'sign-off', answer: true }, 'yes'],
    ['step.event', { what: 'sign-off', answer: false }, 'no'],
    ['step.event', { what: 'participants', people: [{ name: 'Ann', role: 'witness' }, { name: 'Bo', role: 'officer' }] }, 'Ann as witness; Bo as officer'],
    ['step.event', { what: 'pin-holders', holders: ['Ann', 'Bo'] }, 'held by Ann and Bo'],
    ['step.event', { what: 'hsm-login', by: ['Ann', 'Bo'] }, 'ok: Ann and Bo'],
    ['step.event', { what: 'hsm-login-refused', message: 'wrong PIN' }, 'refused: wrong PIN'],
    ['step.event', { what: 'recorded', label: 'Bag number', value: 'A123' }, 'Bag number: A123'],
    ['step.event', { what: 'recorded', field: 'bag', value: 7 }, 'bag: 7'],
    ['step.event', { what: 'other' }, ''],
    ['step.completed', {}, 'ok'],
    ['step.failed', { message: 'token not found' }, 'failed: token not found'],
    ['deviation', { action: 'skip', reason: 'no printer' }, 'skip: no printer'],
    ['ceremony.completed', {}, 'completed'],
    ['ceremony.aborted', { reason: 'fire alarm' }, 'aborted: fire alarm'],
    ['ceremony.paused', { reason: 'lunch' }, 'paused: lunch'],
    ['ceremony.sealed', { outcome: 'completed' }, 'sealed (completed)'],
    ['journal.repaired', {}, 'repaired'],
    ['intent', { op: 'x' }, ''],
  ])('%s %j -> %s', (type, data, want) => {
    expect(resultOf(entry(type, data))).toBe(want);
  });
});

describe('actionInWords', () => {
  it.each<[EntryType, JsonObject, string]>([
    ['step.event', { what: 'approval' }, 'approved with their token'],
    ['step.event', { what: 'sign-off', answer: true }, 'signed off the step'],
    ['step.event', { what: 'countersignature' }, 'countersigned the record with their token'],
    ['step.event', { what: 'something-new' }, 'something new'],
    ['intent', { op: 'hsm.generate-key' }, 'about to: generate a key in the HSM'],
    ['result', { op: 'write:outputs/root.pub.pem', ok: true }, 'done: write outputs/root.pub.pem'],
    ['result', { op: 'evidence:steps/01-check-in.pdf:completed:signed', ok: true }, 'done: write and sign the step evidence page'],
    ['deviation', { action: 'retry', reason: 'x' }, 'decided to retry the failed step (deviation)'],
    ['step.started', { kind: 'manual.confirm' }, 'step started (manual.confirm)'],
    ['ceremony.completed', {}, 'ceremony completed (closing entry)'],
  ])('%s %j -> %s', (type, data, want) => {
    expect(actionInWords(entry(type, data))).toBe(want);
  });
});
