// A rehearsal loads libsofthsm2.so twice in one process: the ceremony HSM (Pkcs11Hsm) and the officers'
// simulated PIV devices (Pkcs11PivReader). Through the module registry they share one initialised module, and
// closing either one leaves the other working.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11PivReader } from '../../../../src/adapters/piv/pkcs11-piv-reader.js';
import { SimulatedPivFleet } from '../../../../src/adapters/piv/simulated-piv-fleet.js';
import { PIV_DEFAULTS } from '../../../../src/engine/ports.js';
import { acquireModule, moduleUsers } from '../../../../src/adapters/pkcs11/module-registry.js';
import { Pkcs11Hsm } from '../../../../src/adapters/pkcs11/pkcs11-hsm.js';
import { p1363ToDer } from '../../../../src/evidence/cms.js';
import { secretFromString } from '../../../../src/custody/secret.js';
import { createTestHsm, SOFTHSM_MODULE } from '../../../helpers/softhsm.js';
import { caught } from '../../../helpers/caught.js';

const hsm = createTestHsm('officiant-piv-registry-');
process.env.SOFTHSM2_CONF = hsm.conf;
const s = secretFromString;
const TOKEN = 'ceremony-hsm';
const USER_PIN = '5566778899';

let fleet: SimulatedPivFleet;


/** The ceremony HSM still works: find the token, log in, sign, and the signature verifies. */
function hsmWorks(h: Pkcs11Hsm): void {
  expect(h.findToken(TOKEN)?.label).toBe(TOKEN);
  const session = h.openSession(TOKEN, s(USER_PIN));
  try {
    const key = session.findKeys('root')[0];
    const data = Buffer.from('still here');
    const sig = p1363ToDer(session.sign(key, data));
    expect(nodeVerify('sha256', data, createPublicKey({ key: key.spki, format: 'der', type: 'spki' }), sig)).toBe(true);
  } finally {
    session.close();
  }
}

/** The PIV reader still works: list, open, sign with the slot key. */
function readerWorks(r: Pkcs11PivReader, serial: string): void {
  expect(r.devices().map((d) => d.serial)).toContain(serial);
  const t = r.open(serial);
  const data = Buffer.from('officer approval');
  const sig = t.sign('9c', s(PIV_DEFAULTS.pin), data);
  expect(nodeVerify('sha256', data, createPublicKey({ key: t.publicKey('9c')!, format: 'der', type: 'spki' }), sig)).toBe(true);
}

beforeAll(() => {
  // The ceremony token is made by an outside tool, before this process loads the module.
  hsm.initToken(TOKEN, '11223344', USER_PIN);
  fleet = SimulatedPivFleet.open(hsm.dir);
});
afterAll(() => hsm.cleanup());

describe('Pkcs11Hsm and Pkcs11PivReader in one process', () => {
  let serial: string;

  it('share one initialised module and both work', () => {
    const h = Pkcs11Hsm.load(SOFTHSM_MODULE);
    const r = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(2);
    serial = fleet.createDevice().serial;
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(2);
    const session = h.openSession(TOKEN, s(USER_PIN));
    session.generateKeyPair({ label: 'root', id: '01', algorithm: 'EC-P256' });
    session.close();
    r.open(serial).generateKey('9c', { managementKey: s(PIV_DEFAULTS.managementKey), pin: s(PIV_DEFAULTS.pin) });
    hsmWorks(h);
    readerWorks(r, serial);

    r.close();
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(1);
    hsmWorks(h);
    expect(caught(() => r.devices()).message).toBe('the PIV reader is closed');

    const r2 = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
    h.close();
    h.close();
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(1);
    readerWorks(r2, serial);
    r2.close();
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(0);
  });

  it('keeps a session of one HSM adapter alive when another one closes', () => {
    const a = Pkcs11Hsm.load(SOFTHSM_MODULE);
    const b = Pkcs11Hsm.load(SOFTHSM_MODULE);
    const session = a.openSession(TOKEN, s(USER_PIN));
    b.close();
    const key = session.findKeys('root')[0];
    expect(session.sign(key, Buffer.from('x')).length).toBe(64);
    session.close();
    a.close();
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(0);
  });

  it('loads the module again after the last user finalised it', () => {
    const h = Pkcs11Hsm.load(SOFTHSM_MODULE);
    const r = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
    hsmWorks(h);
    readerWorks(r, serial);
    r.close();
    h.close();
  });

  it('hands out the same module to every user and finalises it with the last release', () => {
    const one = acquireModule(SOFTHSM_MODULE);
    const two = acquireModule(SOFTHSM_MODULE);
    expect(two.module).toBe(one.module);
    one.release();
    one.release();
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(1);
    expect(two.module.getSlots(true).length).toBeGreaterThan(0);
    two.release();
    expect(moduleUsers(SOFTHSM_MODULE)).toBe(0);
    const three = acquireModule(SOFTHSM_MODULE);
    expect(three.module).not.toBe(one.module);
    three.release();
  });

  it('refuses a missing library as an environment problem', () => {
    const e = caught(() => acquireModule('/nonexistent/libnothing.so'));
    expect(e.code).toBe('env.module-load');
    expect(e.message).toMatch(/^cannot load PKCS#11 module \/nonexistent\/libnothing\.so: /);
    expect(moduleUsers('/nonexistent/libnothing.so')).toBe(0);
  });

  it('refuses a fleet in another sandbox while SoftHSM is loaded with this one', () => {
    const other = mkdtempSync(join(tmpdir(), 'officiant-piv-other-'));
    const otherHsm = createTestHsm('officiant-piv-other-');
    const h = Pkcs11Hsm.load(SOFTHSM_MODULE);
    try {
      const e = caught(() => SimulatedPivFleet.open(otherHsm.dir));
      expect(e.code).toBe('env.hsm');
      expect(e.message).toContain(`the simulated PIV devices need ${otherHsm.conf}`);
      expect(process.env.SOFTHSM2_CONF).toBe(hsm.conf);
      expect(caught(() => SimulatedPivFleet.open(other)).code).toBe('env.sandbox-missing');
    } finally {
      h.close();
      otherHsm.cleanup();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
