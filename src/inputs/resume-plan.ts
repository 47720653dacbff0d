// What `resume <out>` needs from an output directory, checked against the journal's first entry before any
// module is loaded or anyone types a PIN: the script copy, the site copy (which must be the site recorded when
// the ceremony started: a changed copy could name another module to hand PINs to), for a rehearsal the pointer
// to its sandbox, the roster copy (byte for byte the one it started with) and the backup set (where it was, or
// where --backup says it is now, with the same manifest). The journal, not the files around it, says whether
// this is a rehearsal. Every problem at once; a directory without a journal is the one problem.
import { join, resolve } from 'node:path';
import { isOfficiantError } from '../errors.js';
import type { InputDocument, LoadedBackup, LoadedRoster, ManifestInputs, ReleaseInputs } from '../engine/ceremony-inputs.types.js';
import type { HsmSite } from '../engine/step-kind.types.js';
import type { RoomSite } from '../engine/ceremony-inputs.types.js';
import { INPUT_COPIES, JOURNAL, MANIFEST, REHEARSAL_POINTER, ROSTER_COPY, SCRIPT_COPY, SITE_COPY } from '../evidence/packet-files.js';
import { parseJournal, type JournalEntry } from '../record/journal.js';
import { sha256Hex } from '../record/digest.js';
import { finalEntry, startedEntry } from '../record/ledger.js';
import { standingOf, type Standing } from '../record/standing.js';
import { parseScript } from '../script/rules.js';
import type { Script } from '../script/schema.js';
import { loadBackup } from './backup-set.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, readJson, WHOLE_FILE, type InputProblem, type Loaded } from './problems.js';
import { readRehearsalPointer, type RehearsalPointer } from './rehearsal-pointer.js';
import { loadRoster } from './roster.js';
import { needsBlobs } from './script.js';

export interface ResumePlan {
  /** The output directory, resolved. */
  out: string;
  script: Script;
  text: string;
  site?: HsmSite;
  rehearsal: boolean;
  /** A rehearsal's pointer to its sandbox. */
  pointer?: RehearsalPointer;
  /** The officers' PIV module and attestation roots, as recorded. */
  piv?: { module: string; attestationRoots: string[] };
  roster?: LoadedRoster;
  backup?: LoadedBackup;
  /** A release session's inputs, read back from the packet's copies (their SHA-256 as recorded at the start). */
  release?: Omit<ReleaseInputs, 'files'>;
  policyDraft?: InputDocument;
  /** A manifest signing session's inputs: the copies of the draft and the pinned certificate, the recorded places. */
  manifest?: Omit<ManifestInputs, 'files' | 'openBundle'>;
  /** A signing window's plan: the copy the session started with. */
  signingPlan?: InputDocument;
  /** Where the ceremony stands, from the journal: shown before anyone is asked for anything. */
  standing?: Standing;
  /** The site file's room section as recorded when the ceremony started. */
  room?: RoomSite;
}

type RecordedSite = (Omit<HsmSite, 'slot'> & { slot: number | null }) | null;

