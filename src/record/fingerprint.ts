// One fingerprint format for certificates and keys, wherever people read or type one (screen, pages, verify,
// restore prompts, --trust): the SHA-256 of the DER encoding (the certificate, or the public key's
// SubjectPublicKeyInfo), as 64 lowercase hex digits. Whatever people type is read leniently (colons, spaces,
// either case), as openssl and browsers print it.
import { createHash } from 'node:crypto';

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Hex fingerprint as people write it (colons, spaces, case) -> 64 lowercase hex digits, or undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** A hex value as people read it aloud and copy it: groups of four ("1a2b 3c4d ..."). */
export function inFours(hex: string): string {
  return hex.replace(/(.{4})(?=.)/g, '$1 ');
}
