// The answers file for non-interactive runs (automation, tests, rehearsals): who is present, what they read
// off seals and labels, their secrets, and what to do when a step fails. Secrets should be written as
// ${ENV_VAR} references so the file itself holds none; an unset variable is an error that names the variable,
// never a value.
import { z } from 'zod';
import { OfficiantError } from '../errors.js';
import { formatProblem, parseWithSchema, type Problem } from '../script/parse.js';

const name = z.string().min(1);

export const AnswersSchema = z
  .object({
    people: z.record(z.string(), z.array(name)).default({}).describe('Names of the people present, per role id, in check-in order.'),
    records: z.record(z.string(), z.record(z.string(), z.string())).default({}).describe('Values typed at manual.confirm steps: step id -> field id -> value.'),
    secrets: z.record(z.string(), z.record(z.string(), z.string())).default({}).describe('Per person name: purpose id (so-pin-half, user-pin-half, evidence-pin-half, piv-pin, piv-new-pin) -> value or ${ENV_VAR}.'),
    devices: z
      .record(z.string(), z.record(z.string(), z.string()))
      .default({})
      .describe('PIV device serials people pick: step id -> pick id (crypto-officer-1, approver-1, signer-1, device) -> serial.'),
    // Required, never defaulted: a sign-off is recorded under a person's name, so the file must say it.
    confirm: z.union([z.boolean(), z.record(z.string(), z.boolean())]).describe('Answer to every confirmation and sign-off (true/false), or per step id (a custodian present at a backup step: "<step id>#present:<officer id>").'),
    failures: z
      .record(z.string(), z.array(z.object({ action: z.enum(['retry', 'abort']), reason: z.string().min(1) }).strict()))
      .default({})
      .describe('Per step id, the decisions taken on successive failures; none means abort.'),
  })
  .strict();

