// The signing window's socket (engine/ports.ts SigningWindowServer): a Unix socket in the session's directory,
// made with mode 0600 (umask set around the bind, then chmod), so only the operator's account reaches the HSM
// session through it. One request per connection: the bytes up to the first newline (or the end), answered with
// serve's bytes. A request larger than the window accepts is cut off, never buffered without bound.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { OfficiantError } from '../../errors.js';
import type { SigningWindowServer } from '../../engine/ports.js';
import { REQUEST_MAX_BYTES } from '../../custody/window-request.js';

/** A connection idle this long is dropped (a stuck or hostile client). */
const IDLE_MS = 60_000;
/** Android's tools ask one signature at a time; a few in parallel at most. */
const MAX_CONNECTIONS = 16;
/** Linux's sun_path holds 108 bytes with its terminating NUL; leave room. */
const MAX_PATH_BYTES = 100;

function removeSocket(path: string): void {
  try {
    if (!lstatSync(path).isSocket()) throw new OfficiantError('env.fs', `${path} exists and is not a socket: the signing window does not replace it`);
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
}

/** Removes a stale socket: never one a live window listens on (a connection there succeeds). */
function removeStale(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) throw new OfficiantError('env.fs', `${path} exists and is not a socket: the signing window does not replace it`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve();
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      reject(new OfficiantError('env.fs', `a signing window is open at ${path} (another process holds it): it is not removed`));
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNREFUSED') return reject(new OfficiantError('env.fs', `cannot check the signing window socket ${path}: ${err.code ?? err.message}`));
      try {
        removeSocket(path);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

export const unixSocketWindow: SigningWindowServer = {
  removeStale,
  listen(path, serve) {
    if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
      throw new OfficiantError('env.fs', `the signing window's socket ${path} is ${Buffer.byteLength(path)} bytes long, over the ${MAX_PATH_BYTES} a Unix socket path may have: give the session a shorter --out`);
    }
    const open = new Set<Socket>();
    const server = createServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // A helper that connects and never finishes its request does not hold the window's socket forever.
      socket.setTimeout(IDLE_MS, () => socket.destroy());
      const chunks: Buffer[] = [];
      let size = 0;
      let answered = false;
      const answer = () => {
        if (answered) return;
        answered = true;
        const all = Buffer.concat(chunks);
        const nl = all.indexOf(0x0a);
        let out: Buffer;
        try {
          out = serve(nl >= 0 ? all.subarray(0, nl) : all);
        } catch (err) {
          out = Buffer.from(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) })}\n`);
        }
        socket.end(out);
      };
      socket.on('data', (d: Buffer) => {
        size += d.length;
        if (size > REQUEST_MAX_BYTES + 1) {
          answered = true;
          socket.end(`${JSON.stringify({ ok: false, error: `the request is over ${REQUEST_MAX_BYTES} bytes` })}\n`);
          socket.destroySoon();
          return;
        }
        chunks.push(d);
        if (d.includes(0x0a)) answer();
      });
      socket.on('end', answer);
      socket.on('error', () => socket.destroy());
    });
    server.maxConnections = MAX_CONNECTIONS;
    return new Promise((resolve, reject) => {
      const umask = process.umask(0o177);
      server.once('error', (err: NodeJS.ErrnoException) => {
        process.umask(umask);
        reject(new OfficiantError('env.fs', `cannot open the signing window's socket ${path}: ${err.code ?? err.message}`, { cause: err }));
      });
      server.listen(path, () => {
        process.umask(umask);
        try {
          chmodSync(path, 0o600);
        } catch (err) {
          server.close();
          return reject(new OfficiantError('env.fs', `cannot make the signing window's socket ${path} private: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
        }
        resolve({
          close: () =>
            new Promise<void>((done) => {
              // A helper still connected when the window closes gets no answer: its tool fails, as it must.
              for (const s of open) s.destroy();
              server.close(() => {
                try {
                  removeSocket(path);
                } catch {
                  // Node removes its own socket; anything else there is not ours to remove.
                }
                done();
              });
            }),
        });
      });
    });
  },
};
