// The house's one-way dependency rule (docs/where-things-are.md):
//   cli -> inputs -> steps -> engine -> evidence -> custody -> record -> script -> errors
// Adapters implement ports declared in the core and are imported only by the composition root
// (src/cli/compose.ts). Nothing below cli touches the file system, PKCS#11 or the terminal directly.
// Checked in the unit tier (test/unit/architecture.test.ts) and by `npm run depcheck`.
const LAYERS = ['errors', 'script', 'record', 'custody', 'evidence', 'engine', 'steps', 'inputs', 'cli'];
const dir = (layer) => (layer === 'errors' ? '^src/errors\\.ts$' : `^src/${layer}/`);

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-imports-only-below`,
  comment: `${layer}/ may import only ${LAYERS.slice(0, i).join(', ') || 'nothing of the project'}`,
  severity: 'error',
  from: { path: dir(layer) },
  to: { path: LAYERS.slice(i + 1).map(dir).concat(['^src/adapters/', '^src/index\\.ts$']) },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    ...layerRules,
    {
      name: 'adapters-only-from-composition-root',
      comment: 'adapters are wired in by src/cli/compose.ts (and its cli/compose/ parts) only',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/adapters/', '^src/cli/compose(\\.ts$|/)', '^src/index\\.ts$'] },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'adapters-implement-ports-only',
      comment: 'an adapter may use the core (ports, pure helpers, input formats), never the CLI or step kinds',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/cli/', '^src/steps/', '^src/index\\.ts$'] },
    },
    {
      name: 'failpoints-only-at-the-edges',
      comment: 'kill points (crash drills) live where the outside world is touched: adapters and the composition root',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/adapters/', '^src/cli/'] },
      to: { path: '^src/failpoints\\.ts$' },
    },
    {
      name: 'core-has-no-io',
      comment: 'below cli, the outside world arrives through ports: no fs, PKCS#11 or terminal libraries',
      severity: 'error',
      from: { path: '^src/(script|record|custody|evidence|engine|steps|inputs)/' },
      to: { path: ['^(node:)?fs(/promises)?$', 'graphene-pk11', 'pkcs11js', '@inquirer/'], dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