export function planResume(files: InputFiles, outDir: string, opts: { backup?: string } = {}): Loaded<ResumePlan> {
  const out = resolve(outDir);
  const entries = readEntries(files, out);
  if (!Array.isArray(entries)) return { problems: entries.problems };
  const problems: InputProblem[] = [];
  const first = entries[0]?.data ?? {};

  const scriptFile = join(out, SCRIPT_COPY);
  const read = readBytes(files, scriptFile, 'script copy');
  const text = read.bytes?.toString('utf8');
  const script = text === undefined ? undefined : parseScript(scriptFile, text).script;
  if (read.problem) problems.push(read.problem);
  else if (!script) problems.push(inputProblem('input.script-invalid', scriptFile, WHOLE_FILE, `${scriptFile} no longer parses`));

  const recorded = (first.site ?? null) as RecordedSite;
  const site: HsmSite | null = recorded ? { ...recorded, slot: recorded.slot ?? undefined } : null;
  const siteCopy = readJson<HsmSite | null>(files, join(out, SITE_COPY), 'site copy');
  if (siteCopy.problem) problems.push(siteCopy.problem);
  else if (normalSite(site) !== normalSite(siteCopy.value ?? null)) {
    problems.push(inputProblem('input.site-invalid', join(out, SITE_COPY), WHOLE_FILE, `${join(out, SITE_COPY)} differs from the site recorded when the ceremony started; refusing to load a module it names`));
  }

  const rehearsal = startedEntry(entries)?.data.mode === 'rehearsal';
  const pointer = rehearsal ? readRehearsalPointer(files, out, problems, (file) => inputProblem('env.sandbox-missing', file, WHOLE_FILE, `${out} is a rehearsal but ${REHEARSAL_POINTER} (where its sandbox is) is missing`)) : undefined;
  const piv = (first.piv ?? null) as { module: string; attestationRoots: string[] } | null;
  const roster = recordedRoster(files, out, first.roster as { file_sha256: string } | null | undefined, { production: !rehearsal, trustedRoots: piv?.attestationRoots ?? [] }, problems);
  const backup = script ? recordedBackup(files, first.backup as { dir: string; manifest_sha256: string } | null | undefined, opts.backup, needsBlobs(script), problems) : undefined;
  const release = recordedRelease(files, out, first.release as Record<string, string> | undefined, problems);
  const draft = first.policy_draft as { sha256: string } | undefined;
  const policyDraft = draft ? inputCopy(files, out, INPUT_COPIES.policyDraft, draft.sha256, problems) : undefined;
  const manifest = recordedManifest(files, out, first.manifest as { draft_sha256: string; release_certificate_sha256: string; releases: string[]; signing_log: string } | undefined, problems);
  const planRecord = first.signing_plan as { sha256?: unknown } | null | undefined;
  const signingPlan = planRecord && typeof planRecord.sha256 === 'string' ? inputCopy(files, out, INPUT_COPIES.signingPlan, planRecord.sha256, problems) : undefined;
  const standing = script ? standingOf(entries, script.steps) : undefined;
  const room = (first.room ?? undefined) as RoomSite | undefined;
  return loaded({ out, script: script!, text: text!, site: site ?? undefined, rehearsal, pointer, piv: piv ?? undefined, roster, backup, release, policyDraft, manifest, signingPlan, standing, room }, problems);
}

function recordedManifest(files: InputFiles, out: string, m: { draft_sha256: string; release_certificate_sha256: string; releases: string[]; signing_log: string } | undefined, problems: InputProblem[]): ResumePlan['manifest'] {
  if (!m) return undefined;
  const strings = (x: unknown) => Array.isArray(x) && x.every((d) => typeof d === 'string');
  if (typeof m.draft_sha256 !== 'string' || typeof m.release_certificate_sha256 !== 'string' || typeof m.signing_log !== 'string' || !strings(m.releases)) {
    problems.push(inputProblem('input.not-a-ceremony', join(out, JOURNAL), 'manifest', `${join(out, JOURNAL)}: the manifest session's first entry is not as Officiant writes it`));
    return undefined;
  }
  const draft = inputCopy(files, out, INPUT_COPIES.manifestDraft, m.draft_sha256, problems);
  const releaseCertificate = inputCopy(files, out, INPUT_COPIES.releaseCertificate, m.release_certificate_sha256, problems);
  if (!draft || !releaseCertificate) return undefined;
  return { draft, releaseCertificate, releases: m.releases, signingLog: m.signing_log };
}

/** A copy of an input the ceremony started with, byte for byte the one it recorded. */
function inputCopy(files: InputFiles, out: string, rel: string, sha256: string, problems: InputProblem[]): InputDocument | undefined {
  const read = readBytes(files, join(out, rel), 'input copy');
  if (read.problem) {
    problems.push(read.problem);
    return undefined;
  }
  if (sha256Hex(read.bytes) !== sha256) {
    problems.push(inputProblem('input.request-invalid', join(out, rel), WHOLE_FILE, `${join(out, rel)} is not the file recorded when the ceremony started (SHA-256 ${sha256})`));
    return undefined;
  }
  return { bytes: read.bytes, sha256 };
}

