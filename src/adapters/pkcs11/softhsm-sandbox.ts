// SoftHsmSandbox: a throwaway SoftHSM2 for rehearsals and tests. It owns a directory (never under the
// ceremony's output directory) with its own softhsm2.conf and token store, and the simulated people's PINs
// in people.json (mode 0600). activate() points SOFTHSM2_CONF at it; SoftHSM reads that variable at
// C_Initialize, so activate() must run before the module is loaded.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { OfficiantError } from '../../errors.js';

export const SOFTHSM_MODULE = process.env.OFFICIANT_SOFTHSM_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

export class SoftHsmSandbox {
  private constructor(readonly dir: string) {}

  get conf(): string {
    return join(this.dir, 'softhsm2.conf');
  }

  /** Creates a sandbox under OFFICIANT_SANDBOX_ROOT (default: the system temp dir), refusing one inside `outDir`. */
  static create(outDir: string): SoftHsmSandbox {
    const root = resolve(process.env.OFFICIANT_SANDBOX_ROOT ?? join(tmpdir(), 'officiant-sandboxes'));
    const out = resolve(outDir);
    if (root === out || root.startsWith(out + sep)) {
      throw new OfficiantError('env.fs', `the rehearsal sandbox root ${root} lies inside the output directory; set OFFICIANT_SANDBOX_ROOT elsewhere`);
    }
    try {
      mkdirSync(root, { recursive: true, mode: 0o700 });
      const dir = mkdtempSync(join(root, 'sandbox-'));
      chmodSync(dir, 0o700);
      mkdirSync(join(dir, 'tokens'), { mode: 0o700 });
      writeFileSync(
        join(dir, 'softhsm2.conf'),
        `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
        { mode: 0o600 },
      );
      return new SoftHsmSandbox(dir);
    } catch (err) {
      throw new OfficiantError('env.permission', `cannot create a rehearsal sandbox under ${root}: ${(err as NodeJS.ErrnoException).code ?? 'error'}; set OFFICIANT_SANDBOX_ROOT to a writable directory`);
    }
  }

  static open(dir: string): SoftHsmSandbox {
    if (!existsSync(join(dir, 'softhsm2.conf'))) {
      throw new OfficiantError('env.sandbox-missing', `rehearsal sandbox ${dir} is gone; a rehearsal cannot resume without its tokens`);
    }
    return new SoftHsmSandbox(dir);
  }

  activate(): void {
    process.env.SOFTHSM2_CONF = this.conf;
  }

  /** The simulated people's data (names and PINs); stays inside the sandbox directory. */
  savePeople(data: unknown, file = 'people.json'): void {
    writeFileSync(join(this.dir, file), JSON.stringify(data, null, 2), { mode: 0o600 });
  }

  loadPeople<T>(file = 'people.json'): T {
    try {
      return JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as T;
    } catch {
      throw new OfficiantError('env.sandbox-missing', `rehearsal sandbox ${this.dir} has lost its simulated people (${file})`);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
