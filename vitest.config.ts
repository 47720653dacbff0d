import { defineConfig } from 'vitest/config';

// Three tiers (docs/where-things-are.md):
// - unit: test/unit mirrors src/; no SoftHSM, no build step, no CLI process. `npm test` runs it.
// - integration: real SoftHSM tokens, the built CLI, pdfsig, openssl (`npm run test:integration`).
// - drills: kill -9 drills, one test per kill point (`npm run test:drills`).
// ./scripts/test.sh runs all three and prints each tier's time and the plain "N passed, N failed" line.
// Timeouts only catch a hang, never a loaded machine: on a two-core machine shared with other jobs one
// rehearsal has taken two minutes, so they leave ten (and a minute for a unit test).
const SLOW = { testTimeout: 600_000, hookTimeout: 600_000 };
// Integration files mostly wait on child processes (the CLI, openssl, pdfsig) and fsync; each works in its own
// temp dirs and sandboxes, so two workers (vitest defaults to one on two cores) keep both cores busy.
const INTEGRATION = { maxWorkers: 2 };
// A drill test is a chain of child processes; its forked worker only waits for them. Two workers (vitest
// defaults to one on a two-core machine) each run two tests of a file at once (describe.concurrent), so
// four chains keep both cores busy while one waits on fsync; maxConcurrency, not a lane inside the test,
// bounds them, so a test's timeout starts when it starts running.
const DRILLS = { maxWorkers: 2, maxConcurrency: 2 };

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      // Unit files are pure and fast: worker threads without per-file isolation start them in a fraction of
      // the time a fresh fork each takes.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', isolate: false, maxWorkers: 2, testTimeout: 60_000, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/helpers/global-setup.ts'], ...SLOW, ...INTEGRATION, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'drills', include: ['test/drills/**/*.test.ts'], globalSetup: ['test/helpers/global-setup.ts'], ...SLOW, ...DRILLS, sequence: { groupOrder: 2 } } },
    ],
  },
});
