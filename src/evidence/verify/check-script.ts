// script.yaml: the very file ceremony.started recorded (and the manifest names), readable as YAML with a list
// of step ids; the step ids are what the page chain is checked against. It is read once, as a ceremony script,
// and the result kept for the ceremony group.
import { formatProblem } from '../../script/parse.js';
import { parseScript } from '../../script/rules.js';
import { JOURNAL, MANIFEST, SCRIPT_COPY as SCRIPT } from '../packet-files.js';
import type { Context, Group } from './check-context.js';
import { isObject, short, str } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';

export function checkScript(g: Group, ctx: Context): void {
  const script = ctx.files.get(SCRIPT);
  if (!script) return g.fail(`${SCRIPT}: missing`);
  const actual = sha256Hex(script);
  const recorded = str(ctx.started?.data.scriptSha256);
  if (!ctx.started) g.fail(`${SCRIPT}: no ceremony.started entry in ${JOURNAL} records its SHA-256`);
  else if (actual !== recorded) g.fail(`${SCRIPT}: SHA-256 ${short(actual)} is not the ${short(recorded)} recorded when the ceremony started (${JOURNAL} line 1)`);
  if (ctx.manifest && ctx.manifest.scriptSha256 !== actual) g.fail(`${MANIFEST}: scriptSha256 ${short(str(ctx.manifest.scriptSha256))} is not the SHA-256 of ${SCRIPT} (${short(actual)})`);
  const parsed = parseScript(SCRIPT, script.toString('utf8'), { wording: false });
  ctx.scriptCheck = parsed;
  if (parsed.raw === undefined) return g.fail(`${SCRIPT}: not readable YAML (${parsed.errors[0] ? formatProblem(parsed.errors[0]) : 'empty'})`);
  const doc = parsed.raw;
  const steps = isObject(doc) && Array.isArray(doc.steps) ? doc.steps.map((s) => (isObject(s) ? str(s.id) : undefined)) : undefined;
  if (!steps || steps.some((s) => s === undefined || !/^[A-Za-z0-9._-]+$/.test(s))) return g.fail(`${SCRIPT}: has no list of steps with ids`);
  ctx.steps = steps as string[];
}
