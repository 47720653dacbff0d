// The ceremony recomputed from the journal and the script the packet carries (bound by its SHA-256): the
// steps' course, check-ins, who acted, dual control of the token, sign-offs and typed records (rules-*.ts).
// Each broken rule is one problem naming the rule. Sets the parsed script on the context for later groups.
import { formatProblem } from '../../script/parse.js';
import { parseScript } from '../../script/rules.js';
import { JOURNAL, SCRIPT_COPY as SCRIPT } from '../packet-files.js';
import type { Context, Group } from './check-context.js';
import { checkActors, checkParticipants, checkPinHalves, checkRevokedAbsent } from './rules-people.js';
import { checkSignOffs, checkStepCourse } from './rules-steps.js';
import { checkRoom } from './rules-room.js';

export const CEREMONY_RULES = ['steps', 'check-in', 'people', 'pin halves', 'sign-offs', 'records', 'room'] as const;

export function checkCeremony(g: Group, ctx: Context): void {
  const text = ctx.files.get(SCRIPT);
  if (!text || !ctx.started) return g.fail(`${JOURNAL}: the ceremony cannot be recomputed without ${SCRIPT} and the ceremony.started entry`);
  if (!ctx.script) {
    const parsed = ctx.scriptCheck ?? parseScript(SCRIPT, text.toString('utf8'), { wording: false });
    if (!parsed.script) {
      const first = parsed.errors[0];
      return g.fail(`${SCRIPT}: not a valid ceremony script (${first ? formatProblem(first) : 'no script'}): the ceremony cannot be recomputed`);
    }
    ctx.script = parsed.script;
  }
  const script = ctx.script;
  const out = { fail: (m: string) => g.fail(`${JOURNAL}: ${m}`) };
  checkStepCourse(ctx.entries, script, out);
  checkParticipants(ctx.entries, script, out);
  checkActors(ctx.entries, script, out);
  checkRevokedAbsent(ctx.entries, out);
  checkPinHalves(ctx.entries, script, out);
  checkSignOffs(ctx.entries, script, out);
  checkRoom(ctx.entries, script, { ...out, note: (m: string) => g.note(`${JOURNAL}: ${m}`) });
  if (g.problems.length === 0) g.note(`${JOURNAL}: recomputed from ${SCRIPT}: ${script.steps.length} steps in order, check-ins, who acted, PIN halves, sign-offs, records and the laptop's checks as the script requires`);
}
