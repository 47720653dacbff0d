// One measured thing for scripts/bench-release-staging.mjs, alone in its process so that the max RSS measured
// from outside is that thing's: the release files adapter hashing, staging or scanning one file, or `idle`
// (the same modules loaded, nothing done: the baseline a memory growth is counted from). Prints JSON: the
// milliseconds the work took (start-up excluded) and what it returned.
// Usage: node scripts/bench-release-child.mjs idle|hash|stage|scan <file> [staging dir]
import { basename } from 'node:path';
import { fsReleaseFiles } from '../dist/adapters/fs/release-files.js';
import { builtInDenyList } from '../dist/custody/deny-list.js';

const [what, file, dir] = process.argv.slice(2);
const denied = builtInDenyList();
const work = {
  idle: () => undefined,
  hash: () => fsReleaseFiles.hash(file),
  stage: () => fsReleaseFiles.stage(file, dir, basename(file)),
  scan: () => fsReleaseFiles.scan(file, basename(file), denied),
}[what];
if (!work) throw new Error(`unknown measurement ${what}: idle, hash, stage or scan`);
const t = performance.now();
const out = await work();
const ms = performance.now() - t;
console.log(JSON.stringify({ ms, sha256: out?.sha256, findings: out?.findings?.length, entries: out?.entries }));
