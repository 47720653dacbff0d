// The order test files start in. Vitest starts the files it timed before longest first, but a fresh clone (CI)
// has no timings, and then it starts the largest files first: the long drills (real processes killed and
// resumed in sequence) started last and ran on alone while the other worker idled. Files known to be long start
// first here, so the two workers finish together; every other file keeps Vitest's own order.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds each file took in a CI run on the 2-core machine (`CI=true bash .ci/run`); only the order matters. */
const LONG: Record<string, number> = {
  'test/drills/crash-resume-release.test.ts': 168,
  'test/drills/crash-resume-journal.test.ts': 118,
  'test/drills/crash-resume-officers.test.ts': 113,
  'test/drills/crash-resume-effects.test.ts': 89,
  'test/drills/crash-resume-backup.test.ts': 56,
  'test/drills/crash-resume-manifest.test.ts': 44,
  'test/integration/e2e/backup-restore.test.ts': 70,
  'test/integration/e2e/release-signing.test.ts': 49,
  'test/integration/e2e/manifest-signing.test.ts': 45,
  'test/integration/evidence/verify-packet.test.ts': 36,
  'test/integration/e2e/android-window.test.ts': 36,
  'test/integration/e2e/backup-verify.test.ts': 34,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const weight = (f: TestSpecification) => LONG[relative(this.ctx.config.root, f.moduleId)] ?? 0;
    const group = (f: TestSpecification) => `${f.project.config.sequence.groupOrder}:${f.project.name}`;
    // Within each project (groups and projects keep Vitest's order), the known long files first; a stable sort.
    return ordered.map((f, i) => ({ f, i })).sort((a, b) => (group(a.f) === group(b.f) ? weight(b.f) - weight(a.f) || a.i - b.i : a.i - b.i)).map(({ f }) => f);
  }
}
