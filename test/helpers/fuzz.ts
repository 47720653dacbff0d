// Seeded fuzzing for the parsers of everything people and packets hand us. A run is reproducible from its seed
// (FUZZ_SEED, default 1) and its size is FUZZ_RUNS per parser (default 10,000; scripts/fuzz.sh runs more).
// Mutations are the ones that broke parsers before: bytes flipped, slices cut or doubled, tokens of the format
// inserted, values replaced by huge, empty, deeply nested or wrongly typed ones, and truncation.
import { isOfficiantError } from '../../src/errors.js';

export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 1);

/** mulberry32: a small, fast, seeded generator; r() in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const TOKENS = ['{', '}', '[', ']', '"', ':', ',', '-', '\n', '  ', '\t', '#', '&a', '*a', '!!binary', '~', 'null', 'true', '1e309', '-0', '0x1F', 'NaN', '\u0000', '\uFEFF', '\u202E', '\\u0000', '"__proto__"', 'constructor', '=HYPERLINK("x")', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', '-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n'];
const deep = (r: () => number) => {
  const n = 1 + Math.floor(r() * 5_000);
  return r() < 0.5 ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
};

/** One to three text mutations of `text`. */
export function mutateText(text: string, r: () => number): string {
  let s = text;
  const rounds = 1 + Math.floor(r() * 3);
  for (let k = 0; k < rounds; k++) {
    const i = Math.floor(r() * (s.length + 1));
    const j = Math.min(s.length, i + Math.floor(r() * 64));
    // Huge values and deep nesting (cases 5 and 6) are costly to parse: one mutation in twenty.
    switch (r() < 0.95 ? [0, 1, 2, 3, 4, 7][Math.floor(r() * 6)] : 5 + Math.floor(r() * 2)) {
      case 0:
        s = s.slice(0, i) + String.fromCharCode(Math.floor(r() * 0x2fff)) + s.slice(i + 1);
        break;
      case 1:
        s = s.slice(0, i) + s.slice(j);
        break;
      case 2:
        s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
        break;
      case 3:
        s = s.slice(0, i) + pick(r, TOKENS) + s.slice(i);
        break;
      case 4:
        s = s.slice(0, i);
        break;
      case 5:
        s = s.slice(0, i) + deep(r) + s.slice(i);
        break;
      case 6:
        s = s.slice(0, i) + 'x'.repeat(Math.floor(r() * 20_000)) + s.slice(i);
        break;
      default:
        s = s.slice(0, i) + s.slice(i, j).toUpperCase() + s.slice(j);
    }
  }
  return s;
}

function oddValue(r: () => number): unknown {
  return pick(r, [() => null, () => -1, () => 1e308, () => '', () => 'x'.repeat(70_000), () => [], () => ({}), () => true, () => ({ __proto__: { x: 1 } }), () => JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`), () => '../../etc/passwd', () => '\u0000'])();
}

/** A copy of a JSON value with one node (at random depth) replaced, deleted or wrapped. */
export function mutateJson(value: unknown, r: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  let node: unknown = copy;
  let parent: Record<string, unknown> | unknown[] | undefined;
  let key: string | number | undefined;
  for (let depth = 0; depth < 12 && node !== null && typeof node === 'object' && r() < 0.85; depth++) {
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node as object);
    if (keys.length === 0) break;
    parent = node as Record<string, unknown>;
    key = pick(r, keys);
    node = (node as Record<string | number, unknown>)[key];
  }
  if (parent === undefined || key === undefined) return oddValue(r);
  const slot = parent as Record<string | number, unknown>;
  const what = Math.floor(r() * 4);
  if (what === 0 && !Array.isArray(parent)) delete slot[key];
  else if (what === 1) slot[key] = [slot[key]];
  else if (what === 2 && typeof slot[key] === 'string') slot[key] = mutateText(slot[key] as string, r);
  else slot[key] = oddValue(r);
  return copy;
}

export interface FuzzFailure {
  run: number;
  error: string;
  input: string;
}

/**
 * Calls `parse` with FUZZ_RUNS mutated inputs made by `mutate` from the seeds. A parse may return anything or
 * throw an OfficiantError of the bad-input family (`input.*`); any other throw is a failure. `check` may look
 * at what it returned and return a complaint. Returns the failures (the first 5), each reproducible by its run.
 */
export function fuzz<T>(seeds: readonly T[], mutate: (seed: T, r: () => number) => T, parse: (input: T) => unknown, check: (out: unknown, input: T) => string | undefined = () => undefined, runs = FUZZ_RUNS): FuzzFailure[] {
  const failures: FuzzFailure[] = [];
  for (let run = 0; run < runs && failures.length < 5; run++) {
    const r = rng(FUZZ_SEED * 1_000_003 + run);
    const input = mutate(seeds[run % seeds.length], r);
    const shown = () => (typeof input === 'string' ? input : Buffer.isBuffer(input) ? input.toString('latin1') : input instanceof Map ? `files ${[...input.keys()].join(', ')}` : (JSON.stringify(input) ?? String(input))).slice(0, 300);
    try {
      const complaint = check(parse(input), input);
      if (complaint) failures.push({ run, error: complaint, input: shown() });
    } catch (err) {
      if (isOfficiantError(err) && err.code.startsWith('input.')) continue;
      const where = err instanceof Error ? (err.stack ?? '').split('\n').filter((l) => l.includes('/src/')).slice(0, 2).join(' <- ') : '';
      failures.push({ run, error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) + (where ? ` at ${where.trim()}` : '') : String(err), input: shown() });
    }
  }
  return failures;
}

/** A check for fuzz(): a loader's problems are sentences naming their file, never an internal error or a stack. */
export function plainProblems(file: string) {
  return (out: unknown): string | undefined => {
    const problems = (out as { problems?: Array<{ message: unknown; file: string }> }).problems ?? [];
    const bad = problems.find((p) => typeof p.message !== 'string' || /\n\s+at |internal error|Maximum call stack/.test(p.message) || !p.file.includes(file));
    return bad ? `problem ${JSON.stringify(bad).slice(0, 200)}` : undefined;
  };
}
