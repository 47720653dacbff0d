// DER assembly for the simulated attestation chain. @peculiar/x509 encodes names and extensions; its
// certificate generator signs through async WebCrypto, and the PIV port is synchronous (the f9 key signs
// through PKCS#11), so the envelope is built here. Contract: buildCertificate makes an X.509 v3 certificate
// signed ecdsa-with-SHA256 by whatever `sign` is (a node:crypto key or a key inside a token).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, randomBytes, sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

function derInteger(value: Buffer): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  let v = value.subarray(i);
  if (v.length === 0) v = Buffer.from([0]);
  if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return der(0x02, v);
}

export function derUnsigned(n: bigint): Buffer {
  const hex = n.toString(16);
  return derInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

function derTime(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii')) : der(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

const ECDSA_WITH_SHA256 = der(0x30, der(0x06, Buffer.from('2a8648ce3d040302', 'hex')));

export interface CertificateSpec {
  serial: Buffer;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
}

function tbsCertificate(spec: CertificateSpec): Buffer {
  const parts = [
    der(0xa0, derInteger(Buffer.from([2]))),
    derInteger(spec.serial),
    ECDSA_WITH_SHA256,
    spec.issuer,
    der(0x30, derTime(spec.notBefore), derTime(spec.notAfter)),
    spec.subject,
    spec.spki,
  ];
  if (spec.extensions.length > 0) parts.push(der(0xa3, der(0x30, ...spec.extensions)));
  return der(0x30, ...parts);
}

/** Signs the TBS with `sign` (which returns a DER ECDSA-Sig-Value over SHA-256 of its input). */
export function buildCertificate(spec: CertificateSpec, sign: (tbs: Buffer) => Buffer): Buffer {
  const tbs = tbsCertificate(spec);
  return der(0x30, tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0]), sign(tbs)));
}

export function nameDer(dn: string): Buffer {
  return Buffer.from(new x509.Name(dn).toArrayBuffer());
}

export function ext(e: x509.Extension): Buffer {
  return Buffer.from(e.rawData);
}

export function keyId(spki: Buffer): string {
  return createHash('sha1').update(spki).digest('hex');
}

export function certificateSerial(): Buffer {
  const s = randomBytes(16);
  s[0] &= 0x7f;
  if (s[0] === 0) s[0] = 0x01;
  return s;
}

export function spkiOfCertificate(certDer: Buffer): Buffer {
  return new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
}

export function pem(derBytes: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${derBytes.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

export function firmwareBytes(firmware: string): Buffer {
  return Buffer.from(firmware.split('.').map(Number));
}

export function signWithKey(key: KeyObject): (tbs: Buffer) => Buffer {
  return (tbs) => nodeSign('sha256', tbs, key);
}
