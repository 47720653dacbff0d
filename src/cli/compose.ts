// Composition root shared by run, rehearse and resume: reads the files people hand us, builds the adapters
// (PKCS#11 module, output directory, journal file, prompter, PDF renderer) and hands them to the engine.
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OfficiantError } from '../errors.js';
import { formatProblem, parseWithSchema } from '../script/parse.js';
import { parseScript } from '../script/rules.js';
import { SiteProfile, type Script } from '../script/schema.js';
import type { CeremonyDeps, LoadedBackup, LoadedRoster, PivSite, RunResult } from '../engine/runner.js';
import { MANIFEST_FILE, manifestProblems, type BackupManifest } from '../custody/backup-manifest.js';
import { verifyRosterFile } from '../custody/roster.js';
import { sha256 as certSha256, der } from '../custody/piv-attestation.js';
import { Pkcs11PivReader } from '../adapters/piv/pkcs11-piv-reader.js';
import type { SimulatedPivFleet } from '../adapters/piv/simulated-piv-fleet.js';
import type { Prompter } from '../engine/ports.js';
import type { HsmSite } from '../engine/step-kind.types.js';
import { FsJournalFile, FsOutputStore } from '../adapters/fs/fs-output-store.js';
import { Pkcs11Hsm } from '../adapters/pkcs11/pkcs11-hsm.js';
import { renderStepPage } from '../evidence/render-step-page.js';
import { loadPageTemplate } from '../evidence/page-template.js';
import { headWords, loadPacketTemplates, renderPacket } from '../evidence/render-packet.js';
import { FsTemplateReader } from '../adapters/fs/fs-template-reader.js';
import { addSignaturePlaceholder, signPdf } from '../evidence/sign-pdf.js';
import { JOURNAL } from '../evidence/packet-files.js';
import { STEP_HANDLERS } from '../steps/index.js';
import { scriptNeeds } from '../engine/needs.js';

export const TEMPLATE_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
export const templateReader = new FsTemplateReader();
export const VERSION = '0.1.0';

/** Reads a file a person named: missing or not a file is bad input (2); unreadable is the environment (3). */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code;
    const errorCode = code === 'ENOENT' || code === 'EISDIR' ? 'input.not-a-ceremony' : code === 'EACCES' ? 'env.permission' : 'env.fs';
    throw new OfficiantError(errorCode, `cannot read ${what} ${path}: ${why}`);
  }
}

export function loadScript(path: string): { script: Script; text: string; warnings: string[] } {
  const text = readInput(path, 'script');
  const check = parseScript(path, text);
  if (!check.script) {
    throw new OfficiantError('input.script-invalid', `${path}: ${check.errors.length} problem(s)`, { details: check.errors.map(formatProblem) });
  }
  return { script: check.script, text, warnings: check.warnings.map((w) => `warning: ${formatProblem(w)}`) };
}

export interface SiteFlags {
  site?: string;
  module?: string;
  tokenLabel?: string;
  slot?: string;
}

export function resolveSite(script: Script, flags: SiteFlags): HsmSite | undefined {
  const profile = script.site.hsm;
  if (profile === undefined) return undefined;
  let fromFile: { module?: string; token_label?: string; slot?: number } = {};
  if (flags.site) {
    const parsed = parseWithSchema(flags.site, readInput(flags.site, 'site file'), SiteProfile);
    if (!parsed.value) throw new OfficiantError('input.site-invalid', `${flags.site}: ${parsed.errors.length} problem(s)`, { details: parsed.errors.map(formatProblem) });
    fromFile = parsed.value.hsm[profile] ?? {};
    if (!parsed.value.hsm[profile] && !(flags.module && flags.tokenLabel)) {
      throw new OfficiantError('input.site-invalid', `${flags.site} has no hsm profile "${profile}" (the script's site.hsm)`);
    }
  }
  const module = flags.module ?? fromFile.module;
  const tokenLabel = flags.tokenLabel ?? fromFile.token_label;
  const slot = flags.slot !== undefined ? Number(flags.slot) : fromFile.slot;
  if (!module || !tokenLabel) {
    throw new OfficiantError('input.site-invalid', `no module path and token label for HSM profile "${profile}": give --site <file> or --module and --token-label`);
  }
  if (slot !== undefined && !Number.isInteger(slot)) throw new OfficiantError('input.site-invalid', `--slot must be a whole number`);
  return { profile, module, tokenLabel, slot };
}

/** The site file's piv section: the PIV module and the attestation roots (PEM files read now). */
export function resolvePiv(flags: SiteFlags): { module: string; attestationRoots: string[]; rosterSha256?: string } | undefined {
  if (!flags.site) return undefined;
  const parsed = parseWithSchema(flags.site, readInput(flags.site, 'site file'), SiteProfile);
  if (!parsed.value) throw new OfficiantError('input.site-invalid', `${flags.site}: ${parsed.errors.length} problem(s)`, { details: parsed.errors.map(formatProblem) });
  const piv = parsed.value.piv;
  if (!piv) return undefined;
  const base = resolve(flags.site, '..');
  return { module: piv.module, attestationRoots: piv.attestation_roots.map((f) => readInput(resolve(base, f), 'attestation root certificate')), rosterSha256: piv.roster_sha256 };
}

export function pivSite(piv: { module: string; attestationRoots: string[] }, simulated?: SimulatedPivFleet): PivSite {
  return {
    ...piv,
    open: () => {
      if (!simulated && !existsSync(piv.module)) throw new OfficiantError('env.module-load', `PIV PKCS#11 module ${piv.module} does not exist`);
      return Pkcs11PivReader.load(piv.module, { simulated });
    },
  };
}

