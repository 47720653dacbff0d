// Android's own tools signing through a signing window, as an operator would run them: officers enrolled (a
// rehearsal), then a rehearsal of test/fixtures/android-window.yaml (an RSA-4096 AVB key and an EC P-256 payload
// key on a real SoftHSM token, three officers approving the plan) whose window stays open while this test, in
// the operator's place, runs the real avbtool (../shared/third_party/avb/avbtool.py) with officiant-avb-helper,
// and officiant-payload-signer checked by real openssl. Then what must be refused, closing the window, the
// packet; and a session killed with -9 while its window is open.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../../helpers/cli.js';
import { rehearsalWorkspace } from '../../helpers/rehearsal-workspace.js';
import { verifyDir } from '../../helpers/verify-dir.js';
import { SIGNING_PLAN_TYPE } from '../../../src/custody/signing-plan.js';

const AVBTOOL = join(ROOT, '../shared/third_party/avb/avbtool.py');
const HAS_AVBTOOL = existsSync(AVBTOOL);
const AVB_HELPER = join(ROOT, 'bin/officiant-avb-helper');
const PAYLOAD_SIGNER = join(ROOT, 'bin/officiant-payload-signer');
const SCRIPT = join(ROOT, 'test/fixtures/android-window.yaml');

const ws = rehearsalWorkspace('officiant-android-');
const plan = ws.dir('plan.json');
writeFileSync(
  plan,
  JSON.stringify({
    type: SIGNING_PLAN_TYPE,
    inputs: { target_files: { name: 'oriole-target_files.zip', sha256: '1'.repeat(64) }, otatools: { name: 'otatools.zip', sha256: '2'.repeat(64) } },
    commands: ['avbtool make_vbmeta_image --algorithm SHA256_RSA4096 --key avb-2026.pub.pem --signing_helper officiant-avb-helper --output vbmeta.img'],
    keys: [
      { label: 'avb-2026', algorithm: 'RSA-4096', budget: { avb: 3 } },
      { label: 'payload-2026', algorithm: 'EC-P256', budget: { payload: 2 } },
      { label: 'payload-rsa-2026', algorithm: 'RSA-4096', budget: { payload: 1 } },
    ],
    time_limit_minutes: 60,
  }),
);

/** A rehearsal of the window fixture, left running: its process, its output and the socket once it listens. */
interface Session {
  out: string;
  child: ChildProcess;
  socket: string;
  done: Promise<{ code: number | null; stdout: string }>;
}

async function openWindow(name: string): Promise<Session> {
  const out = ws.dir(name);
  const child = spawn(process.execPath, [BIN, 'rehearse', SCRIPT, '--out', out, '--officers', ws.dir('officers'), '--signing-plan', plan], { cwd: ROOT, env: ws.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stdout += d));
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout })));
  const socket = join(out, 'signing-window.sock');
  // Waits for the window (a condition, not a time): it opens after the check-in, the keys and the approval.
  let exited = false;
  void done.then(() => (exited = true));
  while (!existsSync(socket) && !exited) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(socket), stdout.slice(-2000)).toBe(true);
  return { out, child, socket, done };
}

const run = (cmd: string, args: string[], opts: { socket?: string; input?: Buffer } = {}) =>
  spawnSync(cmd, args, { env: { ...ws.env, ...(opts.socket ? { OFFICIANT_SIGNING_WINDOW: opts.socket } : {}) }, input: opts.input, encoding: 'buffer', cwd: ws.work });
const text = (r: ReturnType<typeof run>) => `${r.stdout.toString()}${r.stderr.toString()}`;
const journal = (out: string) =>
  readFileSync(join(out, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step?: string; data: Record<string, unknown> });

