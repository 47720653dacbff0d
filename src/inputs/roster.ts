// An officer roster file (roster.json from an enrollment), verified the way an auditor would: every problem
// listed. Production refuses simulated devices and attestation roots other than the trusted ones. For a run,
// the site file pins the current roster by SHA-256, so an older roster (before a revocation) or someone else's
// that verifies on its own is still refused.
import type { LoadedRoster } from '../engine/ceremony-inputs.types.js';
import { der, sha256 as certSha256 } from '../custody/piv-attestation.js';
import { verifyRosterFile } from '../custody/roster.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, WHOLE_FILE, type InputProblem, type Loaded } from './problems.js';

export interface RosterOptions {
  production: boolean;
  /** PEM certificates of the attestation roots production trusts. */
  trustedRoots?: string[];
}

export function loadRoster(files: InputFiles, path: string, opts: RosterOptions): Loaded<LoadedRoster> {
  const read = readBytes(files, path, 'roster');
  if (read.problem) return { problems: [read.problem] };
  const bytes = read.bytes;
  let file: unknown;
  try {
    file = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problems: [inputProblem('input.roster-invalid', path, WHOLE_FILE, `${path}: the roster is not valid JSON`)] };
  }
  const check = verifyRosterFile(file, { production: opts.production, trustedAttestationRoots: opts.trustedRoots?.map((pem) => certSha256(der(pem))) });
  if (!check.ok || !check.roster || !check.rosterSha256) {
    const group = `${path}: the roster does not verify (${check.problems.length} problem(s))`;
    return { problems: check.problems.map((p) => inputProblem('input.roster-invalid', path, fieldOf(p), p, group)) };
  }
  return loaded({ bytes, body: check.roster, sha256: check.rosterSha256 }, []);
}

/** The site's word on rosters: the file, and its piv section (the attestation roots, the pinned roster). */
export interface RosterPin {
  siteFile?: string;
  piv?: { attestationRoots: string[]; rosterSha256?: string };
}

/** The roster a run uses: it verifies (production, the site's attestation roots) and it is the one the site pins. */
export function loadPinnedRoster(files: InputFiles, path: string, site: RosterPin): Loaded<LoadedRoster> {
  const roster = loadRoster(files, path, { production: true, trustedRoots: site.piv?.attestationRoots ?? [] });
  return loaded(roster.value!, [...roster.problems, ...rosterPinProblems(path, roster.value, site)]);
}

function rosterPinProblems(path: string, roster: LoadedRoster | undefined, site: RosterPin): InputProblem[] {
  const pin = site.piv?.rosterSha256;
  if (!pin) {
    // A roster that verifies on its own may still be an old one (before a revocation) or someone else's.
    return [inputProblem('input.roster-invalid', site.siteFile ?? 'site file', 'piv.roster_sha256', `the site file must pin the current roster: add piv.roster_sha256 (the roster SHA-256 on the evidence page of the ceremony that signed it)`)];
  }
  if (roster && roster.sha256 !== pin) {
    return [
      inputProblem(
        'input.roster-invalid',
        path,
        WHOLE_FILE,
        `${path} is roster version ${roster.body.version} (${roster.sha256}), not the one the site file pins (${pin}): use the current roster, or update the site file after the ceremony that replaced it`,
      ),
    ];
  }
  return [];
}

/** The custody checks name the part of the roster file first ("keyring: ...", "officers[0].device: ..."). */
function fieldOf(problem: string): string {
  const colon = problem.indexOf(': ');
  return colon > 0 && !problem.slice(0, colon).includes(' ') ? problem.slice(0, colon) : 'roster';
}
