// Packs the compiled CLI (dist/, from tsc) into a few files under dist/bundle/ that bin/officiant.js starts.
// Why: each officiant process spent about half of a short rehearsal resolving, reading and linking some 600
// small modules; from the bundle it starts in less (measure with `node scripts/bench-start.mjs`). Commands
// stay lazily loaded (code splitting), so `officiant --help` still loads no PKCS#11 or PDF code.
// Left outside the bundle and loaded from node_modules as before: the PKCS#11 binding (graphene-pk11 and its
// native addon pkcs11js), pdfkit (it reads its own data files) and fontkit (pdfkit's font parser;
// evidence/pdf hands pdfkit fonts parsed by the same instance).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// zod re-exports all of its 64 locales as `z.locales`, most of its bundle, which every command then compiles at
// start (verify spent about 30 ms on it). Officiant never reads z.locales, and zod's schemas module registers
// English itself (it imports locales/en.js directly), so the aggregate is bundled as an empty module.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes(`${sep}node_modules${sep}zod${sep}`) ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${root}dist/cli/main.js` },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['pkcs11js', 'graphene-pk11', 'pdfkit', 'fontkit'],
  // Bundled CommonJS packages call require() for Node's own modules; an ES module has none of its own.
  banner: { js: "import { createRequire as __officiantRequire } from 'node:module'; const require = __officiantRequire(import.meta.url);" },
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
});
