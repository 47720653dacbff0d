// officiant verify <dir> [--trust <cert.pem|sha256>] [--json]: reads every file of a packet directory (nothing
// skipped, so a stray file is seen), hands them to verifyPacket, prints one line per check group, the notes,
// and a last line starting with `verified` or `FAILED`. Exit 0 all hold, 1 any fails, 2 not a packet.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { normalizeFingerprint, verifyPacket, type PacketTrust } from '../../evidence/verify-packet.js';

export interface VerifyFlags {
  trust?: string;
  json?: boolean;
}

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
      isDir = statSync(abs).isDirectory();
    } catch (err) {
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

function readTrust(value: string | undefined): PacketTrust | undefined {
  if (value === undefined) return undefined;
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
  if (normalizeFingerprint(value)) return { sha256: value };
  throw new OfficiantError('input.not-a-ceremony', `--trust ${value}: neither a certificate file nor a SHA-256 fingerprint (64 hex digits)`);
}

export function verifyCommand(dir: string, flags: VerifyFlags, print: (l: string) => void): number {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw unreadable(dir, err);
  }
  if (!isDir) throw new OfficiantError('input.not-a-ceremony', `${dir} is not a directory`);
  const trust = readTrust(flags.trust);
  const files = readTree(dir);
  if (!files.has('journal.jsonl') && !files.has('manifest.json')) {
    throw new OfficiantError('input.not-a-ceremony', `${dir} is not an evidence packet: no journal.jsonl and no manifest.json`);
  }
  const report = verifyPacket(files, { trust });
  if (flags.json) {
    print(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  }
  for (const g of report.groups) {
    if (g.ok) {
      print(`ok   ${g.name}`);
      continue;
    }
    print(`FAIL ${g.name}: ${g.problems[0]}`);
    for (const p of g.problems.slice(1)) print(`       ${p}`);
  }
  for (const g of report.groups) for (const n of g.notes) print(`note: ${n}`);
  const problems = report.groups.reduce((n, g) => n + g.problems.length, 0);
  if (report.ok) {
    print(`verified: ${files.size} files, evidence key ${report.evidenceKeySha256}${report.rehearsal ? ' (rehearsal)' : ''}`);
    return 0;
  }
  print(`FAILED: ${problems} problem(s)`);
  return 1;
}
