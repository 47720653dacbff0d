// kill -9 before every output write and every PKCS#11 call of the crash drill (test/drills/crash-drill.ts),
// then resume; a rehearsal leaves no PIN outside its sandbox; sealing signs only what the ceremony wrote.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { officiant } from '../helpers/cli.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { assertNoPins, createCrashDrill, DRILL_TIMEOUT, sandboxOf } from './crash-drill.js';

const drill = createCrashDrill('officiant-crash-effects-');

// How many times an uninterrupted rehearsal reaches each point (the sanity checks before the first journal
// entry included). Each count is exact: a test kills at every hit, and one past the last the rehearsal must
// run to its end, so a call site added or lost fails naming its point.
const HITS = [
  ['output.write', 19],
  ['hsm.initToken', 1],
  ['hsm.initPin', 1],
  ['hsm.random', 4],
  ['hsm.freeSlots', 2],
  ['hsm.login', 1],
  ['hsm.generateKeyPair', 2],
  ['hsm.find', 3],
  ['hsm.sign', 11],
  ['hsm.findToken', 3],
] as const;

for (const [point, hits] of HITS) {
  describe.concurrent(`kill -9 before every ${point}, then resume`, () => {
    for (let n = 1; n <= hits; n++) it(`${point}#${n}`, () => drill.crashAndResume(point, n), DRILL_TIMEOUT);
    it(`${point}#${hits + 1}: past the last hit the rehearsal completes`, () => drill.completesPast(point, hits), DRILL_TIMEOUT);
  });
}

describe.concurrent('a rehearsal without a crash', () => {
  it('leaves no PIN outside its sandbox: output directory, stdout, stderr, temp files', async () => {
    const tmp = drill.dir('tmp');
    mkdirSync(tmp);
    const out = drill.dir('scan');
    const r = await drill.rehearse(out, undefined, { TMPDIR: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('enters half of the SO PIN (hidden)');
    assertNoPins(out, [out, tmp], [r.stdout, r.stderr]);
    expect(sandboxOf(out).startsWith(out)).toBe(false);
  }, DRILL_TIMEOUT);

  it('refuses to seal with a stranger file in the directory, seals once it is moved away, and never re-seals', async () => {
    const out = drill.dir('stranger');
    const first = await drill.rehearse(out, 'hsm.sign#5');
    expect(first.signal).toBe('SIGKILL');
    mkdirSync(join(out, 'extra'));
    writeFileSync(join(out, 'extra', 'notes.md'), 'not evidence\n');
    const refused = await officiant(['resume', out], { env: drill.env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain('the output directory holds file(s) the ceremony did not write: extra/notes.md');
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    rmSync(join(out, 'extra'), { recursive: true });
    const sealed = await officiant(['resume', out], { env: drill.env });
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(verifyDir(out).failing).toBe('');
    const manifest = readFileSync(join(out, 'manifest.json'));
    const again = await officiant(['resume', out], { env: drill.env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('and sealed; nothing to resume');
    expect(readFileSync(join(out, 'manifest.json'))).toEqual(manifest);
  }, DRILL_TIMEOUT);
});
