// artifacts.stage with the real file adapter: a request of more artifacts than one batch (256) is staged whole,
// batch after batch, each batch an effect of its own in the journal; a crash-free second run finds every batch
// recorded and copies nothing again.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactsStage } from '../../../src/steps/artifacts-stage.js';
import { createReleaseWorld } from './fakes/release-world.js';
import { runStep } from './fakes/step-context.js';

const w = await createReleaseWorld({ extra: 300 });

describe('artifacts.stage', () => {
  it('stages every artifact of a request larger than one batch, one journaled effect per batch', async () => {
    const o = await w.chain('stage');
    const fake = await runStep(artifactsStage, o);
    const staged = join(o.release!.staging, 'artifacts');
    expect(readdirSync(staged).sort()).toEqual(['app.apk', 'system.img', ...Array.from({ length: 300 }, (_, i) => `extra-${i}.img`)].sort());
    const intents = fake.journal.entries.filter((e) => e.type === 'intent' && e.step === 'stage').map((e) => [e.data.op, (e.data.params as { count: number }).count]);
    expect(intents).toEqual([
      ['artifacts.stage:0', 256],
      ['artifacts.stage:256', 46],
    ]);
    expect(existsSync(join(staged, 'extra-299.img'))).toBe(true);
  });
});
