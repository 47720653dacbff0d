// Pre-flight: every check that can run before the HSM is modified, in a fixed order, throwing the first
// failing check's error. Outputs that already exist are refused first; then the answers, the roster, the
// backup, the PIV site and a rehearsal roster in production; last the token, read without a login. Before
// the ceremony starts, any HSM trouble is the environment's (env.hsm, exit 3), never a ceremony failure.
import { OfficiantError, isOfficiantError } from '../errors.js';
import { JOURNAL } from '../evidence/packet-files.js';
import type { CeremonyDeps } from './ceremony-deps.types.js';
import { firstStepNeeding, scriptNeeds } from './needs.js';
import type { Hsm } from './ports.js';
import type { HsmSite } from './step-kind.types.js';
import type { StepKind } from '../script/schema.js';

export interface Preflight {
  /** Problems found by the prompter (e.g. answers missing for a role); empty when people will be asked. */
  answers: string[];
}

/** Every sanity check that can run before the HSM is modified. Throws the first failing check's error. */
export function preflight(deps: CeremonyDeps, extra: Preflight): void {
  const existing = deps.store.list('').filter((n) => !n.startsWith('.officiant'));
  if (existing.includes(JOURNAL)) {
    throw new OfficiantError('input.out-dir-used', `${deps.store.root} already holds a ceremony journal; resume it with \`officiant resume ${deps.store.root}\` or choose another --out`);
  }
  if (existing.length > 0) throw new OfficiantError('input.out-dir-used', `${deps.store.root} is not empty (${existing.length} entries); choose an empty or new --out`);
  if (extra.answers.length > 0) throw new OfficiantError('input.missing-answer', `answers incomplete: ${extra.answers.length} problem(s)`, { details: extra.answers });
  const { script } = deps;
  const needsOf = (kind: StepKind) => deps.steps[kind].needs;
  const needs = scriptNeeds(script, needsOf);
  const { pivRoles } = needs;
  if (needs.roster && !deps.roster) {
    throw new OfficiantError('input.roster-missing', `this ceremony needs the officer roster (${pivRoles.length > 0 ? `role ${pivRoles.join(', ')} checks in by PIV token` : 'it approves, revokes or backs up by token'}): give --roster <roster.json>, or --officers <enrollment rehearsal dir> to rehearse`);
  }
  const restore = firstStepNeeding(script, needsOf, 'backup');
  if (restore && !deps.backup) {
    throw new OfficiantError('input.backup-missing', `step ${restore.id} works from an existing backup: give --backup <dir> (the directory holding backup/manifest.json and shares/), or rehearse with --from <rehearsed ceremony dir>`);
  }
  const signing = firstStepNeeding(script, needsOf, 'release');
  if (signing && !deps.release) {
    throw new OfficiantError('input.request-invalid', `step ${signing.id} signs a release: give --request <request.json> and --policy <signed policy.json> (the site file's hsm profile names the authority's certificate and signing log)`);
  }
  const adopt = firstStepNeeding(script, needsOf, 'policyDraft');
  if (adopt && !deps.policyDraft) throw new OfficiantError('input.request-invalid', `step ${adopt.id} adopts a release policy: give --policy <policy draft.json>`);
  const manifest = firstStepNeeding(script, needsOf, 'manifest');
  if (manifest && !deps.manifest) throw new OfficiantError('input.manifest-draft', `step ${manifest.id} signs an OTA manifest: give --manifest <draft.json> and --release <bundle> for each release its targets come from`);
  const window = firstStepNeeding(script, needsOf, 'signingPlan');
  if (window && !deps.signingWindow) throw new OfficiantError('input.signing-plan', `step ${window.id} opens a signing window for Android's tools: give --signing-plan <plan.json>`);
  if (needs.piv && !deps.piv) throw new OfficiantError('input.site-invalid', "this ceremony uses officers' PIV tokens: the site file needs a piv section (module, attestation_roots)");
  if (deps.roster && deps.roster.body.rehearsal && !deps.rehearsal) throw new OfficiantError('env.roster', 'the roster lists simulated devices: it is valid for rehearsals only');
  if (!needs.hsm && !needs.evidenceToken) return;
  const site = deps.site;
  if (!site) throw new OfficiantError('input.site-invalid', `the script uses HSM profile "${deps.script.site.hsm}" but no site profile was given`);
  if (needs.evidenceToken && !site.evidence) {
    throw new OfficiantError('input.site-invalid', `this ceremony signs its evidence on the site's evidence token, but the site file names none for HSM profile "${site.profile}" (hsm.${site.profile}.evidence: token_label, key_label, certificate, certificate_sha256); make one with ceremonies/evidence-token-init.yaml`);
  }
  if (needs.evidenceToken && site.evidence?.tokenLabel === site.tokenLabel) {
    throw new OfficiantError('input.site-invalid', `the evidence token must be a token of its own, not "${site.tokenLabel}", the token this ceremony's keys live on`);
  }
  const hsm = deps.openHsm();
  try {
    if (needs.hsm) checkToken(deps, site, hsm);
    if (needs.evidenceToken && !hsm.findToken(site.evidence!.tokenLabel)) {
      throw new OfficiantError('env.token-missing', `evidence token "${site.evidence!.tokenLabel}" is not present (module ${site.module})`);
    }
  } catch (err) {
    // Before the ceremony starts, any HSM trouble is the environment's (exit 3), not a ceremony failure.
    if (isOfficiantError(err) && err.code.startsWith('hsm.')) throw new OfficiantError('env.hsm', err.message, { cause: err });
    throw err;
  } finally {
    hsm.close();
  }
}

function checkToken(deps: CeremonyDeps, site: HsmSite, hsm: Hsm): void {
  const initialises = deps.script.steps.some((s) => s.kind === 'hsm.init-token');
  const token = hsm.findToken(site.tokenLabel);
  const labels = deps.script.steps.flatMap((s) => (s.kind === 'hsm.generate-key' || s.kind === 'evidence.init-key' ? [s.params.label] : []));
  if (initialises) {
    if (token) throw new OfficiantError('env.token-label-used', `a token labelled "${site.tokenLabel}" already exists; this ceremony initialises a new one`);
    const free = hsm.freeSlots();
    if (site.slot !== undefined ? !free.includes(site.slot) : free.length === 0) {
      throw new OfficiantError('env.no-free-slot', `no uninitialised slot${site.slot === undefined ? '' : ` ${site.slot}`} to initialise token "${site.tokenLabel}"`);
    }
  } else {
    if (!token) throw new OfficiantError('env.token-missing', `token "${site.tokenLabel}" is not present (module ${site.module})`);
    const used = hsm.labelsInUse(site.tokenLabel, labels);
    if (used.length > 0) throw new OfficiantError('env.key-label-used', `key label(s) already on token "${site.tokenLabel}": ${used.join(', ')}`);
  }
}
