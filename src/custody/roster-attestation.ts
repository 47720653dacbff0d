// Certificates and attestations of a roster: every slot key is certified by the enrollment CA and attested by
// its device, whose attestation certificate chains to one of the roster's attestation roots; the attested
// device serial is the officer's device.
import { readCertificateDer } from './certificate-der.js';
import { CLASS, TAG, content, is, readDer } from './der.js';
import { X509Certificate } from 'node:crypto';
import { YUBICO_OID } from './piv-attestation.js';
import { sha256, SLOTS, who } from './roster-common.js';
import type { RosterBody, RosterOfficer } from './roster.types.js';

/**
 * The certificates of a roster: the enrollment CA and attestation roots are what their recorded SHA-256 says,
 * and every officer's device attestation and slot keys chain as they must (checkOfficer).
 */
export function checkCertificates(roster: RosterBody, problems: string[], notes: string[]): void {
  const ca = parseCertificate(roster.enrollment_ca.pem);
  if (!ca) problems.push('enrollment_ca: not a certificate');
  else if (sha256(ca.raw) !== roster.enrollment_ca.sha256) problems.push('enrollment_ca: sha256 does not match the certificate');

  const roots: Array<{ cert: X509Certificate; simulated: boolean }> = [];
  roster.attestation_roots.forEach((r, i) => {
    const cert = parseCertificate(r.pem);
    if (!cert) return problems.push(`attestation root ${i + 1} "${r.subject}": not a certificate`);
    if (sha256(cert.raw) !== r.sha256) problems.push(`attestation root ${i + 1} "${r.subject}": sha256 does not match the certificate`);
    roots.push({ cert, simulated: r.simulated });
  });

  for (const o of roster.officers) checkOfficer(o, ca, roots, problems, notes);
}

function checkOfficer(o: RosterOfficer, ca: X509Certificate | undefined, roots: Array<{ cert: X509Certificate; simulated: boolean }>, problems: string[], notes: string[]): void {
  const device = parseCertificate(o.device.attestation_certificate);
  if (!device) problems.push(`officer ${who(o)}: device attestation certificate is not a certificate`);
  else {
    const root = roots.find((r) => issuedBy(device, r.cert));
    if (!root) problems.push(`officer ${who(o)}: device attestation certificate is not issued by any attestation root of the roster`);
    else if (root.simulated && !o.device.simulated) problems.push(`officer ${who(o)}: device attests through a simulated root but is not marked simulated`);
  }

  for (const slot of SLOTS) {
    const k = o.keys[slot];
    if (!k) continue;
    const at = `officer ${who(o)} ${slot}`;
    const cert = parseCertificate(k.certificate);
    let spki: Buffer | undefined;
    if (!cert) problems.push(`${at} certificate: not a certificate`);
    else if (!(spki = spkiOf(cert))) problems.push(`${at} certificate: its public key cannot be read`);
    else {
      if (sha256(cert.raw) !== k.certificate_sha256) problems.push(`${at} certificate: certificate_sha256 does not match the certificate`);
      if (sha256(spki) !== k.spki_sha256) problems.push(`${at} certificate: spki_sha256 does not match the certificate's key`);
      if (ca && !issuedBy(cert, ca)) problems.push(`${at} certificate: not issued by the enrollment ca`);
    }

    const att = parseCertificate(k.attestation);
    if (!att) {
      problems.push(`${at} attestation: not a certificate`);
      continue;
    }
    if (sha256(att.raw) !== k.attestation_sha256) problems.push(`${at} attestation: attestation_sha256 does not match the certificate`);
    if (spki && !spkiOf(att)?.equals(spki)) problems.push(`${at} attestation: attests a different key than the ${slot} certificate`);
    if (device && !issuedBy(att, device)) problems.push(`${at} attestation: not signed by the device attestation certificate`);
    const serial = attestedSerial(att);
    if (serial === 'malformed') problems.push(`${at} attestation: serial extension is not an integer`);
    else if (serial === undefined) notes.push(`${at} attestation: carries no device serial`);
    else if (!/^[0-9]+$/.test(o.device.serial) || BigInt(o.device.serial) !== serial) problems.push(`${at} attestation: attests device ${serial}, not ${o.device.serial}`);
  }
}

/** The certificate's key as SPKI DER; undefined when it does not decode (X509Certificate decodes it lazily and throws). */
function spkiOf(cert: X509Certificate): Buffer | undefined {
  try {
    return cert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Whether `issuer`'s key made the signature on `cert` and `cert` names `issuer` as its issuer. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.issuer === issuer.subject && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The device serial a Yubico slot attestation carries, undefined if it has none. */
function attestedSerial(cert: X509Certificate): bigint | undefined | 'malformed' {
  try {
    const ext = readCertificateDer(cert.raw).extension(YUBICO_OID.serial);
    if (!ext) return undefined;
    const value = readDer(ext);
    const digits = content(value);
    // A device serial is a non-negative INTEGER.
    if (!is(value, CLASS.universal, TAG.integer, false) || digits.length === 0 || (digits[0] & 0x80) !== 0) return 'malformed';
    return BigInt(`0x${Buffer.from(digits).toString('hex')}`);
  } catch {
    return 'malformed';
  }
}
