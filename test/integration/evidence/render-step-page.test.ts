// renderStepPage is checked from the outside, the way an auditor's tools see the PDF: pdffonts for embedded
// fonts, pdftotext -raw (drawing order) for what the page says, pdfinfo for pages and metadata. Template problems
// must surface as OfficiantError 'env.fs' naming the file and the YAML path, before pdfkit is involved.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OfficiantError } from '../../../src/errors.js';
import { loadPageTemplate } from '../../../src/evidence/page-template.js';
import { renderStepPage } from '../../../src/evidence/render-step-page.js';
import { FsTemplateReader } from '../../../src/adapters/fs/fs-template-reader.js';
import type { PageJournalEntry, StepPage } from '../../../src/evidence/step-page.types.js';

const templateDir = fileURLToPath(new URL('../../../templates/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'officiant-step-page-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const reader = new FsTemplateReader();
/** Loads the templates in `dir` (through the file-system reader the CLI uses) and renders `page` with them. */
const renderFrom = async (page: StepPage, dir: string) => renderStepPage(page, { template: await loadPageTemplate(dir, reader) });

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const JOURNAL_TYPES = ['step.started', 'prompt.answered', 'hsm.login', 'hsm.generate-key.before', 'hsm.generate-key.after', 'file.written'];

function journal(count: number): PageJournalEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: 40 + i,
    time: new Date(Date.UTC(2025, 2, 14, 10, 2, 11) + i * 21_000).toISOString(),
    type: JOURNAL_TYPES[i % JOURNAL_TYPES.length],
    actor: ['Ana Müller', 'officiant', 'Chen Wei'][i % 3],
    summary:
      i === 4
        ? 'generated RSA-4096 key release-root-2025 (CKA_ID 01) on token officiant-release; attributes local, never extractable, always sensitive'
        : `${JOURNAL_TYPES[i % JOURNAL_TYPES.length]} recorded for step generate-release-key`,
    hash: sha256(`journal entry ${40 + i}`),
  }));
}

function keyGenerationPage(overrides: Partial<StepPage> = {}): StepPage {
  return {
    rehearsal: false,
    ceremony: {
      id: 'release-root-2025',
      title: 'Release signing root key generation 2025',
      version: 3,
      authority: 'release',
      scriptSha256: sha256('ceremony script'),
      ceremonyId: '2025-03-14T09-00-00Z-7f3a9c',
    },
    step: {
      number: 3,
      total: 7,
      id: 'generate-release-key',
      kind: 'hsm.generate-key',
      title: 'Generate the release signing key',
      instructions: [
        'The crypto officer logs in to the HSM token "officiant-release" with the user PIN. Both halves of the PIN are typed by their holders; nobody else looks at the keyboard or the screen while a half is typed.',
        'The officer then generates an RSA-4096 key pair labelled "release-root-2025" with CKA_ID 01. The key is generated inside the token, marked sensitive and never extractable, and its public half is written to the output directory.',
        'The witnesses compare the fingerprint shown on screen with the one read aloud by the officer, and confirm that the key attributes show local, never extractable and always sensitive before the auditor signs off. If anything differs, nobody signs off: the step is failed and the deviation is recorded with its reason.',
      ].join('\n\n'),
    },
    performedBy: [{ name: 'Ana Müller', role: 'crypto-officer', roleTitle: 'Crypto Officer' }],
    witnessedBy: [{ name: 'Bartholomew Okonkwo-Fitzgerald', role: 'witness', roleTitle: 'Independent Witness' }],
    signedOffBy: [{ name: 'Chen Wei', role: 'auditor', roleTitle: 'Internal Auditor' }],
    startedAt: '2025-03-14T10:02:11.000Z',
    endedAt: '2025-03-14T10:06:23.000Z',
    outcome: 'completed',
    token: {
      label: 'officiant-release',
      manufacturer: 'SoftHSM project',
      model: 'SoftHSM v2',
      serial: '6c1d4a2f9e8b7a01',
      firmwareVersion: '2.6',
      hardwareVersion: '2.6',
    },
    results: [
      { label: 'Key label', value: 'release-root-2025' },
      { label: 'CKA_ID', value: '01' },
      { label: 'Algorithm', value: 'RSA-4096' },
      { label: 'CKA_LOCAL', value: 'true' },
      { label: 'CKA_NEVER_EXTRACTABLE', value: 'true' },
      { label: 'CKA_ALWAYS_SENSITIVE', value: 'true' },
      { label: 'CKA_EXTRACTABLE', value: 'false' },
      { label: 'Public key SHA-256 fingerprint', value: sha256('release-root-2025 spki') },
      { label: 'Public key modulus (first 96 bytes)', value: sha256('m1') + sha256('m2') + sha256('m3') },
    ],
    outputs: [
      { path: 'keys/release-root-2025.pub.pem', sha256: sha256('pem'), bytes: 800 },
      { path: 'keys/release-root-2025.attributes.json', sha256: sha256('json'), bytes: 1184 },
    ],
    deviations: [
      {
        time: '2025-03-14T10:03:40.000Z',
        by: 'Ana Müller (Crypto Officer)',
        reason: 'first PIN half mistyped; the token reported CKR_PIN_INCORRECT and the officer retried after the witness confirmed the retry counter was not near lockout',
      },
    ],
    journal: journal(12),
    footer: '',
    ...overrides,
  };
}

