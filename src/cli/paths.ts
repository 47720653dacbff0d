// Where the checkout is, seen from the running CLI: dist/cli/*.js (compiled) and dist/bundle/*.js (packed by
// scripts/bundle.mjs) are both two folders below it, so one relative URL serves both.
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
