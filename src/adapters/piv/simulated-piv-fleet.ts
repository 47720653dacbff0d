// SimulatedPivFleet: officers' PIV devices for rehearsals and tests, each one a SoftHSM2 token labelled
// `piv-<serial>` in the rehearsal sandbox, laid out as ykcs11 lays out a YubiKey (simulated-device-tokens.ts).
// Contract: what a SoftHSM token cannot hold (model, firmware, the PUK, PIN and PUK tries left, the "inserted"
// flag) lives in piv-devices.json (mode 0600) beside the tokens; devices ship with PIV's default PIN, PUK and
// management key; every attestation chains to a simulated attestation CA made for this sandbox, whose name says
// SIMULATED so production verification can refuse it. Nothing here is acceptable as production evidence. The
// PIV reader meets the fleet only through its quirks (quirks()).
import { timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { PIV_DEFAULTS, type PivDevice, type PivSlot, type Secret } from '../../engine/ports.js';
import { moduleUsers } from '../pkcs11/module-registry.js';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../pkcs11/softhsm-sandbox.js';
import type { PivDeviceQuirks } from './piv-device-quirks.types.js';
import { triesLeft } from './piv-secrets.js';
import { attestationRootOf, ensureAttestationCa, placeholderCertificate, readAttestationCa, slotAttestation } from './simulated-attestation.js';
import { createDeviceToken } from './simulated-device-tokens.js';
import { hashPuk, loadFleetFile, pukDigest, nextSerial, saveFleetFile, updateDeviceRecord, type SimulatedDeviceRecord } from './simulated-fleet-file.js';
import { SimulatedPivQuirks, type SimulatedDevices } from './simulated-piv-quirks.js';

export class SimulatedPivFleet implements SimulatedDevices {
  private constructor(
    /** The sandbox directory (its softhsm2.conf and tokens/ hold the devices' tokens). */
    readonly dir: string,
    /** The SoftHSM2 module path. */
    readonly module: string,
  ) {}

  /**
   * Opens the fleet of a rehearsal sandbox (or a test's SoftHSM directory laid out the same way), making its
   * simulated attestation CA on first use. Points SOFTHSM2_CONF at the sandbox if SoftHSM is not loaded yet.
   */
  static open(sandboxDir: string, opts: { module?: string } = {}): SimulatedPivFleet {
    const sandbox = SoftHsmSandbox.open(sandboxDir);
    const module = opts.module ?? SOFTHSM_MODULE;
    const current = process.env.SOFTHSM2_CONF;
    if (!current || resolve(current) !== resolve(sandbox.conf)) {
      // SoftHSM reads SOFTHSM2_CONF once, at C_Initialize: a module already loaded with another configuration
      // cannot see this sandbox's tokens.
      if (moduleUsers(module) > 0) {
        throw new OfficiantError('env.hsm', `SoftHSM is already loaded with SOFTHSM2_CONF=${current ?? '(unset)'}; the simulated PIV devices need ${sandbox.conf}`);
      }
      sandbox.activate();
    }
    const fleet = new SimulatedPivFleet(resolve(sandboxDir), module);
    ensureAttestationCa(fleet.dir);
    return fleet;
  }

  /** How the PIV reader reaches this fleet's devices: Pkcs11PivReader.load(fleet.module, { quirks: fleet.quirks() }). */
  quirks(): PivDeviceQuirks {
    return new SimulatedPivQuirks(this);
  }

  /** The simulated attestation root: trust it only to verify rehearsal enrolments. */
  attestationRoot(): { pem: string; sha256: string; subject: string } {
    return attestationRootOf(readAttestationCa(this.dir));
  }

  /** Every device made in this sandbox, inserted or not. */
  devices(): Array<PivDevice & { inserted: boolean }> {
    return loadFleetFile(this.dir).devices.map((d) => ({ serial: d.serial, model: d.model, firmware: d.firmware, simulated: true, inserted: d.inserted }));
  }

  record(serial: string): SimulatedDeviceRecord | undefined {
    return loadFleetFile(this.dir).devices.find((d) => d.serial === serial);
  }

  /** The device's record; env.piv-absent when it is unknown or pulled out. */
  assertInserted(serial: string): SimulatedDeviceRecord {
    const rec = this.record(serial);
    if (!rec || !rec.inserted) throw new OfficiantError('env.piv-absent', `device ${serial} is not inserted`);
    return rec;
  }

  /** Plugs the device in or pulls it out (rehearsing a missing or removed token). */
  setInserted(serial: string, inserted: boolean): void {
    const file = loadFleetFile(this.dir);
    const rec = file.devices.find((d) => d.serial === serial);
    if (!rec) throw new OfficiantError('env.piv-absent', `no simulated device ${serial} in sandbox ${this.dir}`);
    rec.inserted = inserted;
    saveFleetFile(this.dir, file);
  }

  /** One wrong PIN entry: returns the tries left (0 = blocked). */
  spendPinTry(serial: string): number {
    return updateDeviceRecord(this.dir, serial, (rec) => (rec.pinTriesLeft = Math.max(0, rec.pinTriesLeft - 1)));
  }

  /** A right PIN entry resets the counter, as on a card. */
  resetPinTries(serial: string): void {
    if (this.record(serial)?.pinTriesLeft === PIV_DEFAULTS.tries) return;
    updateDeviceRecord(this.dir, serial, (rec) => {
      rec.pinTriesLeft = PIV_DEFAULTS.tries;
    });
  }

  /** Checks the PUK (spending a try when wrong, blocking at 0) and replaces it. */
  changePuk(serial: string, current: Secret, next: Secret): void {
    const rec = this.assertInserted(serial);
    const blocked = () => new OfficiantError('hsm.pin-locked', `device ${serial}: PUK blocked after ${PIV_DEFAULTS.tries} wrong entries`);
    if (rec.pukTriesLeft <= 0) throw blocked();
    const expected = Buffer.from(rec.puk.hash, 'hex');
    const given = current.use((b) => pukDigest(b, Buffer.from(rec.puk.salt, 'hex'), expected.length));
    if (!timingSafeEqual(given, expected)) {
      const left = updateDeviceRecord(this.dir, serial, (r) => (r.pukTriesLeft = Math.max(0, r.pukTriesLeft - 1)));
      if (left === 0) throw blocked();
      throw new OfficiantError('hsm.pin-incorrect', `PUK incorrect for device ${serial}: ${triesLeft(left)}`);
    }
    const puk = next.use((b) => hashPuk(b));
    updateDeviceRecord(this.dir, serial, (r) => {
      r.puk = puk;
      r.pukTriesLeft = PIV_DEFAULTS.tries;
    });
  }

  /**
   * Makes a new device: a SoftHSM token `piv-<serial>` with the default management key (its SO PIN) and PIN
   * (its user PIN), and the f9 attestation key and certificate issued by the sandbox's attestation CA.
   */
  createDevice(opts: { serial?: string; model?: string; firmware?: string } = {}): PivDevice {
    const file = loadFleetFile(this.dir);
    if (opts.serial !== undefined && (!/^[1-9][0-9]{0,9}$/.test(opts.serial) || Number(opts.serial) > 0xffffffff)) {
      throw new OfficiantError('env.hsm', `simulated device serial "${opts.serial}" is not a decimal number a YubiKey could carry`);
    }
    if (opts.serial !== undefined && file.devices.some((d) => d.serial === opts.serial)) {
      throw new OfficiantError('env.token-label-used', `simulated device ${opts.serial} already exists in sandbox ${this.dir}`);
    }
    const firmware = opts.firmware ?? '5.4.3';
    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(firmware) || firmware.split('.').some((p) => Number(p) > 255)) {
      throw new OfficiantError('env.hsm', `simulated device firmware "${firmware}" is not major.minor.patch`);
    }
    const model = opts.model ?? 'YubiKey 5 NFC';
    const ca = readAttestationCa(this.dir);
    const serial = createDeviceToken(this.module, opts.serial ?? nextSerial(file), opts.serial !== undefined, ca);

    const fresh = loadFleetFile(this.dir);
    fresh.devices.push({
      serial,
      model,
      firmware,
      formFactor: 0x01,
      inserted: true,
      pinTriesLeft: PIV_DEFAULTS.tries,
      pukTriesLeft: PIV_DEFAULTS.tries,
      puk: hashPuk(Buffer.from(PIV_DEFAULTS.puk, 'utf8')),
      createdAt: new Date().toISOString(),
    });
    saveFleetFile(this.dir, fresh);
    return { serial, model, firmware, simulated: true };
  }

  /** The slot attestation device `serial` makes for `spki`, signed by `sign` (its f9 key); see simulated-attestation.ts. */
  slotAttestation(serial: string, slot: PivSlot, spki: Buffer, f9Certificate: Buffer, sign: (tbs: Buffer) => Buffer): Buffer {
    return slotAttestation(this.assertInserted(serial), slot, spki, f9Certificate, sign);
  }

  /** The stand-in certificate ykcs11 stores in a slot when it generates a key there (see isYkcs11Placeholder). */
  placeholderCertificate(slot: PivSlot, spki: Buffer): Buffer {
    return placeholderCertificate(slot, spki);
  }
}