let win: Session;
/** A second session, its window open at the same time (killed in the last test). */
let other: Session;
let avbPub: string;
let payloadPub: string;
beforeAll(async () => {
  ws.expectCompleted(ws.rehearse(join(ROOT, 'test/fixtures/enroll-drill.yaml'), 'officers'), 11);
  // One after the other: both rehearsals add tokens to the one sandbox, and SoftHSM may fail to list tokens
  // (CKR_GENERAL_ERROR) while another process adds one. The second starts once the first waits at its open window.
  win = await openWindow('window');
  other = await openWindow('killed');
  avbPub = join(win.out, 'outputs/avb-2026.pub.pem');
  payloadPub = join(win.out, 'outputs/payload-2026.pub.pem');
}, 600_000);
afterAll(() => {
  win?.child.kill('SIGKILL');
  other?.child.kill('SIGKILL');
  rmSync(ws.work, { recursive: true, force: true });
});

describe('an open signing window, with the real avbtool and openssl', () => {
  it.skipIf(!HAS_AVBTOOL)(`avbtool make_vbmeta_image through --signing_helper; verify_image accepts it${HAS_AVBTOOL ? '' : ' (skipped: ../shared/third_party/avb/avbtool.py is missing)'}`, () => {
    const made = run('python3', [AVBTOOL, 'make_vbmeta_image', '--output', 'vbmeta.img', '--algorithm', 'SHA256_RSA4096', '--key', avbPub, '--signing_helper', AVB_HELPER], { socket: win.socket });
    expect(made.status, text(made)).toBe(0);
    const checked = run('python3', [AVBTOOL, 'verify_image', '--image', ws.dir('vbmeta.img'), '--key', avbPub]);
    expect(text(checked)).toContain('Successfully verified SHA256_RSA4096 vbmeta struct');
  });

  it.skipIf(!HAS_AVBTOOL)(`avbtool add_hash_footer through --signing_helper_with_files (SHA512_RSA4096); verify_image accepts it${HAS_AVBTOOL ? '' : ' (skipped: ../shared/third_party/avb/avbtool.py is missing)'}`, () => {
    writeFileSync(ws.dir('boot.img'), createHash('sha512').update('boot').digest().toString('hex').repeat(512));
    const made = run('python3', [AVBTOOL, 'add_hash_footer', '--image', ws.dir('boot.img'), '--partition_name', 'boot', '--partition_size', '1048576', '--algorithm', 'SHA512_RSA4096', '--key', avbPub, '--signing_helper_with_files', AVB_HELPER], { socket: win.socket });
    expect(made.status, text(made)).toBe(0);
    const checked = run('python3', [AVBTOOL, 'verify_image', '--image', ws.dir('boot.img'), '--key', avbPub]);
    expect(text(checked)).toContain('Successfully verified footer and SHA512_RSA4096 vbmeta struct');
  });

  it('the payload signer signs as openssl pkeyutl -sign would: EC P-256 and RSA-4096, each verified by openssl', () => {
    for (const [name, pub] of [['ec', payloadPub], ['rsa', join(win.out, 'outputs/payload-rsa-2026.pub.pem')]] as const) {
      writeFileSync(ws.dir(`${name}.hash`), createHash('sha256').update(`payload ${name}`).digest());
      const signed = run(PAYLOAD_SIGNER, ['--key', pub, '-in', ws.dir(`${name}.hash`), '-out', ws.dir(`${name}.sig`)], { socket: win.socket });
      expect(signed.status, text(signed)).toBe(0);
      if (name === 'rsa') expect(readFileSync(ws.dir('rsa.sig'))).toHaveLength(512);
      const checked = run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', ws.dir(`${name}.hash`), '-sigfile', ws.dir(`${name}.sig`), '-pkeyopt', 'digest:sha256']);
      expect(text(checked)).toContain('Signature Verified Successfully');
    }
  });

  const block = (bits: number, hash: 'sha256' | 'sha512') => {
    const info = hash === 'sha256' ? '3031300d060960864801650304020105000420' : '3051300d060960864801650304020305000440';
    const t = Buffer.concat([Buffer.from(info, 'hex'), createHash(hash).update('x').digest()]);
    return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(bits / 8 - 3 - t.length, 0xff), Buffer.from([0]), t]);
  };
  it.each<[string, () => ReturnType<typeof run>, RegExp]>([
    ['a block one byte short', () => run(AVB_HELPER, ['SHA256_RSA4096', avbPub], { socket: win.socket, input: block(4096, 'sha256').subarray(1) }), /refused: SHA256_RSA4096 takes exactly 512 bytes, not 511/],
    ['a wrong padding byte', () => run(AVB_HELPER, ['SHA256_RSA4096', avbPub], { socket: win.socket, input: Buffer.from(block(4096, 'sha256')).fill(0x7f, 300, 301) }), /refused: padding byte 300 is 7f, not ff/],
    ['a SHA-512 block under SHA256_RSA4096', () => run(AVB_HELPER, ['SHA256_RSA4096', avbPub], { socket: win.socket, input: block(4096, 'sha512') }), /refused: the DigestInfo is SHA512's, not SHA256's as SHA256_RSA4096 names/],
    [
      "a test key's PEM as KEY_PATH",
      () => {
        const deny = JSON.parse(readFileSync(join(ROOT, 'src/custody/aosp-test-keys.json'), 'utf8')) as { keys: Array<{ name: string; public_key: string }> };
        writeFileSync(ws.dir('testkey.pem'), deny.keys.find((k) => k.name === 'avb testkey_rsa4096')!.public_key);
        return run(AVB_HELPER, ['SHA256_RSA4096', ws.dir('testkey.pem')], { socket: win.socket, input: block(4096, 'sha256') });
      },
      /refused: KEY_PATH holds avb testkey_rsa4096 .*a public test key: it never signs here/,
    ],
    ['a budget exceeded by one (the plan allows 2 payload signatures of payload-2026; 1 was made above)', () => {
      writeFileSync(ws.dir('more.hash'), createHash('sha256').update('more').digest());
      const second = run(PAYLOAD_SIGNER, ['--key', payloadPub, '-in', ws.dir('more.hash'), '-out', ws.dir('more.sig')], { socket: win.socket });
      expect(second.status, text(second)).toBe(0);
      return run(PAYLOAD_SIGNER, ['--key', payloadPub, '-in', ws.dir('more.hash'), '-out', ws.dir('over.sig')], { socket: win.socket });
    }, /refused: key payload-2026 has made all 2 payload signature\(s\) the plan allows/],
    ["a key of another session whose window is open at the same time", () => run(PAYLOAD_SIGNER, ['--key', join(other.out, 'outputs/payload-2026.pub.pem'), '-in', ws.dir('ec.hash'), '-out', ws.dir('x.sig')], { socket: win.socket }), /refused: the key in KEY_PATH \(SPKI SHA-256 [0-9a-f]{64}\) is none of the plan's keys/],
    ["a request meant for a window that is not open", () => run(AVB_HELPER, ['SHA256_RSA4096', avbPub], { socket: ws.dir('another/signing-window.sock'), input: block(4096, 'sha256') }), /no signing window is open at .*another\/signing-window.sock/],
    ['a hash file that does not exist (bad use, exit 2, said plainly)', () => run(PAYLOAD_SIGNER, ['--key', payloadPub, '-in', ws.dir('no-such.hash'), '-out', ws.dir('y.sig')], { socket: win.socket }), /^officiant-payload-signer: cannot read the hash file .*no-such\.hash: ENOENT\n$/],
    ['no window named at all', () => run(AVB_HELPER, ['SHA256_RSA4096', avbPub], { input: block(4096, 'sha256') }), /no signing window: OFFICIANT_SIGNING_WINDOW is not set/],
  ])('refuses %s, with a message and a non-zero exit', (_, call, why) => {
    const r = call();
    expect(r.status).not.toBe(0);
    expect(text(r)).toMatch(why);
    expect(text(r)).not.toMatch(/\n\s+at /);
  });

  it('closes when the operator says so; a later request finds no window; the session records every signature and its packet verifies', async () => {
    const closed = run(process.execPath, [BIN, 'window', 'close', '--socket', win.socket]);
    expect(closed.status, text(closed)).toBe(0);
    expect(text(closed)).toMatch(/signing window closed: \d+ signature\(s\) made/);
    const late = run(PAYLOAD_SIGNER, ['--key', payloadPub, '-in', ws.dir('ec.hash'), '-out', ws.dir('late.sig')], { socket: win.socket });
    expect(late.status).toBe(3);
    const { code, stdout } = await win.done;
    expect(code, stdout.slice(-3000)).toBe(0);
    const entries = journal(win.out);
    const signatures = entries.filter((e) => e.data.what === 'window-signature');
    const expected = (HAS_AVBTOOL ? 2 : 0) + 3;
    expect(signatures.map((s) => s.data.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(signatures.every((s) => s.data.verified === true && typeof s.data.caller === 'string')).toBe(true);
    const refused = entries.filter((e) => e.data.what === 'window-refused').map((e) => String(e.data.why));
    expect(refused.some((w) => w.includes('has made all 2 payload signature(s)'))).toBe(true);
    expect(entries.find((e) => e.data.what === 'window-closed')?.data).toMatchObject({ reason: 'the operator closed it', signatures: expected });
    expect(existsSync(win.socket)).toBe(false);
    expect(verifyDir(win.out).ok).toBe(true);
  });
});

describe('a session killed with -9 while its window is open', () => {
  it('the helper then fails cleanly; resume reopens nothing without a new approval; the journal keeps every signature returned', async () => {
    const s = other;
    const pub = join(s.out, 'outputs/payload-2026.pub.pem');
    writeFileSync(ws.dir('k.hash'), createHash('sha256').update('k').digest());
    const before = run(PAYLOAD_SIGNER, ['--key', pub, '-in', ws.dir('k.hash'), '-out', ws.dir('k.sig')], { socket: s.socket });
    expect(before.status, text(before)).toBe(0);
    // The session stops; a helper asks (it waits for an answer, or finds no one at the socket); then kill -9.
    s.child.kill('SIGSTOP');
    const waiting = spawn(PAYLOAD_SIGNER, ['--key', pub, '-in', ws.dir('k.hash'), '-out', ws.dir('k-waiting.sig')], { env: { ...ws.env, OFFICIANT_SIGNING_WINDOW: s.socket }, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    waiting.stderr!.on('data', (d) => (said += d));
    const waited = new Promise<number | null>((resolve) => waiting.on('close', (code) => resolve(code)));
    await new Promise((r) => waiting.once('spawn', r));
    s.child.kill('SIGKILL');
    await s.done;
    expect(await waited).toBe(3);
    expect(said).toMatch(/^officiant-payload-signer: (the signing window at .* closed without answering \(its session ended\)|no signing window is open at .*)\n$/);
    expect(existsSync(ws.dir('k-waiting.sig'))).toBe(false);
    const after = run(PAYLOAD_SIGNER, ['--key', pub, '-in', ws.dir('k.hash'), '-out', ws.dir('k2.sig')], { socket: s.socket });
    expect(after.status).toBe(3);
    expect(text(after)).toMatch(/no signing window is open at /);
    const resumed = ws.cli(['resume', s.out]);
    expect(resumed.code, resumed.stdout.slice(-2000)).toBe(1);
    expect(resumed.stdout + resumed.stderr).toMatch(/the signing window was opened under this approval already \(journal line \d+; 1 signature\(s\) returned, each journaled\): it is not reopened/);
    expect(existsSync(s.socket)).toBe(false);
    const signatures = journal(s.out).filter((e) => e.data.what === 'window-signature');
    expect(signatures).toHaveLength(1);
    expect(signatures[0].data.signature_sha256).toBe(createHash('sha256').update(readFileSync(ws.dir('k.sig'))).digest('hex'));
    expect(verifyDir(s.out).ok).toBe(true);
  });
});
