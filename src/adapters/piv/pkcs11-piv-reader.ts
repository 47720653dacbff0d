// Pkcs11PivReader: the PivReader port over a PKCS#11 module showing PIV devices in the ykcs11 object layout
// (ykcs11-layout.ts): Yubico's libykcs11.so for real YubiKeys, or SoftHSM2 standing in for them. Where the two
// differ it asks its PivDeviceQuirks (Ykcs11Quirks unless told otherwise; a SimulatedPivFleet's quirks() in
// rehearsals and tests) and knows nothing else of either. Contract: listing devices is pure; a failure to list
// is an hsm.* error; open() hands out a YkcsPivToken after checking the device is there (env.piv-absent if not);
// the module is shared with the process's other adapters through the module registry and released on close().
import type graphene from 'graphene-pk11';
import { OfficiantError } from '../../errors.js';
import type { PivDevice, PivReader, PivToken } from '../../engine/ports.js';
import { acquireModule, type Pkcs11Module } from '../pkcs11/module-registry.js';
import { pkcs11Error } from '../pkcs11/pkcs11-errors.js';
import type { PivDeviceQuirks } from './piv-device-quirks.types.js';
import { YkcsPivToken } from './ykcs-piv-token.js';
import { Ykcs11Quirks } from './ykcs11-quirks.js';

export class Pkcs11PivReader implements PivReader {
  private released = false;

  private constructor(
    private readonly lease: Pkcs11Module,
    private readonly quirks: PivDeviceQuirks,
  ) {}

  /**
   * Loads the module (shared with any other adapter of this process through the module registry).
   * `quirks`: how the module's devices differ from ykcs11's YubiKeys (a simulated fleet's in rehearsals).
   */
  static load(modulePath: string, opts: { quirks?: PivDeviceQuirks } = {}): Pkcs11PivReader {
    return new Pkcs11PivReader(acquireModule(modulePath), opts.quirks ?? new Ykcs11Quirks());
  }

  private module(): graphene.Module {
    if (this.released) throw new OfficiantError('hsm.device', 'the PIV reader is closed');
    return this.lease.module;
  }

  describe(): { library: string; manufacturer: string; version: string } {
    const mod = this.module();
    return { library: this.lease.library, manufacturer: mod.manufacturerID.trim(), version: `${mod.libraryVersion.major}.${mod.libraryVersion.minor}` };
  }

  devices(): PivDevice[] {
    const mod = this.module();
    try {
      return this.quirks.listDevices(mod);
    } catch (err) {
      throw pkcs11Error(err, 'listing PIV devices');
    }
  }

  open(serial: string): PivToken {
    const token = new YkcsPivToken(() => this.module(), this.quirks, serial);
    token.device();
    return token;
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    this.lease.release();
  }
}
