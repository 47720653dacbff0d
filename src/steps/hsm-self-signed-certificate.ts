// hsm.self-signed-certificate: makes the authority's root certificate with @peculiar/x509, the signature
// computed inside the HSM by the generated key (never outside). The certificate is journaled in the
// operation's result, so a resume writes the same certificate instead of signing a second, different one.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import type { HsmSession } from '../engine/ports.js';
import type { StepHandler } from './step.types.js';

/** A WebCrypto facade whose sign() runs in the HSM; everything else is node's WebCrypto (hashing only). */
function hsmCrypto(session: HsmSession, key: { label: string; id: string }): Crypto {
  const subtle = {
    digest: webcrypto.subtle.digest.bind(webcrypto.subtle),
    sign: async (_alg: unknown, _key: unknown, data: BufferSource) => {
      const bytes = Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as ArrayBufferView).buffer, (data as ArrayBufferView).byteOffset, (data as ArrayBufferView).byteLength));
      const sig = session.sign(key, bytes);
      return sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength);
    },
  };
  return { subtle, getRandomValues: webcrypto.getRandomValues.bind(webcrypto) } as unknown as Crypto;
}

function signingAlgorithm(algorithm: string): { name: string; hash: string; namedCurve?: string } {
  if (algorithm.startsWith('RSA')) return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return { name: 'ECDSA', hash: 'SHA-256', namedCurve: algorithm === 'EC-P384' ? 'P-384' : 'P-256' };
}

export function dnString(dn: { CN: string; O?: string; OU?: string; C?: string }): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [['C', dn.C], ['O', dn.O], ['OU', dn.OU], ['CN', dn.CN]]
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${esc(v!)}`)
    .join(', ');
}

export const hsmSelfSignedCertificate: StepHandler<'hsm.self-signed-certificate'> = {
  kind: 'hsm.self-signed-certificate',
  usesHsm: true,
  async run(ctx) {
    const { key: label, subject, validity_days, path_length } = ctx.step.params;
    const key = ctx.generatedKey(label);
    if (!key) throw new OfficiantError('ceremony.step-failed', `key "${label}" has no generation record in the journal`);
    const session = await ctx.session();
    const serial = session.random(16);
    serial[0] &= 0x7f;
    if (serial[0] === 0) serial[0] = 0x01;
    const cert = await ctx.effect('hsm.sign-certificate', { key: label, subject: dnString(subject), serial: serial.toString('hex') }, {
      run: async () => {
        const spki = Buffer.from(key.spkiPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        const crypto = hsmCrypto(session, { label, id: key.id });
        const publicKey = new x509.PublicKey(spki);
        const notBefore = new Date();
        notBefore.setUTCMilliseconds(0);
        const notAfter = new Date(notBefore.getTime() + validity_days * 86_400_000);
        const alg = signingAlgorithm(key.algorithm);
        const c = await x509.X509CertificateGenerator.create(
          {
            serialNumber: serial.toString('hex'),
            subject: dnString(subject),
            issuer: dnString(subject),
            notBefore,
            notAfter,
            publicKey: spki,
            signingKey: { algorithm: alg, type: 'private', extractable: false, usages: ['sign'] } as unknown as CryptoKey,
            signingAlgorithm: alg,
            extensions: [
              new x509.BasicConstraintsExtension(true, path_length, true),
              new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
              await x509.SubjectKeyIdentifierExtension.create(publicKey, false, webcrypto as unknown as Crypto),
            ],
          },
          crypto,
        );
        if (!(await c.verify({ publicKey: c.publicKey, signatureOnly: true }, webcrypto as unknown as Crypto))) {
          throw new OfficiantError('ceremony.step-failed', `the HSM's signature on the certificate for "${label}" does not verify`);
        }
        const der = Buffer.from(c.rawData);
        return {
          pem: c.toString('pem'),
          sha256: createHash('sha256').update(der).digest('hex'),
          serial: c.serialNumber,
          notBefore: c.notBefore.toISOString(),
          notAfter: c.notAfter.toISOString(),
          subject: c.subject,
        };
      },
    }, ctx.people(ctx.step.perform)[0]);
    ctx.setToken(session.token());
    ctx.result('Subject', cert.subject);
    ctx.result('Serial', cert.serial);
    ctx.result('Valid', `${cert.notBefore} to ${cert.notAfter}`);
    ctx.result('Certificate SHA-256', cert.sha256);
    ctx.result('Subject public key SHA-256', key.spkiSha256);
    await ctx.writeOutput(`outputs/${label}.cert.pem`, `${cert.pem}\n`);
  },
};
