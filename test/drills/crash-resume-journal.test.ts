// kill -9 before every journal write of the crash drill (test/drills/crash-drill.ts), and in the middle of some
// (a torn final line), then resume. The kill points are the journal writes of an uninterrupted rehearsal,
// counted from its journal; its failpoint trace must count as many, so no write goes without a drill. The
// uninterrupted run leaves what a kill before each write would (a copy taken while it waits at the write), and
// each copy is resumed: one rehearsal instead of one per write. The torn lines are real kills of real runs.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { officiant } from '../helpers/cli.js';
import { createCrashDrill, DRILL_TIMEOUT, journalOf } from './crash-drill.js';

const drill = createCrashDrill('officiant-crash-journal-');
// Collected before the tests are registered: the journal writes of a whole run are the kill points.
const clean = await drill.clean('clean', {}, ['journal.append']);
const writes = clean.result.code === 0 ? journalOf(clean.out).length : 0;

describe('a drill without a crash', () => {
  it('completes and passes the same checks', async () => {
    expect(clean.result.code, clean.result.stderr).toBe(0);
    await drill.assertWhole(clean.out);
    expect(writes).toBeGreaterThan(0);
    expect(clean.points.filter((p) => p === 'journal.append')).toHaveLength(writes);
  });
});

describe.concurrent('kill -9 before every journal write, then resume', () => {
  for (let n = 1; n <= writes; n++) it(`journal.append#${n}`, () => drill.resumeSnapshot(clean.snapshots, 'journal.append', n), DRILL_TIMEOUT);
});

describe.concurrent('kill -9 in the middle of a journal write (torn final line), then resume', () => {
  // A step's start, an HSM operation's result and a page's intent: the repair does not depend on what the line says.
  for (const n of [2, 10, 25]) {
    it(`journal.append:torn#${n}: the torn line is repaired once, at seq ${n}`, async () => {
      const out = drill.dir(`torn-${n}`);
      const first = await drill.rehearse(out, `journal.append:torn#${n}`);
      expect(first.signal).toBe('SIGKILL');
      expect(readFileSync(join(out, 'journal.jsonl'), 'utf8').endsWith('\n')).toBe(false);
      const resumed = await officiant(['resume', out], { env: drill.env });
      expect(resumed.code, resumed.stderr).toBe(0);
      await drill.assertWhole(out);
      const repaired = journalOf(out).filter((e) => e.type === 'journal.repaired');
      expect(repaired).toHaveLength(1);
      expect(repaired[0].seq).toBe(n);
    }, DRILL_TIMEOUT);
  }
});
