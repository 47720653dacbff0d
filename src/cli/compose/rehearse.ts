// officiant rehearse: the whole ceremony on a throwaway SoftHSM sandbox with simulated people (or, with
// --interactive, people at the keyboard on simulated hardware). With --officers the rehearsal joins an
// enrollment rehearsal's sandbox, where its officers' virtual tokens live; with --from it restores or re-shares
// the backup a rehearsed ceremony made, with its officers. What is brought along is checked first (inputs/).
import { randomBytes } from 'node:crypto';
import { officerSecrets, simulatePeople, type RehearsalOfficers } from '../../adapters/prompts/rehearsal-people.js';
import { SimulatedPivFleet } from '../../adapters/piv/simulated-piv-fleet.js';
import { showingRehearsalPins } from '../../adapters/prompts/rehearsal-pins.js';
import { SOFTHSM_MODULE, SoftHsmSandbox } from '../../adapters/pkcs11/softhsm-sandbox.js';
import { startCeremony } from '../../engine/runner.js';
import type { Hsm } from '../../engine/ports.js';
import { Pkcs11Hsm } from '../../adapters/pkcs11/pkcs11-hsm.js';
import { INTERACTIVE_HALVES, evidencePinHalves, simulatedEvidenceToken } from './rehearsal-evidence-token.js';
import type { HsmSite } from '../../engine/step-kind.types.js';
import { OUTPUTS_DIR, REHEARSAL_POINTER, SITE_COPY } from '../../evidence/packet-files.js';
import { join } from 'node:path';
import { fsReleaseFiles } from '../../adapters/fs/release-files.js';
import type { InputDocument, ManifestInputs, ReleaseInputs } from '../../engine/ceremony-inputs.types.js';
import { BUNDLE } from '../../custody/release-bundle.js';
import { loadManifest, signsManifest, type ManifestFlags } from '../../inputs/manifest.js';
import { openReleaseBundle } from './release-bundle.js';
import { adoptsPolicy, loadPolicyDraft, loadRelease, signsRelease, type ReleaseFlags } from '../../inputs/release.js';
import { enableFailpoints } from '../../failpoints.js';
import type { Answers } from '../../inputs/answers.js';
import { planRehearsal, type RehearsalOfficersPlan } from '../../inputs/rehearsal-plan.js';
import type { RehearsalPointer } from '../../inputs/rehearsal-pointer.js';
import { usesPiv } from '../../inputs/script.js';
import { orThrow } from '../input-error.js';
import { loadSigningPlan, opensSigningWindow, type SigningPlanFlags } from '../../inputs/signing-plan.js';
import { rehearsalBanner } from '../messages.js';
import { ceremonyDeps, checkTemplates, defaultOut, pivSite } from '../compose.js';
import { inputFiles, loadScript } from './input-files.js';
import { keyboardPrompter, scriptedPrompter } from './prompter.js';
import { siteJson } from './run.js';
import type { CeremonySession } from './session.js';

export interface RehearseFlags extends ReleaseFlags, ManifestFlags, SigningPlanFlags {
  out?: string;
  officers?: string;
  interactive?: boolean;
  from?: string;
}

/** The earlier rehearsal's sandbox, and its simulated officers with the secrets they hold there. */
function openOfficers(plan: RehearsalOfficersPlan): { sandbox: SoftHsmSandbox; officers: RehearsalOfficers } {
  const sandbox = SoftHsmSandbox.open(plan.pointer.sandbox);
  return { sandbox, officers: { roster: plan.roster.body, secrets: officerSecrets(sandbox.loadPeople<Answers>(plan.pointer.people)) } };
}

/** Runs fn with the sandbox's SoftHSM module loaded, and unloads it after. */
async function withHsm<T>(fn: (hsm: Hsm) => Promise<T>): Promise<T> {
  const hsm = Pkcs11Hsm.load(SOFTHSM_MODULE);
  try {
    return await fn(hsm);
  } finally {
    hsm.close();
  }
}

/** The token a rehearsed ceremony (--from) made for this HSM profile: where a later session finds its keys. */
function fromToken(from: string | undefined, profile: string | undefined): string | undefined {
  if (!from || !profile) return undefined;
  try {
    const site = JSON.parse(inputFiles.read(join(from, SITE_COPY)).toString('utf8')) as { profile?: string; tokenLabel?: string } | null;
    return site?.profile === profile ? site.tokenLabel : undefined;
  } catch {
    return undefined;
  }
}

