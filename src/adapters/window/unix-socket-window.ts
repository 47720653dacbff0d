// The signing window's socket (engine/ports.ts SigningWindowServer): a Unix socket in the session's directory,
// made with mode 0600 (umask set around the bind, then chmod), so only the operator's account reaches the HSM
// session through it. One request per connection: the bytes up to the first newline (or the end), answered with
// serve's bytes. A request larger than the window accepts is cut off, never buffered without bound.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { OfficiantError } from '../../errors.js';
import type { SigningWindowServer } from '../../engine/ports.js';
import { REQUEST_MAX_BYTES } from '../../custody/window-request.js';

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

export const unixSocketWindow: SigningWindowServer = {
  removeStale: removeSocket,
  listen(path, serve) {
    if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
      throw new OfficiantError('env.fs', `the signing window's socket ${path} is ${Buffer.byteLength(path)} bytes long, over the ${MAX_PATH_BYTES} a Unix socket path may have: give the session a shorter --out`);
    }
    const open = new Set<import('node:net').Socket>();
    const server = createServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
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
          return;
        }
        chunks.push(d);
        if (d.includes(0x0a)) answer();
      });
      socket.on('end', answer);
      socket.on('error', () => socket.destroy());
    });
    return new Promise((resolve, reject) => {
      const umask = process.umask(0o177);
      server.once('error', (err: NodeJS.ErrnoException) => {
        process.umask(umask);
        reject(new OfficiantError('env.fs', `cannot open the signing window's socket ${path}: ${err.code ?? err.message}`, { cause: err }));
      });
      server.listen(path, () => {
        process.umask(umask);
        chmodSync(path, 0o600);
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
