// The committed JSON Schema is what editors use to complete and check ceremony scripts, so it must be the one
// generated from the zod schemas and must accept and reject what parseScript accepts and rejects.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_PATH, scriptJsonSchema } from '../../../src/script/json-schema.js';
import { parseScript } from '../../../src/script/rules.js';
import { STEP_KINDS } from '../../../src/script/schema.js';
import { ROOT } from '../../helpers/cli.js';

interface JsonSchema {
  [keyword: string]: unknown;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
}

// A validator for exactly the keywords the generated schema uses. An unknown keyword fails loudly instead of
// being skipped, so a schema that grows a keyword cannot pass here by being half-checked.
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default']);
const ASSERTIONS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'oneOf', 'anyOf', 'enum', 'const',
  'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(schema: JsonSchema, value: unknown, at = '$'): string[] {
  for (const k of Object.keys(schema)) {
    if (!ANNOTATIONS.has(k) && !ASSERTIONS.has(k)) throw new Error(`test validator does not support keyword ${k} at ${at}`);
  }
  const errors: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) {
    return [`${at}: expected ${schema.type}, got ${t}`];
  }
  if (schema.const !== undefined && value !== schema.const) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: not one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${at}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(schema.items as JsonSchema, v, `${at}[${i}]`)));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames, k, `${at}[key ${k}]`));
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}.${k}: unknown key`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties, v, `${at}.${k}`));
    }
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((s) => validate(s, value, at).length === 0).length;
    if (matching !== 1) errors.push(`${at}: matches ${matching} of the oneOf alternatives, not exactly 1`);
  }
  if (schema.anyOf && !schema.anyOf.some((s) => validate(s, value, at).length === 0)) errors.push(`${at}: matches none of the anyOf alternatives`);
  return errors;
}

const committed = readFileSync(join(ROOT, JSON_SCHEMA_PATH), 'utf8');
const schema = JSON.parse(committed) as JsonSchema;
const ceremonyDir = join(ROOT, 'ceremonies');
const ceremonies = readdirSync(ceremonyDir).filter((f) => f.endsWith('.yaml')).sort();
const flagshipText = readFileSync(join(ceremonyDir, 'release-authority-init.yaml'), 'utf8');

describe('schema/ceremony-script.schema.json', () => {
  it('is the schema generated from src/script/schema.ts', () => {
    expect(committed, `${JSON_SCHEMA_PATH} is out of sync with src/script/schema.ts: run \`node bin/officiant.js schema --write\``).toBe(
      scriptJsonSchema(),
    );
  });

  it('offers exactly the step kinds of the zod schema', () => {
    const steps = schema.properties?.steps as JsonSchema;
    const kinds = (steps.items as JsonSchema).oneOf?.map((o) => o.properties?.kind?.const);
    expect(kinds).toEqual([...STEP_KINDS]);
  });

  it('forbids unknown top-level keys', () => {
    expect(schema.additionalProperties).toBe(false);
    const flagship = parse(flagshipText) as Record<string, unknown>;
    expect(validate(schema, { ...flagship, colour: 'blue' })).toEqual(['$.colour: unknown key']);
  });

  it('finds the ceremonies to check', () => {
    expect(ceremonies).toContain('release-authority-init.yaml');
  });

  it.each(ceremonies)('accepts ceremonies/%s, as parseScript does', (name) => {
    const text = readFileSync(join(ceremonyDir, name), 'utf8');
    expect(parseScript(name, text).errors).toEqual([]);
    expect(validate(schema, parse(text))).toEqual([]);
    // The editor modeline points at the committed schema.
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=../${JSON_SCHEMA_PATH}`);
  });

  // Mutations of the flagship that parseScript's schema rejects; an editor must flag them too.
  const rejected: Array<{ name: string; from: string; to: string }> = [
    { name: 'unknown key in a step', from: '    title: Room sealed, laptop offline\n', to: '    title: Room sealed, laptop offline\n    colour: blue\n' },
    { name: 'unknown key in params', from: '      min_half_length: 6\n', to: '      min_half_length: 6\n      colour: blue\n' },
    { name: 'unknown key in a role', from: '    title: Auditor\n', to: '    title: Auditor\n    colour: blue\n' },
    { name: 'unknown step kind', from: 'kind: hsm.inspect-key', to: 'kind: hsm.dance' },
    { name: 'bad role id', from: '  auditor:\n', to: '  Auditor_1:\n' },
    { name: 'string for a number', from: 'version: 1\n', to: 'version: one\n' },
    { name: 'bad enum', from: 'algorithm: RSA-4096', to: 'algorithm: DSA-1024' },
    { name: 'missing required step field', from: '    title: Closing sign-off\n', to: '' },
    { name: 'pin_holders.people below 2', from: '        people: 2\n      min_half_length: 6\n', to: '        people: 1\n      min_half_length: 6\n' },
  ];

  it.each(rejected)('rejects a flagship with $name, as parseScript does', ({ from, to }) => {
    expect(flagshipText.split(from)).toHaveLength(2);
    const text = flagshipText.replace(from, to);
    expect(parseScript('flagship.yaml', text).errors).not.toEqual([]);
    expect(validate(schema, parse(text))).not.toEqual([]);
  });
});
