// kill -9 drills for manifest.sign (ceremonies/manifest-signing.yaml): officers enrolled once (a rehearsal of
// test/fixtures/enroll-drill.yaml), a release bundle made by openssl, its manifest draft; one uninterrupted
// signing rehearsal copies what a kill leaves before each PIV signature and each journal write of the signing
// step (OFFICIANT_FAILPOINT_SNAPSHOT, see crash-drill.ts), and each copy, with a sandbox of its own (the
// officers' tokens and the manifest signing log), is resumed. Proved after each: resume exits 0 and the packet
// verifies; every officer's signature is journaled once (none is asked again once it is recorded); the manifest
// holds the threshold of distinct keys, each verifying over the signed bytes; the signing log holds the version
// once.
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/custody/ota-manifest.js';
import type { RosterBody, RosterFile } from '../../src/custody/roster.types.js';
import { parseSigningLog } from '../../src/record/signing-log.js';
import { officiant, ROOT } from '../helpers/cli.js';
import { authority, bundle } from '../helpers/openssl-release.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { assertNoOpenIntent, createCrashDrill, DRILL_TIMEOUT, journalOf, sandboxOf } from './crash-drill.js';

const drill = createCrashDrill('officiant-crash-manifest-');
const SCRIPT = join(ROOT, 'ceremonies/manifest-signing.yaml');
const STEP = 'sign-manifest';

async function prepare(): Promise<{ officers: string; draft: string; release: string }> {
  const officers = drill.dir('officers');
  const enrolled = await officiant(['rehearse', join(ROOT, 'test/fixtures/enroll-drill.yaml'), '--out', officers], { env: drill.env });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const a = authority(drill.base, 'Release Authority', 'ec');
  const release = await bundle(drill.base, 'stable.release', a);
  const draft = drill.dir('draft.json');
  const made = await officiant(['manifest', 'draft', '--channel', 'stable', '--version', '9', '--expires', '20d', '--device', 'oriole', '--release', release, '--trust', a.sha256, '--out', draft], { env: drill.env });
  expect(made.code, made.stderr).toBe(0);
  return { officers, draft, release };
}

// Prepared before the tests are registered: the clean run's signatures and step writes are the kill points.
const inputs = await prepare().catch(() => undefined);
const clean = drill.dir('clean');
const snapshots = `${clean}.snapshots`;
const armed = { OFFICIANT_FAILPOINT_SNAPSHOT: snapshots, OFFICIANT_FAILPOINT_SNAPSHOT_POINTS: 'journal.append,piv.sign,signing-log.append,output.write', OFFICIANT_FAILPOINT_TRACE: `${clean}.trace` };
const result = inputs
  ? await officiant(['rehearse', SCRIPT, '--out', clean, '--officers', inputs.officers, '--manifest', inputs.draft, '--release', inputs.release], { env: { ...drill.env, ...armed } })
  : undefined;
const entries = result?.code === 0 ? journalOf(clean) : [];
const writes = entries.filter((e) => e.step === STEP).map((e) => e.seq);
// The hits of a point inside the signing step: those between its first and last journal write, in the trace.
function within(point: string): number[] {
  let appends = 0;
  let n = 0;
  const hits: number[] = [];
  for (const p of trace) {
    if (p === 'journal.append') appends += 1;
    if (p === point) {
      n += 1;
      if (writes.length > 0 && appends >= writes[0] && appends < writes[writes.length - 1]) hits.push(n);
    }
  }
  return hits;
}
const trace = existsSync(`${clean}.trace`) ? readFileSync(`${clean}.trace`, 'utf8').split('\n').filter(Boolean) : [];
const signs = within('piv.sign');
const logLines = within('signing-log.append');
const outputWrites = within('output.write');

function rosterOf(officers: string): RosterBody {
  const file = JSON.parse(readFileSync(join(officers, 'outputs', 'roster.json'), 'utf8')) as RosterFile;
  return JSON.parse(Buffer.from(file.roster.payload, 'base64').toString('utf8')) as RosterBody;
}

