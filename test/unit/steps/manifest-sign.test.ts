// manifest.sign over a real release bundle (signed in software) and officers' 9c keys on fake PIV tokens: the
// gates refuse before anyone is asked, the roster's threshold of officers sign, each signature verifies at
// once, the manifest and a signing log line are written; a crash between two officers' signatures resumes
// without asking the first again and without a second signature from the same key.
import { createPublicKey, verify } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/custody/ota-manifest.js';
import { parseSigningLog, signingLogLine } from '../../../src/record/signing-log.js';
import type { Step } from '../../../src/script/schema.js';
import { manifestSign } from '../../../src/steps/manifest-sign.js';
import { createAuthority } from '../../helpers/release-bundle.js';
import { FakePivReader, OFFICER_PIN } from './fakes/fake-piv.js';
import { createManifestWorld } from './fakes/manifest-world.js';
import { TablePrompter } from './fakes/scripted-prompter.js';
import { createStepContext, failStep, runStep } from './fakes/step-context.js';

const mw = await createManifestWorld();
const mallory = await createAuthority('ec', 'Mallory');
const pins = () => new TablePrompter({ secrets: Object.fromEntries(mw.officers.map((o) => [`${o.name}.piv-pin`, OFFICER_PIN])) });
const base = () => ({ script: mw.script, stepId: 'sign', people: mw.people, roster: mw.roster, piv: new FakePivReader(mw.rw.officers) });
const nineC = (officer: string) => mw.roster.body.officers.find((o) => o.id === officer)!.keys['9c']!;

