// The export's CSV files: RFC 4180 quoting, and each row's cells in the order of the header.
import { describe, expect, it } from 'vitest';
import { complianceCsv, indexCsv, INDEX_COLUMNS, COMPLIANCE_COLUMNS, toCsv } from '../../../../src/evidence/export/csv.js';
import type { ComplianceRow, IndexRow } from '../../../../src/evidence/export/packet-index.types.js';

describe('toCsv', () => {
  it.each([
    ['plain', 'abc', 'abc'],
    ['comma', 'a,b', '"a,b"'],
    ['quote', 'say "yes"', '"say ""yes"""'],
    ['CR', 'a\rb', '"a\rb"'],
    ['LF', 'a\nb', '"a\nb"'],
    ['equals sign: a formula, opened as text', '=1+1', `"'=1+1"`],
    ['plus sign', '+1+1', `"'+1+1"`],
    ['minus sign', '-2+3', `"'-2+3"`],
    ['at sign', '@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
    ['tab', '\t=1', `"'\t=1"`],
    ['carriage return', '\r=1', `"'\r=1"`],
    ['a formula with quotes and commas', '=HYPERLINK("http://x.example/?a,b","open")', `"'=HYPERLINK(""http://x.example/?a,b"",""open"")"`],
    ['an equals sign inside the text', 'a=b', 'a=b'],
    ['a negative number (ours, not typed)', -3, '-3'],
    ['null', null, ''],
    ['number', 7, '7'],
    ['boolean', false, 'false'],
  ])('%s', (_what, value, field) => {
    expect(toCsv(['h'], [[value]])).toBe(`h\r\n${field}\r\n`);
  });
});

/** Cells as a spreadsheet reads an RFC 4180 file: quoted fields unquoted, "" as one quote. */
function spreadsheetCells(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && csv[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('values that are not what the types say', () => {
  // Journal fields are not type-checked at run time: an unverified packet may hold an array where a name goes.
  it('an array holding a formula is written as text, quoted, with its comma inside the cell', () => {
    const odd = ['=HYPERLINK("http://x.example","x")', 'b'] as unknown as string;
    expect(toCsv(['h', 'n'], [[odd, 1]])).toBe(`h,n\r\n"'=HYPERLINK(""http://x.example"",""x""),b",1\r\n`);
  });
});

describe('a spreadsheet opening the CSV', () => {
  const typed = ['=HYPERLINK("http://attacker.example","Carol")', '@SUM(1+1)*cmd|\' /C calc\'!A0', '+1+1', '-1+1', '\t=1+1', '\r=1+1', 'Carol Officer', 'x,=1+1'];
  it('reads every typed text back as text, never as a formula, and nothing is lost', () => {
    const rows = spreadsheetCells(toCsv(['name', 'seq'], typed.map((t, i) => [t, i])));
    expect(rows).toHaveLength(typed.length + 1);
    rows.slice(1).forEach((cells, i) => {
      expect(cells).toHaveLength(2);
      expect(cells[0]).not.toMatch(/^[=+\-@\t\r]/);
      expect(cells[0].replace(/^'(?=[=+\-@\t\r])/, '')).toBe(typed[i]);
      expect(cells[1]).toBe(String(i));
    });
  });
});

describe('row writers', () => {
  it('writes an index row in the order of INDEX_COLUMNS', () => {
    const row: IndexRow = {
      ceremonyId: 'c1',
      scriptId: 's1',
      seq: 3,
      stepId: 'gen',
      stepNumber: null,
      time: '2026-11-26T12:00:00.000Z',
      person: 'Ann',
      role: 'witness',
      roleTitle: 'Witness',
      action: 'signed off the step',
      entry: 'step.event sign-off',
      result: 'yes',
      evidenceFile: 'steps/02-gen.pdf',
      entryHash: 'ab',
      verified: true,
      pinned: false,
      rehearsal: true,
    };
    expect(indexCsv([row])).toBe(`${INDEX_COLUMNS.join(',')}\r\nc1,s1,3,gen,,2026-11-26T12:00:00.000Z,Ann,witness,Witness,signed off the step,step.event sign-off,yes,steps/02-gen.pdf,ab,true,false,true\r\n`);
  });

  it('writes a compliance row in the order of COMPLIANCE_COLUMNS, lists joined with "; "', () => {
    const row: ComplianceRow = {
      ceremonyId: 'c1',
      requirement: 'BR-5.4.1/event-log',
      source: 'CA/B Forum BR 5.4.1',
      text: 'events, logged',
      status: 'satisfied',
      evidenceFiles: ['journal.jsonl', 'steps/01-a.pdf'],
      journalSeqs: [1, 5],
      note: 'ok',
      verified: false,
      pinned: false,
      rehearsal: false,
    };
    expect(complianceCsv([row])).toBe(`${COMPLIANCE_COLUMNS.join(',')}\r\nc1,BR-5.4.1/event-log,CA/B Forum BR 5.4.1,"events, logged",satisfied,journal.jsonl; steps/01-a.pdf,1; 5,ok,false,false,false\r\n`);
  });
});
