// Officer rosters made with real crypto, for tests: an enrollment CA, an attestation root standing in for the
// vendor's, and per officer a device attestation key (slot f9) with its certificate, P-256 keys in 9a and 9c,
// slot certificates issued by the enrollment CA and slot attestations signed by the device key carrying the
// Yubico serial extension. Nothing is a constant: every certificate and signature verifies (or, for a fault
// asked for, fails) the way a real one would. Faults are options of the builders, so each test states the one
// thing it breaks.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import type { PivSlot } from '../../src/engine/ports.js';
import { keyringBody } from '../../src/custody/roster.js';
import { YUBICO_OID } from '../../src/custody/piv-attestation.js';
import { KEYRING_TYPE, ROSTER_FILE_FORMAT, ROSTER_TYPE, type KeyringBody, type RosterBody, type RosterFile, type RosterOfficer } from '../../src/custody/roster.types.js';
import { unsignedDocument, type DocumentSignature, type SignedDocument } from '../../src/custody/signed-document.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2035-01-01T00:00:00Z');
export const ISSUED_AT = '2025-06-01T10:00:00.000Z';
let serialCounter = 0;

export const sha256 = (data: Uint8Array | ArrayBuffer) => createHash('sha256').update(new Uint8Array(data)).digest('hex');

export interface TestIssuer {
  subject: string;
  pem: string;
  sha256: string;
  keys: CryptoKeyPair;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function nextSerial(): string {
  serialCounter += 1;
  return `01${serialCounter.toString(16).padStart(6, '0')}`;
}

async function certificate(opts: { subject: string; issuer: TestIssuer | 'self'; publicKey: CryptoKey; signer?: CryptoKey; ca: boolean; extensions?: x509.Extension[] }, keys?: CryptoKeyPair): Promise<x509.X509Certificate> {
  const issuerName = opts.issuer === 'self' ? opts.subject : opts.issuer.subject;
  const signingKey = opts.issuer === 'self' ? keys!.privateKey : opts.issuer.keys.privateKey;
  const extensions = [...(opts.extensions ?? [])];
  if (opts.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: opts.subject,
    issuer: issuerName,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    publicKey: opts.publicKey,
    signingKey,
    signingAlgorithm: ALG,
    extensions,
  });
}

/** A CA: self-signed, or issued by `issuer` (a device attestation certificate is one issued by the root). */
export async function createIssuer(subject: string, issuer?: TestIssuer): Promise<TestIssuer> {
  const keys = await keyPair();
  const cert = await certificate({ subject, issuer: issuer ?? 'self', publicKey: keys.publicKey, ca: true }, keys);
  return { subject, pem: cert.toString('pem'), sha256: sha256(cert.rawData), keys };
}

/** DER INTEGER, minimal two's complement, as the Yubico serial extension carries it. */
export function derInteger(n: bigint): Uint8Array<ArrayBuffer> {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = [...Buffer.from(hex, 'hex')];
  return new Uint8Array([0x02, body.length, ...body]);
}

export interface OfficerSpec {
  id: string;
  serial: string;
  name?: string;
  roles?: string[];
  status?: 'active' | 'revoked';
  simulated?: boolean;
  slots?: PivSlot[];
  /** Fault: slot certificates issued by this CA instead of the enrollment CA. */
  certIssuer?: TestIssuer;
  /** Fault: the attestation of these slots certifies a different key than the slot's. */
  attestOtherKey?: PivSlot[];
  /** Fault: the serial the slot attestations carry (default the device serial; null: no serial extension). */
  attestedSerial?: string | null;
}

export interface TestOfficer {
  officer: RosterOfficer;
  /** Private keys of the slots, as node KeyObjects. */
  keys: Partial<Record<PivSlot, KeyObject>>;
  /** A 9a signature over `data`, as roster.sign would put it in a SignedDocument. */
  signature(data: Buffer): DocumentSignature;
}

