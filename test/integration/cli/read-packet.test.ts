// A packet holds plain files and folders only. Whoever can write to the archive could swap a file for a link
// (verify would then read something outside the packet, or a file another packet also claims) or for a FIFO
// (a reader that opens it waits forever). `verify` and `export` refuse both wherever they stand, naming the
// path, with exit 2 and without reading them. One rehearsed packet is copied for each place.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { officiant, ROOT } from '../../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'officiant-read-packet-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
delete env.OFFICIANT_FAILPOINT;

const packet = join(base, 'packet');
const made = await officiant(['rehearse', join(ROOT, 'test/fixtures/crash-drill.yaml'), '--out', packet], { env });
if (made.code !== 0) throw new Error(`rehearsal failed (${made.code}): ${made.stderr}`);
const outputFile = `outputs/${readdirSync(join(packet, 'outputs'))[0]}`;
const stepPage = `steps/${readdirSync(join(packet, 'steps'))[0]}`;

let copies = 0;
/** A copy of the packet whose `rel` is replaced by a link to the original (the same bytes) or by a FIFO. */
function tampered(rel: string, how: 'link' | 'fifo'): string {
  const dir = join(base, `copy-${++copies}`);
  cpSync(packet, dir, { recursive: true });
  const target = join(dir, rel);
  renameSync(target, `${target}.moved`);
  rmSync(`${target}.moved`, { recursive: true });
  if (how === 'link') symlinkSync(join(packet, rel), target);
  else execFileSync('mkfifo', [target]);
  return dir;
}

describe('links and special files in a packet', () => {
  it('the untouched packet verifies', async () => {
    const r = await officiant(['verify', packet], { env });
    expect(r.code, r.stdout).toBe(0);
  });

  it.each([
    ['journal.jsonl', 'link'],
    ['manifest.json', 'link'],
    ['packet.pdf', 'link'],
    [outputFile, 'link'],
    [stepPage, 'link'],
    ['outputs', 'link'],
    ['steps', 'link'],
    ['journal.jsonl', 'fifo'],
    [outputFile, 'fifo'],
    [stepPage, 'fifo'],
  ] as const)('%s as a %s: verify and export refuse it by name (exit 2)', async (rel, how) => {
    const dir = tampered(rel, how);
    const verified = await officiant(['verify', dir], { env });
    expect(verified.code, verified.stdout + verified.stderr).toBe(2);
    expect(verified.stderr).toContain(`${join(dir, rel)}: not a regular file or folder`);
    expect(verified.stdout).not.toContain('verified');
    const exported = await officiant(['export', dir, '--out', join(base, `export-${copies}.zip`)], { env });
    expect(exported.code, exported.stdout + exported.stderr).toBe(2);
    expect(exported.stderr).toContain(`${join(dir, rel)}: not a regular file or folder`);
  });
});
