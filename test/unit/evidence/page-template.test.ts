// Template loading without a file system: the files come from an in-memory TemplateReader, as the port allows.
// Every failure is OfficiantError 'env.fs' naming the file (and the YAML path), with the reason taken from the
// error code the reader rejects with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OfficiantError } from '../../../src/errors.js';
import { loadPageTemplate } from '../../../src/evidence/page-template.js';
import { loadPacketTemplates } from '../../../src/evidence/render-packet.js';
import type { TemplateReader } from '../../../src/evidence/template-reader.js';

const shipped = fileURLToPath(new URL('../../../templates/', import.meta.url));
const DIR = '/templates';
const TRUETYPE = Buffer.from([0x00, 0x01, 0x00, 0x00, 0x00, 0x10]);
const FONTS = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf'];

/** Files held in memory; a path mapped to an error code rejects with that code, an unknown path with ENOENT. */
class MemoryReader implements TemplateReader {
  reads: string[] = [];
  constructor(private readonly files: Record<string, Buffer | string>) {}
  async read(file: string): Promise<Buffer> {
    this.reads.push(file);
    const entry = this.files[file];
    if (entry === undefined || typeof entry === 'string') throw Object.assign(new Error(`${file}: ${entry ?? 'ENOENT'}`), { code: entry ?? 'ENOENT' });
    return entry;
  }
}

function files(overrides: Record<string, Buffer | string> = {}): Record<string, Buffer | string> {
  const all: Record<string, Buffer | string> = {};
  for (const name of ['step-page.yaml', 'packet.yaml']) all[join(DIR, name)] = readFileSync(join(shipped, name));
  for (const font of FONTS) all[font] = TRUETYPE;
  return { ...all, ...overrides };
}

const STEP_PAGE = join(DIR, 'step-page.yaml');

describe('loadPageTemplate through a TemplateReader', () => {
  it('loads the shipped wording and the fonts it names, reading each font once per reader', async () => {
    const reader = new MemoryReader(files());
    const template = await loadPageTemplate(DIR, reader);
    expect(template.labels.performedBy).toBe('Performed by');
    expect(template.fonts.mono).toEqual({ file: FONTS[2], data: TRUETYPE });
    await loadPageTemplate(DIR, reader);
    expect(reader.reads.filter((f) => f === FONTS[0])).toHaveLength(1);
    expect(reader.reads.filter((f) => f === STEP_PAGE)).toHaveLength(2);
  });

  it.each([
    { name: 'missing template', files: { [STEP_PAGE]: 'ENOENT' }, message: `${STEP_PAGE}: not found` },
    { name: 'unreadable template', files: { [STEP_PAGE]: 'EACCES' }, message: `${STEP_PAGE}: permission denied` },
    { name: 'template is a directory', files: { [STEP_PAGE]: 'EISDIR' }, message: `${STEP_PAGE}: is a directory` },
    { name: 'other read error', files: { [STEP_PAGE]: 'EIO' }, message: `${STEP_PAGE}: cannot read (EIO)` },
    { name: 'missing font', files: { [FONTS[1]]: 'ENOENT' }, message: `${STEP_PAGE}: fonts.bold: ${FONTS[1]}: not found` },
    { name: 'not a font', files: { [FONTS[2]]: Buffer.from('%PDF-1.7') }, message: `${STEP_PAGE}: fonts.mono: ${FONTS[2]}: not a TrueType or OpenType font` },
    {
      name: 'two bad fonts: both in the details',
      files: { [FONTS[0]]: 'EACCES', [FONTS[2]]: Buffer.from('%PDF') },
      message: `${STEP_PAGE}: fonts.regular: ${FONTS[0]}: permission denied (and 1 more)`,
      details: 2,
    },
  ])('$name: env.fs naming the file', async ({ files: overrides, message, details }) => {
    const error = await loadPageTemplate(DIR, new MemoryReader(files(overrides))).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OfficiantError);
    expect(error).toMatchObject({ code: 'env.fs', message });
    if (details !== undefined) expect((error as OfficiantError).details).toHaveLength(details);
  });

  it('a bad packet.yaml names that file and the path', async () => {
    const packet = join(DIR, 'packet.yaml');
    const edited = readFileSync(join(shipped, 'packet.yaml'), 'utf8').replace(/^(\s+)title: .*$/m, '$1titel: Packet');
    await expect(loadPacketTemplates(DIR, new MemoryReader(files({ [packet]: Buffer.from(edited) })))).rejects.toMatchObject({
      code: 'env.fs',
      message: `${packet}: cover.titel: unknown key (and 1 more)`,
    });
  });
});
