// parseWithSchema reads scripts, site files and answers files alike: it returns located problems and never
// throws, and a problem never quotes what an unresolved alias names (in an answers file that may be a PIN
// someone typed after a `*`).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatProblem, parseWithSchema, YamlSource } from '../../../src/script/parse.js';

const Answers = z
  .object({
    people: z.record(z.string(), z.array(z.string())),
    pin: z.string(),
  })
  .strict();

const SECRET = '271828';
const text = `people:\n  officer: [alice, bob]\npin: *${SECRET}\n`;

describe('parseWithSchema with an unresolved YAML alias', () => {
  it('the alias is a hazard: yaml throws with its name', () => {
    expect(() => new YamlSource('answers.yaml', text).value()).toThrow(SECRET);
  });

  it('reports it at the alias, as a problem that does not quote the alias', () => {
    const parsed = parseWithSchema('answers.yaml', text, Answers);
    expect(parsed.value).toBeUndefined();
    expect(parsed.errors.map(formatProblem)).toEqual(['answers.yaml:3:6 pin: unresolved YAML alias']);
    expect(JSON.stringify(parsed.errors)).not.toContain(SECRET);
  });

  it('reports an alias used as a key at its own position, under the mapping that holds it', () => {
    const parsed = parseWithSchema('answers.yaml', `people:\n  *${SECRET} : [alice, bob]\npin: x\n`, Answers);
    expect(parsed.errors.map(formatProblem)).toEqual(['answers.yaml:2:3 people: unresolved YAML alias']);
  });
});
