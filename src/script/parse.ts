// YAML text -> typed value, with every problem located as file:line:col and a YAML path. Pure: no I/O.
// Used for ceremony scripts, site files and answers files alike, so every input gets the same error shape.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { config, type z } from 'zod';

// A process parses each document it is handed once or twice (a script, a roster, answers). zod's default
// compiles a parser per object schema on its first use, which costs more than that one parse saves: verify
// of the flagship packet spent about 20 ms more in it. Parse without compiling.
config({ jitless: true });

export interface Problem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`;
}

/** A parsed YAML document that can locate any path in the source text. */
export class YamlSource {
  readonly doc: Document;
  private readonly lines: LineCounter;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors; after the first few, the rest are usually echoes of the first, so they are counted. */
  syntaxProblems(limit = 5): Problem[] {
    const all = this.doc.errors.map((e) => {
      const pos = this.lines.linePos(e.pos[0]);
      return { file: this.file, line: pos.line, col: pos.col, path: '(syntax)', message: lower(firstLine(e.message)) };
    });
    if (all.length <= limit) return all;
    const last = all[limit - 1];
    return [...all.slice(0, limit), { ...last, message: `${all.length - limit} more syntax error(s) follow; fix the first one first` }];
  }

  /** The document as plain data. Throws on an unresolved alias, with the alias name in the message: use read(). */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  }

  /**
   * The document as plain data, or located problems; never throws. The problems never quote the source: an
   * alias name in an answers file may be a PIN someone typed after a `*`.
   */
  read(): { value?: unknown; errors: Problem[] } {
    const unresolved = this.unresolvedAliases();
    if (unresolved.length > 0) return { errors: unresolved };
    try {
      return { value: this.value(), errors: [] };
    } catch (err) {
      // The error text is never passed on: it may quote the source.
      const message = /alias count/i.test(String((err as Error | undefined)?.message))
        ? 'too many YAML alias expansions'
        : 'cannot be read as YAML data';
      return { errors: [{ file: this.file, line: 1, col: 1, path: '(root)', message }] };
    }
  }

  /** Aliases whose anchor is not set before them, each at the alias and its YAML path. */
  private unresolvedAliases(): Problem[] {
    const problems: Problem[] = [];
    visit(this.doc, {
      Alias: (_key, alias, ancestors) => {
        if (alias.resolve(this.doc) !== undefined) return;
        const { line, col } = this.lines.linePos(rangeStart(alias) ?? 0);
        problems.push({ file: this.file, line, col, path: formatPath(pathOf([...ancestors, alias])), message: 'unresolved YAML alias' });
      },
    });
    return problems;
  }

  /** Position of the deepest node that exists along `path`; `key` points at the key of the last segment. */
  locate(path: readonly PathSegment[], at: 'value' | 'key' = 'value'): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        offset = at === 'key' && seg === path[path.length - 1] ? (keyStart ?? offset) : (rangeStart(pair.value) ?? keyStart ?? offset);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    return this.lines.linePos(offset);
  }

  problem(path: readonly PathSegment[], message: string, at: 'value' | 'key' = 'value'): Problem {
    const { line, col } = this.locate(path, at);
    return { file: this.file, line, col, path: formatPath(path), message };
  }
}

const MAX_ALIAS_COUNT = 100;

/** The YAML path of the last of `chain` (document, collections and pairs down to a node); a key adds no segment. */
function pathOf(chain: readonly unknown[]): PathSegment[] {
  const path: PathSegment[] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
    else if (isPair(parent) && parent.value === child && isScalar(parent.key)) path.push(String(parent.key.value));
  }
  return path;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? range[0] : undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

export interface Parsed<T> {
  value?: T;
  source: YamlSource;
  errors: Problem[];
  /** The document as plain data when it could be read, valid or not; for checks that go on past schema errors. */
  raw?: unknown;
}

/** Parse YAML and check it against a zod schema; reports every schema problem at once. Never throws. */
export function parseWithSchema<S extends z.ZodType>(file: string, text: string, schema: S): Parsed<z.output<S>> {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxProblems();
  if (syntax.length > 0) return { source, errors: syntax };
  const read = source.read();
  if (read.errors.length > 0) return { source, errors: read.errors };
  const raw = read.value;
  const result = schema.safeParse(raw);
  if (result.success) return { source, value: result.data, errors: [], raw };
  const errors = result.error.issues.flatMap((issue) => issueProblems(source, raw, issue));
  return { source, errors: dedupeProblems(sortProblems(errors)), raw };
}

type Issue = z.core.$ZodIssue;

function issueProblems(source: YamlSource, raw: unknown, issue: Issue): Problem[] {
  const path = issue.path.map((s) => (typeof s === 'symbol' ? String(s) : s)) as PathSegment[];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => source.problem([...path, k], 'unknown key', 'key'));
    case 'invalid_type':
      if (valueAt(raw, path) === undefined) return [source.problem(path, 'is required', 'key')];
      return [source.problem(path, `must be ${article(issue.expected)}, got ${describeValue(valueAt(raw, path))}`)];
    case 'invalid_value':
      if (valueAt(raw, path) === undefined) return [source.problem(path, 'is required', 'key')];
      return [source.problem(path, `must be one of: ${issue.values.map(String).join(', ')}`)];
    case 'invalid_key': {
      // A bad mapping key (e.g. a role id): report it at the key, with the key rule's own message.
      const inner = issue.issues[0];
      return [source.problem(path, inner ? lower(inner.message) : 'invalid key', 'key')];
    }
    case 'invalid_union': {
      const discriminator = (issue as { note?: string }).note === 'No matching discriminator' || issue.errors.length === 0;
      if (discriminator) {
        const kindPath = path[path.length - 1] === 'kind' ? path : [...path, 'kind'];
        const kind = valueAt(raw, kindPath);
        const msg = kind === undefined ? 'is required' : `unknown step kind ${JSON.stringify(kind)}`;
        return [source.problem(kindPath, msg, kind === undefined ? 'key' : 'value')];
      }
      const value = valueAt(raw, path);
      if (value === undefined) return [source.problem(path, 'is required', 'key')];
      // Name what each alternative expected (e.g. "a boolean or a mapping") instead of zod's "invalid input".
      const expected = issue.errors.map((branch) => (branch.find((i) => i.code === 'invalid_type' && i.path.length === 0) as { expected?: string } | undefined)?.expected);
      if (expected.every((e) => e !== undefined)) {
        const names = [...new Set(expected.map((e) => (e === 'record' || e === 'object' ? 'a mapping' : article(String(e)))))];
        return [source.problem(path, `must be ${names.join(' or ')}, got ${describeValue(value)}`)];
      }
      return [source.problem(path, lower(issue.message))];
    }
    default:
      return [source.problem(path, lower(issue.message))];
  }
}

export function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function article(expected: string): string {
  if (expected === 'int') return 'a whole number';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v;
}

/** Sentence case to the house's lowercase facts, but never an acronym (PIN, SO, YAML). */
function lower(msg: string): string {
  const m = msg.replace(/^Invalid input: /, '');
  return /^[A-Z][A-Z]/.test(m) ? m : m.charAt(0).toLowerCase() + m.slice(1);
}

export function sortProblems(ps: Problem[]): Problem[] {
  return [...ps].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}

/** Drops repeats of a problem already in the list (same position, path and message). */
export function dedupeProblems(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = formatProblem(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
