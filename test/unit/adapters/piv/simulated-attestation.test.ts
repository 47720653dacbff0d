// The simulated attestation chain, built in memory with node:crypto keys: a certificate the DER builder makes
// is one node:crypto parses and verifies; a slot attestation made as a simulated device makes it passes the
// auditor's check in custody/piv-attestation.ts under the sandbox CA and fails it under another root; the
// placeholder certificate is recognised as "no certificate" for its own slot only.
import { createPublicKey, generateKeyPairSync, sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attestationProblems, attestedPinPolicy, attestedSerial, toPem } from '../../../../src/custody/piv-attestation.js';
import { subjectDer } from '../../../../src/adapters/piv/piv-objects.js';
import {
  deviceAttestationCertificate,
  placeholderCertificate,
  SIMULATED_ATTESTATION_CA_SUBJECT,
  slotAttestation,
  type AttestationCa,
} from '../../../../src/adapters/piv/simulated-attestation.js';
import { buildCertificate, certificateSerial, nameDer, signWithKey } from '../../../../src/adapters/piv/simulated-certificates.js';
import type { SimulatedDeviceRecord } from '../../../../src/adapters/piv/simulated-fleet-file.js';
import { isYkcs11Placeholder } from '../../../../src/adapters/piv/ykcs11-layout.js';

function p256(): { privateKey: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

function selfSigned(dn: string, notAfter = new Date(Date.UTC(2040, 0, 1))): { der: Buffer; privateKey: KeyObject } {
  const { privateKey, spki } = p256();
  const name = nameDer(dn);
  const der = buildCertificate({ serial: certificateSerial(), issuer: name, subject: name, notBefore: new Date(Date.UTC(2024, 0, 1)), notAfter, spki, extensions: [] }, signWithKey(privateKey));
  return { der, privateKey };
}

function record(serial: string): SimulatedDeviceRecord {
  return { serial, model: 'YubiKey 5 NFC', firmware: '5.4.3', formFactor: 1, inserted: true, pinTriesLeft: 3, pukTriesLeft: 3, puk: { salt: '', hash: '' }, createdAt: '' };
}

describe('the DER certificate builder', () => {
  it.each([
    { label: 'UTCTime', notAfter: new Date(Date.UTC(2040, 5, 30, 12, 0, 0)) },
    { label: 'GeneralizedTime from 2050', notAfter: new Date(Date.UTC(2051, 0, 2, 3, 4, 5)) },
  ])('makes a certificate node:crypto parses and verifies ($label)', ({ notAfter }) => {
    const { der, privateKey } = selfSigned('CN=Test Root', notAfter);
    const c = new X509Certificate(der);
    expect(c.subject).toBe('CN=Test Root');
    expect(c.issuer).toBe('CN=Test Root');
    expect(new Date(c.validTo).getTime()).toBe(notAfter.getTime());
    expect(c.verify(c.publicKey)).toBe(true);
    expect(c.verify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toBe(false);
    expect(c.publicKey.export({ type: 'spki', format: 'der' }).equals(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }))).toBe(true);
    // CKA_SUBJECT as a simulated device stores it: the subject Name's DER, exactly.
    expect(subjectDer(c).equals(nameDer('CN=Test Root'))).toBe(true);
  });
});

describe('the simulated attestation chain', () => {
  const caKeys = selfSigned(SIMULATED_ATTESTATION_CA_SUBJECT);
  const ca: AttestationCa = { certificate: caKeys.der, key: caKeys.privateKey };
  const f9 = p256();
  const device = deviceAttestationCertificate('10000042', f9.spki, ca);
  const slotKey = p256();
  const attest = (slot: '9a' | '9c' | '9e') =>
    slotAttestation(record('10000042'), slot, slotKey.spki, device.certificate, (tbs) => nodeSign('sha256', tbs, f9.privateKey));

  it('issues the f9 certificate from the sandbox CA with the subject the token stores', () => {
    const c = new X509Certificate(device.certificate);
    expect(c.subject).toBe('CN=Officiant SIMULATED PIV Attestation 10000042');
    expect(c.checkIssued(new X509Certificate(ca.certificate))).toBe(true);
    expect(c.verify(new X509Certificate(ca.certificate).publicKey)).toBe(true);
    expect(subjectDer(c).equals(device.subject)).toBe(true);
  });

  it('makes a slot attestation the auditor accepts under the sandbox CA, naming the serial and the slot policy', () => {
    const a = attest('9c');
    expect(new X509Certificate(a).subject).toBe('CN=YubiKey PIV Attestation 9c');
    expect(attestationProblems({ slot: '9c', attestation: a, device: device.certificate, roots: [toPem(ca.certificate)], serial: '10000042', spki: slotKey.spki })).toEqual([]);
    expect(attestedSerial(a)).toBe('10000042');
    expect(attestedPinPolicy(a)).toBe(3);
  });

  it('does not chain to another root, nor vouch for another key or serial', () => {
    const a = attest('9a');
    const other = selfSigned('CN=Another Root');
    expect(attestationProblems({ slot: '9a', attestation: a, device: device.certificate, roots: [toPem(other.der)], serial: '10000043', spki: p256().spki })).toEqual([
      'slot 9a of device 10000043: the attestation is for another key than the one in the slot',
      'slot 9a of device 10000043: the device attestation certificate does not chain to a trusted attestation root',
      'slot 9a of device 10000043: the attestation names device serial 10000042',
    ]);
  });

  it('gives slot 9e the PIN policy "never" a YubiKey gives it, which the auditor refuses', () => {
    expect(attestedPinPolicy(attest('9e'))).toBe(1);
  });
});

describe('the ykcs11 placeholder certificate', () => {
  const { spki } = p256();
  const placeholder = placeholderCertificate('9c', spki);

  it('carries the slot key and reads as "no certificate" for its own slot only', () => {
    expect(new X509Certificate(placeholder).publicKey.export({ type: 'spki', format: 'der' }).equals(spki)).toBe(true);
    expect(isYkcs11Placeholder(placeholder, '9c')).toBe(true);
    expect(isYkcs11Placeholder(placeholder, '9a')).toBe(false);
  });

  it('does not mistake a real certificate or bytes that are none for it', () => {
    expect(isYkcs11Placeholder(selfSigned('CN=YubiKey PIV Slot 9c').der, '9c')).toBe(false);
    expect(isYkcs11Placeholder(Buffer.from('not a certificate'), '9c')).toBe(false);
  });
});
