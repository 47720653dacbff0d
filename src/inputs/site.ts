// The site: which PKCS#11 module and token the script's HSM profile means here (a site file, overridden by
// --module, --token-label, --slot), and the site file's piv section (the officers' PIV module, the vendors'
// attestation roots read now, the pinned roster's SHA-256). Every problem at once; a site file that does not
// parse is reported with its schema problems and nothing taken from it.
import { dirname, resolve } from 'node:path';
import type { EvidenceTokenSite, HsmSite } from '../engine/step-kind.types.js';
import type { RoomSite } from '../engine/ceremony-inputs.types.js';
import { fingerprintOf } from '../record/fingerprint.js';
import { X509Certificate } from 'node:crypto';
import { formatPath, formatProblem, parseWithSchema } from '../script/parse.js';
import type { Script } from '../script/schema.js';
import { SiteProfile } from '../script/site-schema.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, type InputProblem, type Loaded } from './problems.js';

export interface SiteFlags {
  site?: string;
  module?: string;
  tokenLabel?: string;
  slot?: string;
}

export interface PivSettings {
  module: string;
  /** PEM certificates, read from the files the site file names (relative to the site file). */
  attestationRoots: string[];
  rosterSha256?: string;
}

export interface LoadedSite {
  /** Undefined when the script has no HSM profile. */
  hsm?: HsmSite;
  /** Undefined without a site file or without its piv section. */
  piv?: PivSettings;
  /** Undefined without a site file or without its manifest_authority section. */
  manifestAuthority?: ManifestAuthoritySite;
  /** The ceremony laptop (room section): undefined without a site file or without that section. */
  room?: RoomSite;
}

export interface ManifestAuthoritySite {
  /** The pinned release authority certificate, as read (PEM). */
  releaseCertificatePem: Buffer;
  releaseCertificateFile: string;
  /** The manifest signing log's absolute path. */
  signingLog: string;
}

/** Where a problem with flags alone is reported. */
export const COMMAND_LINE = 'command line';

/** The site, and (when the site file parsed, whatever its other problems) which optional sections it has. */
export function loadSite(files: InputFiles, script: Script, flags: SiteFlags): Loaded<LoadedSite> & { sections?: { manifestAuthority: boolean } } {
  const problems: InputProblem[] = [];
  let file: SiteProfile | undefined;
  if (flags.site) {
    const read = readBytes(files, flags.site, 'site file');
    if (read.problem) {
      problems.push(read.problem);
    } else {
      const parsed = parseWithSchema(flags.site, read.bytes.toString('utf8'), SiteProfile);
      const group = `${flags.site}: ${parsed.errors.length} problem(s)`;
      for (const p of parsed.errors) problems.push(inputProblem('input.site-invalid', flags.site, p.path, formatProblem(p), group));
      file = parsed.value;
    }
  }
  const usable = !flags.site || file !== undefined;
  const hsm = usable ? hsmSite(files, script, flags, file, problems) : undefined;
  if (flags.slot !== undefined && !Number.isInteger(Number(flags.slot)) && script.site.hsm !== undefined) {
    problems.push(inputProblem('input.site-invalid', COMMAND_LINE, '--slot', `--slot must be a whole number`));
  }
  const piv = file?.piv && flags.site ? pivSettings(files, flags.site, file.piv, problems) : undefined;
  const manifestAuthority = file?.manifest_authority && flags.site ? manifestAuthoritySite(files, flags.site, file.manifest_authority, problems) : undefined;
  const sections = file ? { manifestAuthority: file.manifest_authority !== undefined } : undefined;
  const room = file?.room && flags.site ? roomSite(flags.site, file.room) : undefined;
  return { ...loaded({ hsm, piv, ...(manifestAuthority ? { manifestAuthority } : {}), ...(room ? { room } : {}) }, problems), ...(sections ? { sections } : {}) };
}

/** The room section, its boot medium's path taken relative to the site file (a device path is absolute). */
function roomSite(siteFile: string, section: NonNullable<SiteProfile['room']>): RoomSite {
  return {
    ...(section.boot_medium
      ? { bootMedium: { path: resolve(dirname(siteFile), section.boot_medium.path), sha256: section.boot_medium.sha256, ...(section.boot_medium.bytes ? { bytes: section.boot_medium.bytes } : {}) } }
      : {}),
    usbAllowlist: [...section.usb_allowlist],
    ...(section.officiant_sha256 ? { officiantSha256: section.officiant_sha256 } : {}),
  };
}

function hsmSite(files: InputFiles, script: Script, flags: SiteFlags, file: SiteProfile | undefined, problems: InputProblem[]): HsmSite | undefined {
  const profile = script.site.hsm;
  if (profile === undefined) return undefined;
  const fromFile: { module?: string; token_label?: string; slot?: number } = file?.hsm[profile] ?? {};
  if (file && !file.hsm[profile] && !(flags.module && flags.tokenLabel)) {
    problems.push(inputProblem('input.site-invalid', flags.site!, formatPath(['hsm', profile]), `${flags.site} has no hsm profile "${profile}" (the script's site.hsm)`));
    return undefined;
  }
  const fromFileEvidence = file?.hsm[profile]?.evidence;
  const evidence = fromFileEvidence ? evidenceTokenSite(files, flags.site!, profile, fromFileEvidence, problems) : undefined;
  const module = flags.module ?? fromFile.module;
  const tokenLabel = flags.tokenLabel ?? fromFile.token_label;
  const slot = flags.slot !== undefined ? Number(flags.slot) : fromFile.slot;
  if (!module || !tokenLabel) {
    problems.push(
      inputProblem('input.site-invalid', flags.site ?? COMMAND_LINE, formatPath(['hsm', profile]), `no module path and token label for HSM profile "${profile}": give --site <file> or --module and --token-label`),
    );
    return undefined;
  }
  const authority = file?.hsm[profile]?.release_authority;
  const releaseAuthority = authority ? releaseAuthoritySite(files, flags.site!, profile, authority, problems) : undefined;
  return { profile, module, tokenLabel, slot, ...(evidence ? { evidence } : {}), ...(releaseAuthority ? { releaseAuthority } : {}) };
}