async function resumeCopy(point: string): Promise<void> {
  const at = join(snapshots, point);
  expect(existsSync(join(at, 'out')), `${point}: the clean run left no copy`).toBe(true);
  const out = drill.copyRehearsal(join(at, 'out'), point, join(at, 'sandbox'));
  const resumed = await officiant(['resume', out], { env: drill.env });
  expect(resumed.code, `${point} resume:\n${resumed.stdout.slice(-2000)}\n${resumed.stderr}`).toBe(0);
  const journal = journalOf(out);
  assertNoOpenIntent(journal);
  expect(journal.filter((e) => e.type === 'step.completed' && e.step === STEP)).toHaveLength(1);
  const signed = journal.filter((e) => e.step === STEP && e.type === 'step.event' && e.data.what === 'manifest-signature').map((e) => String(e.data.officer));
  expect(signed.length - new Set(signed).size, `${point}: an officer signed twice`).toBe(0);
  const roster = rosterOf(inputs!.officers);
  const parsed = parseManifest(readFileSync(join(out, 'outputs', 'ota-manifest.json')));
  expect(parsed.problems).toEqual([]);
  expect(parsed.manifest!.signed, `${point}: the manifest is not the draft's`).toEqual(JSON.parse(readFileSync(inputs!.draft, 'utf8')).signed);
  const sigs = parsed.manifest!.signatures;
  expect(sigs).toHaveLength(roster.signing_policy.threshold);
  expect(new Set(sigs.map((s) => s.keyid)).size).toBe(sigs.length);
  for (const s of sigs) {
    const key = roster.officers.find((o) => o.keys['9c']?.spki_sha256 === s.keyid)!.keys['9c']!;
    expect(verify('sha256', parsed.signedBytes!, createPublicKey(key.certificate), Buffer.from(s.sig, 'base64'))).toBe(true);
  }
  const log = parseSigningLog(readFileSync(join(sandboxOf(out), 'manifest-signing-log.jsonl'), 'utf8'));
  expect(log.problem).toBeUndefined();
  expect(log.entries.filter((e) => e.channel === 'stable' && e.version === 9)).toHaveLength(1);
  const verified = verifyDir(out);
  expect(verified.ok, `${point} verify:\n${verified.failing}`).toBe(true);
}

describe('an uninterrupted manifest signing session', () => {
  it('signs with the threshold of officers, one PIV signature each inside the step, and verifies', () => {
    expect(result?.code, result?.stdout.slice(-2000)).toBe(0);
    expect(signs).toHaveLength(rosterOf(inputs!.officers).signing_policy.threshold);
    expect(writes.length).toBeGreaterThanOrEqual(8);
    expect(logLines, 'one signing log line inside the step').toHaveLength(1);
    expect(outputWrites.length, 'the manifest written inside the step').toBeGreaterThanOrEqual(1);
    expect(verifyDir(clean).ok).toBe(true);
  });
});

describe.concurrent('killed just before each officer\'s signature of the manifest, then resumed', () => {
  for (const n of signs) it(`piv.sign#${n}`, () => resumeCopy(`piv.sign#${n}`), DRILL_TIMEOUT);
});

describe.concurrent('killed right after the signing log line is on disk, and at the manifest\'s write, then resumed', () => {
  for (const n of logLines) it(`signing-log.append#${n}`, () => resumeCopy(`signing-log.append#${n}`), DRILL_TIMEOUT);
  for (const n of outputWrites) it(`output.write#${n}`, () => resumeCopy(`output.write#${n}`), DRILL_TIMEOUT);
});

describe.concurrent('killed before each journal write of the signing step, then resumed', () => {
  for (const seq of writes) it(`journal.append#${seq}`, () => resumeCopy(`journal.append#${seq}`), DRILL_TIMEOUT);
});
