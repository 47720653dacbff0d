// The file-system InputFiles throws what the loaders name: a missing file and a directory are told apart by
// their errno codes, exactly as the in-memory fake of the loaders' tests throws them.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsInputFiles } from '../../../../src/adapters/fs/fs-input-files.js';
import { readBytes } from '../../../../src/inputs/problems.js';
import { MemoryInputFiles } from '../../inputs/memory-input-files.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-input-files-'));
writeFileSync(join(dir, 'a.txt'), 'alpha');
mkdirSync(join(dir, 'sub'));
const memory = new MemoryInputFiles().file(join(dir, 'a.txt'), 'alpha').dir(join(dir, 'sub'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FsInputFiles', () => {
  it.each(['a.txt', 'sub', 'missing.txt'])('reads %s as the in-memory fake does', (name) => {
    const path = join(dir, name);
    const fs = new FsInputFiles();
    expect(readBytes(fs, path, 'file')).toEqual(readBytes(memory, path, 'file'));
    expect(fs.exists(path)).toBe(memory.exists(path));
  });

  it('reads the bytes as they are', () => {
    expect(new FsInputFiles().read(join(dir, 'a.txt')).toString('utf8')).toBe('alpha');
  });
});
