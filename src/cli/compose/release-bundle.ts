// A release bundle a person names (`release verify <bundle>`), read from the local file system, and the authority
// they trust (--trust). Bad input (exit 2): no such directory, a directory holding none of a bundle's own files
// (request.json, authority.pem, release.json, release.json.sig), a --trust that is neither a certificate file
// nor a SHA-256 fingerprint. Anything wrong inside a bundle is the verifier's to report (exit 1).
import { readdirSync, statSync } from 'node:fs';
import { FsReleaseBundleReader } from '../../adapters/fs/fs-release-bundle-reader.js';
import { pemCertificate } from '../../custody/authority-certificate.js';
import { BUNDLE } from '../../custody/release-bundle.js';
import type { ReleaseBundleReader } from '../../custody/release-bundle-reader.types.js';
import type { ReleaseTrust } from '../../custody/verify-release-bundle.js';
import { OfficiantError } from '../../errors.js';
import { readTrust } from '../read-packet.js';

const why = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String(code ?? err);
};

export function openReleaseBundle(dir: string): ReleaseBundleReader {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new OfficiantError('input.not-a-bundle', `${dir} is not a directory: a release bundle is the directory the signing ceremony wrote`);
    names = readdirSync(dir);
  } catch (err) {
    if (err instanceof OfficiantError) throw err;
    throw new OfficiantError('input.not-a-bundle', `cannot read ${dir}: ${why(err)}`, { cause: err });
  }
  const own = [BUNDLE.request, BUNDLE.certificate, BUNDLE.statement, BUNDLE.statementSignature];
  if (!own.some((n) => names.includes(n))) throw new OfficiantError('input.not-a-bundle', `${dir} is not a release bundle: it holds none of ${own.join(', ')}`);
  return new FsReleaseBundleReader(dir);
}

/** --trust <cert.pem|sha256>: a SHA-256 fingerprint when it reads as one (cli/read-packet.ts readTrust), else a certificate file. */
export function readReleaseTrust(value: string): ReleaseTrust {
  const trust = readTrust(value)!;
  if (trust.certificatePem === undefined) return { sha256: trust.sha256! };
  if (!pemCertificate(trust.certificatePem, false)) throw new OfficiantError('input.not-a-ceremony', `--trust ${value}: not a PEM certificate (nor a SHA-256 fingerprint)`);
  return { certificatePem: trust.certificatePem };
}
