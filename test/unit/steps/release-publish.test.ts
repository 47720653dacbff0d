// release.publish on a fake HSM with real RSA keys and the real file adapter: the bundle is written and the
// signing log gets this session's line; a staged file changed since it was signed is refused; re-entered after its own line was appended, it publishes the same;
// and when the log read again holds the request or a version as high from another ceremony (a session that
// signed while this one was paused), nothing is published.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSigningLog, signingLogLine } from '../../../src/record/signing-log.js';
import { releasePublish } from '../../../src/steps/release-publish.js';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { createReleaseWorld, overwriteStaged } from './fakes/release-world.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { failStep, runStep } from './fakes/step-context.js';

const w = await createReleaseWorld();
const base = () => ({ piv: new FakePivReader(w.rw.officers), prompter: new TablePrompter({ secrets: Object.fromEntries(w.officers.map((o) => [`${o.name}.piv-pin`, OFFICER_PIN])) }) });

/** A line of another ceremony appended to the session's signing log. */
function otherSession(log: string, fields: { request_id?: string; channel?: string; version: number }): void {
  const { entries } = parseSigningLog(existsSync(log) ? readFileSync(log, 'utf8') : '');
  const line = signingLogLine(entries, {
    at: new Date().toISOString(),
    authority: 'release',
    request_id: fields.request_id ?? 'f'.repeat(32),
    channel: fields.channel ?? 'stable',
    version: fields.version,
    ceremony_id: '00000000-0000-4000-8000-000000000000',
    artifacts: 1,
    artifacts_sha256: '0'.repeat(64),
    signatures: { 'release-root': 2 },
  });
  writeFileSync(log, line, { flag: 'a' });
}

const requestId = (o: Awaited<ReturnType<typeof w.chain>>) => (JSON.parse(o.release!.request.bytes.toString('utf8')) as { predicate: { request_id: string } }).predicate.request_id;

describe('release.publish', () => {
  it('writes the bundle and one signing log line; re-entered after that line, it keeps both', async () => {
    const o = await w.chain('publish', base());
    const fake = await runStep(releasePublish, o);
    const log = parseSigningLog(readFileSync(o.release!.signingLog, 'utf8')).entries;
    expect(log.map((e) => [e.request_id, e.version])).toEqual([[requestId(o), 7]]);
    expect(existsSync(join(o.release!.bundle, 'release.json'))).toBe(true);
    await runStep(releasePublish, { ...o, journal: fake.journal });
    expect(parseSigningLog(readFileSync(o.release!.signingLog, 'utf8')).entries).toHaveLength(1);
  });

  it.each<[string, { version: number; channel?: string; request_id?: string }, RegExp]>([
    ['a version as high on the channel', { version: 7 }, /^version 7 of channel stable was signed by another session since the gates passed; version 7 is not above it: nothing is published$/],
    ['a higher version on the channel', { version: 9 }, /^version 9 of channel stable was signed by another session/],
    ['this very request', { version: 1, channel: 'beta', request_id: 'SELF' }, /^request [0-9a-f]+ was signed by another session since the gates passed \(signing log line 1\): nothing is published$/],
  ])('publishes nothing when another session signed %s since the gates passed', async (_what, fields, message) => {
    const o = await w.chain('publish', base());
    otherSession(o.release!.signingLog, { ...fields, request_id: fields.request_id === 'SELF' ? requestId(o) : undefined });
    const { error } = await failStep(releasePublish, o);
    expect(error.message).toMatch(message);
    expect(existsSync(o.release!.bundle)).toBe(false);
    expect(parseSigningLog(readFileSync(o.release!.signingLog, 'utf8')).entries).toHaveLength(1);
  });

  it('publishes nothing when a staged file no longer holds what was signed', async () => {
    const o = await w.chain('publish', base());
    overwriteStaged(o.release!.staging, 'app.apk', Buffer.alloc(500, 0));
    const { error } = await failStep(releasePublish, o);
    expect(error.message).toBe('staged file(s) no longer as requested, nothing published: app.apk');
    expect(existsSync(o.release!.bundle)).toBe(false);
  });

  it('publishes past a lower version of the channel and other channels', async () => {
    const o = await w.chain('publish', base());
    otherSession(o.release!.signingLog, { version: 6 });
    otherSession(o.release!.signingLog, { version: 50, channel: 'beta', request_id: 'e'.repeat(32) });
    await runStep(releasePublish, o);
    expect(parseSigningLog(readFileSync(o.release!.signingLog, 'utf8')).entries.map((e) => e.version)).toEqual([6, 50, 7]);
  });
});
