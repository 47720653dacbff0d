// The flags of `officiant policy draft` that are numbers or key files, read into what a policy body holds: the
// approvals (`crypto-officer:3`), the request limits, builder keys and extra denied keys (PEM public keys or
// certificates; a private key is refused, a draft never holds one). Only the reading is checked here (is it a
// number, a key): what the numbers and keys may be is the policy's own rule, checked by the ceremony's read.
// A flag that cannot be read takes its default, so that its one problem is not reported twice.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { basename } from 'node:path';
import { spkiSha256 } from '../custody/deny-list.js';
import type { InputFiles } from './input-files.types.js';
import { readBytes, type InputProblem } from './problems.js';

export interface DraftFlagProblems {
  /** A problem with what a flag says. */
  flag(flag: string, message: string): void;
  /** A file that cannot be read. */
  file(problem: InputProblem): void;
}

interface NumberFlags {
  approvals?: string;
  maxArtifacts?: string;
  maxBytes?: string;
  maxRequestAgeHours?: string;
}

export const DRAFT_DEFAULTS = { approvals: 'crypto-officer:3', maxArtifacts: 1000, maxBytes: 64 * 2 ** 30, maxRequestAgeHours: 24, expires: '90d' } as const;

const APPROVALS = /^(?:([^:]*):)?(\d{1,6})$/;
const BYTES = /^(\d{1,16})(KiB|MiB|GiB|TiB)?$/;
const UNITS: Record<string, number> = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

export function draftNumbers(flags: NumberFlags, p: DraftFlagProblems) {
  const approvals = APPROVALS.exec(flags.approvals ?? DRAFT_DEFAULTS.approvals);
  if (!approvals) p.flag('--approvals', `${JSON.stringify(flags.approvals)} is not <role>:<count> (crypto-officer:3)`);
  const whole = (flag: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (/^\d{1,16}$/.test(value) && Number.isSafeInteger(n)) return n;
    p.flag(flag, `${JSON.stringify(value)} is not a whole number`);
    return fallback;
  };
  const bytes = BYTES.exec(flags.maxBytes ?? String(DRAFT_DEFAULTS.maxBytes));
  const maxBytes = bytes ? Number(bytes[1]) * (bytes[2] ? UNITS[bytes[2]] : 1) : DRAFT_DEFAULTS.maxBytes;
  if (!bytes) p.flag('--max-bytes', `${JSON.stringify(flags.maxBytes)} is not a number of bytes (68719476736, 64GiB)`);
  return {
    approvals: { role: approvals ? approvals[1] ?? 'crypto-officer' : 'crypto-officer', threshold: approvals ? Number(approvals[2]) : 3 },
    limits: {
      max_artifacts: whole('--max-artifacts', flags.maxArtifacts, DRAFT_DEFAULTS.maxArtifacts),
      max_bytes: maxBytes,
      max_request_age_hours: whole('--max-request-age-hours', flags.maxRequestAgeHours, DRAFT_DEFAULTS.maxRequestAgeHours),
    },
  };
}

export interface DraftKey {
  key: KeyObject;
  spkiSha256: string;
  name: string;
  source: string;
}

/** The builder keys (--builder-key) and the extra denied keys (--deny), each read from its PEM file. */
export function draftKeys(files: InputFiles, flags: { builderKey?: string[]; deny?: string[] }, p: DraftFlagProblems): { builder: DraftKey[]; denied: DraftKey[] } {
  const read = (flag: string, paths: string[] = []) =>
    paths.flatMap((path): DraftKey[] => {
      const file = readBytes(files, path, 'key file');
      if (file.problem) return void p.file(file.problem), [];
      const text = file.bytes.toString('latin1');
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return void p.flag(flag, `${path}: holds a private key; give its public key or certificate (a policy never holds a private key)`), [];
      try {
        const key = createPublicKey(text);
        return [{ key, spkiSha256: spkiSha256(key), name: basename(path).replace(/(\.x509)?\.(pem|pub|crt)$/, ''), source: path }];
      } catch {
        return void p.flag(flag, `${path}: is neither a PEM public key nor a PEM certificate`), [];
      }
    });
  return { builder: read('--builder-key', flags.builderKey), denied: read('--deny', flags.deny) };
}
