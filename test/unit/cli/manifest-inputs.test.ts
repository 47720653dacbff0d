// What manifest verify reads from the command line: the files as bytes, the pin and the time; every bad input
// listed in one error of the bad-input family (exit 2), never a throw of anything else.
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifestInputs, type ManifestInputFlags } from '../../../src/cli/manifest-inputs.js';
import { KEYRING_MAX_BYTES } from '../../../src/custody/manifest-keyring.js';
import { exitCodeFor, OfficiantError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-manifest-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const manifest = file('m.json', '{"signed":{}}');
const keyring = file('k.json', '{}');
const PIN = 'AB:'.repeat(31) + 'AB';

function problems(path: string, flags: ManifestInputFlags): string[] {
  try {
    readManifestInputs(path, flags);
  } catch (err) {
    expect(err).toBeInstanceOf(OfficiantError);
    expect(exitCodeFor(err)).toBe(2);
    return [(err as OfficiantError).message, ...(err as OfficiantError).details];
  }
  return [];
}

describe('readManifestInputs', () => {
  it('reads the files, the pin as 64 lowercase hex digits and the time', () => {
    const r = readManifestInputs(manifest, { keyring, keyringSha256: PIN, previous: manifest, now: '2026-06-01T02:00:00+02:00' });
    expect(r.manifest.toString()).toBe('{"signed":{}}');
    expect(r.keyring).toEqual({ bytes: Buffer.from('{}'), sha256: 'ab'.repeat(32) });
    expect(r.previous?.toString()).toBe('{"signed":{}}');
    expect(r.now.toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(readManifestInputs(manifest, { keyring }).keyring.sha256).toBeUndefined();
  });

  it('lists every problem at once', () => {
    mkdirSync(join(dir, 'a-dir'));
    const big = file('big.json', '');
    truncateSync(big, KEYRING_MAX_BYTES + 1);
    expect(problems(join(dir, 'a-dir'), { keyring: big, previous: file('text.json', 'not json'), keyringSha256: 'abc', now: '2026-06-01' })).toEqual([
      'cannot check the manifest: 5 problem(s)',
      `  ${join(dir, 'a-dir')}: not a regular file`,
      `  --keyring ${big}: ${KEYRING_MAX_BYTES + 1} bytes, more than the ${KEYRING_MAX_BYTES} a keyring may have`,
      `  --previous ${join(dir, 'text.json')}: not JSON, so not an OTA manifest`,
      '  --keyring-sha256 abc: not a SHA-256 (64 hex digits)',
      '  --now 2026-06-01: not a time such as 2026-06-01T00:00:00Z',
    ]);
  });

  it.each(['yesterday', '2026-13-45T00:00:00Z', '2026-06-01T00:00:00'])('refuses --now %s', (now) => {
    expect(problems(manifest, { keyring, now })).toEqual(['cannot check the manifest: 1 problem(s)', `  --now ${now}: not a time such as 2026-06-01T00:00:00Z`]);
  });
});
