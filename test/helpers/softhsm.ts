// A private SoftHSM2 per test: its own config and token directory under a temp dir, selected through
// SOFTHSM2_CONF (read by SoftHSM at C_Initialize). Never the user's tokens.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface TestHsm {
  dir: string;
  conf: string;
  env: NodeJS.ProcessEnv;
  initToken(label: string, soPin: string, userPin: string): void;
  cleanup(): void;
}

export function createTestHsm(prefix = 'officiant-hsm-'): TestHsm {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  return {
    dir,
    conf,
    env,
    initToken(label, soPin, userPin) {
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', userPin], { env, stdio: 'pipe' });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Objects on a token, as pkcs11-tool lists them (an outside tool, not our adapter). */
export function listObjects(hsm: TestHsm, tokenLabel: string, userPin: string): string {
  return execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', tokenLabel, '--login', '--pin', userPin, '--list-objects'], {
    env: hsm.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
