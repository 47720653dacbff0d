// A temporary workspace of CLI rehearsals for end-to-end tests: each rehearsal runs the built CLI as a child
// process with its sandboxes under the workspace, named output directories, copies of them for tampering, and
// the checks every such test makes (completed, verified). Every run's output is kept for tests that scan it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN, ROOT } from './cli.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function rehearsalWorkspace(prefix: string) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  // SOFTHSM2_CONF is left out: each CLI rehearsal picks its own sandbox's.
  const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
  delete env.SOFTHSM2_CONF;
  /** Everything every CLI run printed. */
  const transcripts: Array<{ where: string; text: string }> = [];
  const dir = (name: string) => join(work, name);

  function cli(args: string[]): Run {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    transcripts.push({ where: `stdout of officiant ${args.join(' ')}`, text: r.stdout }, { where: `stderr of officiant ${args.join(' ')}`, text: r.stderr });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** `officiant rehearse <script> --out <name>`, with --officers or --from naming other rehearsals of the workspace. */
  function rehearse(script: string, name: string, opts: { officers?: string; from?: string } = {}): Run {
    const args = ['rehearse', script, '--out', dir(name)];
    if (opts.officers) args.push('--officers', dir(opts.officers));
    if (opts.from) args.push('--from', dir(opts.from));
    return cli(args);
  }

  function expectCompleted(r: Run, steps: number): void {
    expect(r.stderr, r.stdout.slice(-3000)).toBe('');
    expect(r.code, r.stdout.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Ceremony [0-9a-f-]{36} completed: ${steps} steps\\.`));
  }

  /** `officiant verify <dir>` passes; returns what it printed. */
  function expectVerified(name: string): string {
    const r = cli(['verify', dir(name)]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^verified, evidence key NOT PINNED: /);
    return r.stdout;
  }

  /** A copy of a rehearsal directory (rehearsal.json included, so it points at the same sandbox). */
  function copyOf(from: string, name: string): string {
    cpSync(dir(from), dir(name), { recursive: true });
    return dir(name);
  }

  return { work, env, transcripts, dir, cli, rehearse, expectCompleted, expectVerified, copyOf };
}
