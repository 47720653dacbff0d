// Fuzzing the scripts people hand a run (answers and site files: fuzz-answers-site.test.ts; rosters and backup
// manifests: fuzz-documents.test.ts), each with FUZZ_RUNS seeded mutations (test/helpers/fuzz.ts) of real seeds. Whatever the input, a
// loader returns its problems or throws a bad-input error: never a TypeError, a RangeError or a stack overflow,
// and never a problem that is not a plain sentence naming its file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScript } from '../../../src/inputs/script.js';
import { fuzz, mutateText, plainProblems } from '../../helpers/fuzz.js';
import { MemoryInputFiles } from './memory-input-files.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
// Seeds: the test fixtures (every step kind among them; the long ceremonies add cost per run, not kinds).
const scripts = readdirSync(join(ROOT, 'test/fixtures')).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(ROOT, 'test/fixtures', f), 'utf8'));

const text = (s: string, r: () => number) => mutateText(s, r);

// A hang guard only: the size of a run is FUZZ_RUNS, and a loaded machine must not turn it red.
describe('fuzzing the inputs (seeded; FUZZ_RUNS each)', { timeout: 600_000 }, () => {
  it('scripts: every fixture script, mutated', () => {
    const failures = fuzz(scripts, text, (t) => loadScript(new MemoryInputFiles().file('/in/script.yaml', t), '/in/script.yaml'), plainProblems('script.yaml'));
    expect(failures).toEqual([]);
  });
});
