// officiant schema [--write]: prints (or writes into the checkout) the JSON Schema of ceremony scripts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { JSON_SCHEMA_PATH, scriptJsonSchema } from '../../script/json-schema.js';
import { PROJECT_ROOT } from '../paths.js';

export function schemaCommand(opts: { write?: boolean }, print: (l: string) => void): number {
  const text = scriptJsonSchema();
  if (opts.write) {
    const path = join(PROJECT_ROOT, JSON_SCHEMA_PATH);
    try {
      writeFileSync(path, text);
    } catch (err) {
      throw new OfficiantError('env.fs', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    print(`wrote ${JSON_SCHEMA_PATH}`);
  } else {
    print(text.trimEnd());
  }
  return 0;
}
