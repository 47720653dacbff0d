// A backup set: backup/manifest.json and the files it names, under one directory (a backup step's outputs/).
// The manifest must have its shape and consistent keys (each public key and certificate matching its recorded
// SHA-256); with `blobs` (a restore or re-share needs the wrapped keys) every wrapped key must be there with its
// recorded SHA-256. Every key's problems at once. Share files are checked per custodian at the step instead: a
// damaged one is refused by name and another custodian can stand in.
import { X509Certificate, createPublicKey } from 'node:crypto';
import { join, resolve } from 'node:path';
import { OfficiantError } from '../errors.js';
import { MANIFEST_FILE, manifestProblems, type BackupKey, type BackupManifest } from '../custody/backup-manifest.js';
import type { LoadedBackup } from '../engine/ceremony-inputs.types.js';
import { sha256Hex } from '../record/digest.js';
import { formatPath } from '../script/parse.js';
import type { InputFiles } from './input-files.types.js';
import { inputProblem, loaded, readBytes, WHOLE_FILE, type InputProblem, type Loaded } from './problems.js';

export function loadBackup(files: InputFiles, dir: string, opts: { blobs: boolean }): Loaded<LoadedBackup> {
  const root = resolve(dir);
  const file = join(root, MANIFEST_FILE);
  const bad = (field: string, message: string, group?: string) => inputProblem('input.backup-invalid', file, field, message, group);
  if (!files.exists(file)) {
    return { problems: [inputProblem('input.backup-invalid', root, MANIFEST_FILE, `${root} holds no ${MANIFEST_FILE}: give the directory a backup step wrote (its outputs/ directory), with the custodians' share files in shares/`)] };
  }
  const read = readBytes(files, file, 'backup manifest');
  if (read.problem) return { problems: [read.problem] };
  const bytes = read.bytes;
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as BackupManifest;
  } catch {
    return { problems: [bad(WHOLE_FILE, `${file}: not valid JSON`)] };
  }
  const shape = manifestProblems(manifest);
  if (shape.length > 0) {
    // Without its shape the keys cannot be read: these are all the problems there are to report.
    const group = `${file}: not a usable backup manifest (${shape.length} problem(s))`;
    return { problems: shape.map((p) => bad('(manifest)', p, group)) };
  }
  const problems = manifest.keys.flatMap((k, i) => keyProblems(file, k, i));
  // The wrapped keys must be the recorded ones before anyone is asked for anything.
  if (opts.blobs) problems.push(...manifest.keys.flatMap((k, i) => blobProblems(files, root, k, i)));
  return loaded(
    {
      dir: root,
      bytes,
      manifest,
      sha256: sha256Hex(bytes),
      read: (rel: string) => {
        const path = resolve(root, rel);
        if (!path.startsWith(`${root}/`)) throw new OfficiantError('input.backup-invalid', `${rel}: outside the backup directory`);
        return files.read(path);
      },
    },
    problems,
  );
}

function keyProblems(file: string, k: BackupKey, i: number): InputProblem[] {
  let spki: string;
  let certSpki: string;
  try {
    spki = sha256Hex(createPublicKey(k.public_key).export({ type: 'spki', format: 'der' }));
    certSpki = k.certificate ? sha256Hex(new X509Certificate(k.certificate).publicKey.export({ type: 'spki', format: 'der' })) : spki;
  } catch {
    return [inputProblem('input.backup-invalid', file, formatPath(['keys', i, 'public_key']), `${file}: the public key or certificate of "${k.label}" cannot be read`)];
  }
  if (spki !== k.spki_sha256 || certSpki !== k.spki_sha256) {
    return [inputProblem('input.backup-invalid', file, formatPath(['keys', i, 'spki_sha256']), `${file}: the public key and certificate of "${k.label}" do not match its recorded SHA-256: the manifest is not consistent`)];
  }
  return [];
}

function blobProblems(files: InputFiles, root: string, k: BackupKey, i: number): InputProblem[] {
  const blob = join(root, k.blob_file);
  const field = formatPath(['keys', i, 'blob_file']);
  if (!files.exists(blob)) return [inputProblem('input.backup-invalid', blob, field, `the wrapped key ${k.blob_file} of "${k.label}" is missing from ${root}`)];
  const read = readBytes(files, blob, 'wrapped key');
  if (read.problem) return [{ ...read.problem, field }];
  const actual = sha256Hex(read.bytes);
  if (actual !== k.blob_sha256) {
    return [
      inputProblem(
        'input.backup-invalid',
        blob,
        formatPath(['keys', i, 'blob_sha256']),
        `the wrapped key ${k.blob_file} of "${k.label}" is not the one the backup recorded (SHA-256 ${actual.slice(0, 16)}…, recorded ${k.blob_sha256.slice(0, 16)}…): tampered or damaged`,
      ),
    ];
  }
  return [];
}
