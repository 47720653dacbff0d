// Everything the engine is handed to run a ceremony: the script and its step kinds, the people, the ports to
// the outside world (HSM, officers' tokens, output directory, journal file, clock, PDF renderer) and the
// checked inputs. Built by the composition root (cli/compose.ts); tests build it with fakes.
import type { Script } from '../script/schema.js';
import type { InputDocument, LoadedBackup, LoadedRoster, PivSite, ReleaseInputs, ManifestInputs, RoomInputs, SigningWindowInputs } from './ceremony-inputs.types.js';
import type { Clock, EvidenceRenderer, Hsm, JournalFile, OutputStore, Prompter } from './ports.js';
import type { HsmSite, StepRegistry } from './step-kind.types.js';

export interface CeremonyDeps {
  script: Script;
  /** The step kinds, by name (steps/index.ts). */
  steps: StepRegistry;
  scriptText: string;
  site: HsmSite | undefined;
  rehearsal: boolean;
  /** Loads the PKCS#11 module on first use (pre-flight calls it before anything else touches the HSM). */
  openHsm: () => Hsm;
  prompter: Prompter;
  store: OutputStore;
  journalFile: JournalFile;
  clock: Clock;
  renderer: EvidenceRenderer;
  footer: string;
  /** The officer roster (verified by the caller), as the file's bytes and its parsed roster body. */
  roster?: LoadedRoster;
  /** Officers' PIV tokens: the module, the attestation roots devices must chain to, and how to open them. */
  piv?: PivSite;
  /** The backup a restore or re-share works from (verified for shape by the caller). */
  backup?: LoadedBackup;
  /** A release signing session's request, policy, certificate and places (checked by the caller). */
  release?: ReleaseInputs;
  /** The unsigned release policy a policy ceremony adopts. */
  policyDraft?: InputDocument;
  /** A manifest signing session's draft, release bundles, pinned release certificate and signing log. */
  manifest?: ManifestInputs;
  /** An Android signing window's plan, socket and server. */
  signingWindow?: SigningWindowInputs;
  /** The ceremony laptop: the site file's room section and the probe room.preflight reads it with. */
  room?: RoomInputs;
}