export async function createOfficer(spec: OfficerSpec, ctx: { ca: TestIssuer; root: TestIssuer }): Promise<TestOfficer> {
  const simulated = spec.simulated ?? true;
  const device = await createIssuer(`CN=YubiKey PIV Attestation device ${spec.serial}`, ctx.root);
  const attested = spec.attestedSerial === undefined ? spec.serial : spec.attestedSerial;
  const officer: RosterOfficer = {
    id: spec.id,
    name: spec.name ?? `Officer ${spec.id}`,
    roles: spec.roles ?? ['crypto-officer'],
    status: spec.status ?? 'active',
    revoked: spec.status === 'revoked' ? { at: '2025-05-01T09:00:00.000Z', reason: 'device lost', ceremony_id: 'revoke-1' } : null,
    enrolled: { at: '2025-04-01T09:00:00.000Z', ceremony_id: 'enroll-1' },
    device: { serial: spec.serial, model: simulated ? 'SoftHSM PIV stand-in' : 'YubiKey 5 NFC', firmware: '5.7.1', simulated, attestation_certificate: device.pem },
    keys: {},
  };
  const keys: Partial<Record<PivSlot, KeyObject>> = {};
  for (const slot of spec.slots ?? (['9a', '9c'] as PivSlot[])) {
    const pair = await keyPair();
    keys[slot] = KeyObject.from(pair.privateKey);
    const cert = await certificate({ subject: `CN=${spec.id} ${slot}, O=Example Org`, issuer: spec.certIssuer ?? ctx.ca, publicKey: pair.publicKey, ca: false });
    const attestedKey = spec.attestOtherKey?.includes(slot) ? (await keyPair()).publicKey : pair.publicKey;
    const extensions = attested === null ? [] : [new x509.Extension(YUBICO_OID.serial, false, derInteger(BigInt(attested)))];
    const attestation = await certificate({ subject: `CN=YubiKey PIV Attestation ${slot}`, issuer: device, publicKey: attestedKey, ca: false, extensions });
    officer.keys[slot] = {
      certificate: cert.toString('pem'),
      certificate_sha256: sha256(cert.rawData),
      spki_sha256: sha256(await webcrypto.subtle.exportKey('spki', pair.publicKey)),
      attestation: attestation.toString('pem'),
      attestation_sha256: sha256(attestation.rawData),
    };
  }
  return {
    officer,
    keys,
    signature(data: Buffer): DocumentSignature {
      if (!keys['9a']) throw new Error(`${spec.id} has no 9a key`);
      return {
        officer: spec.id,
        device_serial: spec.serial,
        slot: '9a',
        certificate: officer.keys['9a']!.certificate,
        signature: sign('sha256', data, keys['9a']).toString('base64'),
      };
    },
  };
}

export interface RosterWorld {
  ca: TestIssuer;
  root: TestIssuer;
  rootSimulated: boolean;
  officers: TestOfficer[];
}

/** `officers` crypto officers crypto-officer-1.. with devices 10000001.., an enrollment CA and an attestation root. */
export async function createRosterWorld(opts: { officers?: number; simulated?: boolean } = {}): Promise<RosterWorld> {
  const simulated = opts.simulated ?? true;
  const ca = await createIssuer('CN=Officiant enrollment CA (test), O=Example Org');
  const root = await createIssuer(simulated ? 'CN=Officiant simulated PIV attestation CA (rehearsal only)' : 'CN=Test vendor PIV Root CA');
  const world: RosterWorld = { ca, root, rootSimulated: simulated, officers: [] };
  for (let i = 1; i <= (opts.officers ?? 3); i++) world.officers.push(await createOfficer({ id: `crypto-officer-${i}`, serial: String(10000000 + i), simulated }, world));
  return world;
}

export function createRosterBody(world: RosterWorld, overrides: Partial<RosterBody> = {}, officers: TestOfficer[] = world.officers): RosterBody {
  const list = officers.map((o) => o.officer);
  return {
    format: ROSTER_TYPE,
    authority: 'manifest',
    version: 1,
    previous_sha256: null,
    issued_at: ISSUED_AT,
    issued_by: { script_id: 'manifest-enrollment', ceremony_id: 'enroll-1' },
    rehearsal: world.rootSimulated || list.some((o) => o.device.simulated),
    attestation_roots: [{ subject: world.root.subject, sha256: world.root.sha256, pem: world.root.pem, simulated: world.rootSimulated }],
    enrollment_ca: { pem: world.ca.pem, sha256: world.ca.sha256, subject: world.ca.subject },
    signing_policy: { role: 'crypto-officer', threshold: 2 },
    officers: list,
    ...overrides,
  };
}

/** The body as a SignedDocument, signed (9a) by each of `signers` in order (repeats allowed). */
export function signDocument(payloadType: string, body: unknown, signers: TestOfficer[]): SignedDocument {
  const doc = unsignedDocument(payloadType, body);
  const bytes = Buffer.from(doc.payload, 'base64');
  return { ...doc, signatures: signers.map((s) => s.signature(bytes)) };
}

/** roster.json: the roster and its keyring (keyringBody of the roster unless `keyring` is given), both signed. */
export function createRosterFile(body: RosterBody, signers: TestOfficer[], opts: { keyringSigners?: TestOfficer[]; keyring?: (derived: KeyringBody) => KeyringBody } = {}): RosterFile {
  const roster = signDocument(ROSTER_TYPE, body, signers);
  const derived = keyringBody(body, roster.payload_sha256);
  const keyring = signDocument(KEYRING_TYPE, opts.keyring ? opts.keyring(derived) : derived, opts.keyringSigners ?? signers);
  return { format: ROSTER_FILE_FORMAT, roster, keyring };
}

/** Replaces a signed document's body without re-signing (what an attacker can do), keeping payload_sha256 consistent. */
export function tamper(doc: SignedDocument, change: (body: RosterBody) => RosterBody): SignedDocument {
  const body = JSON.parse(Buffer.from(doc.payload, 'base64').toString('utf8')) as RosterBody;
  const fresh = unsignedDocument(doc.payload_type, change(body));
  return { ...fresh, signatures: doc.signatures };
}
