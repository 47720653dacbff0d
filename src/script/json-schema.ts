// The JSON Schema of ceremony scripts, generated from the zod schemas, for editor completion. The copy in
// schema/ceremony-script.schema.json is kept in sync by a test.
import { z } from 'zod';
import { Script } from './schema.js';

export const JSON_SCHEMA_PATH = 'schema/ceremony-script.schema.json';

export function scriptJsonSchema(): string {
  const schema = z.toJSONSchema(Script, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const out = {
    $schema: schema.$schema,
    $id: 'https://officiant.invalid/schema/ceremony-script.schema.json',
    title: 'Officiant ceremony script',
    ...schema,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
