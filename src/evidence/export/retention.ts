// The retention date of a ceremony's records (CA/B Forum BR 5.4.3), from the certificates in its outputs.
import { X509Certificate } from 'node:crypto';

const RETENTION_YEARS = 2;
export const RETENTION_UNKNOWN = 'unknown (no key expiry recorded)';

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Records are kept RETENTION_YEARS after the key is destroyed or its last certificate expires. No step kind
 * destroys a key yet, so the latest notAfter of the packet's certificates (outputs/*.cert.pem, the evidence
 * key's included: the records must stay checkable as long as any key they speak of lives) decides.
 */
export function retentionOf(files: ReadonlyMap<string, Buffer>): { retainUntil: string; basis: string; file?: string } {
  let latest: { notAfter: Date; file: string } | undefined;
  for (const [path, bytes] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!/^outputs\/[^/]+\.cert\.pem$/.test(path)) continue;
    for (const pem of pemBlocks(bytes.toString('utf8'))) {
      let notAfter: Date;
      try {
        notAfter = new Date(new X509Certificate(pem).validTo);
      } catch {
        continue;
      }
      if (Number.isNaN(notAfter.getTime())) continue;
      if (!latest || notAfter > latest.notAfter) latest = { notAfter, file: path };
    }
  }
  if (!latest) return { retainUntil: RETENTION_UNKNOWN, basis: 'no certificate in outputs/*.cert.pem and no key destruction recorded' };
  const until = new Date(latest.notAfter);
  until.setUTCFullYear(until.getUTCFullYear() + RETENTION_YEARS);
  return {
    retainUntil: until.toISOString(),
    basis: `${latest.file}: notAfter ${latest.notAfter.toISOString()} + ${RETENTION_YEARS} years`,
    file: latest.file,
  };
}
