// The PIV port over PKCS#11 with SoftHSM2 stand-ins for officers' YubiKeys: enrolment (PIN, PUK, management
// key), on-device generation, attestation chains, signatures, certificates, PIN tries and pulled-out devices.
// Checked with outside tools (openssl, pkcs11-tool) as well as node:crypto.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify, webcrypto, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11PivReader } from '../../../../src/adapters/piv/pkcs11-piv-reader.js';
import { SimulatedPivFleet } from '../../../../src/adapters/piv/simulated-piv-fleet.js';
import { PIV_DEFAULTS } from '../../../../src/engine/ports.js';
import { YUBICO_OID } from '../../../../src/custody/piv-attestation.js';
import type { PivAdmin, PivSlot, PivToken } from '../../../../src/engine/ports.js';
import { secretFromString } from '../../../../src/custody/secret.js';
import { isOfficiantError } from '../../../../src/errors.js';
import { createTestHsm, SOFTHSM_MODULE } from '../../../helpers/softhsm.js';
import { caught } from '../../../helpers/caught.js';

const hsm = createTestHsm('officiant-piv-');
// SoftHSM reads SOFTHSM2_CONF at C_Initialize: set before the one module load of this file.
process.env.SOFTHSM2_CONF = hsm.conf;

let fleet: SimulatedPivFleet;
let reader: Pkcs11PivReader;

const s = secretFromString;
const admin = (managementKey: string = PIV_DEFAULTS.managementKey, pin: string = PIV_DEFAULTS.pin): PivAdmin => ({ managementKey: s(managementKey), pin: s(pin) });


function file(name: string, bytes: Buffer | string): string {
  const path = join(hsm.dir, name);
  writeFileSync(path, bytes);
  return path;
}

function pemOf(der: Buffer): string {
  return new X509Certificate(der).toString();
}

/** Objects on a simulated device's token, as pkcs11-tool (an outside tool) lists them. */
function listObjects(serial: string, pin?: string): string {
  const args = ['--module', SOFTHSM_MODULE, '--token-label', `piv-${serial}`, '--list-objects'];
  if (pin) args.push('--login', '--pin', pin);
  return execFileSync('pkcs11-tool', args, { env: hsm.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function objectIds(listing: string, kind: 'Private Key' | 'Public Key' | 'Certificate'): string[] {
  return listing
    .split(/\n(?=\S)/)
    .filter((block) => block.startsWith(`${kind} Object`))
    .map((block) => /ID:\s+([0-9a-f]+)/.exec(block)?.[1] ?? '?');
}

/** A certificate for `spki`, issued by a throwaway CA (as an enrolment's issuing step would). */
async function certificateFor(spki: Buffer, cn: string): Promise<Buffer> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const ca = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const c = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '01',
      subject: `CN=${cn}`,
      issuer: 'CN=Test Issuing CA',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: new x509.PublicKey(new Uint8Array(spki)),
      signingKey: ca.privateKey,
      signingAlgorithm: alg,
    },
    webcrypto as unknown as Crypto,
  );
  return Buffer.from(c.rawData);
}

beforeAll(() => {
  fleet = SimulatedPivFleet.open(hsm.dir);
  reader = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
});

afterAll(() => {
  reader?.close();
  hsm.cleanup();
});

