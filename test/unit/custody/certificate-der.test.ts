// Reading a certificate's issuer, serial and extensions from its DER: the same bytes @peculiar/x509 gives for a
// certificate it made (a custom extension, with and without the version field's neighbours), undefined for an
// absent extension, and an Error (never a crash) for anything that is not a certificate.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { readCertificateDer } from '../../../src/custody/certificate-der.js';
import { FUZZ_RUNS, FUZZ_SEED, rng } from '../../helpers/fuzz.js';

x509.cryptoProvider.set(webcrypto as Crypto);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
const OID = '1.3.6.1.4.1.41482.3.7';
const cert = await x509.X509CertificateGenerator.createSelfSigned({
  serialNumber: '00c0ffee01',
  name: 'CN=Certificate DER test, O=Example',
  notBefore: new Date('2026-01-01'),
  notAfter: new Date('2027-01-01'),
  keys,
  signingAlgorithm: alg,
  extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.Extension(OID, false, new Uint8Array([0x02, 0x03, 0x01, 0x00, 0x01]))],
});
const der = new Uint8Array(cert.rawData);

describe('readCertificateDer', () => {
  it('gives the issuer and serial DER and an extension value as @peculiar/x509 reads them', () => {
    const c = readCertificateDer(der);
    expect(Buffer.from(c.issuerDer)).toEqual(Buffer.from(cert.issuerName.toArrayBuffer()));
    expect(Buffer.from(c.serialDer).toString('hex')).toBe('020500c0ffee01');
    expect(Buffer.from(c.extension(OID)!)).toEqual(Buffer.from(cert.getExtension(OID)!.value));
    expect(Buffer.from(c.extension('2.5.29.19')!)).toEqual(Buffer.from(cert.getExtension('2.5.29.19')!.value));
    expect(c.extension('1.2.3.4')).toBeUndefined();
  });

  it.each([
    ['empty', new Uint8Array()],
    ['trailing bytes', new Uint8Array([...der, 0])],
    ['a bare INTEGER', new Uint8Array([0x02, 0x01, 0x05])],
    ['a truncated certificate', der.subarray(0, 100)],
  ])('throws an Error for %s', (_, bytes) => {
    expect(() => readCertificateDer(bytes)).toThrow(Error);
  });

  it('never crashes on mutated certificates (bytes flipped, cut, doubled): a reading or an Error', () => {
    const odd: string[] = [];
    for (let run = 0; run < FUZZ_RUNS; run++) {
      const r = rng(FUZZ_SEED * 7_919 + run);
      const bytes = Buffer.from(der);
      const at = Math.floor(r() * bytes.length);
      const mutated = r() < 0.6 ? (bytes[at] ^= 1 << Math.floor(r() * 8), bytes) : r() < 0.5 ? bytes.subarray(0, at) : Buffer.concat([bytes.subarray(0, at), bytes.subarray(at - Math.min(at, 40))]);
      try {
        const c = readCertificateDer(bytes);
        c.extension(OID);
      } catch (err) {
        if (!(err instanceof Error)) odd.push(`run ${run}: threw ${String(err)}`);
      }
    }
    expect(odd).toEqual([]);
  });
});
