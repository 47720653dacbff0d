// Intent/result/reconcile over an in-memory journal: what runs, what is reused, what is looked at first, and
// exactly which entries are written (types, ops, ok flags, reconcile notes), as the runner has always written
// them. The ledger is a real Journal over a memory file with a fixed clock.
import { beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { runEffect, writeOutputEffect, type EffectLedger } from '../../../src/engine/effects.js';
import { OfficiantError, isOfficiantError } from '../../../src/errors.js';
import { Journal, type Json, type JournalEntry, type JsonObject } from '../../../src/record/journal.js';
import { fixedClock, MemoryJournalFile, MemoryOutputStore } from './fakes.js';

const alice = { name: 'alice', role: 'officer' };

class Ledger implements EffectLedger {
  readonly journal = Journal.open(new MemoryJournalFile(), fixedClock);
  readonly said: string[] = [];
  paused = false;
  get entries() {
    return this.journal.entries;
  }
  record(type: JournalEntry['type'], stepId: string | undefined, data: JsonObject, actor?: { name: string; role: string }) {
    return this.journal.append({ type, step: stepId, actor: actor ? `${actor.name} (${actor.role})` : 'system', data });
  }
  say(line: string) {
    this.said.push(line);
  }
  checkPause() {
    if (this.paused) throw new OfficiantError('interrupt.paused', 'paused by the operator');
  }
  /** Entries from seq `from` on, as (type, step, actor, data). */
  since(from: number) {
    return this.entries.filter((e) => e.seq >= from).map((e) => ({ type: e.type, step: e.step, actor: e.actor, data: e.data }));
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** An effect over a counter, with an optional reconcile that finds `found` (or throws it). */
function counted<T extends Json>(output: T, reconcile?: { found?: T; throws?: unknown }) {
  const calls = { run: 0, reconcile: [] as JsonObject[] };
  const fns = {
    run: () => {
      calls.run++;
      return output;
    },
    reconcile: reconcile
      ? (params: JsonObject) => {
          calls.reconcile.push(params);
          if (reconcile.throws !== undefined) throw reconcile.throws;
          return reconcile.found;
        }
      : undefined,
  };
  return { calls, fns };
}

let l: Ledger;
beforeEach(() => {
  l = new Ledger();
});

describe('runEffect', () => {
  it('a new effect: intent (with its actor) before, ok result after', async () => {
    const e = counted({ serial: '42' });
    expect(await runEffect(l, 'gen', 'hsm.generate-key', { label: 'k' }, e.fns, alice)).toEqual({ serial: '42' });
    expect(e.calls.run).toBe(1);
    expect(l.since(1)).toEqual([
      { type: 'intent', step: 'gen', actor: 'alice (officer)', data: { op: 'hsm.generate-key', params: { label: 'k' } } },
      { type: 'result', step: 'gen', actor: 'system', data: { intent: 1, op: 'hsm.generate-key', ok: true, output: { serial: '42' } } },
    ]);
  });

  it('a done effect is reused without running and writes nothing, even when a pause is requested', async () => {
    await runEffect(l, 'gen', 'op', {}, counted('first').fns);
    const again = counted('second');
    l.paused = true;
    expect(await runEffect(l, 'gen', 'op', {}, again.fns)).toBe('first');
    expect(again.calls.run).toBe(0);
    expect(l.entries).toHaveLength(2);
    // People see that the operation was not done again; writes and pages are the record's own and say nothing.
    expect(l.said).toEqual(['  (op: done earlier, journal line 1: taken from the journal, not done again)']);
    l.paused = false;
    await runEffect(l, 'gen', 'write:outputs/x', {}, counted('w').fns);
    await runEffect(l, 'gen', 'write:outputs/x', {}, counted('w2').fns);
    expect(l.said).toHaveLength(1);
  });

  it('the same op in another step is a different effect', async () => {
    await runEffect(l, 'one', 'op', {}, counted('first').fns);
    const other = counted('second');
    expect(await runEffect(l, 'two', 'op', {}, other.fns)).toBe('second');
    expect(other.calls.run).toBe(1);
  });

  it('an open intent whose reconcile finds the effect is closed as reconciled and not run again', async () => {
    l.record('intent', 'gen', { op: 'op', params: { label: 'k' } });
    const e = counted({ id: 'new' }, { found: { id: 'there' } });
    expect(await runEffect(l, 'gen', 'op', { label: 'k' }, e.fns)).toEqual({ id: 'there' });
    expect(e.calls).toEqual({ run: 0, reconcile: [{ label: 'k' }] });
    expect(l.since(2)).toEqual([
      { type: 'result', step: 'gen', actor: 'system', data: { intent: 1, op: 'op', ok: true, reconciled: true, note: 'had taken effect before the interruption', output: { id: 'there' } } },
    ]);
    expect(l.said).toEqual(['  checked the token: op had taken effect before the interruption; not repeated']);
  });

  it('an open intent whose reconcile does not find the effect is closed as not applied, then run under a new intent', async () => {
    l.record('intent', 'gen', { op: 'op', params: {} });
    const e = counted('done', {});
    expect(await runEffect(l, 'gen', 'op', {}, e.fns, alice)).toBe('done');
    expect(e.calls.run).toBe(1);
    expect(l.since(2)).toEqual([
      {
        type: 'result',
        step: 'gen',
        actor: 'system',
        data: { intent: 1, op: 'op', ok: false, reconciled: true, error: { code: 'not-applied', message: 'interrupted before it took effect (checked on the token); performing it now' } },
      },
      { type: 'intent', step: 'gen', actor: 'alice (officer)', data: { op: 'op', params: {} } },
      { type: 'result', step: 'gen', actor: 'system', data: { intent: 3, op: 'op', ok: true, output: 'done' } },
    ]);
    expect(l.said).toEqual([]);
  });

  it('an open intent of an effect without reconcile is closed as not checked and run again', async () => {
    l.record('intent', 'gen', { op: 'op', params: {} });
    const e = counted('done');
    expect(await runEffect(l, 'gen', 'op', {}, e.fns)).toBe('done');
    expect(l.since(2).map((x) => [x.type, x.data.ok, (x.data.error as JsonObject | undefined)?.code ?? null])).toEqual([
      ['result', false, 'not-checked'],
      ['intent', undefined, null],
      ['result', true, null],
    ]);
    expect(l.entries[1].data.error).toEqual({ code: 'not-checked', message: 'interrupted; leaves nothing on the token, so it is performed again' });
  });

  it('a failed effect with reconcile is looked at first: found, it is closed as reconciled and not run', async () => {
    await expect(runEffect(l, 'gen', 'op', {}, { run: () => Promise.reject(new OfficiantError('hsm.general', 'CKR_DEVICE_ERROR')) })).rejects.toThrow('CKR_DEVICE_ERROR');
    const e = counted('new', { found: 'was there' });
    expect(await runEffect(l, 'gen', 'op', {}, e.fns)).toBe('was there');
    expect(e.calls.run).toBe(0);
    expect(l.since(3)).toEqual([
      { type: 'result', step: 'gen', actor: 'system', data: { intent: 1, op: 'op', ok: true, reconciled: true, note: 'had taken effect although it reported a failure', output: 'was there' } },
    ]);
    expect(l.said).toEqual(['  checked the token: op had taken effect although it reported a failure; not repeated']);
  });

  it('a failed effect with reconcile that finds nothing runs again under a new intent, with no not-applied entry', async () => {
    await expect(runEffect(l, 'gen', 'op', {}, { run: () => Promise.reject(new OfficiantError('hsm.general', 'CKR_DEVICE_ERROR')) })).rejects.toThrow();
    const e = counted('new', {});
    expect(await runEffect(l, 'gen', 'op', {}, e.fns)).toBe('new');
    expect(e.calls).toEqual({ run: 1, reconcile: [{}] });
    expect(l.since(3).map((x) => [x.type, x.data.ok])).toEqual([
      ['intent', undefined],
      ['result', true],
    ]);
  });

  it('a failed effect without reconcile simply runs again', async () => {
    await expect(runEffect(l, 'gen', 'op', {}, { run: () => Promise.reject(new Error('boom')) })).rejects.toThrow('boom');
    const e = counted('new');
    expect(await runEffect(l, 'gen', 'op', {}, e.fns)).toBe('new');
    expect(l.since(1).map((x) => [x.type, x.data.ok, x.data.intent ?? null])).toEqual([
      ['intent', undefined, null],
      ['result', false, 1],
      ['intent', undefined, null],
      ['result', true, 3],
    ]);
  });

  it.each([
    ['an OfficiantError keeps its code and message', new OfficiantError('hsm.pin-incorrect', 'PIN incorrect'), { code: 'hsm.pin-incorrect', message: 'PIN incorrect' }],
    ['any other error is internal', new TypeError('x is undefined'), { code: 'internal', message: 'x is undefined' }],
  ])('a failing run writes a failed result and rethrows: %s', async (_, err, error) => {
    await expect(runEffect(l, 'gen', 'op', { a: 1 }, { run: () => Promise.reject(err) })).rejects.toBe(err);
    expect(l.since(1)).toEqual([
      { type: 'intent', step: 'gen', actor: 'system', data: { op: 'op', params: { a: 1 } } },
      { type: 'result', step: 'gen', actor: 'system', data: { intent: 1, op: 'op', ok: false, error } },
    ]);
  });

  it('a reconcile that fails closes the intent as unknown and rethrows, without running', async () => {
    l.record('intent', 'gen', { op: 'op', params: {} });
    const err = new OfficiantError('env.hsm', 'token removed');
    const e = counted('new', { throws: err });
    await expect(runEffect(l, 'gen', 'op', {}, e.fns)).rejects.toBe(err);
    expect(e.calls.run).toBe(0);
    expect(l.since(2)).toEqual([
      { type: 'result', step: 'gen', actor: 'system', data: { intent: 1, op: 'op', ok: false, reconciled: 'unknown', error: { code: 'env.hsm', message: 'token removed' } } },
    ]);
  });

  it('a requested pause stops before a new intent is written', async () => {
    l.paused = true;
    const e = counted('x');
    const err = await runEffect(l, 'gen', 'op', {}, e.fns).catch((x: unknown) => x);
    expect(isOfficiantError(err, 'interrupt.paused')).toBe(true);
    expect(e.calls.run).toBe(0);
    expect(l.entries).toHaveLength(0);
  });

  it('a requested pause still lets an open intent be closed as reconciled first', async () => {
    l.record('intent', 'gen', { op: 'op', params: {} });
    l.paused = true;
    expect(await runEffect(l, 'gen', 'op', {}, counted('new', { found: 'there' }).fns)).toBe('there');
    expect(l.entries.map((e) => e.type)).toEqual(['intent', 'result']);
  });
});

describe('writeOutputEffect', () => {
  it('writes the file under write:<path>, announcing its SHA-256', async () => {
    const store = new MemoryOutputStore();
    const rec = await writeOutputEffect(l, store, 'gen', 'outputs/k.pub.pem', 'PEM\n');
    expect(rec).toEqual({ path: 'outputs/k.pub.pem', sha256: sha('PEM\n'), bytes: 4 });
    expect(store.read('outputs/k.pub.pem').toString()).toBe('PEM\n');
    expect(l.since(1).map((x) => x.data)).toEqual([
      { op: 'write:outputs/k.pub.pem', params: { path: 'outputs/k.pub.pem', sha256: sha('PEM\n') } },
      { intent: 1, op: 'write:outputs/k.pub.pem', ok: true, output: rec },
    ]);
  });

  it('after a crash, a file on disk with the announced hash is reconciled, not written again', async () => {
    const store = new MemoryOutputStore();
    store.write('a.txt', 'abc');
    l.record('intent', 'gen', { op: 'write:a.txt', params: { path: 'a.txt', sha256: sha('abc') } });
    await writeOutputEffect(l, store, 'gen', 'a.txt', 'abc');
    expect(store.writes).toBe(1);
    expect(l.entries[1].data).toMatchObject({ ok: true, reconciled: true, output: { path: 'a.txt', sha256: sha('abc'), bytes: 3 } });
  });

  it('after a crash, a file with other bytes (or none) is written again', async () => {
    const store = new MemoryOutputStore();
    store.write('a.txt', 'ab');
    l.record('intent', 'gen', { op: 'write:a.txt', params: { path: 'a.txt', sha256: sha('abc') } });
    await writeOutputEffect(l, store, 'gen', 'a.txt', 'abc');
    expect(store.read('a.txt').toString()).toBe('abc');
    expect(l.since(2).map((x) => [x.type, x.data.ok, (x.data.error as JsonObject | undefined)?.code ?? null])).toEqual([
      ['result', false, 'not-applied'],
      ['intent', undefined, null],
      ['result', true, null],
    ]);
  });
});
