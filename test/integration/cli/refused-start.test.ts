// A start refused before anything is recorded says only why: no "Ceremony:" banner first, no output directory
// left behind to suggest a resume, and the exit code of what is wrong. Here: a PKCS#11 module that does not
// exist (the environment, exit 3), and an answers file with a misspelt person (bad input, exit 2).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { officiant, ROOT } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-refused-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `run` of the crash-drill fixture with answers naming the second officer `officer2` in its secrets. */
async function start(name: string, officer2: string, module: string) {
  const answers = join(dir, `${name}.yaml`);
  writeFileSync(answers, `people:\n  admin: [Ada Admin]\n  witness: [Wes Witness]\n  officer: [Olga One, Otto Two]\nconfirm: true\nrecords:\n  close: { bag: TB-123 }\nsecrets:\n  Olga One: { so-pin-half: "\${H1}", user-pin-half: "\${H2}" }\n  ${officer2}: { so-pin-half: "\${H3}", user-pin-half: "\${H4}" }\n`);
  const out = join(dir, name);
  const r = await officiant(['run', join(ROOT, 'test/fixtures/crash-drill.yaml'), '--out', out, '--answers', answers, '--module', module, '--token-label', 'x'], { env: { ...process.env, H1: 'a1', H2: 'a2', H3: 'a3', H4: 'a4' } });
  return { r, out };
}

describe('a refused start', () => {
  it('prints no banner and leaves no output directory (exit 3)', async () => {
    const { r, out } = await start('no-module', 'Otto Two', '/nonexistent/libpkcs11.so');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('officiant: PKCS#11 module /nonexistent/libpkcs11.so does not exist');
    expect(existsSync(out)).toBe(false);
  });

  it('an answers file with a misspelt person: every problem, the name it meant, no resume suggested (exit 2)', async () => {
    const { r, out } = await start('misspelt', 'Oto Two', '/usr/lib/softhsm/libsofthsm2.so');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('secrets["Oto Two"]: unknown person "Oto Two" (did you mean "Otto Two"?)');
    expect(r.stderr).toContain('secrets["Otto Two"].so-pin-half: missing');
    expect(r.stderr).not.toMatch(/resume/);
    expect(existsSync(out)).toBe(false);
  });
});