function recordedRelease(files: InputFiles, out: string, r: Record<string, string> | undefined, problems: InputProblem[]): ResumePlan['release'] {
  if (!r) return undefined;
  const request = inputCopy(files, out, INPUT_COPIES.request, r.request_sha256, problems);
  const policy = inputCopy(files, out, INPUT_COPIES.policy, r.policy_sha256, problems);
  const certificate = inputCopy(files, out, INPUT_COPIES.certificate, r.certificate_sha256, problems);
  if (!request || !policy || !certificate) return undefined;
  return { request, policy, certificate, artifactsDir: r.artifacts_dir, staging: r.staging, bundle: r.bundle, signingLog: r.signing_log };
}

/**
 * When the ceremony in `out` is finished and sealed: what to say instead of resuming it (nothing to do), read
 * before anything else is asked (no prompter, no --answers, no HSM).
 */
export function sealedAlready(files: InputFiles, out: string): string | undefined {
  const entries = readEntries(files, out);
  if (!Array.isArray(entries) || entries.at(-1)?.type !== 'ceremony.sealed' || !files.exists(join(out, MANIFEST))) return undefined;
  const closing = finalEntry(entries);
  if (!closing) return undefined;
  const what = closing.type === 'ceremony.completed' ? 'completed' : 'aborted';
  return `ceremony ${String(startedEntry(entries)?.data.ceremonyId)} already ${what} at ${closing.time} and sealed: nothing to resume (check it with officiant verify ${out})`;
}

function readEntries(files: InputFiles, out: string): JournalEntry[] | { problems: InputProblem[] } {
  const journal = join(out, JOURNAL);
  const bytes = files.exists(journal) ? readBytes(files, journal, 'journal') : undefined;
  if (bytes?.problem) return { problems: [bytes.problem] };
  if (!bytes?.bytes || bytes.bytes.length === 0) {
    const why = files.exists(join(out, SCRIPT_COPY)) ? ' (it stopped before its first journal entry: delete it and start again)' : '';
    return { problems: [inputProblem('input.not-a-ceremony', journal, WHOLE_FILE, `${out} holds no ceremony journal${why}`)] };
  }
  try {
    return parseJournal(bytes.bytes.toString('utf8')).entries;
  } catch (err) {
    if (!isOfficiantError(err)) throw err;
    // A damaged journal is the one problem: everything else is checked against it.
    return { problems: [err.message, ...err.details].map((m) => inputProblem(err.code, journal, WHOLE_FILE, m)) };
  }
}

function normalSite(x: HsmSite | null): string {
  return JSON.stringify(x ? { profile: x.profile, module: x.module, tokenLabel: x.tokenLabel, slot: x.slot ?? null, evidence: x.evidence ?? null } : null);
}

function recordedRoster(files: InputFiles, out: string, recorded: { file_sha256: string } | null | undefined, opts: { production: boolean; trustedRoots: string[] }, problems: InputProblem[]): LoadedRoster | undefined {
  if (!recorded) return undefined;
  const file = join(out, ROSTER_COPY);
  const roster = loadRoster(files, file, opts);
  problems.push(...roster.problems);
  if (roster.value && sha256Hex(roster.value.bytes) !== recorded.file_sha256) {
    problems.push(inputProblem('env.roster', file, WHOLE_FILE, `${file} differs from the roster the ceremony started with`));
  }
  return roster.value;
}

function recordedBackup(files: InputFiles, recorded: { dir: string; manifest_sha256: string } | null | undefined, moved: string | undefined, blobs: boolean, problems: InputProblem[]): LoadedBackup | undefined {
  if (!recorded) return undefined;
  const dir = moved ?? recorded.dir;
  if (!files.exists(dir)) {
    const message = moved ? `--backup ${dir}: no such directory` : `the backup set this ceremony started with is no longer at ${dir}: give its new place with --backup <dir>`;
    problems.push(inputProblem('input.backup-invalid', dir, moved ? '--backup' : 'backup.dir', message));
    return undefined;
  }
  const backup = loadBackup(files, dir, { blobs });
  problems.push(...backup.problems);
  if (backup.value && backup.value.sha256 !== recorded.manifest_sha256) {
    problems.push(inputProblem('input.backup-invalid', dir, 'manifest_sha256', `${dir}: the backup manifest differs from the one the ceremony started with`));
  }
  return backup.value;
}
