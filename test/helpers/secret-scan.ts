// Where a secret could end up after a run: the raw bytes of every file under a directory (PDFs also as the
// text pdftotext extracts), stdout and stderr; in the forms a leak would take (as typed, hex, base64).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import type { CliResult } from './cli.js';

/** Every file under dir (none when it does not exist). */
export function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...walk(p));
    else files.push(p);
  }
  return files;
}

export function expectSecretNowhere(secret: string, out: string, run: CliResult): void {
  const b = Buffer.from(secret, 'utf8');
  const forms = [secret, b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64').replace(/=+$/, '')];
  const places: Array<{ where: string; text: string }> = [
    { where: 'stdout', text: run.stdout },
    { where: 'stderr', text: run.stderr },
  ];
  for (const f of walk(out)) {
    places.push({ where: relative(out, f), text: readFileSync(f).toString('latin1') });
    if (f.endsWith('.pdf')) places.push({ where: `${relative(out, f)} (pdftotext)`, text: execFileSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' }) });
  }
  const hits = places.flatMap((p) => forms.filter((form) => p.text.includes(form)).map((form) => `${form} in ${p.where}`));
  expect(hits).toEqual([]);
}