describe('a simulated device as it ships', () => {
  it('gets the next free serial, shows up in the reader and describes itself as simulated', () => {
    const a = fleet.createDevice();
    const b = fleet.createDevice({ model: 'YubiKey 5C', firmware: '5.7.1' });
    expect(a).toEqual({ serial: '10000001', model: 'YubiKey 5 NFC', firmware: '5.4.3', simulated: true });
    expect(b).toEqual({ serial: '10000002', model: 'YubiKey 5C', firmware: '5.7.1', simulated: true });
    expect(reader.devices().map((d) => d.serial)).toEqual(expect.arrayContaining(['10000001', '10000002']));
    expect(reader.open('10000002').device()).toEqual(b);
    expect(caught(() => fleet.createDevice({ serial: '10000001' })).code).toBe('env.token-label-used');
  });

  it('keeps its metadata and the attestation CA key private to the owner, and never the PUK itself', () => {
    fleet.createDevice();
    for (const name of ['piv-devices.json', 'piv-attestation-ca.key']) expect(statSync(join(hsm.dir, name)).mode & 0o777).toBe(0o600);
    const meta = readFileSync(join(hsm.dir, 'piv-devices.json'), 'utf8');
    expect(meta).not.toContain(PIV_DEFAULTS.puk);
    expect(JSON.parse(meta).devices[0]).toMatchObject({ pinTriesLeft: 3, pukTriesLeft: 3, inserted: true });
  });

  it('holds the f9 attestation key and certificate under CKA_ID 25 (0x19), usable without a PIN', () => {
    const { serial } = fleet.createDevice();
    const listing = listObjects(serial);
    expect(objectIds(listing, 'Private Key')).toEqual(['19']);
    expect(objectIds(listing, 'Public Key')).toEqual(['19']);
    expect(objectIds(listing, 'Certificate')).toEqual(['19']);
    expect(listing).toContain('X.509 Certificate for PIV Attestation');
  });

  it('has a simulated attestation root that says so', () => {
    const root = fleet.attestationRoot();
    expect(root.subject).toBe('CN=Officiant SIMULATED PIV Attestation CA (rehearsal only)');
    const text = execFileSync('openssl', ['x509', '-noout', '-subject', '-fingerprint', '-sha256', '-in', file('root.pem', root.pem)], { encoding: 'utf8' });
    expect(text).toContain('SIMULATED');
    expect(text.replace(/:/g, '').toLowerCase()).toContain(root.sha256);
  });
});

describe('enrolment credentials', () => {
  it('changes the PIN; the old PIN is refused afterwards and the new one works', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    t.generateKey('9a', admin());
    t.changePin(s(PIV_DEFAULTS.pin), s('24681357'));
    const refused = caught(() => t.sign('9a', s(PIV_DEFAULTS.pin), Buffer.from('x')));
    expect([refused.code, refused.message]).toEqual(['hsm.pin-incorrect', `PIN incorrect for device ${serial}: 2 tries left`]);
    expect(t.sign('9a', s('24681357'), Buffer.from('x')).length).toBeGreaterThan(64);
    // the right PIN reset the counter
    expect(caught(() => t.changePin(s('00000000'), s('11111111'))).message).toBe(`PIN incorrect for device ${serial}: 2 tries left`);
  });

  it('changes the PUK; the old PUK is refused afterwards, with the PUK tries left', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    const wrong = caught(() => t.changePuk(s('87654321'), s('11223344')));
    expect([wrong.code, wrong.message]).toEqual(['hsm.pin-incorrect', `PUK incorrect for device ${serial}: 2 tries left`]);
    t.changePuk(s(PIV_DEFAULTS.puk), s('11223344'));
    expect(caught(() => t.changePuk(s(PIV_DEFAULTS.puk), s('55667788'))).message).toBe(`PUK incorrect for device ${serial}: 2 tries left`);
    t.changePuk(s('11223344'), s('55667788'));
    expect(readFileSync(join(hsm.dir, 'piv-devices.json'), 'utf8')).not.toContain('55667788');
  });

  it('blocks the PUK after three wrong entries', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    const msgs = [1, 2, 3].map(() => caught(() => t.changePuk(s('99999999'), s('11223344'))));
    expect(msgs.map((e) => e.message)).toEqual([
      `PUK incorrect for device ${serial}: 2 tries left`,
      `PUK incorrect for device ${serial}: 1 try left`,
      `device ${serial}: PUK blocked after 3 wrong entries`,
    ]);
    expect(msgs[2].code).toBe('hsm.pin-locked');
    expect(caught(() => t.changePuk(s(PIV_DEFAULTS.puk), s('11223344'))).code).toBe('hsm.pin-locked');
  });

  it('changes the management key; the old key is refused afterwards without spending a PIN try', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    const next = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';
    t.changeManagementKey(s(PIV_DEFAULTS.managementKey), s(next.toUpperCase()));
    const refused = caught(() => t.generateKey('9a', admin()));
    expect([refused.code, refused.message]).toEqual(['hsm.pin-incorrect', `management key incorrect for device ${serial}`]);
    expect(fleet.record(serial)?.pinTriesLeft).toBe(3);
    expect(t.generateKey('9a', admin(next)).length).toBeGreaterThan(0);
    expect(caught(() => t.changeManagementKey(s(PIV_DEFAULTS.managementKey), s(next))).code).toBe('hsm.pin-incorrect');
  });

  it.each([
    ['a 5-character PIN', (t: PivToken) => t.changePin(s('12345'), s('24681357')), 'PIN must be 6 to 8 characters'],
    ['a 9-character new PIN', (t: PivToken) => t.changePin(s(PIV_DEFAULTS.pin), s('123456789')), 'new PIN must be 6 to 8 characters'],
    ['a short PUK', (t: PivToken) => t.changePuk(s('1234'), s('11223344')), 'PUK must be 6 to 8 characters'],
    ['a management key that is not hex', (t: PivToken) => t.changeManagementKey(s('z'.repeat(48)), s(PIV_DEFAULTS.managementKey)), 'management key must be 32, 48 or 64 hex digits'],
    ['a management key of 40 hex digits', (t: PivToken) => t.changeManagementKey(s(PIV_DEFAULTS.managementKey), s('ab'.repeat(20))), 'new management key must be 32, 48 or 64 hex digits'],
  ])('refuses %s before the device sees it (no try spent)', (_what, fn, message) => {
    const { serial } = fleet.createDevice();
    const e = caught(() => fn(reader.open(serial)));
    expect([e.code, e.message]).toEqual(['hsm.pin-invalid', message]);
    expect(fleet.record(serial)).toMatchObject({ pinTriesLeft: 3, pukTriesLeft: 3 });
  });
});

