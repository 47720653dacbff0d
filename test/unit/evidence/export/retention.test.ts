// The retention date of a packet's records: the latest notAfter of the certificates in outputs/*.cert.pem plus
// two years, from real certificates (their notAfter is 2035-01-01).
import { describe, expect, it } from 'vitest';
import { retentionOf, RETENTION_UNKNOWN } from '../../../../src/evidence/export/retention.js';
import { createIssuer } from '../../../helpers/roster-fixture.js';

const root = await createIssuer('CN=Root');
const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

describe('retentionOf', () => {
  it.each<{ name: string; files: Record<string, string>; want: ReturnType<typeof retentionOf> }>([
    { name: 'no certificate', files: {}, want: { retainUntil: RETENTION_UNKNOWN, basis: 'no certificate in outputs/*.cert.pem and no key destruction recorded' } },
    { name: 'a certificate outside outputs/*.cert.pem', files: { 'outputs/root.pem': root.pem, 'outputs/sub/root.cert.pem': root.pem }, want: { retainUntil: RETENTION_UNKNOWN, basis: 'no certificate in outputs/*.cert.pem and no key destruction recorded' } },
    { name: 'an unreadable PEM block', files: { 'outputs/bad.cert.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, want: { retainUntil: RETENTION_UNKNOWN, basis: 'no certificate in outputs/*.cert.pem and no key destruction recorded' } },
    {
      name: 'one certificate',
      files: { 'outputs/root.cert.pem': root.pem },
      want: { retainUntil: '2037-01-01T00:00:00.000Z', basis: 'outputs/root.cert.pem: notAfter 2035-01-01T00:00:00.000Z + 2 years', file: 'outputs/root.cert.pem' },
    },
    {
      name: 'the first in path order among equals, past an unreadable block',
      files: { 'outputs/z.cert.pem': root.pem, 'outputs/a.cert.pem': `-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${root.pem}` },
      want: { retainUntil: '2037-01-01T00:00:00.000Z', basis: 'outputs/a.cert.pem: notAfter 2035-01-01T00:00:00.000Z + 2 years', file: 'outputs/a.cert.pem' },
    },
  ])('$name', ({ files: f, want }) => {
    expect(retentionOf(files(f))).toEqual(want);
  });
});
