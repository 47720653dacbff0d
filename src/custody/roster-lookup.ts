// Finding an officer in a verified roster by id, device serial or identity (9a) certificate.
import type { RosterBody, RosterOfficer } from './roster.types.js';

export function officerById(roster: RosterBody, id: string): RosterOfficer | undefined {
  return roster.officers.find((o) => o.id === id);
}

export function officerByDevice(roster: RosterBody, serial: string): RosterOfficer | undefined {
  return roster.officers.find((o) => o.device.serial === serial);
}

/** The officer whose 9a (identity) certificate has this SHA-256 (of its DER). */
export function officerByCertificate(roster: RosterBody, certificateSha256: string): RosterOfficer | undefined {
  const want = certificateSha256.toLowerCase();
  return roster.officers.find((o) => o.keys['9a']?.certificate_sha256 === want);
}
