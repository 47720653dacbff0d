// What the checks of verifyPacket() share: the packet's files, its journal entries and the facts one check
// establishes for the next (the manifest, the evidence certificate, the script's steps, the roster), and the
// group each check reports into. Checks run in the order verify-packet.ts gives and never throw on bad data.
import type { JournalEntry } from '../../record/journal.js';
import type { RosterBody } from '../../custody/roster.types.js';
import type { Script } from '../../script/schema.js';
import type { ScriptCheck } from '../../script/rules.js';
import type { EvidenceCert } from './evidence-certificate.js';
import type { PacketCheckGroup } from './packet-report.types.js';

export interface Context {
  files: ReadonlyMap<string, Buffer>;
  entries: JournalEntry[];
  started?: JournalEntry;
  final?: JournalEntry;
  sealed?: JournalEntry;
  manifest?: Record<string, unknown>;
  cert?: EvidenceCert;
  steps?: string[];
  /** Set by the script check: script.yaml read as a ceremony script (valid or not). */
  scriptCheck?: ScriptCheck;
  /** Set by the officers check: the parsed script and the roster the ceremony started with. */
  script?: Script;
  roster?: RosterBody;
  /** The auditor gave the journal head from the paper log (--head). */
  headPinned?: boolean;
  /** Set by the officers group: officers whose token check-in verified, id -> the role they checked in as. */
  checkedIn?: Map<string, string>;
  /** Set by the officers group when a quorum countersigned the record's end. */
  countersigned?: boolean;
}

export class Group {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  constructor(readonly name: string) {}
  fail(m: string): void {
    this.problems.push(m);
  }
  note(m: string): void {
    this.notes.push(m);
  }
  done(): PacketCheckGroup {
    return { name: this.name, ok: this.problems.length === 0, problems: this.problems.map(fresh), notes: this.notes.map(fresh) };
  }
}

/**
 * A copy of a message that does not hold on to the text it was cut from: V8 keeps a whole file's text alive
 * behind a short slice of it, and an export that keeps a thousand reports would keep a thousand packets.
 */
function fresh(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

export function lineOf(e: JournalEntry, ctx: Context): number {
  const i = ctx.entries.indexOf(e);
  return i === -1 ? e.seq : i + 1;
}