describe('manifest.sign', () => {
  it('signs with the threshold of 9c keys, each verified, writes the manifest and appends the signing log', async () => {
    const manifest = mw.inputs();
    const run = await runStep(manifestSign, { ...base(), manifest, prompter: pins() });
    const bytes = run.outputs.get('outputs/ota-manifest.json')!;
    const parsed = parseManifest(bytes);
    expect(parsed.problems).toEqual([]);
    expect(parsed.manifest!.signatures).toHaveLength(mw.roster.body.signing_policy.threshold);
    const signers = run.events('manifest-signature').map((e) => String(e.officer));
    expect(new Set(signers).size).toBe(signers.length);
    for (const [i, s] of parsed.manifest!.signatures.entries()) {
      const key = nineC(signers[i]);
      expect(s.keyid).toBe(key.spki_sha256);
      expect(verify('sha256', parsed.signedBytes!, createPublicKey(key.certificate), Buffer.from(s.sig, 'base64'))).toBe(true);
    }
    const log = parseSigningLog(readFileSync(manifest.signingLog, 'utf8'));
    expect(log.problem).toBeUndefined();
    expect(log.entries).toMatchObject([{ authority: 'manifest', channel: 'stable', version: 5, artifacts: 2 }]);
    expect(run.result('Signed manifest')).toBe('outputs/ota-manifest.json');
  });

  const refusals: Array<{ name: string; manifest: () => ReturnType<typeof mw.inputs>; people?: typeof mw.people; message: RegExp; detail?: RegExp }> = [
    { name: 'a threshold short by one (one officer checked in)', manifest: () => mw.inputs(), people: mw.people.slice(0, 3), message: /^quorum not met: 1\/2 active crypto-officer officers with a manifest signing key \(9c\) checked in$/ },
    { name: 'an expired manifest', manifest: () => mw.inputs({ body: mw.draftBody({ expires: '2026-01-01T00:00:00Z' }) }), message: /does not pass the gates \(1 problem\(s\)\): expires/, detail: /^expires 2026-01-01T00:00:00Z: has passed already$/ },
    { name: 'an expiry beyond the policy\'s longest (31 days)', manifest: () => mw.inputs({ body: mw.draftBody({ expires: new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 19) + 'Z' }) }), message: /gates/, detail: /more than 31 days from now/ },
    { name: 'a target not in any verified release', manifest: () => mw.inputs({ body: mw.draftBody({ targets: mw.draftBody().targets.map((t) => ({ ...t, release_sha256: 'e'.repeat(64) })) }) }), message: /gates \(2 problem\(s\)\): target oriole-ota\.zip: /, detail: /^target oriole-ota\.zip: its release .* is not among the verified releases/ },
    { name: 'a target whose hash differs from the release\'s', manifest: () => mw.inputs({ body: mw.draftBody({ targets: mw.draftBody().targets.map((t, i) => (i === 1 ? { ...t, sha256: '0'.repeat(64) } : t)) }) }), message: /gates \(1 problem\(s\)\): target vbmeta\.img: /, detail: /^target vbmeta\.img: SHA-256 0000000000000000… is not the release's/ },
    { name: 'releases that do not verify against the pinned release authority', manifest: () => mw.inputs({ pinned: mallory }), message: /gates/, detail: /^release \/bundles\/stable: does not verify against the pinned release authority/ },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name}, before anyone is asked for a PIN`, async () => {
      const prompter = pins();
      const { error, fake } = await failStep(manifestSign, { ...base(), people: r.people ?? mw.people, manifest: r.manifest(), prompter });
      expect(error.message).toMatch(r.message);
      if (r.detail) expect((error as unknown as { details: string[] }).details[0]).toMatch(r.detail);
      expect(prompter.asked.filter((a) => a.kind === 'secret')).toEqual([]);
      expect(fake.events('manifest-signature')).toEqual([]);
      expect(fake.outputs.size).toBe(0);
    });
  }

  it('refuses a rollback or replay against the manifest signing log', async () => {
    const manifest = mw.inputs();
    appendFileSync(manifest.signingLog, signingLogLine([], { at: new Date().toISOString(), authority: 'manifest', request_id: 'x', channel: 'stable', version: 5, ceremony_id: 'earlier', artifacts: 1, artifacts_sha256: 'a'.repeat(64), signatures: {} }));
    const { error } = await failStep(manifestSign, { ...base(), manifest, prompter: pins() });
    expect((error as unknown as { details: string[] }).details).toEqual([expect.stringMatching(/^version 5 is not above 5, the last manifest signed for channel stable/)]);
  });

  it('shows the signing log as found before anyone signs (empty, or its length and head), for the paper log', async () => {
    const empty = pins();
    const first = await runStep(manifestSign, { ...base(), manifest: mw.inputs(), prompter: empty });
    expect(empty.said.join('\n')).toMatch(/manifest signing log: empty \(no manifest signed from it before; if the paper log lists one, stop: the log was replaced\): compare with the paper log/);
    expect(first.result('Signing log before')).toMatch(/^manifest signing log: empty/);
    const manifest = mw.inputs({ body: mw.draftBody({ version: 6 }) });
    appendFileSync(manifest.signingLog, signingLogLine([], { at: new Date().toISOString(), authority: 'manifest', request_id: 'x', channel: 'stable', version: 5, ceremony_id: 'earlier', artifacts: 1, artifacts_sha256: 'a'.repeat(64), signatures: {} }));
    const head = parseSigningLog(readFileSync(manifest.signingLog, 'utf8')).entries[0].hash;
    const later = pins();
    const run = await runStep(manifestSign, { ...base(), manifest, prompter: later });
    expect(later.said.join('\n')).toContain(`manifest signing log: 1 earlier line(s), head ${head}: compare with the paper log before the version is taken and anyone signs`);
    expect(run.events('manifest-gates')[0]).toMatchObject({ passed: true, signing_log: { lines: 1, head } });
  });

  it('after a crash between two officers\' signatures, resumes without asking the first again or a second signature by their key', async () => {
    const manifest = mw.inputs();
    const [first, second] = mw.officers;
    // The second officer's PIN prompt is where the process dies.
    const dying = new TablePrompter({ secrets: { [`${first.name}.piv-pin`]: OFFICER_PIN } });
    const crashed = createStepContext<Extract<Step, { kind: 'manifest.sign' }>>({ ...base(), manifest, prompter: dying, needs: manifestSign.needs });
    await expect(manifestSign.run(crashed.ctx)).rejects.toThrow(`test prompter: no secret ${second.name}.piv-pin`);
    expect(crashed.events('manifest-signature').map((e) => e.officer)).toEqual([first.officer]);
    const prompter = pins();
    const resumed = await runStep(manifestSign, { ...base(), manifest, prompter, journal: crashed.journal });
    expect(prompter.asked.filter((a) => a.kind === 'secret').map((a) => a.person)).toEqual([second.name]);
    const signed = parseManifest(resumed.outputs.get('outputs/ota-manifest.json')!).manifest!;
    expect(signed.signatures.map((s) => s.keyid)).toEqual([nineC(first.officer).spki_sha256, nineC(second.officer).spki_sha256]);
    expect(parseSigningLog(readFileSync(manifest.signingLog, 'utf8')).entries).toHaveLength(1);
  });
});

describe('manifest.sign after a crash between the signing log line and its journal result', () => {
  it('passes the gates (its own line is no rival), takes the line as its own and appends no second one; then the officers sign', async () => {
    const manifest = mw.inputs();
    const first = await runStep(manifestSign, { ...base(), manifest, prompter: pins() });
    const entries = first.journal.entries;
    const intent = entries.find((e) => e.type === 'intent' && e.data.op === 'signing-log.append')!;
    // What the journal held when the process died: everything before the log line's result, less the run's own
    // ceremony.started and step.started (the fake context writes those).
    const earlier = entries.filter((e) => e.seq <= intent.seq && e.type !== 'ceremony.started' && e.type !== 'step.started').map((e) => ({ type: e.type, step: e.step, actor: e.actor, data: e.data }));
    const prompter = pins();
    const resumed = await runStep(manifestSign, { ...base(), manifest, prompter, earlier: earlier as never });
    // The version is taken before anyone signs: the crash came before the first signature.
    expect(entries.filter((e) => e.seq < intent.seq && e.data.what === 'manifest-signature')).toEqual([]);
    expect(prompter.asked.filter((a) => a.kind === 'secret')).toHaveLength(mw.roster.body.signing_policy.threshold);
    expect(parseSigningLog(readFileSync(manifest.signingLog, 'utf8')).entries).toHaveLength(1);
    expect(resumed.result('Signing log')).toMatch(/^line 1 of /);
    expect(resumed.journal.entries.some((e) => e.type === 'result' && e.data.op === 'signing-log.append' && e.data.reconciled === true)).toBe(true);
  });
});

describe('manifest.sign when an officer declines', () => {
  it('fails with the version already taken in the signing log and no manifest written', async () => {
    const manifest = mw.inputs();
    const [, second] = mw.officers;
    const prompter = new TablePrompter({ secrets: Object.fromEntries(mw.officers.map((o) => [`${o.name}.piv-pin`, OFFICER_PIN])), confirm: [['Sign OTA manifest', true]] });
    const declining = Object.assign(Object.create(prompter) as TablePrompter, { confirm: async (p: { name: string }, q: string, c: { stepId: string }) => (p.name === second.name ? false : prompter.confirm(p as never, q, c)) });
    const { error, fake } = await failStep(manifestSign, { ...base(), manifest, prompter: declining });
    expect(error.message).toBe(`${second.name} declined to sign manifest stable version 5`);
    expect(fake.outputs.size).toBe(0);
    expect(parseSigningLog(readFileSync(manifest.signingLog, 'utf8')).entries.map((e) => e.version)).toEqual([5]);
  });
});

describe('manifest.sign with many failing targets', () => {
  it('names the first 50 and counts the rest, on the page, in the journal and in the error', async () => {
    const target = mw.draftBody().targets[0];
    const targets = Array.from({ length: 120 }, (_, i) => ({ ...target, name: `t-${i}.zip`, release_sha256: 'e'.repeat(64) }));
    const { error, fake } = await failStep(manifestSign, { ...base(), manifest: mw.inputs({ body: mw.draftBody({ targets }) }), prompter: pins() });
    expect(error.message).toMatch(/^the manifest does not pass the gates \(120 problem\(s\)\): target t-0\.zip: .*; and 70 more$/);
    expect(fake.events('manifest-gates')).toEqual([expect.objectContaining({ passed: false, count: 120, problems: expect.arrayContaining(['and 70 more']) })]);
    expect(fake.result('FAIL: gate 51 of 120')).toBe('and 70 more');
  });
});

describe('manifest.sign with a bundle that cannot be read any more', () => {
  it('fails at the gates naming the bundle, with no stack and no PIN asked', async () => {
    const manifest = { ...mw.inputs(), openBundle: () => { throw new Error('EACCES: permission denied, scandir \'/bundles/stable\''); } };
    const prompter = pins();
    const { error } = await failStep(manifestSign, { ...base(), manifest, prompter });
    expect(error.message).toMatch(/^the manifest does not pass the gates \(3 problem\(s\)\): release \/bundles\/stable: does not verify against the pinned release authority \(1 problem\(s\); files: cannot be read: EACCES/);
    expect(prompter.asked.filter((a) => a.kind === 'secret')).toEqual([]);
  });
});
