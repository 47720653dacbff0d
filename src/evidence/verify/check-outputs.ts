// outputs/: every file is what the last successful write recorded in the journal says (SHA-256 and size), every
// recorded write is present, and nothing under outputs/ was written outside the journal.
import type { JournalEntry } from '../../record/journal.js';
import { JOURNAL, OUTPUTS_DIR } from '../packet-files.js';
import type { Context, Group } from './check-context.js';
import { isObject, short, str } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';

export function checkOutputs(g: Group, ctx: Context): void {
  const { files, entries } = ctx;
  // The last successful result of each write:<path> operation is what the file must hold.
  const intents = new Map<number, JournalEntry>();
  const written = new Map<string, { sha256?: string; bytes?: number; line: number }>();
  entries.forEach((e, i) => {
    if (e.type === 'intent') intents.set(e.seq, e);
    const op = str(e.data.op);
    if (e.type !== 'result' || e.data.ok !== true || !op?.startsWith('write:') || !intents.has(e.data.intent as number)) return;
    const out = isObject(e.data.output) ? e.data.output : {};
    written.set(op.slice('write:'.length), { sha256: str(out.sha256), bytes: typeof out.bytes === 'number' ? out.bytes : undefined, line: i + 1 });
  });
  for (const [path, rec] of [...written].sort(([a], [b]) => a.localeCompare(b))) {
    const file = files.get(path);
    if (!file) g.fail(`${path}: written at ${JOURNAL} line ${rec.line} but missing`);
    else if (sha256Hex(file) !== rec.sha256) g.fail(`${path}: SHA-256 ${short(sha256Hex(file))} is not the ${short(rec.sha256)} ${JOURNAL} recorded (line ${rec.line})`);
    else if (rec.bytes !== undefined && rec.bytes !== file.length) g.fail(`${path}: ${file.length} bytes, ${JOURNAL} recorded ${rec.bytes} (line ${rec.line})`);
  }
  for (const path of [...files.keys()].filter((p) => p.startsWith(`${OUTPUTS_DIR}/`)).sort()) {
    if (!written.has(path)) g.fail(`${path}: not written by any operation recorded in ${JOURNAL}`);
  }
  if (g.problems.length === 0) g.note(`${written.size} output files match the SHA-256 recorded in ${JOURNAL}`);
}
