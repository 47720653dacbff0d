// The signing window's socket (adapters/window/unix-socket-window.ts) on a real file system: private to its
// owner, one request answered per connection, a request over the limit refused, a live window's socket never
// removed as stale, a dead one removed, and a path too long for a Unix socket refused by name.
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unixSocketWindow } from '../../../../src/adapters/window/unix-socket-window.js';
import { askWindow } from '../../../../src/cli/helpers/window-client.js';
import { REQUEST_MAX_BYTES } from '../../../../src/custody/window-request.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const echo = (b: Buffer) => Buffer.from(`${JSON.stringify({ ok: true, signature: b.toString('base64') })}\n`);

describe('the signing window socket', () => {
  it('is a socket only its owner may use, answers one request per connection, and is gone once closed', async () => {
    const path = join(dir, 'a.sock');
    const w = await unixSocketWindow.listen(path, echo);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    const answer = await askWindow({ op: 'close' }, path);
    expect(Buffer.from(answer.signature!, 'base64').toString()).toBe('{"op":"close"}');
    await w.close();
    expect(() => lstatSync(path)).toThrow();
    await expect(askWindow({ op: 'close' }, path)).rejects.toThrow(/no signing window is open at/);
  });

  it('refuses a request over the limit without reading it whole', async () => {
    const path = join(dir, 'b.sock');
    const w = await unixSocketWindow.listen(path, echo);
    const answer = await askWindow({ op: 'sign', data: 'A'.repeat(REQUEST_MAX_BYTES + 10) }, path).catch((e: Error) => ({ ok: false, error: e.message }));
    await w.close();
    expect(answer.ok).toBe(false);
  });

  it("never removes a live window's socket as stale; removes a dead one; refuses a file that is not a socket", async () => {
    const live = join(dir, 'c.sock');
    const w = await unixSocketWindow.listen(live, echo);
    await expect(unixSocketWindow.removeStale(live)).rejects.toThrow(/a signing window is open at .*c\.sock \(another process holds it\)/);
    expect(lstatSync(live).isSocket()).toBe(true);
    await w.close();
    // A socket file with nothing listening: what a kill -9 leaves.
    const dead = join(dir, 'd.sock');
    // A socket file nothing listens on: bound by a process that then exits, as a kill -9 leaves it.
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', dead]);
    expect(lstatSync(dead).isSocket()).toBe(true);
    await unixSocketWindow.removeStale(dead);
    expect(lstatSync(dead, { throwIfNoEntry: false })).toBeUndefined();
    writeFileSync(join(dir, 'e.sock'), 'not a socket');
    await expect(unixSocketWindow.removeStale(join(dir, 'e.sock'))).rejects.toThrow(/exists and is not a socket/);
  });

  it('refuses a socket path too long for Unix sockets, naming it', async () => {
    await expect(async () => unixSocketWindow.listen(join(dir, 'x'.repeat(120), 'w.sock'), echo)).rejects.toThrow(/over the 100 a Unix socket path may have: give the session a shorter --out/);
  });
});
