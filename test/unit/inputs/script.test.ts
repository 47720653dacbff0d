// Loading a ceremony script a person names: unreadable files are named with the reason and the right family
// (bad input or environment), and a script that does not pass the rules reports every problem at once, each
// with its YAML path, under one headline.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScript, needsBlobs, usesPiv } from '../../../src/inputs/script.js';
import { MemoryInputFiles } from './memory-input-files.js';

const INIT = readFileSync(new URL('../../../ceremonies/release-authority-init.yaml', import.meta.url), 'utf8');
const RESTORE = readFileSync(new URL('../../../ceremonies/release-authority-restore.yaml', import.meta.url), 'utf8');
const ENROLL = readFileSync(new URL('../../../ceremonies/officer-enrollment.yaml', import.meta.url), 'utf8');
const DRILL = readFileSync(new URL('../../fixtures/crash-drill.yaml', import.meta.url), 'utf8');

describe('loadScript', () => {
  it.each([
    ['a missing file', new MemoryInputFiles(), 'input.not-a-ceremony', 'cannot read script /c/s.yaml: no such file'],
    ['a directory', new MemoryInputFiles().dir('/c/s.yaml'), 'input.not-a-ceremony', 'cannot read script /c/s.yaml: it is a directory'],
    ['an unreadable file', new MemoryInputFiles().denied('/c/s.yaml'), 'env.permission', 'cannot read script /c/s.yaml: permission denied'],
  ])('names %s and its reason, as one problem', (_, files, code, message) => {
    const loaded = loadScript(files, '/c/s.yaml');
    expect(loaded.value).toBeUndefined();
    expect(loaded.problems).toEqual([{ code, file: '/c/s.yaml', field: '(file)', message }]);
  });

  it('reports every schema problem at once, each with its path, under one headline', () => {
    const files = new MemoryInputFiles().file('/c/s.yaml', `bogus: 1\n${INIT}\nalso_bogus: 2\n`);
    const loaded = loadScript(files, '/c/s.yaml');
    expect(loaded.value).toBeUndefined();
    expect(loaded.problems.map((p) => [p.code, p.file, p.field])).toEqual([
      ['input.script-invalid', '/c/s.yaml', 'bogus'],
      ['input.script-invalid', '/c/s.yaml', 'also_bogus'],
    ]);
    expect(loaded.problems[0].message).toBe('/c/s.yaml:1:1 bogus: unknown key');
    expect(loaded.problems[1].message).toMatch(/^\/c\/s\.yaml:\d+:1 also_bogus: unknown key$/);
    expect(new Set(loaded.problems.map((p) => p.group))).toEqual(new Set(['/c/s.yaml: 2 problem(s)']));
  });

  it('returns the script with its exact text when it passes', () => {
    const loaded = loadScript(new MemoryInputFiles().file('/c/s.yaml', INIT), '/c/s.yaml');
    expect(loaded.problems).toEqual([]);
    expect(loaded.value?.script.id).toBe('release-authority-init');
    expect(loaded.value?.text).toBe(INIT);
  });
});

describe("what a script asks of the other inputs (the step kinds' needs)", () => {
  it.each([
    ['release-authority-init', INIT, { piv: true, blobs: false }],
    ['release-authority-restore', RESTORE, { piv: true, blobs: true }],
    ['officer-enrollment', ENROLL, { piv: true, blobs: false }],
    ['crash-drill (no officers, no backup)', DRILL, { piv: false, blobs: false }],
  ])('%s', (_, text, expected) => {
    const script = loadScript(new MemoryInputFiles().file('/s.yaml', text), '/s.yaml').value!.script;
    expect({ piv: usesPiv(script), blobs: needsBlobs(script) }).toEqual(expected);
  });
});