describe('keys, attestations, signatures and certificates', () => {
  let serial: string;
  let t: PivToken;
  const spki: Partial<Record<PivSlot, Buffer>> = {};

  beforeAll(() => {
    serial = fleet.createDevice({ firmware: '5.4.3' }).serial;
    t = reader.open(serial);
    spki['9a'] = t.generateKey('9a', admin());
    spki['9c'] = t.generateKey('9c', admin());
  });

  it('generates EC P-256 keys on the device whose public keys the slots then report', () => {
    for (const slot of ['9a', '9c'] as const) {
      const key = createPublicKey({ key: spki[slot]!, format: 'der', type: 'spki' });
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(t.publicKey(slot)).toEqual(spki[slot]);
    }
    expect(spki['9a']).not.toEqual(spki['9c']);
    expect(t.publicKey('9d')).toBeUndefined();
  });

  it('lays the keys out under CKA_ID 01 and 02 as ykcs11 does, sensitive and never extractable (pkcs11-tool)', () => {
    const listing = listObjects(serial, PIV_DEFAULTS.pin);
    expect(objectIds(listing, 'Private Key').sort()).toEqual(['01', '02', '19']);
    expect(objectIds(listing, 'Public Key').sort()).toEqual(['01', '02', '19']);
    const key9a = listing.split(/\n(?=\S)/).find((b) => b.startsWith('Private Key Object') && /ID:\s+01/.test(b))!;
    expect(key9a).toContain('Private key for PIV Authentication');
    expect(key9a).toMatch(/Access:.*sensitive.*never extractable/);
  });

  it('replaces the key when generating again in the same slot', () => {
    const other = fleet.createDevice().serial;
    const d = reader.open(other);
    const first = d.generateKey('9e', admin());
    const second = d.generateKey('9e', admin());
    expect(second).not.toEqual(first);
    expect(d.publicKey('9e')).toEqual(second);
    expect(objectIds(listObjects(other, PIV_DEFAULTS.pin), 'Private Key').sort()).toEqual(['04', '19']);
  });

  it('attests each slot key with a chain that openssl verifies up to the simulated root', () => {
    const root = file('att-root.pem', fleet.attestationRoot().pem);
    for (const slot of ['9a', '9c'] as const) {
      const att = t.attestation(slot);
      const leaf = file(`att-${slot}.pem`, pemOf(att.certificate));
      const f9 = file(`att-f9-${serial}.pem`, pemOf(att.deviceCertificate));
      expect(execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', f9, leaf], { encoding: 'utf8' })).toContain(': OK');
    }
  });

  it('makes attestation certificates like a YubiKey: slot key, f9 signature, serial, firmware, policy', () => {
    const att = t.attestation('9c');
    const leaf = new X509Certificate(att.certificate);
    const f9 = new X509Certificate(att.deviceCertificate);
    const root = new X509Certificate(fleet.attestationRoot().pem);
    expect(leaf.subject).toBe('CN=YubiKey PIV Attestation 9c');
    expect(leaf.verify(f9.publicKey)).toBe(true);
    expect(f9.verify(root.publicKey)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(false);
    expect(leaf.publicKey.export({ type: 'spki', format: 'der' })).toEqual(spki['9c']);
    const exts = new x509.X509Certificate(new Uint8Array(att.certificate)).extensions;
    const value = (oid: string) => Buffer.from(exts.find((e) => e.type === oid)!.value);
    const serialExt = value(YUBICO_OID.serial);
    expect(serialExt[0]).toBe(0x02);
    expect(BigInt(`0x${serialExt.subarray(2, 2 + serialExt[1]).toString('hex')}`).toString()).toBe(serial);
    expect(value(YUBICO_OID.firmware)).toEqual(Buffer.from([5, 4, 3]));
    expect(value(YUBICO_OID.policy)).toEqual(Buffer.from([0x03, 0x01]));
    expect(value(YUBICO_OID.formFactor)).toEqual(Buffer.from([0x01]));
    expect(Buffer.from(new x509.X509Certificate(new Uint8Array(t.attestation('9a').certificate)).extensions.find((e) => e.type === YUBICO_OID.policy)!.value)).toEqual(Buffer.from([0x02, 0x01]));
  });

  it('gives an attestation that another device cannot vouch for', () => {
    const other = reader.open(fleet.createDevice().serial);
    other.generateKey('9a', admin());
    const root = file('att-root.pem', fleet.attestationRoot().pem);
    const leaf = file('att-mine.pem', pemOf(t.attestation('9a').certificate));
    const wrongF9 = file('att-other-f9.pem', pemOf(other.attestation('9a').deviceCertificate));
    expect(() => execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', wrongF9, leaf], { stdio: 'pipe' })).toThrow();
  });

  it('has no attestation for an empty slot', () => {
    const e = caught(() => t.attestation('9d'));
    expect([e.code, e.message]).toEqual(['hsm.key-not-found', `device ${serial} has no key in slot 9d`]);
  });

  it('signs with the slot key after the PIN: node:crypto and openssl dgst verify, the other slot key does not', () => {
    const data = Buffer.from('release manifest 2026-01\n');
    const sig = t.sign('9c', s(PIV_DEFAULTS.pin), data);
    const key9c = createPublicKey({ key: spki['9c']!, format: 'der', type: 'spki' });
    const key9a = createPublicKey({ key: spki['9a']!, format: 'der', type: 'spki' });
    expect(nodeVerify('sha256', data, key9c, sig)).toBe(true);
    expect(nodeVerify('sha256', data, key9a, sig)).toBe(false);
    expect(nodeVerify('sha256', Buffer.from('another manifest'), key9c, sig)).toBe(false);
    const pub = file('sign-9c.pub.pem', key9c.export({ type: 'spki', format: 'pem' }) as string);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', file('sign.sig', sig), file('sign.txt', data)], { encoding: 'utf8' });
    expect(out.trim()).toBe('Verified OK');
  });

  it('shows no certificate for a freshly generated key (ykcs11 stores a stand-in), then stores and reads one', async () => {
    expect(t.certificate('9a')).toBeUndefined();
    expect(objectIds(listObjects(serial), 'Certificate').sort()).toEqual(['01', '02', '19']);
    const cert = await certificateFor(spki['9a']!, 'Officer One');
    t.importCertificate('9a', cert, admin());
    expect(t.certificate('9a')).toEqual(cert);
    const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-subject', '-in', file('imported.der', t.certificate('9a')!)], { encoding: 'utf8' });
    expect(text).toContain('CN = Officer One');
    const listing = listObjects(serial);
    expect(objectIds(listing, 'Certificate').sort()).toEqual(['01', '02', '19']);
    expect(listing).toContain('X.509 Certificate for PIV Authentication');
  });

  it('refuses a certificate for another key, and a wrong management key, leaving the slot as it was', async () => {
    const for9c = await certificateFor(spki['9c']!, 'Wrong Key');
    const before = t.certificate('9a');
    const e = caught(() => t.importCertificate('9a', for9c, admin()));
    expect([e.code, e.message]).toEqual(['hsm.general', `the certificate is not for the key in slot 9a of device ${serial}`]);
    const ok9c = await certificateFor(spki['9c']!, 'Officer One signing');
    expect(caught(() => t.importCertificate('9c', ok9c, admin('00'.repeat(24)))).code).toBe('hsm.pin-incorrect');
    expect(t.certificate('9a')).toEqual(before);
    expect(t.certificate('9c')).toBeUndefined();
  });
});

describe('PIN tries', () => {
  it('shows the tries left, blocks at 0 and then refuses even the right PIN', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    t.generateKey('9c', admin());
    const errors = [1, 2, 3].map(() => caught(() => t.sign('9c', s('11111111'), Buffer.from('x'))));
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['hsm.pin-incorrect', `PIN incorrect for device ${serial}: 2 tries left`],
      ['hsm.pin-incorrect', `PIN incorrect for device ${serial}: 1 try left`],
      ['hsm.pin-locked', `device ${serial}: PIN blocked after 3 wrong entries`],
    ]);
    const blocked = caught(() => t.sign('9c', s(PIV_DEFAULTS.pin), Buffer.from('x')));
    expect([blocked.code, blocked.message]).toEqual(['hsm.pin-locked', `device ${serial}: PIN blocked after 3 wrong entries`]);
    expect(caught(() => t.changePin(s(PIV_DEFAULTS.pin), s('24681357'))).code).toBe('hsm.pin-locked');
    expect(caught(() => t.generateKey('9a', admin())).code).toBe('hsm.pin-locked');
  });

  it('resets the count after a right PIN', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    t.generateKey('9a', admin());
    expect(caught(() => t.sign('9a', s('11111111'), Buffer.from('x'))).message).toContain('2 tries left');
    expect(caught(() => t.sign('9a', s('11111111'), Buffer.from('x'))).message).toContain('1 try left');
    t.sign('9a', s(PIV_DEFAULTS.pin), Buffer.from('x'));
    expect(fleet.record(serial)?.pinTriesLeft).toBe(3);
    expect(caught(() => t.sign('9a', s('11111111'), Buffer.from('x'))).message).toContain('2 tries left');
  });

  it('never puts a PIN, PUK or management key in a message', () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    const secrets = ['31415926', '27182818', 'fedcba9876543210fedcba9876543210fedcba9876543210'];
    const messages = [
      caught(() => t.changePin(s(secrets[0]), s(secrets[1]))).message,
      caught(() => t.changePuk(s(secrets[0]), s(secrets[1]))).message,
      caught(() => t.changeManagementKey(s(secrets[2]), s(secrets[2]))).message,
      caught(() => t.generateKey('9a', admin(secrets[2], secrets[0]))).message,
    ];
    for (const m of messages) for (const secret of secrets) expect(m).not.toContain(secret);
  });
});

