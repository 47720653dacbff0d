// A signing plan: what Android's own tools may have the release authority's HSM sign during one signing window
// (steps/android-sign-window.ts), approved by a quorum before the window opens. It names the inputs (the
// target_files and otatools archives, by SHA-256), the exact commands the operator will run, and for each HSM
// key label its algorithm and how many signatures of each kind it may make (avb: avbtool's signing helper;
// payload: ota_from_target_files' payload signer), and how long the window may stay open. Pure; never throws:
// every problem is a sentence naming its path.
import { z } from 'zod';
import { KeyAlgorithm, type KeyAlgorithm as Algorithm } from '../script/schema.js';
import { canonicalJson } from '../record/canonical-json.js';
import { sha256Hex } from '../record/digest.js';
import { zodProblems } from './roster-schema.js';

export const SIGNING_PLAN_TYPE = 'officiant-signing-plan/1';
export const PLAN_LIMITS = { bytes: 1024 * 1024, keys: 64, commands: 256, commandChars: 4096, signatures: 100_000, minutes: 24 * 60 } as const;
/** The kinds of signature a window serves, each with its helper. */
export const WINDOW_KINDS = ['avb', 'payload'] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const input = z.object({ name: z.string().min(1).max(255), sha256 }).strict();
const budget = z.number().int().min(0).max(PLAN_LIMITS.signatures);

const PlanSchema = z
  .object({
    type: z.literal(SIGNING_PLAN_TYPE),
    inputs: z.object({ target_files: input, otatools: input }).strict(),
    commands: z.array(z.string().min(1).max(PLAN_LIMITS.commandChars)).min(1).max(PLAN_LIMITS.commands),
    keys: z
      .array(
        z
          .object({
            label: z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be 1 to 64 printable ASCII characters'),
            algorithm: KeyAlgorithm,
            budget: z.object({ avb: budget.default(0), payload: budget.default(0) }).strict(),
          })
          .strict(),
      )
      .min(1)
      .max(PLAN_LIMITS.keys),
    time_limit_minutes: z.number().int().min(1).max(PLAN_LIMITS.minutes),
  })
  .strict();

export type SigningPlan = z.output<typeof PlanSchema>;
export interface PlanKey {
  label: string;
  algorithm: Algorithm;
  budget: Record<WindowKind, number>;
}

/** What an approval of the window names: the plan's digest and everything in it a person weighs. */
export interface PlanSubject {
  sha256: string;
  target_files: { name: string; sha256: string };
  otatools: { name: string; sha256: string };
  commands: number;
  commands_sha256: string;
  keys: PlanKey[];
  time_limit_minutes: number;
}

/** AVB signs with RSA only; of the HSM key algorithms, RSA-4096 is the one avbtool knows. */
const AVB_ALGORITHMS: readonly Algorithm[] = ['RSA-4096'];

/**
 * Reads a signing plan. `policy` (the default) adds the rules a new session is held to (which keys may sign which
 * kind); the verifier reads a sealed packet's plan without them (`policy: false`), so a packet stays verifiable
 * under the rules it was made under.
 */
export function parseSigningPlan(bytes: Uint8Array, what = 'signing plan', opts: { policy?: boolean } = {}): { plan?: SigningPlan; sha256?: string; problems: string[] } {
  const policy = opts.policy !== false;
  if (bytes.length > PLAN_LIMITS.bytes) return { problems: [`${what}: ${bytes.length} bytes, more than the ${PLAN_LIMITS.bytes} a signing plan may have`] };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return { problems: [`${what}: not JSON`] };
  }
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) return { problems: zodProblems(what, parsed.error, raw) };
  const plan = parsed.data;
  const problems: string[] = [];
  const labels = new Set<string>();
  plan.keys.forEach((k, i) => {
    if (labels.has(k.label)) problems.push(`${what}: keys[${i}].label: "${k.label}" is listed twice`);
    labels.add(k.label);
    if (!policy) return;
    if (k.budget.avb > 0 && !AVB_ALGORITHMS.includes(k.algorithm)) problems.push(`${what}: keys[${i}]: avbtool signs with RSA-4096 keys here, not ${k.algorithm}: its avb budget must be 0`);
    if (k.budget.payload > 0 && k.algorithm === 'EC-P384') problems.push(`${what}: keys[${i}]: payload signatures by EC keys are P-256 here, not ${k.algorithm}`);
    if (k.budget.avb > 0 && k.budget.payload > 0) problems.push(`${what}: keys[${i}]: "${k.label}" has both an avb and a payload budget: a key signs for one kind only (a payload signature and an avb one are the same operation, so the budgets would not hold apart)`);
    if (k.budget.avb + k.budget.payload === 0) problems.push(`${what}: keys[${i}]: "${k.label}" may make no signature (both budgets 0): leave it out`);
  });
  return problems.length > 0 ? { problems } : { plan, sha256: sha256Hex(Buffer.from(bytes)), problems };
}

export function planSubject(plan: SigningPlan, sha256: string): PlanSubject {
  return {
    sha256,
    target_files: plan.inputs.target_files,
    otatools: plan.inputs.otatools,
    commands: plan.commands.length,
    commands_sha256: sha256Hex(Buffer.from(canonicalJson(plan.commands))),
    keys: plan.keys.map((k) => ({ label: k.label, algorithm: k.algorithm, budget: { avb: k.budget.avb, payload: k.budget.payload } })),
    time_limit_minutes: plan.time_limit_minutes,
  };
}
