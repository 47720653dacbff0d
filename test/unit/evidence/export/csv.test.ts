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
    ['leading equals sign, kept as written', '=1+1', '=1+1'],
    ['null', null, ''],
    ['number', 7, '7'],
    ['boolean', false, 'false'],
  ])('%s', (_what, value, field) => {
    expect(toCsv(['h'], [[value]])).toBe(`h\r\n${field}\r\n`);
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
      action: 'step.event sign-off',
      result: 'yes',
      evidenceFile: 'steps/02-gen.pdf',
      entryHash: 'ab',
      verified: true,
    };
    expect(indexCsv([row])).toBe(`${INDEX_COLUMNS.join(',')}\r\nc1,s1,3,gen,,2026-11-26T12:00:00.000Z,Ann,witness,Witness,step.event sign-off,yes,steps/02-gen.pdf,ab,true\r\n`);
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
    };
    expect(complianceCsv([row])).toBe(`${COMPLIANCE_COLUMNS.join(',')}\r\nc1,BR-5.4.1/event-log,CA/B Forum BR 5.4.1,"events, logged",satisfied,journal.jsonl; steps/01-a.pdf,1; 5,ok,false\r\n`);
  });
});
