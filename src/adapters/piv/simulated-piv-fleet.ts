// SimulatedPivFleet: officers' PIV devices for rehearsals and tests, each one a SoftHSM2 token labelled
// `piv-<serial>` in the rehearsal sandbox, laid out as ykcs11 lays out a YubiKey (slot keys and certificates
// under CKA_ID 1..4, the device attestation key and certificate of slot f9 under CKA_ID 25). Contract: what a
// SoftHSM token cannot hold (model, firmware, the PUK, PIN and PUK tries left, the "inserted" flag) lives in
// piv-devices.json (mode 0600) beside the tokens; devices ship with PIV's default PIN, PUK and management key;
// every attestation chains to a simulated attestation CA made for this sandbox, whose name says SIMULATED so
// production verification can refuse it. Nothing here is acceptable as production evidence.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import graphene from 'graphene-pk11';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign as nodeSign,
  timingSafeEqual,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { YUBICO_OID } from '../../custody/piv-attestation.js';
import { PIV_DEFAULTS, type PivDevice, type PivSlot, type Secret } from '../../engine/ports.js';
import { acquireModule, moduleUsers } from '../pkcs11/module-registry.js';
import { pkcs11Error } from '../pkcs11/pkcs11-hsm.js';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../pkcs11/softhsm-sandbox.js';
import { ATTESTATION_CKA_ID, F9_LABELS, initialisedSlotWithLabel, simulatedTokenLabel, triesLeft } from './pkcs11-piv-reader.js';


export const SIMULATED_ATTESTATION_CA_SUBJECT = 'CN=Officiant SIMULATED PIV Attestation CA (rehearsal only)';

const FILES = {
  devices: 'piv-devices.json',
  caCertificate: 'piv-attestation-ca.pem',
  caKey: 'piv-attestation-ca.key',
};


// PIN policy (01 never, 02 once, 03 always) and touch policy (01 never) a YubiKey applies by default per slot.
const DEFAULT_POLICY: Record<PivSlot, [number, number]> = { '9a': [0x02, 0x01], '9c': [0x03, 0x01], '9d': [0x02, 0x01], '9e': [0x01, 0x01] };

export interface SimulatedDeviceRecord {
  serial: string;
  model: string;
  firmware: string;
  /** Yubico form factor byte (0x01 USB-A keychain). */
  formFactor: number;
  inserted: boolean;
  pinTriesLeft: number;
  pukTriesLeft: number;
  /** scrypt(PUK, salt), hex; the PUK itself is never stored. */
  puk: { salt: string; hash: string };
  createdAt: string;
}

interface FleetFile {
  version: 1;
  devices: SimulatedDeviceRecord[];
}

