// The script's words must match the facts the ceremony records. A key generated with `backup: true` is
// extractable (wrapped, for the backup): a description or instructions that say a key "never leaves" the HSM
// would be printed on the plan and on signed evidence, and be false. Such a claim is an error, named where it
// stands, for every script that backs a key up.
import type { Problem, YamlSource } from './parse.js';
import type { Script } from './schema.js';

/** Claims that a key cannot leave the HSM at all (not "never in plaintext", which stays true under a backup). */
const NEVER_LEAVES = /\b(never leaves?|can never leave|cannot leave|can't leave|never be (?:extracted|exported)|non-?extractable)\b/i;

const QUALIFIED = /^[^.;]*\b(in\s+plaintext|in\s+the\s+clear|unwrapped)\b/i;

export function wordingProblems(script: Script, src: YamlSource): Problem[] {
  const backedUp = script.steps.filter((s) => s.kind === 'hsm.generate-key' && s.params.backup).map((s) => (s.kind === 'hsm.generate-key' ? s.params.label : ''));
  if (backedUp.length === 0) return [];
  const keys = backedUp.map((l) => `"${l}"`).join(', ');
  const claim = (text: string | undefined) => {
    const m = text === undefined ? null : NEVER_LEAVES.exec(text);
    // "never leaves it in plaintext" is true of a key backed up wrapped.
    return m && !QUALIFIED.test(text!.slice(m.index + m[0].length, m.index + m[0].length + 30)) ? m[0] : undefined;
  };
  const problems: Problem[] = [];
  const said = claim(script.description);
  if (said) problems.push(src.problem(['description'], `says a key "${said}", but ${keys} is made extractable for its backup (backup: true): say it leaves the HSM only wrapped, never in plaintext`));
  script.steps.forEach((s, i) => {
    for (const field of ['title', 'instructions'] as const) {
      const w = claim(s[field]);
      if (w) problems.push(src.problem(['steps', i, field], `says a key "${w}", but ${keys} is made extractable for its backup (backup: true): say it leaves the HSM only wrapped, never in plaintext`));
    }
  });
  return problems;
}

/** A script's words that say a re-share follows (a step or file name, or the word). */
const RESHARE = /\bre-?shar(?:e|ed|ing)\b|backup[.-]reshare/i;

/**
 * A revoked or replaced token may be a custodian's, and their backup share stays sealed to it: whoever finds the
 * token and learns its PIN opens that share. A script that revokes an officer should say that every backup the
 * officer holds a share of is re-shared next; a warning where it does not.
 */
export function reshareWarnings(script: Script, src: YamlSource): Problem[] {
  const revokes = script.steps.flatMap((s, i) => (s.kind === 'officer.revoke' ? [i] : []));
  const said = [script.description, ...script.steps.map((s) => s.instructions)].some((t) => t !== undefined && RESHARE.test(t));
  if (said) return [];
  return revokes.map((i) =>
    src.problem(['steps', i, 'instructions'], "revokes an officer who may hold backup shares sealed to the revoked token: say that every backup they hold a share of is re-shared next (ceremonies/backup-reshare.yaml), so a found token opens nothing"),
  );
}