/**
 * Reads and verifies an officer roster file the way an auditor would; refuses it (env.roster, every problem
 * listed) unless it verifies. Production refuses simulated devices and roots other than `trustedRoots`.
 */
export function loadRoster(path: string, opts: { production: boolean; trustedRoots?: string[] }): LoadedRoster {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    readInput(path, 'roster');
    throw new OfficiantError('env.roster', `cannot read roster ${path}`);
  }
  let file: unknown;
  try {
    file = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new OfficiantError('input.roster-invalid', `${path}: the roster is not valid JSON`);
  }
  const check = verifyRosterFile(file, { production: opts.production, trustedAttestationRoots: opts.trustedRoots?.map((pem) => certSha256(der(pem))) });
  if (!check.ok || !check.roster || !check.rosterSha256) {
    throw new OfficiantError('input.roster-invalid', `${path}: the roster does not verify (${check.problems.length} problem(s))`, { details: check.problems });
  }
  return { bytes, body: check.roster, sha256: check.rosterSha256 };
}

/**
 * A backup set (backup/manifest.json and the files it names, under `dir`), checked for shape; with `blobs` (a
 * restore or re-share needs the wrapped keys) every wrapped key must be there with its recorded SHA-256.
 */
export function loadBackup(dir: string, opts: { blobs: boolean }): LoadedBackup {
  const root = resolve(dir);
  const file = join(root, MANIFEST_FILE);
  if (!existsSync(file)) throw new OfficiantError('input.backup-invalid', `${root} holds no ${MANIFEST_FILE}: give the directory a backup step wrote (its outputs/ directory), with the custodians' share files in shares/`);
  const bytes = readFileSync(file);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as BackupManifest;
  } catch {
    throw new OfficiantError('input.backup-invalid', `${file}: not valid JSON`);
  }
  const problems = manifestProblems(manifest);
  if (problems.length > 0) throw new OfficiantError('input.backup-invalid', `${file}: not a usable backup manifest (${problems.length} problem(s))`, { details: problems });
  for (const k of manifest.keys) {
    let spki: string | undefined;
    let certSpki: string | undefined;
    try {
      spki = createHash('sha256').update(createPublicKey(k.public_key).export({ type: 'spki', format: 'der' })).digest('hex');
      certSpki = k.certificate ? createHash('sha256').update(new X509Certificate(k.certificate).publicKey.export({ type: 'spki', format: 'der' })).digest('hex') : spki;
    } catch {
      throw new OfficiantError('input.backup-invalid', `${file}: the public key or certificate of "${k.label}" cannot be read`);
    }
    if (spki !== k.spki_sha256 || certSpki !== k.spki_sha256) throw new OfficiantError('input.backup-invalid', `${file}: the public key and certificate of "${k.label}" do not match its recorded SHA-256: the manifest is not consistent`);
  }
  // The wrapped keys must be the recorded ones before anyone is asked for anything. (Share files are checked per
  // custodian at the step: a damaged one is refused by name and another custodian can stand in.)
  for (const k of opts.blobs ? manifest.keys : []) {
    const blob = join(root, k.blob_file);
    if (!existsSync(blob)) throw new OfficiantError('input.backup-invalid', `the wrapped key ${k.blob_file} of "${k.label}" is missing from ${root}`);
    const actual = createHash('sha256').update(readFileSync(blob)).digest('hex');
    if (actual !== k.blob_sha256) {
      throw new OfficiantError('input.backup-invalid', `the wrapped key ${k.blob_file} of "${k.label}" is not the one the backup recorded (SHA-256 ${actual.slice(0, 16)}…, recorded ${k.blob_sha256.slice(0, 16)}…): tampered or damaged`);
    }
  }
  return {
    dir: root,
    bytes,
    manifest,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    read: (rel) => {
      const path = resolve(root, rel);
      if (!path.startsWith(`${root}/`)) throw new OfficiantError('input.backup-invalid', `${rel}: outside the backup directory`);
      return readFileSync(path);
    },
  };
}

/** Every template a ceremony will need, loaded before it starts: a bad one is an error now, not at sealing. */
export async function checkTemplates(): Promise<void> {
  await loadPacketTemplates(TEMPLATE_DIR, templateReader);
}

/** Whether a script needs the wrapped keys of its backup (restore, re-share), not only the shares (verify). */
export function needsBlobs(script: Script): boolean {
  return scriptNeeds(script, STEP_HANDLERS).wrappedKeys;
}

/** Whether a script works with officers' PIV tokens (check-in by token, enrollment, approvals, roster). */
export function usesPiv(script: Script): boolean {
  return scriptNeeds(script, STEP_HANDLERS).piv;
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
}): CeremonyDeps {
  const out = resolve(args.out);
  return {
    roster: args.roster,
    backup: args.backup,
    piv: args.piv,
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

export function summary(result: RunResult, out: string, print: (l: string) => void): void {
  const rel = resolve(out);
  if (result.outcome === 'done') {
    print('');
    print(`Ceremony ${result.ceremonyId} completed: ${result.steps} steps.`);
  } else {
    print('');
    print(`Ceremony ${result.ceremonyId} ABORTED: ${result.reason ?? ''}`);
  }
  print(`Packet:        ${rel}/packet.pdf and manifest.json; check it with: officiant verify ${rel}`);
  print(`Evidence:      ${rel}/steps/ (one PDF per step)`);
  print(`Journal:       ${rel}/journal.jsonl`);
  print(`Closing entry: ${result.journalHead}`);
  print(`Read aloud and write on the paper log: ${headWords(result.journalHead).map((w, i) => `${i + 1}. ${w}`).join('  ')}`);
  print(`Outputs:       ${rel}/outputs/`);
}
