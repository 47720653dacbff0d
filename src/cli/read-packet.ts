// Reading an evidence packet directory for the commands that hand it to the pure auditor logic (verify,
// export): every file under the directory by packet-relative path, nothing skipped, so a stray file is seen.
// A directory that is missing, unreadable or holds neither journal.jsonl nor manifest.json is bad input (2).
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OfficiantError } from '../errors.js';
import { normalizeFingerprint, type PacketPins, type PacketTrust } from '../evidence/verify-packet.js';
import { JOURNAL, MANIFEST } from '../evidence/packet-files.js';
import { pemCertificateDer } from '../evidence/verify/evidence-certificate.js';
import { sha256Hex } from '../record/digest.js';

function unreadable(path: string, err: unknown): OfficiantError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'unknown';
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
  return new OfficiantError('input.not-a-ceremony', `cannot read ${path}: ${why}`, { cause: err });
}

/** Every file under `root`, by packet-relative path with '/' separators. */
function readTree(root: string, rel = '', into = new Map<string, Buffer>()): Map<string, Buffer> {
  const dir = rel === '' ? root : join(root, rel);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw unreadable(dir, err);
  }
  for (const name of names) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, path);
    let isDir: boolean;
    try {
      // lstat: a packet holds plain files and folders only; a link or a FIFO is refused, never followed or read.
      const st = lstatSync(abs);
      if (!st.isDirectory() && !st.isFile()) throw new OfficiantError('input.not-a-ceremony', `${abs}: not a regular file or folder (a link, FIFO or device has no place in a packet)`);
      isDir = st.isDirectory();
    } catch (err) {
      if (err instanceof OfficiantError) throw err;
      throw unreadable(abs, err);
    }
    if (isDir) {
      readTree(root, path, into);
      continue;
    }
    try {
      into.set(path, readFileSync(abs));
    } catch (err) {
      throw unreadable(abs, err);
    }
  }
  return into;
}

/** The packet in `dir`: every file by packet-relative path. Throws input.not-a-ceremony when it is none. */
export function readPacketDir(dir: string): Map<string, Buffer> {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw unreadable(dir, err);
  }
  if (!isDir) throw new OfficiantError('input.not-a-ceremony', `${dir} is not a directory`);
  const files = readTree(dir);
  if (!files.has(JOURNAL) && !files.has(MANIFEST)) {
    throw new OfficiantError('input.not-a-ceremony', `${dir} is not an evidence packet: no journal.jsonl and no manifest.json`);
  }
  return files;
}

/**
 * --trust <cert.pem|sha256>: a SHA-256 fingerprint when the value reads as one, else a certificate file. The
 * fingerprint goes first: a file named like the fingerprint people pin, planted where they run verify (beside a
 * bundle or packet someone else can write to), must never replace what they typed with a certificate of its own.
 */
export function readTrust(value: string | undefined): PacketTrust | undefined {
  if (value === undefined) return undefined;
  if (normalizeFingerprint(value)) return { sha256: value };
  let isFile = false;
  try {
    isFile = statSync(value).isFile();
  } catch {
    isFile = false;
  }
  if (isFile) {
    try {
      return { certificatePem: readFileSync(value, 'utf8') };
    } catch (err) {
      throw unreadable(value, err);
    }
  }
  throw new OfficiantError('input.not-a-ceremony', `--trust ${value}: neither a certificate file nor a SHA-256 fingerprint (64 hex digits)`);
}

/** --roster: a roster file (JSON, any version of the ceremony's roster chain) or a roster SHA-256. */
export function readRosterPin(value: string | undefined): PacketPins['roster'] {
  if (value === undefined) return undefined;
  if (normalizeFingerprint(value)) return { sha256: value };
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    throw unreadable(value, err);
  }
  try {
    return { file: JSON.parse(text) as unknown };
  } catch {
    throw new OfficiantError('input.not-a-ceremony', `--roster ${value}: neither a roster file (JSON) nor a roster SHA-256 (64 hex digits)`);
  }
}

/**
 * The evidence keys an exporter trusts: each --trust (a certificate file or a SHA-256 fingerprint) and every
 * line of a --trust-file (a fingerprint, optionally followed by a comment; blank lines and # comments skipped).
 */
export function readTrustSet(values: readonly string[], file: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    const t = readTrust(v)!;
    const der = t.certificatePem !== undefined ? pemCertificateDer(t.certificatePem) : undefined;
    if (t.certificatePem !== undefined && !der) throw new OfficiantError('input.not-a-ceremony', `--trust ${v}: not a PEM certificate`);
    out.add(der ? sha256Hex(der) : normalizeFingerprint(t.sha256!)!);
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw unreadable(file, err);
    }
    text.split('\n').forEach((line, i) => {
      const word = line.replace(/#.*/, '').trim().split(/\s+/)[0];
      if (!word) return;
      const fp = normalizeFingerprint(word);
      if (!fp) throw new OfficiantError('input.not-a-ceremony', `--trust-file ${file}: line ${i + 1}: not a SHA-256 fingerprint (64 hex digits)`);
      out.add(fp);
    });
  }
  return out;
}
