// The house's shape, checked on every unit run (docs/where-things-are.md):
// - one-way dependencies: cli -> inputs -> steps -> engine -> evidence -> custody -> record -> script ->
//   errors; adapters only from the composition root; no I/O libraries below cli; no import circle
//   (rules in .dependency-cruiser.cjs, checked by dependency-cruiser over src/);
// - no file in src/ over 400 lines unless its header says why it is one cohesive form.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_LINES = 400;
const COHESIVE = /one cohesive form/i;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the house', () => {
  it('has no import circle and no import against the layer direction', async () => {
    const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs'));
    const tsConfig = extractTSConfig(join(ROOT, 'tsconfig.json'));
    const reporting = await cruise(['src'], { ...config.options, baseDir: ROOT, ruleSet: { forbidden: config.forbidden }, validate: true }, undefined, { tsConfig });
    const result = reporting.output as ICruiseResult;
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
    expect(result.summary.totalCruised).toBeGreaterThan(50);
    expect(violations).toEqual([]);
  }, 60_000);

  it(`has no file over ${MAX_LINES} lines unless its header says it is one cohesive form`, () => {
    const long = sourceFiles(join(ROOT, 'src'))
      .map((f) => ({ f: relative(ROOT, f), text: readFileSync(f, 'utf8') }))
      .map(({ f, text }) => ({ f, lines: text.split('\n').length, header: text.split('\n').slice(0, 12).join('\n') }))
      .filter(({ lines, header }) => lines > MAX_LINES && !COHESIVE.test(header))
      .map(({ f, lines }) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
