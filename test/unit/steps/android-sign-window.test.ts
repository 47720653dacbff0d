// android.sign-window with real keys on a fake token and a client playing the helpers: only what the approved
// plan allows is signed (its keys, each kind within its budget, blocks of exactly the named form), each signature
// verifies under its key before it is returned and is journaled; refusals are journaled and answered with why;
// the window opens only under an approval naming this plan, and never twice under one approval.
import { createPublicKey, publicDecrypt, constants, createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { attributesFor, FakeHsmSession } from './fakes/fake-hsm.js';
import { describe, expect, it } from 'vitest';
import { androidSignWindow } from '../../../src/steps/android-sign-window.js';
import { spkiSha256 } from '../../../src/custody/deny-list.js';
import { avbBlock, createWindowWorld, FakeWindowServer, type Answer } from './fakes/window-world.js';
import { failStep, runStep } from './fakes/step-context.js';
import type { JsonObject } from '../../../src/record/journal.js';

const w = createWindowWorld();
const run = (requests: ConstructorParameters<typeof FakeWindowServer>[0], opts: { approval?: JsonObject; earlier?: ReturnType<typeof w.approval>[] } = {}) => {
  const server = new FakeWindowServer(requests);
  const o = { script: w.script, stepId: 'window', people: w.people, session: w.session, signingWindow: w.inputs(server), started: w.started, earlier: opts.earlier ?? [w.approval(opts.approval)] };
  return { server, o };
};
const digest = createHash('sha256').update('payload').digest();
const bad = (a: Answer) => (a.ok ? 'ok' : a.error);

describe('android.sign-window', () => {
  it('signs an avb block and a payload hash within the plan, each verifying under its key, journaled in order', async () => {
    const { server, o } = run([w.sign('avb', 'avb', avbBlock(4096, 'sha256'), 'SHA256_RSA4096'), w.sign('payload', 'payload', digest)]);
    const fake = await runStep(androidSignWindow, o);
    const [avb, payload, closed] = server.answers;
    expect(closed).toEqual({ ok: true, closed: true, signatures: 2 });
    const avbSig = Buffer.from(avb.signature!, 'base64');
    expect(avbSig).toHaveLength(512);
    expect(publicDecrypt({ key: createPublicKey({ key: w.avb.spki, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_PADDING }, avbSig).equals(avbBlock(4096, 'sha256').subarray(-51))).toBe(true);
    expect(Buffer.from(payload.signature!, 'base64')[0]).toBe(0x30);
    const sigs = fake.events('window-signature');
    expect(sigs.map((s) => [s.seq, s.kind, s.key, s.verified])).toEqual([[1, 'avb', 'avb-2026', true], [2, 'payload', 'payload-2026', true]]);
    expect(sigs[1].digest).toBe(digest.toString('hex'));
    expect(sigs[0].caller).toBe('python3 avbtool.py make_vbmeta_image');
    expect(fake.events('window-closed')[0]).toMatchObject({ reason: 'the operator closed it', signatures: 2 });
    expect(fake.result('Key avb-2026')).toMatch(/avb 1 of 2, payload 0 of 0$/);
    expect(fake.result('Key payload-2026')).toMatch(/avb 0 of 0, payload 1 of 2$/);
    expect(fake.result('Signature list SHA-256')).toMatch(/^[0-9a-f]{64}$/);
    expect(server.removed).toEqual(['/run/officiant/window.sock']);
  });

  // avb testkey_rsa4096 (external/avb/test/data), on the built-in deny list.
  const testKey = () => '9841073d16a7abbe21059e026da71976373d8f74fdb91cc46aa0a7d622b925b9';
  const refusals: Array<[string, () => JsonObject, RegExp]> = [
    ['a block one byte short', () => w.sign('avb', 'avb', avbBlock(4096, 'sha256').subarray(1), 'SHA256_RSA4096'), /takes exactly 512 bytes, not 511/],
    ['a wrong padding byte', () => w.sign('avb', 'avb', Buffer.from(avbBlock(4096, 'sha256')).fill(0xfe, 100, 101), 'SHA256_RSA4096'), /padding byte 100 is fe, not ff/],
    ['a SHA-512 DigestInfo under SHA256_RSA4096', () => w.sign('avb', 'avb', avbBlock(4096, 'sha512'), 'SHA256_RSA4096'), /the DigestInfo is SHA512's, not SHA256's as SHA256_RSA4096 names/],
    ['an algorithm for another key size', () => w.sign('avb', 'avb', avbBlock(2048, 'sha256'), 'SHA256_RSA2048'), /SHA256_RSA2048 needs an RSA-2048 key; this key is RSA-4096/],
    ['a payload digest of 31 bytes', () => w.sign('payload', 'payload', digest.subarray(1)), /signs a 32-byte SHA-256, not 31 bytes/],
    ['a kind the plan does not allow the key', () => w.sign('payload', 'avb', digest), /allows key avb-2026 no payload signature/],
    ['a key that is none of the plan\'s', () => ({ ...w.sign('payload', 'payload', digest), key_spki_sha256: spkiSha256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey) }), /is none of the plan's keys/],
    ['a malformed request', () => ({ op: 'sign', kind: 'avb' }), /the request is malformed/],
  ];
  it.each(refusals)('refuses %s, journals it and signs nothing', async (_, request, why) => {
    const { server, o } = run([request()]);
    const signedBefore = w.session.signed.length;
    const fake = await runStep(androidSignWindow, o);
    expect(bad(server.answers[0])).toMatch(why);
    expect(w.session.signed.length).toBe(signedBefore);
    expect(fake.events('window-signature')).toEqual([]);
    expect(String(fake.events('window-refused')[0].why)).toMatch(why);
  });

  it('refuses an AOSP test key named by KEY_PATH, naming it', async () => {
    const { server, o } = run([{ ...w.sign('avb', 'avb', avbBlock(4096, 'sha256'), 'SHA256_RSA4096'), key_spki_sha256: testKey() }]);
    await runStep(androidSignWindow, o);
    expect(bad(server.answers[0])).toMatch(/testkey_rsa4096.*a public test key: it never signs here/);
  });

  it('refuses the signature past the budget, by one', async () => {
    const { server, o } = run([0, 1, 2].map((i) => w.sign('payload', 'payload', createHash('sha256').update(String(i)).digest())));
    const fake = await runStep(androidSignWindow, o);
    expect(server.answers.slice(0, 3).map(bad)).toEqual(['ok', 'ok', 'key payload-2026 has made all 2 payload signature(s) the plan allows']);
    expect(fake.events('window-signature')).toHaveLength(2);
  });

  it('refuses a request after the window closed', async () => {
    const { server, o } = run([{ op: 'close' }, w.sign('payload', 'payload', digest)]);
    await runStep(androidSignWindow, o);
    expect(bad(server.answers[1])).toBe('the signing window is closed');
  });

  it('does not open without an approval naming this plan', async () => {
    const { server, o } = run([], { approval: { ...(w.subject as unknown as JsonObject), sha256: 'c'.repeat(64) } });
    const { error } = await failStep(androidSignWindow, o);
    expect(error.message).toMatch(/no approval of step window names this signing plan/);
    expect(server.listening).toBe(false);
  });

  it('does not open twice under one approval (a resume after a crash reopens nothing)', async () => {
    const earlier = [w.approval(), { type: 'step.event' as const, step: 'window', actor: 'system', data: { what: 'window-opened' } }, { type: 'step.event' as const, step: 'window', actor: 'system', data: { what: 'window-signature', seq: 1 } }];
    const { server, o } = run([], { earlier });
    const { error } = await failStep(androidSignWindow, o);
    expect(error.message).toMatch(/opened under this approval already \(journal line \d+; 1 signature\(s\) returned, each journaled\): it is not reopened/);
    expect(server.listening).toBe(false);
  });
});

describe('android.sign-window: the time limit, the check after signing, a test key on the token', () => {
  it('refuses a request once the time limit has passed, and closes', async () => {
    const clock = new Date();
    const server = new FakeWindowServer([
      w.sign('payload', 'payload', digest),
      () => {
        clock.setTime(clock.getTime() + 31 * 60_000);
        return w.sign('payload', 'payload', digest);
      },
    ]);
    const fake = await runStep(androidSignWindow, { script: w.script, stepId: 'window', people: w.people, session: w.session, signingWindow: w.inputs(server), started: w.started, earlier: [w.approval()], now: clock });
    expect(server.answers.slice(0, 2).map(bad)).toEqual(['ok', expect.stringMatching(/^the signing window's time limit passed at /)]);
    expect(fake.events('window-closed')[0]).toMatchObject({ reason: 'its time limit passed', signatures: 1 });
  });

  it('returns nothing when the HSM signs with another key (the software check fails), and journals the refusal', async () => {
    const { server, o } = run([w.sign('avb', 'avb', avbBlock(4096, 'sha256'), 'SHA256_RSA4096')]);
    w.session.signWith = generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey;
    try {
      const fake = await runStep(androidSignWindow, o);
      expect(bad(server.answers[0])).toBe("the HSM's signature does not verify under key avb-2026: nothing returned");
      expect(fake.events('window-signature')).toEqual([]);
    } finally {
      w.session.signWith = undefined;
    }
  });

  it('does not open when a plan key on the token is an AOSP test key', async () => {
    const deny = JSON.parse(readFileSync(new URL('../../../src/custody/aosp-test-keys.json', import.meta.url), 'utf8')) as { keys: Array<{ name: string; public_key: string }> };
    const spki = createPublicKey(deny.keys.find((k) => k.name === 'avb testkey_rsa4096')!.public_key).export({ type: 'spki', format: 'der' });
    const session = new FakeHsmSession();
    session.adopt({ label: 'avb-2026', id: '01', algorithm: 'RSA-4096', spki, attributes: attributesFor(false) }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    session.generateKeyPair({ label: 'payload-2026', id: '02', algorithm: 'EC-P256' });
    const server = new FakeWindowServer([]);
    const { error } = await failStep(androidSignWindow, { script: w.script, stepId: 'window', people: w.people, session, signingWindow: w.inputs(server), started: w.started, earlier: [w.approval()] });
    expect(error.message).toMatch(/the token's key "avb-2026" is avb testkey_rsa4096 .*a public test key/);
    expect(server.listening).toBe(false);
  });
});