export async function composeRehearsal(file: string, flags: RehearseFlags, print: (l: string) => void): Promise<CeremonySession> {
  const { script, text, warnings } = loadScript(file);
  warnings.forEach(print);
  await checkTemplates();
  const out = flags.out ?? defaultOut(script);
  const plan = orThrow(planRehearsal(inputFiles, script, { out, officers: flags.officers, from: flags.from }));
  const { backup } = plan;
  const from = plan.officers ? openOfficers(plan.officers) : undefined;
  const sandbox = from?.sandbox ?? SoftHsmSandbox.create(out);
  sandbox.activate();
  enableFailpoints({ out, sandbox: sandbox.dir });
  const fleet = usesPiv(script) ? SimulatedPivFleet.open(sandbox.dir) : undefined;
  const newDevices = fleet ? script.steps.filter((s) => s.kind === 'piv.enroll').map(() => fleet.createDevice().serial) : [];
  const people = simulatePeople(script, { officers: from?.officers, newDevices });
  // The simulated administrator "reads" the backup's check value off the paper record of the rehearsed backup.
  for (const step of script.steps) {
    if (backup && (step.kind === 'backup.restore' || step.kind === 'backup.reshare' || step.kind === 'backup.verify')) {
      (people.records[step.id] ??= {})['backup-check-value'] = backup.manifest.wrap_key.kcv;
    }
  }
  const peopleFile = from ? `people-${randomBytes(4).toString('hex')}.json` : undefined;
  sandbox.savePeople(people, peopleFile);
  // A shared sandbox may already hold a token of this profile (another rehearsal from the same officers): a
  // ceremony that initialises its token gets a label of its own; one that uses an existing token finds it.
  const initialises = script.steps.some((s) => s.kind === 'hsm.init-token');
  const label = from && initialises ? `rehearsal-${script.site.hsm}-${randomBytes(3).toString('hex')}` : (fromToken(flags.from, script.site.hsm) ?? `rehearsal-${script.site.hsm}`);
  const site: HsmSite | undefined = script.site.hsm ? { profile: script.site.hsm, module: SOFTHSM_MODULE, tokenLabel: label.slice(0, 32) } : undefined;
  const evidenceHalves = evidencePinHalves(script, people, flags.interactive === true);
  if (site && evidenceHalves) site.evidence = await withHsm((hsm) => simulatedEvidenceToken(evidenceHalves, hsm, `rehearsal-evidence-${randomBytes(3).toString('hex')}`));
  let release: ReleaseInputs | undefined;
  let policyDraft: InputDocument | undefined;
  if (site && signsRelease(script)) {
    // The rehearsed authority (--from): its root certificate, and a signing log kept in its sandbox, so that a
    // request signed by one rehearsal is a replay to the next one from the same authority.
    const key = script.steps.find((s) => s.kind === 'hsm.sign-artifacts');
    const certFile = flags.from && key?.kind === 'hsm.sign-artifacts' ? join(flags.from, OUTPUTS_DIR, `${key.params.key}.cert.pem`) : undefined;
    if (certFile && inputFiles.exists(certFile)) site.releaseAuthority = { certificatePem: inputFiles.read(certFile), signingLog: join(sandbox.dir, 'release-signing-log.jsonl') };
    release = orThrow(loadRelease(inputFiles, script, flags, { site, roster: plan.officers?.roster.body, out, now: new Date(), releaseFiles: fsReleaseFiles }));
  }
  if (adoptsPolicy(script)) policyDraft = orThrow(loadPolicyDraft(inputFiles, flags));
  let manifest: ManifestInputs | undefined;
  if (signsManifest(script)) {
    // A rehearsal pins the release authority certificate of the first --release bundle (a production session
    // pins the site's), and keeps the manifest signing log in the officers' sandbox: a manifest version signed
    // by one rehearsal is a replay to the next one with the same officers.
    const first = flags.release?.[0];
    const certFile = first ? join(first, BUNDLE.certificate) : undefined;
    const certificatePem = certFile && inputFiles.exists(certFile) ? inputFiles.read(certFile) : undefined;
    manifest = orThrow(loadManifest(inputFiles, flags, { certificatePem, certificateSource: certFile ?? '--release', signingLog: join(sandbox.dir, 'manifest-signing-log.jsonl'), releaseFiles: fsReleaseFiles, openBundle: openReleaseBundle }));
  }
  const piv = fleet ? pivSite({ module: SOFTHSM_MODULE, attestationRoots: [fleet.attestationRoot().pem] }, fleet) : undefined;
  // An interactive rehearsal is a dry run for the people: they type names, PINs and answers themselves on
  // simulated hardware; the sandbox still holds the devices, and the evidence is still marked REHEARSAL.
  const prompter = flags.interactive ? showingRehearsalPins(await keyboardPrompter(script), people.secrets, (l) => process.stdout.write(`${l}\n`), INTERACTIVE_HALVES) : scriptedPrompter(people, print);
  const signingPlan = opensSigningWindow(script) ? orThrow(loadSigningPlan(inputFiles, flags)) : undefined;
  const deps = ceremonyDeps({ script, text, site, rehearsal: true, prompter, out, roster: plan.officers?.roster, piv, backup, release, policyDraft, manifest, signingPlan });
  const pointer: RehearsalPointer = { sandbox: sandbox.dir, ...(peopleFile ? { people: peopleFile } : {}), ...(flags.interactive ? { interactive: true } : {}) };
  const officers = plan.officers ? { version: plan.officers.roster.body.version, dir: plan.officers.dir } : undefined;
  let started = false;
  return {
    out,
    banner: rehearsalBanner({ script, out, sandbox: sandbox.dir, newDevices, officers, backup, evidence: site?.evidence ? { label: site.evidence.tokenLabel, halves: flags.interactive ? INTERACTIVE_HALVES : undefined } : undefined }),
    run: async (bind) => {
      try {
        return await startCeremony(deps, {
          scriptFile: file,
          extraFiles: { [SITE_COPY]: siteJson(site), [REHEARSAL_POINTER]: `${JSON.stringify(pointer, null, 2)}\n` },
          onCeremony: (c) => {
            started = true;
            bind(c);
          },
        });
      } catch (err) {
        // A sandbox this rehearsal made and never used is removed; a shared one (--officers, --from) never is.
        if (!started && !from) sandbox.remove();
        throw err;
      }
    },
  };
}
