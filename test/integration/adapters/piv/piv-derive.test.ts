// Key agreement with a custodian's PIV key-management key (slot 9d) on simulated devices (real SoftHSM2
// tokens): a backup share sealed to the slot's public key opens only through that device's ECDH, after its PIN.
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11PivReader } from '../../../../src/adapters/piv/pkcs11-piv-reader.js';
import { SimulatedPivFleet } from '../../../../src/adapters/piv/simulated-piv-fleet.js';
import { PIV_DEFAULTS, type PivAdmin, type PivToken } from '../../../../src/engine/ports.js';
import { secretFromBytes, secretFromString } from '../../../../src/custody/secret.js';
import { keyCheckValue, openShare, sealShare, splitSecret, combineShares } from '../../../../src/custody/shares.js';
import { createTestHsm, SOFTHSM_MODULE } from '../../../helpers/softhsm.js';
import { caught } from '../../../helpers/caught.js';

const hsm = createTestHsm('officiant-piv-derive-');
// SoftHSM reads SOFTHSM2_CONF at C_Initialize: set before the one module load of this file.
process.env.SOFTHSM2_CONF = hsm.conf;

let fleet: SimulatedPivFleet;
let reader: Pkcs11PivReader;

const s = secretFromString;
const admin = (): PivAdmin => ({ managementKey: s(PIV_DEFAULTS.managementKey), pin: s(PIV_DEFAULTS.pin) });
const bytes = (x: { use<T>(fn: (b: Buffer) => T): T }) => x.use((b) => Buffer.from(b));


/** A fresh simulated device with a key generated in slot 9d. */
function custodianDevice(): { serial: string; token: PivToken; spki: Buffer } {
  const { serial } = fleet.createDevice();
  const token = reader.open(serial);
  return { serial, token, spki: token.generateKey('9d', admin()) };
}

beforeAll(() => {
  fleet = SimulatedPivFleet.open(hsm.dir);
  reader = Pkcs11PivReader.load(SOFTHSM_MODULE, { quirks: fleet.quirks() });
});

afterAll(() => {
  reader?.close();
  hsm.cleanup();
});

describe('deriveSharedSecret on slot 9d', () => {
  it('agrees on the same 32-byte secret as node:crypto ECDH with the slot public key', () => {
    const { token, spki } = custodianDevice();
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const peerSpki = peer.publicKey.export({ type: 'spki', format: 'der' });
    const onDevice = token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), peerSpki);
    const inNode = diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }) });
    expect(onDevice).toHaveLength(32);
    expect(onDevice.equals(inNode)).toBe(true);
  });

  it('makes the 9d key derive-only and leaves no derived object on the token', () => {
    const { serial, token } = custodianDevice();
    const peerSpki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), peerSpki);
    // An outside tool's view of the token (pkcs11-tool): the 9d private key (CKA_ID 03) may derive, not sign.
    const listing = execFileSync(
      'pkcs11-tool',
      ['--module', SOFTHSM_MODULE, '--token-label', `piv-${serial}`, '--login', '--pin', PIV_DEFAULTS.pin, '--list-objects'],
      { env: hsm.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const block = listing.split(/\n(?=\S)/).find((b) => b.startsWith('Private Key Object') && /ID:\s+03/.test(b));
    expect(block).toBeDefined();
    const usage = /Usage:\s+(.*)/.exec(block!)?.[1] ?? '';
    expect(usage).toContain('derive');
    expect(usage).not.toContain('sign');
    expect(listing).not.toContain('Secret Key Object');
    const refused = caught(() => token.sign('9d', s(PIV_DEFAULTS.pin), Buffer.from('x')));
    expect([refused.code, refused.message]).toEqual(['hsm.general', `signing with slot 9d on device ${serial}: CKR_KEY_FUNCTION_NOT_PERMITTED`]);
  });

  it('refuses a wrong PIN with the tries left and a peer key off P-256 before the PIN', () => {
    const { serial, token } = custodianDevice();
    const peerSpki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const wrong = caught(() => token.deriveSharedSecret('9d', s('00000000'), peerSpki));
    expect([wrong.code, wrong.message]).toEqual(['hsm.pin-incorrect', `PIN incorrect for device ${serial}: 2 tries left`]);
    expect(fleet.record(serial)?.pinTriesLeft).toBe(2);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(caught(() => token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), p384)).message).toBe('the peer key for key agreement is not an EC P-256 public key');
    expect(fleet.record(serial)?.pinTriesLeft).toBe(2);
    expect(token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), peerSpki)).toHaveLength(32);
    expect(fleet.record(serial)?.pinTriesLeft).toBe(3);
  });
});