describe('a device that is not inserted', () => {
  it('is not listed, cannot be opened, and every method of an open token says so', async () => {
    const { serial } = fleet.createDevice();
    const t = reader.open(serial);
    const cert = await certificateFor(t.generateKey('9a', admin()), 'Officer Absent');
    fleet.setInserted(serial, false);
    expect(reader.devices().map((d) => d.serial)).not.toContain(serial);
    const message = `device ${serial} is not inserted`;
    const calls: Array<[string, () => unknown]> = [
      ['open', () => reader.open(serial)],
      ['device', () => t.device()],
      ['changePin', () => t.changePin(s(PIV_DEFAULTS.pin), s('24681357'))],
      ['changePuk', () => t.changePuk(s(PIV_DEFAULTS.puk), s('11223344'))],
      ['changeManagementKey', () => t.changeManagementKey(s(PIV_DEFAULTS.managementKey), s(PIV_DEFAULTS.managementKey))],
      ['generateKey', () => t.generateKey('9c', admin())],
      ['attestation', () => t.attestation('9a')],
      ['importCertificate', () => t.importCertificate('9a', cert, admin())],
      ['certificate', () => t.certificate('9a')],
      ['publicKey', () => t.publicKey('9a')],
      ['sign', () => t.sign('9a', s(PIV_DEFAULTS.pin), Buffer.from('x'))],
    ];
    for (const [name, call] of calls) {
      const e = caught(call);
      expect([name, e.code, e.message]).toEqual([name, 'env.piv-absent', message]);
    }
    expect(fleet.record(serial)).toMatchObject({ pinTriesLeft: 3, pukTriesLeft: 3 });
    fleet.setInserted(serial, true);
    expect(reader.devices().map((d) => d.serial)).toContain(serial);
    expect(t.publicKey('9a')).toBeDefined();
  });

  it('is absent when the serial is unknown', () => {
    expect(isOfficiantError(caught(() => reader.open('99999999')), 'env.piv-absent')).toBe(true);
  });
});
