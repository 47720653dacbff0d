// Composition root shared by run, rehearse and resume: builds the adapters (PKCS#11 module, output directory,
// journal file, PDF renderer) and hands them to the engine. The input loaders wired to the file system are in
// compose/input-files.ts, the prompters in compose/prompter.ts, and each command's composition in compose/.
import { unixSocketWindow } from '../adapters/window/unix-socket-window.js';
import { WINDOW_SOCKET } from '../evidence/packet-files.js';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { OfficiantError } from '../errors.js';
import { PROJECT_ROOT } from './paths.js';
import type { Script } from '../script/schema.js';
import type { CeremonyDeps, InputDocument, LoadedBackup, LoadedRoster, ManifestInputs, PivSite, ReleaseInputs } from '../engine/runner.js';
import { Pkcs11PivReader } from '../adapters/piv/pkcs11-piv-reader.js';
import type { SimulatedPivFleet } from '../adapters/piv/simulated-piv-fleet.js';
import type { Prompter } from '../engine/ports.js';
import type { HsmSite } from '../engine/step-kind.types.js';
import type { RoomSite } from '../engine/ceremony-inputs.types.js';
import { LinuxRoomProbe } from '../adapters/room/linux-room.js';
import { FsJournalFile, FsOutputStore } from '../adapters/fs/fs-output-store.js';
import { Pkcs11Hsm } from '../adapters/pkcs11/pkcs11-hsm.js';
import { renderStepPage } from '../evidence/render-step-page.js';
import { loadPageTemplate } from '../evidence/page-template.js';
import { loadPacketTemplates, renderPacket } from '../evidence/render-packet.js';
import { FsTemplateReader } from '../adapters/fs/fs-template-reader.js';
import { addSignaturePlaceholder, signPdf } from '../evidence/sign-pdf.js';
import { JOURNAL } from '../evidence/packet-files.js';
import { STEP_HANDLERS } from '../steps/index.js';

export { loadBackup, loadRoster, loadScript, readInput } from './compose/input-files.js';

export const TEMPLATE_DIR = join(PROJECT_ROOT, 'templates');
export const templateReader = new FsTemplateReader();
export const VERSION = '0.1.0';

export function pivSite(piv: { module: string; attestationRoots: string[] }, simulated?: SimulatedPivFleet): PivSite {
  return {
    ...piv,
    open: () => {
      if (!simulated && !existsSync(piv.module)) throw new OfficiantError('env.module-load', `PIV PKCS#11 module ${piv.module} does not exist`);
      return Pkcs11PivReader.load(piv.module, { quirks: simulated?.quirks() });
    },
  };
}


/**
 * The ceremony laptop as room.preflight reads it: sysfs (OFFICIANT_SYSFS_ROOT points it at a directory laid out
 * the same way; the source is recorded), and what of this checkout is Officiant: what runs (the launcher, the
 * bundle and the native and font modules it loads), its templates and its manifest files.
 */
export function laptopProbe(): LinuxRoomProbe {
  return new LinuxRoomProbe(process.env.OFFICIANT_SYSFS_ROOT ?? '/sys', {
    root: PROJECT_ROOT,
    version: VERSION,
    parts: ['package.json', 'package-lock.json', 'bin', 'dist/bundle', 'templates', 'node_modules/pkcs11js', 'node_modules/graphene-pk11', 'node_modules/pdfkit', 'node_modules/fontkit'],
  });
}

/** Every template a ceremony will need, loaded before it starts: a bad one is an error now, not at sealing. */
export async function checkTemplates(): Promise<void> {
  await loadPacketTemplates(TEMPLATE_DIR, templateReader);
}

export function defaultOut(script: Script): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return join('evidence', `${script.id}-${stamp}`);
}

export function ceremonyDeps(args: {
  script: Script;
  text: string;
  site: HsmSite | undefined;
  rehearsal: boolean;
  prompter: Prompter;
  out: string;
  roster?: LoadedRoster;
  piv?: PivSite;
  backup?: LoadedBackup;
  release?: ReleaseInputs;
  policyDraft?: InputDocument;
  manifest?: ManifestInputs;
  /** The signing plan of a session with an android.sign-window step. */
  signingPlan?: InputDocument;
  /** The site file's room section (room.preflight compares the laptop with it). */
  room?: RoomSite;
}): CeremonyDeps {
  const out = resolve(args.out);
  return {
    roster: args.roster,
    backup: args.backup,
    release: args.release,
    policyDraft: args.policyDraft,
    manifest: args.manifest,
    // The window's socket lives in the session's directory, removed when the window closes.
    signingWindow: args.signingPlan ? { plan: args.signingPlan, socket: join(out, WINDOW_SOCKET), server: unixSocketWindow } : undefined,
    piv: args.piv,
    room: { site: args.room, probe: laptopProbe() },
    script: args.script,
    steps: STEP_HANDLERS,
    scriptText: args.text,
    site: args.site,
    rehearsal: args.rehearsal,
    openHsm: () => {
      if (!args.site) throw new OfficiantError('input.site-invalid', 'the script has no HSM profile');
      if (!existsSync(args.site.module)) throw new OfficiantError('env.module-load', `PKCS#11 module ${args.site.module} does not exist`);
      return Pkcs11Hsm.load(args.site.module);
    },
    prompter: args.prompter,
    store: new FsOutputStore(out),
    journalFile: new FsJournalFile(join(out, JOURNAL)),
    clock: { now: () => new Date() },
    renderer: {
      renderStepPage: async (page, signature) => {
        const pdf = await renderStepPage(page, { template: await loadPageTemplate(TEMPLATE_DIR, templateReader), beforeEnd: signature ? (doc) => addSignaturePlaceholder(doc, signature) : undefined });
        return signature ? signPdf(pdf, signature) : pdf;
      },
      renderPacket: async (packet, signature) => renderPacket(packet, { templates: await loadPacketTemplates(TEMPLATE_DIR, templateReader), signature }),
    },
    footer: `Officiant ${VERSION} · ${basename(out)}`,
  };
}

/** Ctrl-C asks the engine to pause at the next safe point; a second Ctrl-C stops at once (the journal is durable). */
export function pauseOnSigint(): { bind(c: { requestPause(): void }): void; release(): void } {
  let target: { requestPause(): void } | undefined;
  let count = 0;
  const handler = () => {
    count++;
    if (count > 1) process.exit(130);
    process.stderr.write('\nofficiant: pausing after the current operation (Ctrl-C again to stop now)\n');
    target?.requestPause();
  };
  process.on('SIGINT', handler);
  return {
    bind: (c) => {
      target = c;
    },
    release: () => process.off('SIGINT', handler),
  };
}

