// What Officiant's signing helpers share: reaching the signing window whose socket OFFICIANT_SIGNING_WINDOW
// names, with one request, and failing plainly (a message on stderr, a non-zero exit) when there is none. Only
// Node's own modules: a helper is started once per signature and must start fast.
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createHash, createPublicKey } from 'node:crypto';

export const WINDOW_ENV = 'OFFICIANT_SIGNING_WINDOW';

export interface WindowAnswer {
  ok: boolean;
  signature?: string;
  error?: string;
  closed?: boolean;
  signatures?: number;
}

/** A helper's failure: printed as `<name>: <message>`, exit 1 (refused) or 3 (no window to reach). */
export class HelperError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3,
  ) {
    super(message);
  }
}

export function windowSocket(): string {
  const path = process.env[WINDOW_ENV];
  if (!path) throw new HelperError(`no signing window: ${WINDOW_ENV} is not set (a signing session's android.sign-window step prints it)`, 3);
  return path;
}

/** Sends one request to the window and returns its answer. */
export function askWindow(request: object, path = windowSocket()): Promise<WindowAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.end(`${JSON.stringify(request)}\n`));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const gone = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(new HelperError(gone ? `no signing window is open at ${path} (it closed, or its session ended)` : `cannot reach the signing window at ${path}: ${err.code ?? err.message}`, 3));
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return reject(new HelperError(`the signing window at ${path} closed without answering (its session ended)`, 3));
      try {
        resolve(JSON.parse(text) as WindowAnswer);
      } catch {
        reject(new HelperError(`the signing window at ${path} answered something that is not JSON`, 3));
      }
    });
  });
}

/** A file the tool named (the block, the hash): a missing or unreadable one is bad use, said plainly. */
export function readNamed(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new HelperError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
  }
}

/** The SHA-256 of the SubjectPublicKeyInfo of the key in a PEM file (public key, certificate or private key). */
export function keySpkiSha256(file: string): string {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new HelperError(`cannot read KEY_PATH ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
  }
  try {
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(der).digest('hex');
  } catch {
    throw new HelperError(`KEY_PATH ${file} holds no key (a PEM public key, certificate or private key)`, 2);
  }
}

/** The command line of the process that started this helper (Linux /proc), for the journal. */
export function callerCommand(): string[] {
  try {
    return readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(0, 256).map((a) => a.slice(0, 4096));
  } catch {
    return [];
  }
}

/** Runs a helper's body: its failures printed as `<name>: <message>` with their exit code, never a stack. */
export async function runHelper(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const e = err instanceof HelperError ? err : new HelperError(err instanceof Error ? err.message.split('\n')[0] : String(err), 1);
    process.stderr.write(`${name}: ${e.message}\n`);
    process.exitCode = e.exitCode;
  }
}
