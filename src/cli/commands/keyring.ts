// officiant keyring export --roster <file> --out <file> [--production] [--previous <roster-file>...]
// [--attestation-root <cert.pem|sha256>...]: reads roster.json, verifies it, and writes the keyring envelope
// exactly as the officers signed it. Without --previous a roster is checked on its own signatures, which only a
// first roster (signed by every officer it lists) can pass; a later one needs the chain of previous rosters
// from version 1, in order. A roster that does not verify is bad input (exit 2): every problem listed, nothing
// written. A roster file that cannot be read is env.roster (exit 3). An existing --out is refused first.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { OfficiantError } from '../../errors.js';
import { verifyRosterFile, type RosterVerification, type RosterVerifyOptions } from '../../custody/roster.js';
import type { RosterBody, RosterFile } from '../../custody/roster.types.js';
import { normalizeFingerprint } from '../../evidence/verify-packet.js';
import { readTrust } from '../read-packet.js';
import { writeNewFile } from '../write-new-file.js';

export interface KeyringExportFlags {
  roster: string;
  out: string;
  production?: boolean;
  previous?: string[];
  attestationRoot?: string[];
}

export function keyringExportCommand(flags: KeyringExportFlags, print: (l: string) => void, printErr: (l: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  if (existsSync(flags.out)) throw new OfficiantError('input.file-exists', `${flags.out} already exists`);
  const trustedAttestationRoots: string[] = [];
  for (const value of flags.attestationRoot ?? []) {
    const sha = rootFingerprint(value);
    if (sha === undefined) {
      printErr(`officiant: --attestation-root ${value}: neither a certificate file nor a SHA-256 fingerprint (64 hex digits)`);
      return 2;
    }
    trustedAttestationRoots.push(sha);
  }
  const production = flags.production === true;

  // The chain: each previous roster verified against the one before it, starting from a version 1 roster.
  let previous: { body: RosterBody; sha256: string } | undefined;
  for (const path of flags.previous ?? []) {
    const r = verifyRosterText(path, { previous, production, trustedAttestationRoots });
    if (!r.ok || !r.roster || !r.rosterSha256) return refuse(path, r, printErr, 'previous roster');
    print(`previous roster ${path}: version ${r.roster.version}, sha256 ${r.rosterSha256}`);
    previous = { body: r.roster, sha256: r.rosterSha256 };
  }

  const result = verifyRosterText(flags.roster, { previous, production, trustedAttestationRoots });
  if (!result.ok || !result.roster || !result.keyring || !result.file) return refuse(flags.roster, result, printErr, 'roster');
  const roster = result.roster;
  // Verified: the envelope is written exactly as signed, so every signature in it still checks.
  const envelope = result.file.keyring;
  writeNewFile(flags.out, Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8'));

  const signers = [...new Set(envelope.signatures.map((s) => s.officer))];
  print(`roster ${flags.roster}: version ${roster.version}, ${roster.authority} authority, sha256 ${result.rosterSha256}`);
  if (!previous) print(`trust: roster version ${roster.version} checked on its own signatures; compare its sha256 with your enrollment record`);
  print(`keyring: ${result.keyring.keys.length} key(s), signed by ${signers.join(', ')}`);
  for (const k of result.keyring.keys) print(`  ${k.officer}  device ${k.device_serial}  spki sha256 ${k.spki_sha256}`);
  const threshold = result.keyring.manifest_threshold;
  print(threshold !== undefined ? `manifest threshold: ${threshold} distinct keys` : 'manifest threshold: none (signed before keyrings carried one): manifest verify refuses this keyring until a roster ceremony signs a new one');
  print(`keyring sha256 ${envelope.payload_sha256}: what devices pin (officiant manifest verify --keyring-sha256)`);
  for (const n of result.notes) print(`note: ${n}`);
  if (roster.rehearsal) print('rehearsal only: simulated devices; this keyring is not valid in production');
  print(`wrote ${flags.out}`);
  return 0;
}

function refuse(path: string, r: RosterVerification, printErr: (l: string) => void, what: string): number {
  printErr(`officiant: ${what} ${path} does not verify: ${r.problems.length} problem(s)`);
  for (const p of r.problems) printErr(`  ${p}`);
  for (const n of r.notes) printErr(`  note: ${n}`);
  printErr('hint: nothing was written; a roster is valid only as its officers signed it');
  return 2;
}

/** Reads and verifies a roster file. A file that cannot be read is env.roster; one that is not JSON is a problem. */
function verifyRosterText(path: string, opts: RosterVerifyOptions): RosterVerification & { file?: RosterFile } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : code;
    throw new OfficiantError('env.roster', `cannot read roster ${path}: ${why}`, { cause: err });
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    return { ok: false, problems: ['roster file is not JSON'], notes: [] };
  }
  const result = verifyRosterFile(file, opts);
  return result.ok ? { ...result, file: file as RosterFile } : result;
}

/** A SHA-256 fingerprint when it reads as one, else a certificate file (as --trust reads it); undefined when neither. */
function rootFingerprint(value: string): string | undefined {
  try {
    const trust = readTrust(value)!;
    return trust.certificatePem !== undefined ? createHash('sha256').update(new X509Certificate(trust.certificatePem).raw).digest('hex') : normalizeFingerprint(trust.sha256 ?? '');
  } catch {
    return undefined;
  }
}
