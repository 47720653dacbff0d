// kill -9 before every output write and every PKCS#11 call that changes the token, and before the first and last
// of each PKCS#11 call that only reads it, of the crash drill
// (test/drills/crash-drill.ts), then resume; a rehearsal leaves no PIN outside its sandbox; sealing signs only
// what the ceremony wrote. The uninterrupted rehearsal leaves what a kill at each of those points would (a copy
// taken while it waits there), and each copy is resumed: one rehearsal instead of one per point.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { officiant } from '../helpers/cli.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { assertNoPins, createCrashDrill, DRILL_TIMEOUT, sandboxOf } from './crash-drill.js';

const drill = createCrashDrill('officiant-crash-effects-');

// How many times an uninterrupted rehearsal reaches each point (the sanity checks before the first journal
// entry included), checked exactly against the failpoint trace of a clean run, so a call site added or lost
// fails naming its point.
// A point that changes what is on disk or on the token is killed at every hit.
const CHANGES = [
  ['output.write', 19],
  ['hsm.initToken', 1],
  ['hsm.initPin', 1],
  ['hsm.generateKeyPair', 2],
] as const;
// A point that only reads the token or computes in it (a signature is written only by the output write after it)
// leaves nothing behind, but a kill just before it can leave a state no other point leaves (a page's intent
// journaled and its temporary file not yet written, for a signature inside a page's effect). Each kind of read is
// resumed from a copy at its first and its last hit, so every HSM call is drilled at least once.
const READS = [
  ['hsm.random', 4],
  ['hsm.freeSlots', 2],
  ['hsm.login', 1],
  ['hsm.find', 3],
  ['hsm.sign', 11],
  ['hsm.findToken', 3],
] as const;

// The clean run writes its temporary files to a directory of its own, scanned for PINs below.
const tmp = drill.dir('tmp');
mkdirSync(tmp);
const clean = await drill.clean('clean', { TMPDIR: tmp }, [...CHANGES, ...READS].map(([point]) => point));

describe('the failpoint trace of a rehearsal without a crash', () => {
  it('reaches each output and HSM point exactly as often as the tables say', () => {
    expect(clean.result.code, clean.result.stderr).toBe(0);
    const counted = new Map<string, number>();
    for (const p of clean.points.filter((x) => !x.startsWith('journal.'))) counted.set(p, (counted.get(p) ?? 0) + 1);
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries([...CHANGES, ...READS]));
  });
});

for (const [point, hits] of CHANGES) {
  describe.concurrent(`kill -9 before every ${point}, then resume`, () => {
    for (let n = 1; n <= hits; n++) it(`${point}#${n}`, () => drill.resumeSnapshot(clean.snapshots, point, n), DRILL_TIMEOUT);
  });
}

for (const [point, hits] of READS) {
  describe.concurrent(`kill -9 before the first and the last ${point}, then resume`, () => {
    for (const n of new Set([1, hits])) it(`${point}#${n}`, () => drill.resumeSnapshot(clean.snapshots, point, n), DRILL_TIMEOUT);
  });
}

describe.concurrent('a rehearsal without a crash', () => {
  it('leaves no PIN outside its sandbox: output directory, stdout, stderr, temp files', () => {
    const { out, result: r } = clean;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('enters half of the SO PIN (hidden)');
    assertNoPins(out, [out, tmp], [r.stdout, r.stderr]);
    expect(sandboxOf(out).startsWith(out)).toBe(false);
  });

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
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('and sealed: nothing to resume');
    expect(readFileSync(join(out, 'manifest.json'))).toEqual(manifest);
  }, DRILL_TIMEOUT);
});
