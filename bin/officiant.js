#!/usr/bin/env node
// Thin launcher: the CLI is compiled into dist/ and packed into dist/bundle/ (both by `npm run build`, which
// `npm ci` runs through the prepare script).
import('../dist/bundle/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bundle/main.js')) {
    process.stderr.write('officiant: not built yet; run `npm ci` (or `npm run build`) in the checkout\n');
    process.exit(3);
  }
  process.stderr.write(`officiant: cannot start: ${err && err.message ? String(err.message).split('\n')[0] : err}\n`);
  process.exit(1);
});