export type Answers = z.output<typeof AnswersSchema>;

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Parses an answers file and resolves ${ENV} references in secrets. Throws input.answers-invalid listing every problem. */
export function parseAnswers(file: string, text: string, env: NodeJS.ProcessEnv = process.env): { answers: Answers; warnings: string[] } {
  const parsed = parseWithSchema(file, text, AnswersSchema);
  // The YAML parser quotes source text in its syntax messages; in an answers file that text may be a PIN.
  const problems: Problem[] = parsed.errors.map((p) => (p.path === '(syntax)' ? { ...p, message: p.message.replace(/"[^"]*"/g, '"…"') } : p));
  const warnings: string[] = [];
  const answers = parsed.value;
  if (answers) {
    for (const [person, purposes] of Object.entries(answers.secrets)) {
      for (const [purpose, value] of Object.entries(purposes)) {
        const ref = ENV_REF.exec(value);
        if (ref) {
          const resolved = env[ref[1]];
          if (resolved === undefined || resolved === '') {
            problems.push(parsed.source.problem(['secrets', person, purpose], `environment variable ${ref[1]} is not set`));
          } else {
            purposes[purpose] = resolved;
          }
        } else {
          warnings.push(formatProblem(parsed.source.problem(['secrets', person, purpose], 'secret written in the file; prefer ${ENV_VAR}')));
        }
      }
    }
  }
  if (answers) problems.push(...secretsInClear(parsed.source, answers));
  if (problems.length > 0 || !answers) {
    throw new OfficiantError('input.answers-invalid', `${file}: ${problems.length} problem(s) in the answers file`, {
      details: problems.map(formatProblem),
    });
  }
  return { answers, warnings };
}

/**
 * A deviation reason or a typed record that holds one of the file's secrets (4 characters or more) would put
 * that PIN on a signed page and in index.csv, in clear: refused, naming where, never the value.
 */
function secretsInClear(source: { problem(path: (string | number)[], message: string): Problem }, answers: Answers): Problem[] {
  const secrets = Object.values(answers.secrets).flatMap((p) => Object.values(p)).filter((v) => v.length >= 4);
  const holds = (text: string) => secrets.some((v) => text.includes(v));
  const problems: Problem[] = [];
  for (const [step, decisions] of Object.entries(answers.failures)) {
    decisions.forEach((d, i) => {
      if (holds(d.reason)) problems.push(source.problem(['failures', step, i, 'reason'], 'holds a PIN or PIN half of this file: a reason is recorded in clear'));
    });
  }
  for (const [step, fields] of Object.entries(answers.records)) {
    for (const [field, value] of Object.entries(fields)) if (holds(value)) problems.push(source.problem(['records', step, field], 'holds a PIN or PIN half of this file: a typed record is recorded in clear'));
  }
  return problems;
}

/** What an answers file lacks for a script, one line each; checked before the HSM is touched. */
export function missingAnswers(script: import('../script/schema.js').Script, answers: Answers): string[] {
  const problems: string[] = [];
  const checkIn = script.steps.find((s) => s.kind === 'participants.check-in');
  const roles = checkIn?.kind === 'participants.check-in' ? (checkIn.params.roles ?? Object.keys(script.roles)) : [];
  for (const roleId of roles) {
    const role = script.roles[roleId];
    if (role.identity === 'piv' && checkIn) {
      // Officers are named by the roster entry of the token they check in with, not by a typed name.
      for (let i = 1; i <= role.people; i++) {
        if (answers.devices[checkIn.id]?.[`${roleId}-${i}`] === undefined) problems.push(`devices.${checkIn.id}.${roleId}-${i}: missing (token serial of ${role.title} ${i})`);
      }
      continue;
    }
    const have = new Set(answers.people[roleId] ?? []).size;
    if (have < role.people) problems.push(`people.${roleId}: ${have} of ${role.people} distinct names`);
  }
  for (const step of script.steps) {
    if (step.kind === 'manual.confirm') {
      for (const f of step.params.record) {
        if (answers.records[step.id]?.[f.id] === undefined) problems.push(`records.${step.id}.${f.id}: missing (${f.label})`);
      }
    }
    if (step.kind === 'room.preflight' && answers.records[step.id]?.['reference-time'] === undefined) {
      problems.push(`records.${step.id}.reference-time: missing (the reference time read off the reference clock, UTC, e.g. 14:05:30)`);
    }
  }
  const init = script.steps.find((s) => s.kind === 'hsm.init-token');
  const needSecret = (name: string | undefined, purpose: string) => {
    if (name !== undefined && answers.secrets[name]?.[purpose] === undefined) problems.push(`secrets["${name}"].${purpose}: missing`);
  };
  // Holders who check in by token are known by name only once the roster names them.
  const holdersOf = (h: { role: string; people: number }) => (script.roles[h.role]?.identity === 'piv' ? [] : (answers.people[h.role] ?? []).slice(0, h.people));
  if (init?.kind === 'hsm.init-token') {
    for (const h of holdersOf(init.params.pin_holders)) {
      needSecret(h, 'so-pin-half');
      needSecret(h, 'user-pin-half');
    }
  } else if (script.site.pin_holders) {
    for (const h of holdersOf(script.site.pin_holders)) needSecret(h, 'user-pin-half');
  }
  for (const step of script.steps) {
    if (step.kind === 'evidence.use-key') for (const h of holdersOf(step.params.pin_holders)) needSecret(h, 'evidence-pin-half');
  }
  // A secrets entry under a near miss of a person's name is a typo: its secrets would never be found. (A name
  // like no one's may be an officer's from the roster, known only later.)
  const people = [...new Set(Object.values(answers.people).flat())];
  // Officers who check in by token are named by the roster, not here: any name may then be one of theirs.
  const rosterNamed = Object.values(script.roles).some((r) => r.identity === 'piv');
  for (const name of rosterNamed ? [] : Object.keys(answers.secrets)) {
    if (people.includes(name)) continue;
    const near = closestName(name, people);
    if (near) problems.push(`secrets["${name}"]: unknown person "${name}" (did you mean "${near}"?)`);
  }
  return problems;
}

/** The name a typo most likely meant: within a quarter of its length in edits (at least 1, at most 3), if any. */
function closestName(typed: string, names: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 4)));
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