type AuthoritySection = NonNullable<SiteProfile['hsm'][string]['release_authority']>;

/** The release authority's section: its certificate, read now and matching its pin, and the signing log's path. */
function releaseAuthoritySite(files: InputFiles, siteFile: string, profile: string, section: AuthoritySection, problems: InputProblem[]): HsmSite['releaseAuthority'] {
  const at = ['hsm', profile, 'release_authority'];
  const certificatePem = pinnedCertificate(files, siteFile, { file: section.certificate, sha256: section.certificate_sha256, field: [...at, 'certificate'], pin: [...at, 'certificate_sha256'], what: "release authority's certificate" }, problems);
  return certificatePem ? { certificatePem, signingLog: resolve(siteFile, '..', section.signing_log) } : undefined;
}

/** The manifest authority's section: the release authority certificate it trusts (read now, matching its pin) and its own signing log. */
function manifestAuthoritySite(files: InputFiles, siteFile: string, section: NonNullable<SiteProfile['manifest_authority']>, problems: InputProblem[]): ManifestAuthoritySite | undefined {
  const at = ['manifest_authority'];
  const pin = { file: section.release_certificate, sha256: section.release_certificate_sha256, field: [...at, 'release_certificate'], pin: [...at, 'release_certificate_sha256'], what: "release authority's certificate" };
  const releaseCertificatePem = pinnedCertificate(files, siteFile, pin, problems);
  return releaseCertificatePem ? { releaseCertificatePem, releaseCertificateFile: resolve(siteFile, '..', section.release_certificate), signingLog: resolve(siteFile, '..', section.signing_log) } : undefined;
}

/** A PEM certificate file the site file names (relative to it), read now: its bytes when its DER has the pinned SHA-256. */
function pinnedCertificate(files: InputFiles, siteFile: string, c: { file: string; sha256: string; field: string[]; pin: string[]; what: string }, problems: InputProblem[]): Buffer | undefined {
  const read = readBytes(files, resolve(siteFile, '..', c.file), c.what);
  if (read.problem) {
    problems.push({ ...read.problem, file: siteFile, field: formatPath(c.field) });
    return undefined;
  }
  let der: Buffer;
  try {
    der = new X509Certificate(read.bytes).raw;
  } catch {
    problems.push(inputProblem('input.site-invalid', siteFile, formatPath(c.field), `${siteFile} ${formatPath(c.field)}: ${c.file} is not a PEM certificate`));
    return undefined;
  }
  const sha256 = fingerprintOf(der);
  if (sha256 !== c.sha256) {
    problems.push(inputProblem('input.site-invalid', siteFile, formatPath(c.pin), `${siteFile} ${formatPath(c.pin)}: ${c.file} has SHA-256 ${sha256}, not the pinned ${c.sha256}`));
    return undefined;
  }
  return read.bytes;
}

type EvidenceSection = NonNullable<SiteProfile['hsm'][string]['evidence']>;

/** The evidence token's section: the certificate file, read now, must be a certificate matching its pin. */
function evidenceTokenSite(files: InputFiles, siteFile: string, profile: string, section: EvidenceSection, problems: InputProblem[]): EvidenceTokenSite | undefined {
  const field = formatPath(['hsm', profile, 'evidence', 'certificate']);
  const read = readBytes(files, resolve(siteFile, '..', section.certificate), 'evidence certificate');
  if (read.problem) {
    problems.push({ ...read.problem, file: siteFile, field });
    return undefined;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(read.bytes);
  } catch {
    problems.push(inputProblem('input.site-invalid', siteFile, field, `${section.certificate} is not a readable certificate (PEM or DER)`));
    return undefined;
  }
  const der = cert.raw;
  const sha256 = fingerprintOf(der);
  if (sha256 !== section.certificate_sha256) {
    problems.push(inputProblem('input.site-invalid', siteFile, formatPath(['hsm', profile, 'evidence', 'certificate_sha256']), `${section.certificate} has SHA-256 ${sha256}, not the pinned ${section.certificate_sha256}: it is not the evidence certificate written on the paper log`));
    return undefined;
  }
  const pem = cert.toString().trim();
  return { tokenLabel: section.token_label, keyLabel: section.key_label, certificatePem: pem, certificateSha256: sha256 };
}

function pivSettings(files: InputFiles, siteFile: string, piv: NonNullable<SiteProfile['piv']>, problems: InputProblem[]): PivSettings {
  const base = resolve(siteFile, '..');
  const attestationRoots: string[] = [];
  for (const [i, f] of piv.attestation_roots.entries()) {
    const read = readBytes(files, resolve(base, f), 'attestation root certificate');
    if (read.problem) problems.push({ ...read.problem, file: siteFile, field: formatPath(['piv', 'attestation_roots', i]) });
    else attestationRoots.push(read.bytes.toString('utf8'));
  }
  return { module: piv.module, attestationRoots, rosterSha256: piv.roster_sha256 };
}
