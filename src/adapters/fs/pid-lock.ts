// A lock file naming its holder's pid, created exclusively: one process at a time holds it. A lock whose holder
// is gone (a crash, a kill -9) is stale and taken over; a live holder is reported by pid.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock at `path` and returns its release. `busy(pid)` makes the error thrown when a live process holds
 * it, or when it cannot be taken after removing a stale one (pid undefined). Other file errors are thrown as they
 * come, for the caller to name.
 */
export function takePidLock(path: string, busy: (pid: number | undefined) => Error): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // removed by its holder in the meantime: try again
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw busy(pid);
      rmSync(path, { force: true });
    }
  }
  throw busy(undefined);
}
