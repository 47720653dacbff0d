// What `manifest verify` reads from the command line: the manifest, the keyring and the --previous manifest
// (each a regular file, no larger than a manifest or a keyring may be, and JSON at all), the keyring pin and the
// time. Bad input (exit 2, every problem listed): a file that cannot be read, is too large or is not JSON; a
// --keyring-sha256 that is not 64 hex digits; a --now that is not a time. Anything wrong inside a document is
// the checker's to report.
import { readFileSync, statSync } from 'node:fs';
import { KEYRING_MAX_BYTES } from '../custody/manifest-keyring.js';
import { MANIFEST_LIMITS } from '../custody/ota-manifest.js';
import { OfficiantError } from '../errors.js';
import { normalizeFingerprint } from '../record/fingerprint.js';

export interface ManifestInputFlags {
  keyring: string;
  keyringSha256?: string;
  previous?: string;
  now?: string;
}

export interface ManifestInputs {
  manifest: Buffer;
  keyring: { bytes: Buffer; sha256?: string };
  previous?: Buffer;
  now: Date;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const why = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : String(code ?? err);
};

export function readManifestInputs(path: string, flags: ManifestInputFlags): ManifestInputs {
  const problems: string[] = [];
  const read = (file: string, flag: string, what: 'manifest' | 'keyring'): Buffer | undefined => {
    const max = what === 'keyring' ? KEYRING_MAX_BYTES : MANIFEST_LIMITS.bytes;
    let bytes: Buffer;
    try {
      const st = statSync(file);
      if (!st.isFile()) return void problems.push(`${flag}${file}: not a regular file`);
      if (st.size > max) return void problems.push(`${flag}${file}: ${st.size} bytes, more than the ${max} a ${what} may have`);
      bytes = readFileSync(file);
    } catch (err) {
      return void problems.push(`${flag}${file}: cannot be read: ${why(err)}`);
    }
    try {
      JSON.parse(bytes.toString('utf8'));
    } catch {
      return void problems.push(`${flag}${file}: not JSON, so not ${what === 'keyring' ? 'a keyring' : 'an OTA manifest'}`);
    }
    return bytes;
  };
  const manifest = read(path, '', 'manifest');
  const keyring = read(flags.keyring, '--keyring ', 'keyring');
  const previous = flags.previous === undefined ? undefined : read(flags.previous, '--previous ', 'manifest');
  const sha256 = flags.keyringSha256 === undefined ? undefined : normalizeFingerprint(flags.keyringSha256);
  if (flags.keyringSha256 !== undefined && !sha256) problems.push(`--keyring-sha256 ${flags.keyringSha256}: not a SHA-256 (64 hex digits)`);
  const now = flags.now === undefined ? new Date() : new Date(TIME.test(flags.now) ? Date.parse(flags.now) : NaN);
  if (Number.isNaN(now.getTime())) problems.push(`--now ${flags.now}: not a time such as 2026-06-01T00:00:00Z`);
  if (problems.length > 0 || !manifest || !keyring) throw new OfficiantError('input.not-a-manifest', `cannot check the manifest: ${problems.length} problem(s)`, { details: problems.map((p) => `  ${p}`) });
  return { manifest, keyring: { bytes: keyring, ...(sha256 ? { sha256 } : {}) }, ...(previous ? { previous } : {}), now };
}