// ---------------------------------------------------------------------------------------------------------
// DER assembly. @peculiar/x509 encodes names and extensions; its certificate generator signs through async
// WebCrypto, and the PIV port is synchronous (the f9 key signs through PKCS#11), so the envelope is built here.
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...parts: Buffer[]): Buffer {
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

function derUnsigned(n: bigint): Buffer {
  const hex = n.toString(16);
  return derInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

function derTime(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii')) : der(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

const ECDSA_WITH_SHA256 = der(0x30, der(0x06, Buffer.from('2a8648ce3d040302', 'hex')));

interface CertificateSpec {
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
function buildCertificate(spec: CertificateSpec, sign: (tbs: Buffer) => Buffer): Buffer {
  const tbs = tbsCertificate(spec);
  return der(0x30, tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0]), sign(tbs)));
}

function nameDer(dn: string): Buffer {
  return Buffer.from(new x509.Name(dn).toArrayBuffer());
}

function ext(e: x509.Extension): Buffer {
  return Buffer.from(e.rawData);
}

function keyId(spki: Buffer): string {
  return createHash('sha1').update(spki).digest('hex');
}

function certificateSerial(): Buffer {
  const s = randomBytes(16);
  s[0] &= 0x7f;
  if (s[0] === 0) s[0] = 0x01;
  return s;
}

function spkiOfCertificate(certDer: Buffer): Buffer {
  return new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
}

function pem(derBytes: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${derBytes.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function firmwareBytes(firmware: string): Buffer {
  return Buffer.from(firmware.split('.').map(Number));
}

function signWithKey(key: KeyObject): (tbs: Buffer) => Buffer {
  return (tbs) => nodeSign('sha256', tbs, key);
}

/** Atomic 0600 write: a crash leaves the old file or the new one, never half of either. */
function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export class SimulatedPivFleet {
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
    fleet.ensureAttestationCa();
    return fleet;
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  // -------------------------------------------------------------------------------------------------------
  // The simulated attestation CA.
  private ensureAttestationCa(): void {
    if (existsSync(this.path(FILES.caCertificate)) && existsSync(this.path(FILES.caKey))) return;
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const notBefore = new Date(Date.now() - 60_000);
      notBefore.setUTCMilliseconds(0);
      const notAfter = new Date(notBefore.getTime() + 20 * 365 * 86_400_000);
      const subject = nameDer(SIMULATED_ATTESTATION_CA_SUBJECT);
      const certificate = buildCertificate(
        {
          serial: certificateSerial(),
          issuer: subject,
          subject,
          notBefore,
          notAfter,
          spki,
          extensions: [
            ext(new x509.BasicConstraintsExtension(true, 1, true)),
            ext(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)),
            ext(new x509.SubjectKeyIdentifierExtension(keyId(spki))),
          ],
        },
        signWithKey(privateKey),
      );
      writePrivateFile(this.path(FILES.caKey), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      writePrivateFile(this.path(FILES.caCertificate), pem(certificate, 'CERTIFICATE'));
    } catch (err) {
      throw new OfficiantError('env.fs', `cannot create the simulated PIV attestation CA in ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  }

  private attestationCa(): { certificate: Buffer; key: KeyObject } {
    try {
      const text = readFileSync(this.path(FILES.caCertificate), 'utf8');
      return {
        certificate: Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
        key: createPrivateKey(readFileSync(this.path(FILES.caKey), 'utf8')),
      };
    } catch (err) {
      throw new OfficiantError('env.sandbox-missing', `rehearsal sandbox ${this.dir} has lost its simulated PIV attestation CA`, { cause: err });
    }
  }

  /** The simulated attestation root: trust it only to verify rehearsal enrolments. */
  attestationRoot(): { pem: string; sha256: string; subject: string } {
    const { certificate } = this.attestationCa();
    return {
      pem: pem(certificate, 'CERTIFICATE'),
      sha256: createHash('sha256').update(certificate).digest('hex'),
      subject: new X509Certificate(certificate).subject,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Metadata.
  private load(): FleetFile {
    const file = this.path(FILES.devices);
    if (!existsSync(file)) return { version: 1, devices: [] };
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as FleetFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.devices)) throw new Error('unknown layout');
      return parsed;
    } catch (err) {
      throw new OfficiantError('env.sandbox-missing', `rehearsal sandbox ${this.dir} has an unreadable ${FILES.devices}`, { cause: err });
    }
  }

  private save(file: FleetFile): void {
    try {
      writePrivateFile(this.path(FILES.devices), `${JSON.stringify(file, null, 2)}\n`);
    } catch (err) {
      throw new OfficiantError('env.fs', `cannot write ${FILES.devices} in ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  }

  private update<T>(serial: string, fn: (rec: SimulatedDeviceRecord) => T): T {
    const file = this.load();
    const rec = file.devices.find((d) => d.serial === serial);
    if (!rec) throw new OfficiantError('env.piv-absent', `device ${serial} is not inserted`);
    const out = fn(rec);
    this.save(file);
    return out;
  }

  /** Every device made in this sandbox, inserted or not. */
  devices(): Array<PivDevice & { inserted: boolean }> {
    return this.load().devices.map((d) => ({ serial: d.serial, model: d.model, firmware: d.firmware, simulated: true, inserted: d.inserted }));
  }

  record(serial: string): SimulatedDeviceRecord | undefined {
    return this.load().devices.find((d) => d.serial === serial);
  }

  /** The device's record; env.piv-absent when it is unknown or pulled out. */
  assertInserted(serial: string): SimulatedDeviceRecord {
    const rec = this.record(serial);
    if (!rec || !rec.inserted) throw new OfficiantError('env.piv-absent', `device ${serial} is not inserted`);
    return rec;
  }

  /** Plugs the device in or pulls it out (rehearsing a missing or removed token). */
  setInserted(serial: string, inserted: boolean): void {
    const file = this.load();
    const rec = file.devices.find((d) => d.serial === serial);
    if (!rec) throw new OfficiantError('env.piv-absent', `no simulated device ${serial} in sandbox ${this.dir}`);
    rec.inserted = inserted;
    this.save(file);
  }

  /** One wrong PIN entry: returns the tries left (0 = blocked). */
  spendPinTry(serial: string): number {
    return this.update(serial, (rec) => (rec.pinTriesLeft = Math.max(0, rec.pinTriesLeft - 1)));
  }

  /** A right PIN entry resets the counter, as on a card. */
  resetPinTries(serial: string): void {
    if (this.record(serial)?.pinTriesLeft === PIV_DEFAULTS.tries) return;
    this.update(serial, (rec) => {
      rec.pinTriesLeft = PIV_DEFAULTS.tries;
    });
  }

  /** Checks the PUK (spending a try when wrong, blocking at 0) and replaces it. */
  changePuk(serial: string, current: Secret, next: Secret): void {
    const rec = this.assertInserted(serial);
    const blocked = () => new OfficiantError('hsm.pin-locked', `device ${serial}: PUK blocked after ${PIV_DEFAULTS.tries} wrong entries`);
    if (rec.pukTriesLeft <= 0) throw blocked();
    const expected = Buffer.from(rec.puk.hash, 'hex');
    const given = current.use((b) => scryptSync(b, Buffer.from(rec.puk.salt, 'hex'), expected.length));
    if (!timingSafeEqual(given, expected)) {
      const left = this.update(serial, (r) => (r.pukTriesLeft = Math.max(0, r.pukTriesLeft - 1)));
      if (left === 0) throw blocked();
      throw new OfficiantError('hsm.pin-incorrect', `PUK incorrect for device ${serial}: ${triesLeft(left)}`);
    }
    const puk = next.use((b) => hashPuk(b));
    this.update(serial, (r) => {
      r.puk = puk;
      r.pukTriesLeft = PIV_DEFAULTS.tries;
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Devices.

  /**
   * Makes a new device: a SoftHSM token `piv-<serial>` with the default management key (its SO PIN) and PIN
   * (its user PIN), and the f9 attestation key and certificate issued by the sandbox's attestation CA.
   */
  createDevice(opts: { serial?: string; model?: string; firmware?: string } = {}): PivDevice {
    const file = this.load();
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
    const ca = this.attestationCa();

    let serial = opts.serial ?? nextSerial(file);
    const lease = acquireModule(this.module);
    try {
      const mod = lease.module;
      // A token left by a device whose making was cut short keeps its serial: skip it rather than reuse it.
      while (opts.serial === undefined && initialisedSlotWithLabel(mod, simulatedTokenLabel(serial))) serial = String(Number(serial) + 1);
      const label = simulatedTokenLabel(serial);
      if (initialisedSlotWithLabel(mod, label)) throw new OfficiantError('env.token-label-used', `a token labelled "${label}" already exists`);
      const slots = mod.getSlots(true);
      let free: graphene.Slot | undefined;
      for (let i = 0; i < slots.length && !free; i++) {
        const s = slots.items(i);
        if ((s.getToken().flags & graphene.TokenFlag.TOKEN_INITIALIZED) === 0) free = s;
      }
      if (!free) throw new OfficiantError('env.no-free-slot', 'SoftHSM has no free slot for a simulated PIV device');
      // graphene's Slot.initToken crashes after a successful C_InitToken: call the binding directly.
      (free as unknown as { lib: { C_InitToken(slot: Buffer, pin: string, label: string): unknown } }).lib.C_InitToken(free.handle as Buffer, PIV_DEFAULTS.managementKey, label);
      const slot = initialisedSlotWithLabel(mod, label);
      if (!slot) throw new OfficiantError('hsm.device', `token "${label}" not found right after initialisation`);
      const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      try {
        session.login(PIV_DEFAULTS.managementKey, graphene.UserType.SO);
        session.initPin(PIV_DEFAULTS.pin);
        session.logout();
        session.login(PIV_DEFAULTS.pin, graphene.UserType.USER);
        this.installAttestationKey(session, serial, ca);
        session.logout();
      } finally {
        try {
          session.close();
        } catch {
          // the token went away with the session
        }
      }
    } catch (err) {
      throw pkcs11Error(err, `creating simulated PIV device ${serial}`);
    } finally {
      lease.release();
    }

    const fresh = this.load();
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
    this.save(fresh);
    return { serial, model, firmware, simulated: true };
  }

  // The f9 key is imported (made here, never written anywhere) with CKA_PRIVATE=false: SoftHSM forces
  // CKA_PRIVATE=true on keys it generates, and a device signs attestations without anyone's PIN.
  private installAttestationKey(session: graphene.Session, serial: string, ca: { certificate: Buffer; key: KeyObject }): void {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    const id = Buffer.from([ATTESTATION_CKA_ID]);
    const paramsEC = graphene.NamedCurve.getByName('secp256r1').value;
    const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    session.create({
      class: graphene.ObjectClass.PRIVATE_KEY,
      keyType: graphene.KeyType.EC,
      token: true,
      private: false,
      sensitive: true,
      extractable: false,
      sign: true,
      decrypt: false,
      derive: false,
      id,
      label: F9_LABELS.privateKey,
      paramsEC,
      value: Buffer.from(jwk.d!, 'base64url'),
    });
    session.create({
      class: graphene.ObjectClass.PUBLIC_KEY,
      keyType: graphene.KeyType.EC,
      token: true,
      private: false,
      verify: true,
      id,
      label: F9_LABELS.publicKey,
      paramsEC,
      pointEC: der(0x04, point),
    });
    const caCert = new x509.X509Certificate(new Uint8Array(ca.certificate));
    const caSpki = spkiOfCertificate(ca.certificate);
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const subject = nameDer(`CN=Officiant SIMULATED PIV Attestation ${serial}`);
    const certificate = buildCertificate(
      {
        serial: certificateSerial(),
        issuer: Buffer.from(caCert.subjectName.toArrayBuffer()),
        subject,
        notBefore: new Date(Math.max(Date.now() - 60_000, caCert.notBefore.getTime())),
        notAfter: caCert.notAfter,
        spki,
        extensions: [
          ext(new x509.BasicConstraintsExtension(true, 0, true)),
          ext(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)),
          ext(new x509.SubjectKeyIdentifierExtension(keyId(spki))),
          ext(new x509.AuthorityKeyIdentifierExtension(keyId(caSpki))),
        ],
      },
      signWithKey(ca.key),
    );
    session.create({
      class: graphene.ObjectClass.CERTIFICATE,
      certType: graphene.CertificateType.X_509,
      token: true,
      private: false,
      id,
      label: F9_LABELS.certificate,
      subject,
      value: certificate,
    });
  }

  /**
   * The slot attestation a YubiKey makes on request: the slot's public key, subject "YubiKey PIV Attestation
   * <slot>", issued by the f9 certificate's subject for its validity, Yubico's extensions, signed by `sign`
   * (the f9 key inside the token; DER signature over SHA-256).
   */
  slotAttestation(serial: string, slot: PivSlot, spki: Buffer, f9Certificate: Buffer, sign: (tbs: Buffer) => Buffer): Buffer {
    const rec = this.assertInserted(serial);
    const f9 = new x509.X509Certificate(new Uint8Array(f9Certificate));
    return buildCertificate(
      {
        serial: certificateSerial(),
        issuer: Buffer.from(f9.subjectName.toArrayBuffer()),
        subject: nameDer(`CN=YubiKey PIV Attestation ${slot}`),
        notBefore: f9.notBefore,
        notAfter: f9.notAfter,
        spki,
        extensions: [
          ext(new x509.Extension(YUBICO_OID.firmware, false, new Uint8Array(firmwareBytes(rec.firmware)))),
          ext(new x509.Extension(YUBICO_OID.serial, false, new Uint8Array(derUnsigned(BigInt(rec.serial))))),
          ext(new x509.Extension(YUBICO_OID.policy, false, new Uint8Array(DEFAULT_POLICY[slot]))),
          ext(new x509.Extension(YUBICO_OID.formFactor, false, new Uint8Array([rec.formFactor]))),
        ],
      },
      sign,
    );
  }

  /** The stand-in certificate ykcs11 stores in a slot when it generates a key there (see isYkcs11Placeholder). */
  placeholderCertificate(slot: PivSlot, spki: Buffer): Buffer {
    const name = nameDer(`CN=YubiKey PIV Slot ${slot}`);
    const now = new Date();
    now.setUTCMilliseconds(0);
    const throwaway = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    return buildCertificate({ serial: Buffer.from([0]), issuer: name, subject: name, notBefore: now, notAfter: now, spki, extensions: [] }, signWithKey(throwaway));
  }
}

function hashPuk(puk: Buffer): { salt: string; hash: string } {
  const salt = randomBytes(16);
  return { salt: salt.toString('hex'), hash: scryptSync(puk, salt, 32).toString('hex') };
}

function nextSerial(file: FleetFile): string {
  const highest = file.devices.reduce((m, d) => Math.max(m, Number(d.serial) || 0), 10000000);
  return String(highest + 1);
}