async function render(page: StepPage, name: string): Promise<string> {
  const file = join(work, `${name}.pdf`);
  writeFileSync(file, await renderFrom(page, templateDir));
  return file;
}

function pageCount(file: string): number {
  const match = /^Pages:\s+(\d+)$/m.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }));
  if (!match) throw new Error(`pdfinfo gave no page count for ${file}`);
  return Number(match[1]);
}

/** Text in drawing order, one page or all; words broken at a hyphen are joined again, whitespace is one space. */
function text(file: string, onlyPage?: number): string {
  const range = onlyPage === undefined ? [] : ['-f', String(onlyPage), '-l', String(onlyPage)];
  return flatten(execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', ...range, file, '-'], { encoding: 'utf8' }));
}

function flatten(s: string): string {
  return s.replace(/-\s+/g, '-').replace(/\s+/g, ' ').trim();
}

/** pdffonts rows as { name, emb }, columns cut where its dashed header line says. */
function fonts(file: string): Array<{ name: string; type: string; emb: string }> {
  const lines = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n');
  const dashes = lines[1];
  const columns = [...dashes.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cut = (line: string, i: number) => line.slice(columns[i][0], i + 1 < columns.length ? columns[i + 1][0] : undefined).trim();
  return lines
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((line) => ({ name: cut(line, 0), type: cut(line, 1), emb: cut(line, 3) }));
}

const STANDARD_14 = /(Times|Helvetica|Courier|Symbol|ZapfDingbats)/;

describe('renderStepPage', () => {
  it('embeds every font it uses, none of them a standard-14 font', async () => {
    const file = await render(keyGenerationPage({ rehearsal: true }), 'fonts');
    const used = fonts(file);
    expect(used.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')).sort()).toEqual(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono']);
    for (const font of used) {
      expect(font.emb, font.name).toBe('yes');
      expect(font.name).not.toMatch(STANDARD_14);
      expect(font.type).not.toMatch(/Type 1/);
    }
    expect(readFileSync(file).toString('latin1')).not.toMatch(new RegExp(`/BaseFont\\s*/${STANDARD_14.source}`));
  });

  it('says everything an auditor needs, each value next to what it is', async () => {
    const page = keyGenerationPage();
    const file = await render(page, 'contents');
    const all = text(file);
    const pages = pageCount(file);

    expect(all).toContain(page.ceremony.title);
    expect(all).toContain('Step 3 of 7: Generate the release signing key');
    expect(all).toContain('Step id generate-release-key Kind hsm.generate-key');
    expect(all).toContain('Ceremony release-root-2025 Version 3');
    expect(all).toContain(`Authority release Ceremony run ${page.ceremony.ceremonyId}`);
    expect(all).toContain(`Instructions as shown to people ${flatten(page.step.instructions)} People`);
    expect(all).toContain('Performed by Ana Müller Crypto Officer (crypto-officer)');
    expect(all).toContain('Witnessed by Bartholomew Okonkwo-Fitzgerald Independent Witness (witness)');
    expect(all).toContain('Signed off by Chen Wei Internal Auditor (auditor)');
    expect(all).toContain('Started 2025-03-14T10:02:11.000Z Ended 2025-03-14T10:06:23.000Z');
    expect(all).toContain('Duration 00:04:12 Outcome completed');
    expect(all).toContain('Token label officiant-release Serial number 6c1d4a2f9e8b7a01');
    expect(all).toContain(`Public key SHA-256 fingerprint ${sha256('release-root-2025 spki')}`);
    expect(all).toContain('CKA_NEVER_EXTRACTABLE true');
    expect(all).toContain(`keys/release-root-2025.pub.pem ${sha256('pem')} 800`);
    expect(all).toContain(`keys/release-root-2025.attributes.json ${sha256('json')} 1,184`);
    const deviation = page.deviations[0];
    expect(all).toContain(`${deviation.time} ${deviation.by} ${deviation.reason}`);
    for (const e of page.journal) {
      expect(all).toContain(`${e.seq} ${e.time} ${e.type} ${e.actor} ${e.summary} ${e.hash.slice(0, 16)} `);
    }
    for (let n = 1; n <= pages; n++) {
      const onPage = text(file, n);
      expect(onPage).toContain(`page ${n} of ${pages}`);
      expect(onPage).toContain(`Script SHA-256 ${page.ceremony.scriptSha256}`);
      expect(onPage).toContain(`run ${page.ceremony.ceremonyId}, step 3 of 7 (generate-release-key)`);
    }
  });

  it('prints "none" for empty people groups and sections, and the footer it is given', async () => {
    const page = keyGenerationPage({ witnessedBy: [], signedOffBy: [], deviations: [], outputs: [], token: undefined, outcome: 'aborted', footer: 'Example Org evidence, retain 10 years.' });
    const all = text(await render(page, 'empty'));
    expect(all).toContain('Witnessed by none Signed off by none');
    expect(all).toContain('Outputs none Deviations none');
    expect(all).toContain('Outcome ABORTED');
    expect(all).not.toContain('Token label');
    expect(all).toContain('Example Org evidence, retain 10 years.');
    expect(all).not.toContain('It is complete only together with');
  });

  it.each([true, false])('rehearsal=%s: watermark and banner on every page only in a rehearsal', async (rehearsal) => {
    const file = await render(keyGenerationPage({ rehearsal, journal: journal(60) }), `rehearsal-${rehearsal}`);
    const pages = pageCount(file);
    expect(pages).toBeGreaterThan(1);
    for (let n = 1; n <= pages; n++) {
      const onPage = text(file, n);
      const watermarkFirst = onPage.replace(/\s/g, '').startsWith('REHEARSAL');
      expect(watermarkFirst, `watermark on page ${n}`).toBe(rehearsal);
      expect(onPage.includes('REHEARSAL — not production evidence'), `banner on page ${n}`).toBe(rehearsal);
    }
    if (!rehearsal) expect(text(file).replace(/\s/g, '')).not.toContain('REHEARSAL');
  });

  it('flows a long page onto more pages without losing or repeating a journal entry', async () => {
    const entries = journal(150);
    const file = await render(keyGenerationPage({ journal: entries }), 'long');
    const pages = pageCount(file);
    expect(pages).toBeGreaterThanOrEqual(3);

    const last = entries[entries.length - 1];
    const lastPage = text(file, pages);
    expect(lastPage).toContain(`${last.seq} ${last.time} ${last.type} ${last.actor} ${last.summary} ${last.hash.slice(0, 16)}`);
    expect(lastPage).toContain('Seq Time Type Actor Summary Entry hash');
    expect(lastPage).toContain(`page ${pages} of ${pages}`);

    const all = text(file);
    for (const e of entries) {
      const row = `${e.seq} ${e.time} `;
      expect(all.split(row).length - 1, `journal entry ${e.seq}`).toBe(1);
      expect(all).toContain(`${row}${e.type} ${e.actor} ${e.summary} ${e.hash.slice(0, 16)}`);
    }
  });

  it('never ends a page with a section title alone: the title moves on with what follows it', async () => {
    const template = await loadPageTemplate(templateDir, reader);
    const l = template.labels;
    const titles = [l.instructions, l.people, l.timing, l.token, l.results, l.outputs, l.deviations, l.journal, l.chain];
    // More results push every later title down the page, through the bottom margin, one row at a time.
    for (let n = 8; n <= 30; n++) {
      const results = Array.from({ length: n }, (_, i) => ({ label: `Result ${i + 1}`, value: `value ${i + 1}` }));
      const file = await render(keyGenerationPage({ results }), `titles-${n}`);
      for (let p = 1; p < pageCount(file); p++) {
        // Drawing order: the page's body first, then its footer (drawn last, on every page), from "page n of m".
        const lines = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', '-f', String(p), '-l', String(p), file, '-'], { encoding: 'utf8' }).split('\n').map((x) => x.trim());
        const footer = lines.findIndex((x) => /^page \d+ of \d+$/.test(x));
        expect(footer, 'the footer of every page').toBeGreaterThan(0);
        const body = lines.slice(0, footer).filter((x) => x !== '');
        expect(titles, `${n} results, page ${p} ends with: ${body.at(-1)}`).not.toContain(body.at(-1));
      }
    }
  });

  it('sets the PDF metadata from the page and gives the same bytes for the same page', async () => {
    const page = keyGenerationPage({ rehearsal: true });
    const file = await render(page, 'meta');
    const info = execFileSync('pdfinfo', ['-isodates', file], { encoding: 'utf8' });
    expect(info).toMatch(/^Title:\s+Release signing root key generation 2025 — Step 3 of 7: Generate the release signing key$/m);
    expect(info).toMatch(/^Author:\s+Ana Müller$/m);
    expect(info).toMatch(/^Subject:\s+.*release-root-2025 v3, run 2025-03-14T09-00-00Z-7f3a9c, step generate-release-key \(hsm\.generate-key\), REHEARSAL/m);
    expect(info).toMatch(/^CreationDate:\s+2025-03-14T10:06:23(Z|\+00)/m);
    expect(await renderFrom(page, templateDir)).toEqual(readFileSync(file));
  });
});

describe('page template', () => {
  const original = readFileSync(join(templateDir, 'step-page.yaml'), 'utf8');

  function brokenTemplate(name: string, edit: (yaml: string) => string): string {
    const dir = join(work, `template-${name}`);
    const edited = edit(original);
    expect(edited, `edit ${name} changed the template`).not.toBe(original);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'step-page.yaml'), edited);
    return dir;
  }

  it('loads the shipped template', async () => {
    const template = await loadPageTemplate(templateDir, reader);
    expect(template.labels.performedBy).toBe('Performed by');
    expect(template.watermark.text).toBe('REHEARSAL');
    expect(template.page.size).toBe('A4');
    expect(template.fonts.mono.file).toBe('/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf');
  });

  const cases: Array<{ name: string; edit?: (yaml: string) => string; message: (file: string, dir: string) => string; details?: number }> = [
    { name: 'missing', message: (file) => `${file}: not found` },
    {
      name: 'required-label',
      edit: (y) => y.replace('  performedBy: Performed by\n', ''),
      message: (file) => `${file}: labels.performedBy: is required`,
    },
    {
      name: 'unknown-key',
      edit: (y) => y.replace('  performedBy: Performed by\n', '  performedBy: Performed by\n  performedByWho: Who\n'),
      message: (file) => `${file}: labels.performedByWho: unknown key`,
    },
    {
      name: 'placeholder',
      edit: (y) => y.replace('  step: "Step {number} of {total}: {title}"', '  step: "Step {n} of {total}: {title}"'),
      message: (file) => `${file}: labels.step: unknown placeholder {n}; allowed: {number}, {total}, {title}`,
    },
    {
      name: 'page-size',
      edit: (y) => y.replace('  size: A4', '  size: B5'),
      message: (file) => `${file}: page.size: must be one of: A4, A3, LETTER, LEGAL`,
    },
    {
      name: 'two-problems',
      edit: (y) => y.replace('  size: A4', '  size: B5').replace('  none: none\n', ''),
      message: (file) => `${file}: page.size: must be one of: A4, A3, LETTER, LEGAL (and 1 more)`,
      details: 2,
    },
    {
      name: 'font-missing',
      edit: (y) => y.replace('/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf', '/nonexistent/DejaVuSansMono.ttf'),
      message: (file) => `${file}: fonts.mono: /nonexistent/DejaVuSansMono.ttf: not found`,
    },
    {
      name: 'font-not-truetype',
      edit: (y) => y.replace('/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', 'step-page.yaml'),
      message: (file) => `${file}: fonts.bold: ${file}: not a TrueType or OpenType font`,
    },
    {
      name: 'standard-font-name',
      edit: (y) => y.replace('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'Helvetica'),
      message: (file, dir) => `${file}: fonts.regular: ${join(dir, 'Helvetica')}: not found`,
    },
  ];

  it.each(cases)('$name: OfficiantError env.fs naming the file and the path', async ({ name, edit, message, details }) => {
    const dir = edit ? brokenTemplate(name, edit) : join(work, 'no-such-template-dir');
    const file = join(dir, 'step-page.yaml');
    const error = await renderFrom(keyGenerationPage(), dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OfficiantError);
    expect(error).toMatchObject({ code: 'env.fs', message: message(file, dir) });
    if (details !== undefined) expect((error as OfficiantError).details).toHaveLength(details);
  });

  it('syntax error: names the file and the line', async () => {
    const dir = brokenTemplate('syntax', (y) => y.replace('labels:\n', 'labels: [\n'));
    await expect(renderFrom(keyGenerationPage(), dir)).rejects.toMatchObject({
      code: 'env.fs',
      message: expect.stringMatching(new RegExp(`^${escape(join(dir, 'step-page.yaml'))}: \\(syntax\\): `)),
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
