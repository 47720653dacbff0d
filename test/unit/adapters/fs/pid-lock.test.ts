// The pid lock behind the output directory's lock and the signing log's: one holder at a time, a live holder
// named by pid, a dead holder's lock taken over, and the signing log's lock refused with its own error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { takePidLock } from '../../../../src/adapters/fs/pid-lock.js';
import { fsReleaseFiles } from '../../../../src/adapters/fs/release-files.js';
import { exitCodeFor, OfficiantError } from '../../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-pid-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const busy = (pid: number | undefined) => new Error(`busy ${pid}`);
/** The pid of a process that has ended. */
const deadPid = () => spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();

describe('takePidLock', () => {
  it('writes the holder pid, and its release removes the lock', () => {
    const path = join(dir, 'a.lock');
    const release = takePidLock(path, busy);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses while a live process holds it, naming that pid', () => {
    const path = join(dir, 'b.lock');
    writeFileSync(path, `${process.ppid}\n`);
    expect(() => takePidLock(path, busy)).toThrow(`busy ${process.ppid}`);
    expect(readFileSync(path, 'utf8')).toBe(`${process.ppid}\n`);
  });

  it.each([
    ['a dead process', () => `${deadPid()}\n`],
    ['garbage', () => 'not a pid\n'],
    ['nothing', () => ''],
  ])('takes over a lock left by %s', (_what, content) => {
    const path = join(dir, `c-${Math.random()}.lock`);
    writeFileSync(path, content());
    const release = takePidLock(path, busy);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    release();
  });
});

describe('the signing log lock', () => {
  it('lets one session at a time hold an authority signing log, refusing the second with exit 3', () => {
    const log = join(dir, 'authority', 'signing-log.jsonl');
    const release = fsReleaseFiles.lockLog(log);
    writeFileSync(`${log}.lock`, `${process.ppid}\n`);
    let err: unknown;
    try {
      fsReleaseFiles.lockLog(log);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OfficiantError);
    expect((err as OfficiantError).code).toBe('env.signing-log-locked');
    expect((err as Error).message).toBe(`the signing log ${log} is in use by another signing session (pid ${process.ppid}); one session of an authority signs at a time`);
    expect(exitCodeFor(err)).toBe(3);
    release();
  });
});
