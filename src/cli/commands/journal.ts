// officiant journal <out>: read-only check of a ceremony journal (hash chain, sequence, torn tail) and a
// summary people can compare with the paper log: entries, steps completed, outcome, head hash.
import { join } from 'node:path';
import { OfficiantError } from '../../errors.js';
import { parseJournal } from '../../record/journal.js';
import { finalEntry, startedEntry } from '../../record/ledger.js';
import { headWords } from '../../record/digest-words.js';
import { readInput } from '../compose.js';
import { JOURNAL } from '../../evidence/packet-files.js';

export function journalCommand(out: string, print: (l: string) => void): number {
  const { entries, torn } = parseJournal(readInput(join(out, JOURNAL), 'journal'));
  const started = startedEntry(entries);
  if (!started) throw new OfficiantError('input.not-a-ceremony', `${out}: the journal records no started ceremony`);
  const final = finalEntry(entries);
  const steps = entries.filter((e) => e.type === 'step.completed').length;
  const open = entries.filter((e) => e.type === 'intent' && !entries.some((r) => r.type === 'result' && r.data.intent === e.seq));
  print(`ceremony ${started.data.ceremonyId} (${started.data.scriptId} v${started.data.scriptVersion}, ${started.data.mode})`);
  print(`hash chain: intact, ${entries.length} entries`);
  print(`steps completed: ${steps}`);
  print(`outcome: ${final ? final.type.replace('ceremony.', '') : 'in progress (resume to continue)'}`);
  if (open.length > 0) print(`open intents: ${open.map((e) => `#${e.seq} ${e.data.op}`).join(', ')} (resume reconciles them)`);
  if (torn) print(`torn final line: ${Buffer.byteLength(torn.text)} bytes (resume records and cuts it)`);
  // One journal head everywhere: the hash of the entry that closed the ceremony is what the end screen, the
  // packet cover, the manifest and verify show, and what the paper log holds. The seal entries after it are not.
  if (final) {
    print(`journal head (paper log, packet cover, verify): ${final.hash} (line ${entries.indexOf(final) + 1}, ${final.type})`);
    print(`read aloud: ${headWords(final.hash).map((w, i) => `${i + 1}. ${w}`).join('  ')}`);
    const last = entries[entries.length - 1];
    if (last !== final) print(`last entry: ${last.type} at line ${entries.length} (${last.hash}), after the head`);
  } else {
    print(`last entry (no journal head until the ceremony closes): ${entries[entries.length - 1].hash}`);
  }
  return 0;
}
