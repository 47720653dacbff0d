// Fakes below the engine's ports for unit tests: a journal file and an output directory kept in memory, a
// fixed clock, a step registry whose kinds only declare what they need, and an HSM that answers pre-flight's
// questions from a table. Digests are real (node:crypto through record/digest).
import type { Clock, Hsm, HsmSession, OutputStore, TokenIdentity } from '../../../src/engine/ports.js';
import type { StepNeeds, StepRegistry } from '../../../src/engine/step-kind.types.js';
import { OfficiantError } from '../../../src/errors.js';
import { STEP_KINDS, type StepKind } from '../../../src/script/schema.js';
import { MemoryJournalFile } from '../../helpers/memory-journal-file.js';
export { MemoryJournalFile };

export const fixedClock: Clock = { now: () => new Date(Date.UTC(2026, 10, 26, 12, 0, 0)) };

/** Files by relative path; directories exist implicitly as prefixes of file paths. */
export class MemoryOutputStore implements OutputStore {
  readonly files = new Map<string, Buffer>();
  writes = 0;
  constructor(readonly root = '/ceremonies/out') {}
  exists(rel: string): boolean {
    return this.files.has(rel) || this.isDirectory(rel);
  }
  read(rel: string): Buffer {
    const b = this.files.get(rel);
    if (!b) throw new Error(`no such file: ${rel}`);
    return Buffer.from(b);
  }
  write(rel: string, bytes: Buffer | string): void {
    this.writes++;
    this.files.set(rel, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes));
  }
  list(rel: string): string[] {
    const prefix = rel === '' ? '' : `${rel}/`;
    const names = new Set<string>();
    for (const path of this.files.keys()) if (path.startsWith(prefix)) names.add(path.slice(prefix.length).split('/')[0]);
    return [...names].sort();
  }
  isDirectory(rel: string): boolean {
    return [...this.files.keys()].some((p) => p.startsWith(`${rel}/`));
  }
  lock(): () => void {
    return () => {};
  }
  sweepTemp(): string[] {
    return [];
  }
}

const NONE: StepNeeds = { hsm: false, evidenceToken: false, roster: false, piv: false, backup: false, wrappedKeys: false, release: false, policyDraft: false, manifest: false, signingPlan: false };

/** What each kind needs, as the kinds in src/steps declare it. */
export const KIND_NEEDS: Partial<Record<StepKind, Partial<StepNeeds>>> = {
  'hsm.init-token': { hsm: true },
  'hsm.generate-key': { hsm: true },
  'hsm.inspect-key': { hsm: true },
  'hsm.self-signed-certificate': { hsm: true },
  'evidence.init-key': { hsm: true },
  'evidence.use-key': { evidenceToken: true },
  'piv.enroll': { hsm: true, piv: true },
  'quorum.approve': { roster: true, piv: true },
  'officer.revoke': { roster: true, piv: true },
  'roster.sign': { piv: true },
  'backup.split': { hsm: true, roster: true, piv: true },
  'backup.restore': { hsm: true, roster: true, piv: true, backup: true, wrappedKeys: true },
  'backup.reshare': { hsm: true, roster: true, piv: true, backup: true, wrappedKeys: true },
  'backup.verify': { roster: true, piv: true, backup: true },
  'policy.adopt': { roster: true, piv: true, policyDraft: true },
  'request.load': { roster: true, release: true },
  'artifacts.stage': { roster: true, release: true },
  'policy.check': { roster: true, release: true },
  'hsm.sign-artifacts': { hsm: true, roster: true, release: true },
  'signatures.verify': { roster: true, release: true },
  'release.gates': { roster: true, release: true },
  'release.publish': { hsm: true, roster: true, release: true },
  'manifest.sign': { roster: true, piv: true, manifest: true },
};

/** A registry whose kinds declare their needs and fail if run: pre-flight must never run a step. */
export function needsOnlyRegistry(): StepRegistry {
  return Object.fromEntries(
    STEP_KINDS.map((kind) => [
      kind,
      {
        kind,
        needs: { ...NONE, ...KIND_NEEDS[kind] },
        run: () => Promise.reject(new Error(`${kind} run`)),
      },
    ]),
  ) as unknown as StepRegistry;
}

const identity = (label: string, slotId: number): TokenIdentity => ({
  label,
  manufacturer: 'Fake',
  model: 'Fake HSM',
  serial: `serial-${slotId}`,
  hardwareVersion: '1.0',
  firmwareVersion: '1.0',
  slotId,
});

/** An HSM for pre-flight: tokens by label, free slots, labels in use; or every call fails with `failWith`. */
export class PreflightHsm implements Hsm {
  closed = 0;
  calls: string[] = [];
  constructor(
    private readonly state: { tokens?: string[]; free?: number[]; labelsInUse?: string[]; failWith?: OfficiantError } = {},
  ) {}
  private call(name: string): void {
    this.calls.push(name);
    if (this.state.failWith) throw this.state.failWith;
  }
  describe() {
    return { library: '/fake/libhsm.so', manufacturer: 'Fake', version: '1.0' };
  }
  findToken(label: string): TokenIdentity | undefined {
    this.call('findToken');
    const i = (this.state.tokens ?? []).indexOf(label);
    return i === -1 ? undefined : identity(label, i);
  }
  freeSlots(): number[] {
    this.call('freeSlots');
    return this.state.free ?? [];
  }
  labelsInUse(_token: string, labels: readonly string[]): string[] {
    this.call('labelsInUse');
    return labels.filter((l) => (this.state.labelsInUse ?? []).includes(l));
  }
  close(): void {
    this.closed++;
  }
  initToken(): TokenIdentity {
    throw new Error('pre-flight must not initialise a token');
  }
  userPinInitialised(): boolean {
    throw new Error('pre-flight must not ask for the user PIN state');
  }
  initUserPin(): void {
    throw new Error('pre-flight must not set a PIN');
  }
  openSession(): HsmSession {
    throw new Error('pre-flight must not log in');
  }
  openSoSession(): HsmSession {
    throw new Error('pre-flight must not log in');
  }
}
