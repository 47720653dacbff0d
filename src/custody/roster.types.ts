// The officer roster: who the officers are, which roles they hold, which PIV device each holds and the
// certificates of its keys. It is the body of a SignedDocument (payload_type officiant-roster/1), signed by a
// quorum of officers: for the first roster by the newly enrolled officers themselves, afterwards by
// `signing_policy.threshold` distinct active officers of `signing_policy.role` of the previous roster.
import type { PivSlot } from './piv.types.js';
import type { SignedDocument } from './signed-document.js';

export const ROSTER_TYPE = 'officiant-roster/1';
export const KEYRING_TYPE = 'officiant-keyring/1';
export const ROSTER_FILE_FORMAT = 'officiant-roster-file/1';

export interface RosterKey {
  /** X.509 certificate issued by the enrollment ceremony for the slot's key, PEM. */
  certificate: string;
  certificate_sha256: string;
  /** SHA-256 of the key's SubjectPublicKeyInfo (DER). */
  spki_sha256: string;
  /** The slot attestation certificate the device made when the key was enrolled, PEM. */
  attestation: string;
  attestation_sha256: string;
}

export interface RosterOfficer {
  /** Stable id: lowercase, e.g. "crypto-officer-1" or a person's handle. */
  id: string;
  name: string;
  roles: string[];
  status: 'active' | 'revoked';
  revoked: { at: string; reason: string; ceremony_id: string } | null;
  enrolled: { at: string; ceremony_id: string };
  device: {
    serial: string;
    model: string;
    firmware: string;
    simulated: boolean;
    /** The device's own attestation certificate (slot f9), PEM: issued by one of `attestation_roots`. */
    attestation_certificate: string;
  };
  /** 9a: identity and approvals; 9c: manifest signing. */
  keys: Partial<Record<PivSlot, RosterKey>>;
}

export interface AttestationRoot {
  subject: string;
  sha256: string;
  pem: string;
  /** The sandbox's simulated attestation CA: rehearsal only. */
  simulated: boolean;
}

export interface RosterBody {
  format: typeof ROSTER_TYPE;
  authority: 'manifest' | 'release';
  /** 1 for the first roster; each later roster increments it. */
  version: number;
  /** payload_sha256 of the roster this one replaces; null for the first. */
  previous_sha256: string | null;
  issued_at: string;
  issued_by: { script_id: string; ceremony_id: string };
  /** True when any device is simulated: such a roster is for rehearsals only. */
  rehearsal: boolean;
  attestation_roots: AttestationRoot[];
  /** The enrollment ceremony's CA (its key in the HSM) that issued every slot certificate, PEM. */
  enrollment_ca: { pem: string; sha256: string; subject: string };
  /** Who must sign the next roster. */
  signing_policy: { role: string; threshold: number };
  officers: RosterOfficer[];
}

export interface KeyringKey {
  officer: string;
  name: string;
  device_serial: string;
  /** The 9c manifest-signing certificate, PEM. */
  certificate: string;
  certificate_sha256: string;
  spki_sha256: string;
  /** The 9c public key, PEM (SubjectPublicKeyInfo). */
  public_key: string;
}

export interface KeyringBody {
  format: typeof KEYRING_TYPE;
  authority: 'manifest';
  roster_version: number;
  roster_sha256: string;
  issued_at: string;
  rehearsal: boolean;
  /**
   * How many distinct keys of `keys` must sign an OTA manifest: the roster's signing_policy.threshold, the
   * quorum that may change who the officers are. Absent from keyrings signed before manifests were checked
   * against it; a manifest checker refuses such a keyring (docs/ota-manifests.md).
   */
  manifest_threshold?: number;
  keys: KeyringKey[];
}

/** roster.json as written by roster.sign: the roster and the keyring derived from it, signed by the same quorum. */
export interface RosterFile {
  format: typeof ROSTER_FILE_FORMAT;
  roster: SignedDocument;
  keyring: SignedDocument;
  /** The roster file this one replaces, whole (and so on back to version 1), so the chain can be checked. */
  previous?: RosterFile | null;
}
