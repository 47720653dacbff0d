// artifacts.stage: each requested artifact is copied from where the pipeline left it (--artifacts, by default
// beside the request) into the session's staging directory while it is hashed, in one streaming pass; the copy
// is read-only and everything later reads only it. A size or SHA-256 unlike the request's refuses the artifact by
// name. Copies are journaled in batches (an intent and a result each, not one disk sync per small file); a batch
// cut short by a crash is copied again, which gives the same files.
import { join } from 'node:path';
import { OfficiantError } from '../errors.js';
import { artifactsDigest } from '../record/signing-log.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { ARTIFACTS_STAGED, openRelease, requireEvent, RELEASE_REQUEST, STAGED_ARTIFACTS, totalBytes } from './shared/release-session.js';

const BATCH = 256;

export const artifactsStage: StepHandler<'artifacts.stage'> = {
  kind: 'artifacts.stage',
  needs: STEP_NEEDS['artifacts.stage'],
  async run(ctx) {
    const r = openRelease(ctx);
    requireEvent(ctx, RELEASE_REQUEST, 'request.load');
    const { files, artifactsDir, staging } = r.inputs;
    const dir = join(staging, STAGED_ARTIFACTS);
    const list = r.request.artifacts;
    for (let from = 0; from < list.length; from += BATCH) {
      const batch = list.slice(from, from + BATCH);
      // Each batch is an effect of its own (its op names where it starts): a recorded batch is not the next one.
      await ctx.effect(`artifacts.stage:${from}`, { from, count: batch.length, first: batch[0].name }, {
        run: () => {
          const wrong: string[] = [];
          for (const a of batch) {
            let got;
            try {
              got = files.stage(join(artifactsDir, a.name), dir, a.name);
            } catch (err) {
              const code = (err as NodeJS.ErrnoException).code;
              wrong.push(`${a.name}: ${code === 'ENOENT' ? `not found in ${artifactsDir}` : (err as Error).message}`);
              continue;
            }
            if (got.size !== a.size) wrong.push(`${a.name}: ${got.size} bytes, the request says ${a.size}`);
            else if (got.sha256 !== a.sha256) wrong.push(`${a.name}: SHA-256 ${got.sha256}, the request says ${a.sha256}: the artifact was changed or replaced after the request was made`);
          }
          if (wrong.length > 0) throw new OfficiantError('ceremony.step-failed', `artifact(s) unlike the request, refused: ${wrong.join('; ')}`, { details: wrong });
          return { staged: batch.length };
        },
      });
    }
    files.readOnly(dir);
    ctx.event(ARTIFACTS_STAGED, { staging: dir, artifacts: list.length, bytes: totalBytes(r.request), artifacts_sha256: artifactsDigest(list) });
    ctx.result('Staged', `${list.length} artifact(s), ${totalBytes(r.request)} bytes, into ${dir} (read-only)`);
    ctx.result('Every copy hashed', `sizes and SHA-256 as the request lists them; list SHA-256 ${artifactsDigest(list)}`);
  },
};
