// Certificates made with @peculiar/x509 whose signature comes from the HSM port (here a token of node:crypto
// keys): node:crypto and @peculiar/x509 both verify them, their extensions say what the caller asked, and a
// token that signs with another key is caught before the certificate is returned.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { createHash, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { certificateSerial, dnString, hsmCertificate, selfSignedCertificate } from '../../../../src/steps/shared/x509-in-hsm.js';
import { keyRecordJson } from '../../../../src/steps/hsm-generate-key.js';
import type { KeyAlgorithm } from '../../../../src/script/schema.js';
import { FakeHsmSession } from '../fakes/fake-hsm.js';

const crypto = webcrypto as unknown as Crypto;

function keyOn(session: FakeHsmSession, label: string, algorithm: KeyAlgorithm) {
  return keyRecordJson(session.generateKeyPair({ label, id: createHash('sha256').update(label).digest('hex').slice(0, 16), algorithm }), label);
}

describe('dnString', () => {
  it.each([
    [{ CN: 'Root' }, 'CN=Root'],
    [{ CN: 'Root', O: 'Example', OU: 'Keys', C: 'NL' }, 'C=NL, O=Example, OU=Keys, CN=Root'],
    [{ CN: 'a,b+c"d\\e<f>g;h=i' }, 'CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i'],
  ])('%j', (dn, text) => {
    expect(dnString(dn)).toBe(text);
  });

  it('round-trips through @peculiar/x509 with the special characters intact', () => {
    const name = new x509.Name(dnString({ CN: 'Smith, J. + Co', O: 'A;B' }));
    expect(name.getField('CN')).toEqual(['Smith, J. + Co']);
    expect(name.getField('O')).toEqual(['A;B']);
  });
});

describe('certificateSerial', () => {
  it('a serial is 16 bytes, positive and not zero-led', () => {
    const session = new FakeHsmSession();
    session.random = () => Buffer.alloc(16, 0x80);
    expect(certificateSerial(session).toString('hex')).toBe(`01${'80'.repeat(15)}`);
    session.random = () => Buffer.alloc(16, 0xff);
    expect(certificateSerial(session)[0]).toBe(0x7f);
  });
});

describe('selfSignedCertificate', () => {
  it.each<[KeyAlgorithm, string]>([
    ['EC-P256', 'SHA-256'],
    ['EC-P384', 'SHA-384'],
    ['RSA-3072', 'SHA-256'],
  ])('%s: signed in the HSM with %s, verified by node:crypto and @peculiar/x509', async (algorithm, hash) => {
    const session = new FakeHsmSession();
    const key = keyOn(session, 'root', algorithm);
    const serial = certificateSerial(session);
    const rec = await selfSignedCertificate(session, key, { subject: dnString({ CN: 'Unit Root', O: 'Example' }), serial, validityDays: 30, ca: true, pathLength: 1 });
    expect(session.signed).toEqual([{ label: 'root', hash }]);
    const node = new X509Certificate(rec.pem);
    expect(node.verify(node.publicKey)).toBe(true);
    expect(node.checkIssued(node)).toBe(true);
    expect(node.ca).toBe(true);
    expect(node.publicKey.export({ type: 'spki', format: 'pem' })).toBe(key.spkiPem);
    expect(rec.sha256).toBe(node.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(rec.serial).toBe(serial.toString('hex'));
    expect(rec.subject).toBe('O=Example, CN=Unit Root');
    expect(new Date(rec.notAfter).getTime() - new Date(rec.notBefore).getTime()).toBe(30 * 86_400_000);
    const cert = new x509.X509Certificate(rec.pem);
    expect(await cert.verify({ signatureOnly: true }, crypto)).toBe(true);
    const bc = cert.getExtension(x509.BasicConstraintsExtension)!;
    expect([bc.ca, bc.pathLength, bc.critical]).toEqual([true, 1, true]);
    expect(cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)).toBeNull();
  });

  it('refuses a certificate the token signed with another key', async () => {
    const session = new FakeHsmSession();
    const key = keyOn(session, 'root', 'EC-P256');
    session.signWith = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expect(selfSignedCertificate(session, key, { subject: 'CN=Unit Root', serial: certificateSerial(session), validityDays: 1, ca: true })).rejects.toThrow(
      'the HSM\'s signature by "root" on the certificate for CN=Unit Root does not verify',
    );
  });
});

describe('hsmCertificate issuing for another key', () => {
  it('an officer certificate chains to the CA, with its EKU and no CA rights', async () => {
    const session = new FakeHsmSession();
    const ca = keyOn(session, 'enroll-ca', 'EC-P256');
    const caRec = await selfSignedCertificate(session, ca, { subject: 'CN=Enrollment CA', serial: certificateSerial(session), validityDays: 10, ca: true });
    const officer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rec = await hsmCertificate(session, ca, {
      subject: 'CN=Officer One',
      issuer: caRec.subject,
      subjectSpki: officer.publicKey.export({ type: 'spki', format: 'der' }),
      serial: certificateSerial(session),
      validityDays: 10,
      ca: false,
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'],
    });
    const node = new X509Certificate(rec.pem);
    const caCert = new X509Certificate(caRec.pem);
    expect(node.checkIssued(caCert)).toBe(true);
    expect(node.verify(caCert.publicKey)).toBe(true);
    expect(node.ca).toBe(false);
    const cert = new x509.X509Certificate(rec.pem);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)).not.toBeNull();
  });
});
