// The export's CSV files: RFC 4180 (header row, CRLF after every record, fields holding a comma, quote, CR or
// LF quoted with "" inside), one row per index row or compliance row. Text typed by people (names, reasons,
// recorded values) reaches these cells, and a spreadsheet runs a cell that starts with =, +, -, @, tab or CR as
// a formula (=HYPERLINK(...) sends a click elsewhere): such a text cell is written with a leading apostrophe,
// quoted, so it opens as the text it was (OWASP's advice on CSV injection).
import type { ComplianceRow, IndexRow } from './packet-index.types.js';

type Cell = string | number | boolean | null;

/** What a spreadsheet would start to read as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** RFC 4180: a header row, CRLF after every record, fields with a comma, quote, CR or LF quoted ("" inside). */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return csvRecords([header, ...rows]);
}

/** Records without a header, for a CSV written in parts. */
export function csvRecords(rows: readonly (readonly Cell[])[]): string {
  const field = (v: Cell) => {
    if (v === null) return '';
    // Numbers and booleans are ours, never a formula. Anything else is treated as text, whatever its type:
    // journal fields are not type-checked at run time, and an unverified packet may put anything there.
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    const s = String(v);
    if (FORMULA_START.test(s)) return `"'${s.replace(/"/g, '""')}"`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => `${r.map(field).join(',')}\r\n`).join('');
}

export const INDEX_COLUMNS = ['ceremony id', 'script id', 'seq', 'step id', 'step number', 'time', 'person', 'role', 'role title', 'action', 'journal entry', 'result', 'evidence file', 'entry hash', 'verified', 'evidence key pinned', 'rehearsal'] as const;
export const COMPLIANCE_COLUMNS = ['ceremony id', 'requirement', 'source', 'requirement text', 'status', 'evidence files', 'journal seqs', 'note', 'verified', 'evidence key pinned', 'rehearsal'] as const;

export function indexCsv(rows: readonly IndexRow[]): string {
  return csvRecords([INDEX_COLUMNS]) + indexCsvRecords(rows);
}

export function indexCsvRecords(rows: readonly IndexRow[]): string {
  return csvRecords(rows.map((r) => [r.ceremonyId, r.scriptId, r.seq, r.stepId, r.stepNumber, r.time, r.person, r.role, r.roleTitle, r.action, r.entry, r.result, r.evidenceFile, r.entryHash, r.verified, r.pinned, r.rehearsal]));
}

export function complianceCsv(rows: readonly ComplianceRow[]): string {
  return csvRecords([COMPLIANCE_COLUMNS]) + complianceCsvRecords(rows);
}

export function complianceCsvRecords(rows: readonly ComplianceRow[]): string {
  return csvRecords(rows.map((r) => [r.ceremonyId, r.requirement, r.source, r.text, r.status, r.evidenceFiles.join('; '), r.journalSeqs.join('; '), r.note, r.verified, r.pinned, r.rehearsal]));
}