describe('backup shares sealed to custodians\' devices', () => {
  it('splits a wrap key 2-of-3, seals each share to a device, opens each with its device and rebuilds the key', async () => {
    const wrapKey = secretFromBytes(randomBytes(32));
    const kcv = keyCheckValue(wrapKey);
    const shares = await splitSecret(wrapKey, 3, 2);
    const custodians = ['alice', 'bob', 'carol'].map((name) => ({ name, ...custodianDevice() }));
    const sealed = custodians.map((c, i) => sealShare(shares[i], c.spki, { custodian: c.name, index: i + 1, ceremonyId: 'backup-drill' }));
    expect(sealed.map((b) => b.recipient_spki_sha256)).toEqual(custodians.map((c) => createHash('sha256').update(c.spki).digest('hex')));

    const opened = custodians.map((c, i) =>
      openShare(sealed[i], (eph) => c.token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), eph), {
        custodian: c.name,
        index: i + 1,
        ceremonyId: 'backup-drill',
        recipientSpki: c.spki,
      }),
    );
    opened.forEach((o, i) => expect(bytes(o).equals(bytes(shares[i]))).toBe(true));
    const rebuilt = await combineShares([opened[0], opened[2]]);
    expect(keyCheckValue(rebuilt)).toBe(kcv);
    expect(bytes(rebuilt).equals(bytes(wrapKey))).toBe(true);
  });

  it('does not open a share sealed for another device, and says nothing of the share', async () => {
    const [share] = await splitSecret(secretFromBytes(randomBytes(32)), 2, 2);
    const alice = custodianDevice();
    const mallory = custodianDevice();
    const box = sealShare(share, alice.spki, { custodian: 'alice', index: 1, ceremonyId: 'backup-drill' });
    const err = caught(() =>
      openShare(box, (eph) => mallory.token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), eph), { custodian: 'alice', index: 1, ceremonyId: 'backup-drill' }),
    );
    expect([err.code, err.message]).toEqual(['ceremony.step-failed', 'sealed share 1 for alice does not open: wrong device key or altered contents']);
    const raw = bytes(share);
    for (const text of [raw.toString('hex'), raw.toString('base64'), raw.subarray(0, 8).toString('hex')]) expect(err.message).not.toContain(text);
    // with the recipient's key to compare, the wrong device is refused before it is asked for a PIN
    let asked = false;
    const early = caught(() =>
      openShare(
        box,
        (eph) => {
          asked = true;
          return mallory.token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), eph);
        },
        { custodian: 'alice', index: 1, ceremonyId: 'backup-drill', recipientSpki: mallory.spki },
      ),
    );
    expect(early.message).toBe('sealed share 1 for alice was sealed to another device');
    expect(asked).toBe(false);
    // alice's device still opens it
    const opened = openShare(box, (eph) => alice.token.deriveSharedSecret('9d', s(PIV_DEFAULTS.pin), eph), { custodian: 'alice', index: 1, ceremonyId: 'backup-drill' });
    expect(bytes(opened).equals(raw)).toBe(true);
  });

  it('lets a wrong PIN through as the device refused it, with the tries left', async () => {
    const [share] = await splitSecret(secretFromBytes(randomBytes(32)), 2, 2);
    const dev = custodianDevice();
    const box = sealShare(share, dev.spki, { custodian: 'dave', index: 1, ceremonyId: 'backup-drill' });
    const err = caught(() => openShare(box, (eph) => dev.token.deriveSharedSecret('9d', s('99999999'), eph), { custodian: 'dave', index: 1, ceremonyId: 'backup-drill' }));
    expect([err.code, err.message]).toEqual(['hsm.pin-incorrect', `PIN incorrect for device ${dev.serial}: 2 tries left`]);
  });
});
