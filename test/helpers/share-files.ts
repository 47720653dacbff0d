// Share files as backup.split writes them, and a way to damage one for tests: a share file is JSON with a
// 2-space indent and a final newline, so a test can rewrite exactly one field and nothing else.
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ShareFile } from '../../src/custody/backup-manifest.js';

/** The share file bytes as the split wrote them. */
export function shareFileBytes(file: ShareFile): Buffer {
  return Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
}

/** Flips one bit of one byte inside the sealed ciphertext of a share file, leaving every other byte as it was. */
export function corruptCiphertext(path: string): Buffer {
  const original = readFileSync(path);
  const file = JSON.parse(original.toString('utf8')) as ShareFile;
  // The rewrite must change nothing but the ciphertext.
  expect(shareFileBytes(file).equals(original)).toBe(true);
  const ciphertext = Buffer.from(file.ciphertext, 'base64');
  ciphertext[5] ^= 0x04;
  const corrupted = shareFileBytes({ ...file, ciphertext: ciphertext.toString('base64') });
  expect(corrupted.equals(original)).toBe(false);
  expect(corrupted.length).toBe(original.length);
  writeFileSync(path, corrupted);
  return corrupted;
}
