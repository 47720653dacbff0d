// The printed plan is what participants review, bring and fill in by hand, so it is checked from the outside
// the way a reader's tools see it: pdffonts for embedded fonts, pdftotext -raw (drawing order) and -layout
// (lines as printed) per page for what it says, pdfinfo for pages. Expectations are read off the flagship
// script itself. Template problems surface as OfficiantError 'env.fs' naming the file and the YAML path.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OfficiantError } from '../../../src/errors.js';
import { loadPrintedPlanTemplate, renderPrintedPlan, renderPrintedPlanDocument } from '../../../src/evidence/render-printed-plan.js';
import { FsTemplateReader } from '../../../src/adapters/fs/fs-template-reader.js';
import { parseScript } from '../../../src/script/rules.js';
import type { Script } from '../../../src/script/schema.js';
import { officiant, ROOT } from '../../helpers/cli.js';

const templateDir = join(ROOT, 'templates');
const work = mkdtempSync(join(tmpdir(), 'officiant-printed-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const reader = new FsTemplateReader();
/** Loads the templates in `dir` (through the file-system reader the CLI uses) and renders the plan with them. */
const renderFrom = async (script: Script, sha: string, dir: string) => renderPrintedPlan(script, sha, { template: await loadPrintedPlanTemplate(dir, reader) });

const FLAGSHIP = 'ceremonies/release-authority-init.yaml';
const flagshipText = readFileSync(join(ROOT, FLAGSHIP), 'utf8');
const flagshipSha = createHash('sha256').update(flagshipText).digest('hex');

function flagship(): Script {
  const check = parseScript(FLAGSHIP, flagshipText);
  if (!check.script) throw new Error(`flagship invalid: ${JSON.stringify(check.errors)}`);
  return check.script;
}

async function render(script: Script, name: string, sha = flagshipSha): Promise<string> {
  const file = join(work, `${name}.pdf`);
  writeFileSync(file, await renderFrom(script, sha, templateDir));
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

/** Lines as laid out on the page. */
function layout(file: string, onlyPage: number): string[] {
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-f', String(onlyPage), '-l', String(onlyPage), file, '-'], { encoding: 'utf8' }).split('\n');
}

function flatten(s: string): string {
  return s.replace(/-\s+/g, '-').replace(/\s+/g, ' ').trim();
}

function fonts(file: string): Array<{ name: string; type: string; emb: string }> {
  const lines = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n');
  const columns = [...lines[1].matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cut = (line: string, i: number) => line.slice(columns[i][0], i + 1 < columns.length ? columns[i + 1][0] : undefined).trim();
  return lines
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((line) => ({ name: cut(line, 0), type: cut(line, 1), emb: cut(line, 3) }));
}

const STANDARD_14 = /(Times|Helvetica|Courier|Symbol|ZapfDingbats)/;

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('renderPrintedPlan on the flagship ceremony', () => {
  const script = flagship();
  const title = (role: string) => script.roles[role].title;
  const people = Object.values(script.roles).reduce((sum, r) => sum + r.people, 0);
  let file: string;
  let pages: number;

  it('embeds every font it uses, all DejaVu, none of them a standard-14 font', async () => {
    file = await render(script, 'flagship');
    pages = pageCount(file);
    const used = fonts(file);
    expect(used.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')).sort()).toEqual(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono']);
    for (const font of used) {
      expect(font.emb, font.name).toBe('yes');
      expect(font.name).not.toMatch(STANDARD_14);
      expect(font.type).not.toMatch(/Type 1/);
    }
    expect(readFileSync(file).toString('latin1')).not.toMatch(new RegExp(`/BaseFont\\s*/${STANDARD_14.source}`));
  });

  it('renders the same bytes again in the same process (each font is parsed once and reused), apart from the dates', async () => {
    const undated = (b: Buffer) => b.toString('latin1').replace(/\/(CreationDate|ModDate) \(D:[^)]*\)/g, '').replace(/\/ID \[[^\]]*\]/g, '');
    const again = await renderFrom(script, flagshipSha, templateDir);
    expect(undated(again)).toBe(undated(readFileSync(file)));
    expect(undated(again)).toContain('/FontFile2');
  });

  it('title page: ceremony, id, version, authority, description, SHA-256, and blanks for the day', () => {
    const first = text(file, 1);
    expect(first).toContain(script.title);
    expect(first).toContain(`Ceremony ${script.id} Version ${script.version}`);
    expect(first).toContain(`Authority ${script.authority} Steps ${script.steps.length}`);
    expect(first).toContain(flatten(script.description ?? ''));
    expect(first).toContain(`Script SHA-256 ${flagshipSha} Before the ceremony starts, compare this value`);
    expect(first).toContain('Filled in by hand on the day Date Location (site, room) Scheduled start time Actual start time End time');
    expect(first).toContain('Hardware and materials stored afterwards at');
  });

  it('roles with a row per required person, and every material as a checkbox item', () => {
    const second = text(file, 2);
    expect(second).toContain('Roles and required people');
    expect(second).toContain('Role Name (printed) Signature Initials');
    for (const role of Object.values(script.roles)) {
      expect(second).toContain(role.title);
      if (role.description) expect(second).toContain(flatten(role.description));
      for (let i = 1; i <= role.people && role.people > 1; i++) expect(second).toContain(`${role.title} person ${i} of ${role.people}`);
    }
    expect(script.materials.length).toBeGreaterThan(0);
    const materials = second.slice(second.indexOf('Hardware and materials to bring'));
    for (const m of script.materials) expect(materials).toContain(flatten(m));
  });

  it('every step, numbered in order, with its kind, people by role title, failure rule and instructions', () => {
    const all = text(file);
    const total = script.steps.length;
    let at = 0;
    script.steps.forEach((step, i) => {
      const heading = `Step ${i + 1} of ${total}: ${step.title} Step id ${step.id} Kind ${step.kind}`;
      const found = all.indexOf(heading, at);
      expect(found, heading).toBeGreaterThan(at);
      at = found;
      const block = all.slice(found, i + 1 < total ? all.indexOf(`Step ${i + 2} of ${total}: `, found) : undefined);
      const onFailure = step.on_failure === 'retry' ? 'retry with a reason on the deviation log, or abort' : 'abort the ceremony';
      expect(block).toContain(`Performed by ${title(step.perform)} On failure ${onFailure}`);
      expect(block).toContain(`Witnessed by ${step.witness.map(title).join(', ') || 'nobody'} Signed off by ${step.sign_off.map(title).join(', ') || 'nobody'}`);
      expect(block).toContain(`Instructions ${flatten(step.instructions)}`);
      const signers = step.sign_off.length > 0 ? step.sign_off : [step.perform];
      expect(block).toContain(`${signers.map((r) => `Initials — ${title(r)}`).join(' ')} Time Notes`);
      if (step.kind === 'manual.confirm') for (const f of step.params.record) expect(block.toLowerCase()).toContain(f.label.toLowerCase());
      if (step.kind === 'backup.split') expect(block).toContain('Wrap key check value read aloud, 32 characters in groups of four');
    });
    expect(all).not.toContain(`Step ${total + 1} of`);
  });

  it('lays label and value out on one printed line', () => {
    const step = script.steps[0];
    const stepPage = Array.from({ length: pages }, (_, i) => i + 1).find((n) => text(file, n).includes(`Step 1 of ${script.steps.length}`));
    expect(stepPage).toBeDefined();
    const lines = layout(file, stepPage!);
    expect(lines.some((l) => new RegExp(`^\\s*Step id\\s+${escape(step.id)}\\s+Kind\\s+${escape(step.kind)}\\s*$`).test(l))).toBe(true);
    expect(lines.some((l) => new RegExp(`^\\s*Performed by\\s+${escape(title(step.perform))}\\s+On failure\\s+\\S`).test(l))).toBe(true);
  });

  it('a deviation log page and a final sign-off page with two choices for every person of every role', () => {
    const log = text(file, pages - 1);
    expect(log).toContain('Deviation log');
    expect(log).toContain('Time Step Description of the deviation Reason Initials');
    const last = text(file, pages);
    expect(last).toContain('Sign-off by participants and witnesses');
    expect(last).toContain('Role Name (printed) The script was Signature Date');
    expect(occurrences(last, 'followed as written')).toBe(people);
    expect(occurrences(last, 'followed with deviations recorded on the deviation log')).toBe(people);
    for (const role of Object.values(script.roles)) expect(last).toContain(role.title);
    expect(last).toContain('Number of entries on the deviation log');
  });

  it('the script SHA-256 and "page X of Y" on every page', () => {
    expect(pages).toBeGreaterThanOrEqual(script.steps.length / 2 + 4);
    for (let n = 1; n <= pages; n++) {
      const onPage = text(file, n);
      expect(onPage, `page ${n}`).toContain(`Script SHA-256 ${flagshipSha}`);
      expect(onPage, `page ${n}`).toContain(`page ${n} of ${pages}`);
      expect(onPage, `page ${n}`).toContain(`${script.id} version ${script.version}`);
    }
  });

  it('gives identical bytes for identical input, other bytes for another script digest', async () => {
    const again = await renderFrom(script, flagshipSha, templateDir);
    expect(again.equals(readFileSync(file))).toBe(true);
    const other = await renderFrom(script, 'f'.repeat(64), templateDir);
    expect(other.equals(again)).toBe(false);
    expect(execFileSync('pdfinfo', ['-isodates', file], { encoding: 'utf8' })).toMatch(/^CreationDate:\s+1970-01-01T00:00:00(Z|\+00)/m);
  });

  it('reports the number of pages it made', async () => {
    const { pdf, pages: made } = await renderPrintedPlanDocument(script, flagshipSha, { template: await loadPrintedPlanTemplate(templateDir, reader) });
    expect(pdf.equals(readFileSync(file))).toBe(true);
    expect(made).toBe(pages);
  });
});

describe('renderPrintedPlan on a script larger than a page', () => {
  it('flows a long step and a long roles table across pages, losing nothing, footers on every page', async () => {
    const script = structuredClone(flagship());
    const sentences = Array.from({ length: 90 }, (_, i) => `Sentence ${i + 1} of the long instructions is read aloud and checked by the witness.`);
    script.steps[1].instructions = sentences.join('\n');
    script.roles['crypto-officer'].people = 20;
    const file = await render(script, 'long');
    const pages = pageCount(file);
    expect(pages).toBeGreaterThan(pageCount(await render(flagship(), 'short')) + 1);
    const bodies: string[] = [];
    for (let n = 1; n <= pages; n++) {
      const onPage = text(file, n);
      const footer = [`Script SHA-256 ${flagshipSha}`, `page ${n} of ${pages}`, `${script.id} version ${script.version} · ${script.title} · printed plan`];
      for (const f of footer) expect(onPage, `page ${n}`).toContain(f);
      // Running header and footer are drawn after the page's body: cut them off to read text that flows on.
      const ends = [`${script.id} · Version ${script.version}`, `page ${n} of ${pages}`].map((t) => onPage.indexOf(t)).filter((i) => i >= 0);
      bodies.push(onPage.slice(0, Math.min(...ends)));
    }
    const all = flatten(bodies.join(' '));
    for (const s of sentences) expect(occurrences(all, s), s).toBe(1);
    for (let i = 1; i <= 20; i++) expect(occurrences(all, `Crypto Officer person ${i} of 20`), `officer ${i}`).toBe(2);
    expect(occurrences(all, 'Role Name (printed) Signature Initials')).toBeGreaterThanOrEqual(2);
  });
});

describe('printed-plan template', () => {
  const original = readFileSync(join(templateDir, 'printed-plan.yaml'), 'utf8');

  function templateWith(name: string, edit?: (yaml: string) => string): string {
    const dir = join(work, `template-${name}`);
    cpSync(templateDir, dir, { recursive: true });
    if (edit) {
      const edited = edit(original);
      expect(edited, `edit ${name} changed the template`).not.toBe(original);
      writeFileSync(join(dir, 'printed-plan.yaml'), edited);
    } else {
      rmSync(join(dir, 'printed-plan.yaml'));
    }
    return dir;
  }

  const cases: Array<{ name: string; edit?: (yaml: string) => string; message: (file: string) => string; details?: number }> = [
    { name: 'missing', message: (file) => `${file}: not found` },
    {
      name: 'required-label',
      edit: (y) => y.replace('  followed: followed as written\n', ''),
      message: (file) => `${file}: labels.followed: is required`,
    },
    {
      name: 'unknown-key',
      edit: (y) => y.replace('  notes: Notes\n', '  notes: Notes\n  remarks: Remarks\n'),
      message: (file) => `${file}: labels.remarks: unknown key`,
    },
    {
      name: 'placeholder',
      edit: (y) => y.replace('  step: "Step {number} of {total}: {title}"', '  step: "Step {n} of {total}: {title}"'),
      message: (file) => `${file}: labels.step: unknown placeholder {n}; allowed: {number}, {total}, {title}`,
    },
    {
      name: 'kind-text-missing',
      edit: (y) => y.replace(/^ {2}hsm\.inspect-key: "Officiant reads back.*\n/m, ''),
      message: (file) => `${file}: kinds["hsm.inspect-key"]: is required`,
    },
    {
      name: 'rows',
      edit: (y) => y.replace('deviationRows: 12', 'deviationRows: 0'),
      message: (file) => `${file}: layout.deviationRows: too small: expected number to be >=1`,
    },
    {
      name: 'two-problems',
      edit: (y) => y.replace('deviationRows: 12', 'deviationRows: many').replace('  notes: Notes\n', ''),
      message: (file) => `${file}: layout.deviationRows: must be a number, got a string (and 1 more)`,
      details: 2,
    },
  ];

  it.each(cases)('$name: OfficiantError env.fs naming the file and the path, before pdfkit runs', async ({ name, edit, message, details }) => {
    const dir = templateWith(name, edit);
    const file = join(dir, 'printed-plan.yaml');
    const error = await renderFrom(flagship(), flagshipSha, dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OfficiantError);
    expect(error).toMatchObject({ code: 'env.fs', message: message(file) });
    if (details !== undefined) expect((error as OfficiantError).details).toHaveLength(details);
  });

  it('syntax error: names the file and the line', async () => {
    const dir = templateWith('syntax', (y) => y.replace('labels:\n', 'labels: [\n'));
    await expect(renderFrom(flagship(), flagshipSha, dir)).rejects.toMatchObject({
      code: 'env.fs',
      message: expect.stringMatching(new RegExp(`^${escape(join(dir, 'printed-plan.yaml'))}: \\(syntax\\): `)),
    });
  });

  it('a broken step-page.yaml (fonts, page) is reported against that file', async () => {
    const dir = join(work, 'template-step-page-font');
    cpSync(templateDir, dir, { recursive: true });
    const stepPage = join(dir, 'step-page.yaml');
    const yaml = readFileSync(stepPage, 'utf8');
    const edited = yaml.replace(/^(\s+mono:\s*)\S+$/m, '$1/nonexistent/DejaVuSansMono.ttf');
    expect(edited).not.toBe(yaml);
    writeFileSync(stepPage, edited);
    await expect(renderFrom(flagship(), flagshipSha, dir)).rejects.toMatchObject({
      code: 'env.fs',
      message: `${stepPage}: fonts.mono: /nonexistent/DejaVuSansMono.ttf: not found`,
    });
  });
});

describe('officiant plan --pdf', () => {
  it('writes the printed plan next to the text plan, then refuses to overwrite it', async () => {
    const dir = mkdtempSync(join(work, 'cli-'));
    const out = join(dir, 'plan.pdf');
    const first = await officiant(['plan', FLAGSHIP, '--pdf', out]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const pages = pageCount(out);
    expect(first.stdout).toContain(`${flagship().title}\n`);
    expect(first.stdout.endsWith(`\nwrote ${out} (${pages} pages, SHA-256 of the script ${flagshipSha})\n`)).toBe(true);
    const written = readFileSync(out);
    expect(written.equals(await renderFrom(flagship(), flagshipSha, templateDir))).toBe(true);
    expect(readdirSync(dir)).toEqual(['plan.pdf']);

    const again = await officiant(['plan', FLAGSHIP, '--pdf', out]);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr.split('\n')[0]).toBe(`officiant: ${out} already exists`);
    expect(readFileSync(out).equals(written)).toBe(true);
    expect(readdirSync(dir)).toEqual(['plan.pdf']);
  });

  it('refuses a --pdf in a directory that does not exist before printing anything (exit 2)', async () => {
    const out = join(work, 'no-such-dir', 'plan.pdf');
    const r = await officiant(['plan', FLAGSHIP, '--pdf', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`officiant: cannot write ${out}: no such directory ${join(work, 'no-such-dir')}\nhint: create the directory first, or name one that exists\n`);
  });

  it('officiant with no command is a usage slip: the help on stderr, exit 2', async () => {
    const r = await officiant([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: officiant \[options\] \[command\]/);
  });

  it('without --pdf prints the text plan only', async () => {
    const r = await officiant(['plan', FLAGSHIP]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('wrote ');
    expect(r.stdout).toContain(`SHA-256 ${flagshipSha}`);
  });
});
