// officiant request create --authority release --out request.json [--build-id ..] [--source-revision ..]
// [--channel ..] [--version N] [--not-after <time|24h|7d>] <file>:<kind>...
// Made by the release pipeline, outside the trust boundary: each file is hashed in one streaming pass and the
// request written as an in-toto Statement (custody/release-request.ts) with a fresh random request id. Every
// problem (an unknown kind, a manifest kind, a name twice, a file missing) is listed and nothing is written
// (exit 2); an existing --out is refused. The request is checked again, against the policy, when it is loaded
// for signing: nothing here is trusted by the authority.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { hashFile } from '../compose/input-files.js';
import { parseSigningRequest, requestStatement, type ArtifactKind, type RequestArtifact } from '../../custody/release-request.js';
import { OfficiantError } from '../../errors.js';
import { timeFromFlag } from '../../inputs/time-flag.js';
import { writeNewFile } from '../write-new-file.js';

export interface RequestCreateFlags {
  authority: string;
  out: string;
  buildId?: string;
  sourceRevision?: string;
  channel?: string;
  version?: string;
  notAfter?: string;
}

export function requestCreateCommand(files: string[], flags: RequestCreateFlags, print: (l: string) => void): number {
  if (flags.authority !== 'release') {
    throw new OfficiantError('input.request-invalid', flags.authority === 'manifest' ? 'request create is for the release authority; the manifest authority signs a manifest draft (officiant manifest draft)' : `--authority: unknown authority ${JSON.stringify(flags.authority)} (release)`);
  }
  if (existsSync(flags.out)) throw new OfficiantError('input.file-exists', `${flags.out} already exists`);
  const problems: string[] = [];
  const now = new Date();
  const notAfter = timeFromFlag(flags.notAfter ?? '24h', now);
  if (!notAfter) problems.push(`--not-after: ${JSON.stringify(flags.notAfter)} is neither a time (2026-12-31T18:00:00Z) nor a duration (24h, 7d)`);
  const version = Number(flags.version ?? '1');
  if (!Number.isSafeInteger(version) || version < 1 || !/^\d+$/.test(flags.version ?? '1')) problems.push(`--version: ${JSON.stringify(flags.version)} is not a whole number of at least 1`);
  if (files.length === 0) problems.push('no artifacts: give each as <file>:<kind>');
  const artifacts: RequestArtifact[] = [];
  for (const arg of files) {
    const at = arg.lastIndexOf(':');
    if (at <= 0) {
      problems.push(`${arg}: give the artifact as <file>:<kind> (e.g. system.img:image)`);
      continue;
    }
    const path = arg.slice(0, at);
    const kind = arg.slice(at + 1) as ArtifactKind;
    try {
      artifacts.push({ name: basename(path), kind, ...hashFile(path) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'not a regular file' : code === 'EACCES' ? 'permission denied' : 'cannot be read'}`);
    }
  }
  if (problems.length === 0) {
    const statement = requestStatement({
      authority: 'release',
      requestId: randomBytes(16).toString('hex'),
      buildId: flags.buildId ?? 'unspecified',
      sourceRevision: flags.sourceRevision ?? 'unspecified',
      channel: flags.channel ?? 'stable',
      version,
      createdAt: now.toISOString(),
      notAfter: notAfter!,
      artifacts,
    });
    const bytes = Buffer.from(`${JSON.stringify(statement, null, 2)}\n`);
    // The same check the authority makes when it loads the request: a request this command writes must load.
    const check = parseSigningRequest(bytes, 'release');
    if (check.request) {
      writeNewFile(flags.out, bytes);
      const total = artifacts.reduce((n, a) => n + a.size, 0);
      print(`request ${check.request.requestId}: ${artifacts.length} artifact(s), ${total} bytes, channel ${check.request.channel}, version ${version}, valid until ${check.request.notAfter}`);
      for (const a of artifacts) print(`  ${a.kind.padEnd(16)} ${a.name}  ${a.size} bytes  sha256 ${a.sha256}`);
      print(`written: ${flags.out}`);
      return 0;
    }
    problems.push(...check.problems);
  }
  throw new OfficiantError('input.request-invalid', `the request was not written: ${problems.length} problem(s)`, { details: problems });
}
