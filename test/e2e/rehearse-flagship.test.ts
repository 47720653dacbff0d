// The main job, as README's first command runs it: a full rehearsal of the flagship ceremony on a throwaway
// SoftHSM, checked with outside tools (openssl, pdftotext, pdffonts) and the journal command.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJournal } from '../../src/engine/journal.js';
import { officiant, ROOT, type CliResult } from '../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'officiant-flagship-'));
const out = join(base, 'out');
const env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
let run: CliResult;

beforeAll(async () => {
  run = await officiant(['rehearse', join(ROOT, 'ceremonies/release-authority-init.yaml'), '--out', out], { env });
}, 120_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('rehearsal of release-authority-init', () => {
  it('completes all 9 steps and says where the evidence is', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\[step 9 of 9\] Closing sign-off/);
    expect(run.stdout).toContain(`Evidence:      ${out}/steps/`);
    expect(readdirSync(join(out, 'steps'))).toEqual([
      '01-check-in.pdf',
      '02-room-and-hardware.pdf',
      '03-hsm-tamper-bag.pdf',
      '04-init-token.pdf',
      '05-evidence-key.pdf',
      '06-generate-root-key.pdf',
      '07-inspect-root-key.pdf',
      '08-root-certificate.pdf',
      '09-close.pdf',
    ]);
  });

  it('makes an RSA-4096 root certificate that openssl verifies, for the key the journal recorded', () => {
    const cert = join(out, 'outputs/release-root-2026.cert.pem');
    expect(execFileSync('openssl', ['verify', '-CAfile', cert, cert], { encoding: 'utf8' })).toContain(': OK');
    const text = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Public-Key: (4096 bit)');
    expect(text).toMatch(/CA:TRUE, pathlen:1/);
    const pub = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-pubkey'], { encoding: 'utf8' });
    expect(pub).toBe(readFileSync(join(out, 'outputs/release-root-2026.pub.pem'), 'utf8'));
    const inspection = JSON.parse(readFileSync(join(out, 'outputs/release-root-2026.inspection.json'), 'utf8'));
    expect(inspection.attributes).toEqual({ local: true, neverExtractable: true, alwaysSensitive: true, extractable: false, sensitive: true });
  });

  it('marks every page REHEARSAL, embeds every font, and prints what the step did', () => {
    for (const page of readdirSync(join(out, 'steps'))) {
      const file = join(out, 'steps', page);
      const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).trim().split('\n').slice(2);
      expect(fonts.length).toBeGreaterThan(0);
      for (const row of fonts) expect(row.split(/\s+/).slice(-5)[0], `${page}: ${row}`).toBe('yes');
      expect(execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' })).toContain('REHEARSAL — not production evidence');
    }
    const keyPage = execFileSync('pdftotext', ['-raw', join(out, 'steps/06-generate-root-key.pdf'), '-'], { encoding: 'utf8' });
    const inspection = JSON.parse(readFileSync(join(out, 'outputs/release-root-2026.inspection.json'), 'utf8'));
    expect(keyPage).toContain('Step 6 of 9: Generate the release root key');
    expect(keyPage).toContain(inspection.spkiSha256);
    expect(keyPage).toContain('Crypto Officer 1 (rehearsal)');
  });

  it('leaves a complete, intact journal that `officiant journal` confirms', async () => {
    const entries = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
    expect(entries[0].type).toBe('ceremony.started');
    expect(entries[0].data.mode).toBe('rehearsal');
    expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
    expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
    const check = await officiant(['journal', out], { env });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`hash chain: intact, ${entries.length} entries`);
    expect(check.stdout).toContain(`head: ${entries[entries.length - 1].hash}`);
  });

  it('is a packet pdfsig, openssl and `officiant verify` all accept', async () => {
    for (const pdf of [...readdirSync(join(out, 'steps')).map((p) => join(out, 'steps', p)), join(out, 'packet.pdf')]) {
      const said = execFileSync('pdfsig', [pdf], { encoding: 'utf8' });
      // pdfsig exits 0 even on a digest mismatch: read what it says.
      expect(said.match(/Signature Validation: (.*)/g), pdf).toEqual(['Signature Validation: Signature is Valid.']);
    }
    execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(out, 'manifest.json.p7s'), '-content', join(out, 'manifest.json'), '-certfile', join(out, 'outputs/evidence-key.cert.pem'), '-noverify', '-out', '/dev/null'], { stdio: 'pipe' });
    const verify = await officiant(['verify', out], { env });
    expect(verify.code, verify.stdout).toBe(0);
    const lines = verify.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^verified/);
    const fingerprint = createHash('sha256').update(new X509Certificate(readFileSync(join(out, 'outputs/evidence-key.cert.pem'))).raw).digest('hex');
    expect(verify.stdout).toContain(fingerprint);
    expect(run.stdout).toMatch(/Read aloud and write on the paper log: 1\. \w+ {2}2\. \w+/);
  });

  it('keeps the sandbox (and its simulated PINs) outside the output directory', () => {
    const { sandbox } = JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8'));
    expect(sandbox.startsWith(join(base, 'sandboxes'))).toBe(true);
    expect(existsSync(join(sandbox, 'people.json'))).toBe(true);
    expect(existsSync(join(out, 'people.json'))).toBe(false);
  });
});
