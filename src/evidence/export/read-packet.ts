// Reading an already verified (or knowingly unverified) packet's own files for the export: never throws, and
// an unreadable part reads as absent, since verify has already said what is wrong with it.
import { parseJournal, type JournalEntry } from '../../record/journal.js';
import { parseScript } from '../../script/rules.js';
import type { Script } from '../../script/schema.js';
import { SCRIPT_COPY as SCRIPT } from '../packet-files.js';
import { isObject } from '../json-shape.js';

export function names(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((n): n is string => typeof n === 'string') : [];
}


/**
 * The journal's entries. A verified packet's journal parses whole; an unverified one may not, and is then read
 * line by line so that everything readable is still indexed (the packet is marked unverified anyway).
 */
export function readEntries(bytes: Buffer | undefined): JournalEntry[] {
  if (!bytes) return [];
  const text = bytes.toString('utf8');
  try {
    return parseJournal(text).entries;
  } catch {
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const e: unknown = JSON.parse(line);
        if (isObject(e) && typeof e.seq === 'number' && typeof e.type === 'string' && typeof e.time === 'string' && typeof e.actor === 'string' && isObject(e.data)) {
          entries.push(e as unknown as JournalEntry);
        }
      } catch {
        // an unreadable line is not an event; verify already reported it
      }
    }
    return entries;
  }
}

export function readScript(bytes: Buffer | undefined): Script | undefined {
  if (!bytes) return undefined;
  try {
    return parseScript(SCRIPT, bytes.toString('utf8')).script;
  } catch {
    return undefined;
  }
}

export function readManifest(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const m: unknown = JSON.parse(bytes.toString('utf8'));
    return isObject(m) ? m : undefined;
  } catch {
    return undefined;
  }
}
