// `officiant run --answers` of the shipped example (examples/lab-root-key.yaml with its answers file, as the
// README runs it) on a private SoftHSM2, checked from the outside: openssl for
// the certificate, pkcs11-tool for what is on the token, qpdf and pdftotext for what the evidence pages hold.
// The PIN halves come from environment variables and must appear nowhere the ceremony leaves a trace: no file
// under the output directory (PDF streams decompressed), and neither stdout nor stderr; as text, hex or base64.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officiant, ROOT, type CliResult } from '../../helpers/cli.js';
import { createTestHsm, listObjects, SOFTHSM_MODULE, type TestHsm } from '../../helpers/softhsm.js';
import { walk } from '../../helpers/secret-scan.js';

const TIMEOUT = 120_000;
// The flagship minus officers' tokens: production runs refuse simulated PIV tokens, and this machine has no real ones.
const FLAGSHIP = join(ROOT, 'examples', 'lab-root-key.yaml');
const ANSWERS = join(ROOT, 'examples', 'lab-root-key.answers.yaml');
const KEY_LABEL = 'lab-root-2026';

const STEP_PAGES = [
  '01-check-in.pdf',
  '02-room-and-hardware.pdf',
  '03-hsm-tamper-bag.pdf',
  '04-init-token.pdf',
  '05-evidence-key.pdf',
  '06-generate-root-key.pdf',
  '07-inspect-root-key.pdf',
  '08-root-certificate.pdf',
  '09-close.pdf',
];

/** A distinctive PIN half: letters and digits nobody would write by accident. */
function pinHalf(tag: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(14);
  return `${tag}${Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')}`;
}

/** How a secret could show up in bytes: as itself, as hex (either case) or as base64 of its UTF-8 bytes. */
function encodings(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [secret, b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
}

/** Every readable view of the output directory: raw bytes of each file, plus each PDF decompressed and as text. */
function views(out: string, scratch: string): Array<{ where: string; text: string }> {
  const result: Array<{ where: string; text: string }> = [];
  walk(out).forEach((file, i) => {
    const rel = relative(out, file);
    const bytes = readFileSync(file);
    result.push({ where: rel, text: bytes.toString('latin1') });
    result.push({ where: `${rel} (utf8)`, text: bytes.toString('utf8') });
    if (file.endsWith('.pdf')) {
      const qdf = join(scratch, `${i}.qdf.pdf`);
      const q = spawnSync('qpdf', ['--qdf', '--object-streams=disable', file, qdf], { encoding: 'utf8' });
      // qpdf exits 3 for warnings and still writes the file; anything else means we could not look inside.
      expect(q.status === 0 || q.status === 3, `qpdf ${rel}: ${q.stderr}`).toBe(true);
      result.push({ where: `${rel} (qpdf --qdf)`, text: readFileSync(qdf).toString('latin1') });
      const txt = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
      result.push({ where: `${rel} (pdftotext)`, text: txt });
    }
  });
  return result;
}

function findings(haystacks: Array<{ where: string; text: string }>, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    for (const enc of encodings(value)) {
      for (const h of haystacks) if (h.text.includes(enc)) found.push(`${name} (${enc === value ? 'text' : 'encoded'}) in ${h.where}`);
    }
  }
  return found;
}

interface ObjectBlock {
  kind: string;
  label?: string;
}

/** pkcs11-tool --list-objects output split into objects: a header line, then indented attributes. */
function objectsOf(listing: string): ObjectBlock[] {
  const blocks: ObjectBlock[] = [];
  for (const line of listing.split('\n')) {
    if (/^\S.*Object/.test(line)) blocks.push({ kind: line.split(';')[0].trim() });
    const label = /^\s+label:\s*(.*)$/.exec(line);
    if (label && blocks.length > 0) blocks[blocks.length - 1].label = label[1].trim();
  }
  return blocks;
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('officiant run --answers: the shipped example and its answers file on a private SoftHSM', () => {
  let hsm: TestHsm;
  let work: string;
  let out: string;
  let scratch: string;
  let run: CliResult;
  const tokenLabel = `release-${randomBytes(3).toString('hex')}`;
  const halves = {
    carolSo: pinHalf('cS'),
    carolUser: pinHalf('cU'),
    daveSo: pinHalf('dS'),
    daveUser: pinHalf('dU'),
  };
  const soPin = halves.carolSo + halves.daveSo;
  const userPin = halves.carolUser + halves.daveUser;

  beforeAll(async () => {
    hsm = createTestHsm();
    work = mkdtempSync(join(tmpdir(), 'officiant-run-answers-'));
    scratch = join(work, 'scratch');
    mkdirSync(scratch);
    out = join(work, 'out');
    writeFileSync(join(work, 'site.yaml'), `hsm:\n  release-hsm:\n    module: ${SOFTHSM_MODULE}\n    token_label: ${tokenLabel}\n`);
    run = await officiant(['run', FLAGSHIP, '--out', out, '--answers', ANSWERS, '--site', join(work, 'site.yaml')], {
      env: {
        ...hsm.env,
        CAROL_SO_HALF: halves.carolSo,
        CAROL_USER_HALF: halves.carolUser,
        DAVE_SO_HALF: halves.daveSo,
        DAVE_USER_HALF: halves.daveUser,
      },
    });
  }, TIMEOUT);

  afterAll(() => {
    hsm?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exits 0 and leaves one evidence page per step and a journal ending in ceremony.completed, then sealed', { timeout: TIMEOUT }, () => {
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/completed: 9 steps/);
    for (const page of STEP_PAGES) {
      const file = join(out, 'steps', page);
      expect(existsSync(file), page).toBe(true);
      expect(readFileSync(file).subarray(0, 5).toString('latin1'), page).toBe('%PDF-');
    }

    const text = readFileSync(join(out, 'journal.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const entries = lines.map((l, i) => {
      expect(() => JSON.parse(l), `journal line ${i + 1}`).not.toThrow();
      return JSON.parse(l) as { seq: number; type: string; prev: string; hash: string };
    });
    entries.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      if (i > 0) expect(e.prev, `line ${i + 1} links to line ${i}`).toBe(entries[i - 1].hash);
    });
    expect(entries[0].type).toBe('ceremony.started');
    expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
    expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
    expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
  });

  it('writes a self-signed root certificate that openssl verifies, for the generated public key', { timeout: TIMEOUT }, () => {
    const cert = join(out, 'outputs', `${KEY_LABEL}.cert.pem`);
    const pub = join(out, 'outputs', `${KEY_LABEL}.pub.pem`);
    expect(openssl(['verify', '-CAfile', cert, cert]).trim()).toBe(`${cert}: OK`);
    const certKey = openssl(['x509', '-in', cert, '-pubkey', '-noout']);
    expect(certKey.trim()).toBe(readFileSync(pub, 'utf8').trim());
    expect(openssl(['x509', '-in', cert, '-noout', '-text'])).toMatch(/Public-Key: \(4096 bit\)/);
  });

  it('leaves exactly one private key per label on the token (root key and evidence key), usable with the joined user PIN', { timeout: TIMEOUT }, () => {
    const objects = objectsOf(listObjects(hsm, tokenLabel, userPin));
    const privateKeys = objects.filter((o) => o.kind.startsWith('Private Key Object'));
    expect(privateKeys.map((o) => o.label).sort()).toEqual([KEY_LABEL, 'officiant-evidence'].sort());
  });

  it('never writes or prints a PIN half or a joined PIN (text, hex, base64; PDFs decompressed)', { timeout: TIMEOUT }, () => {
    const secrets = {
      'Carol SO half': halves.carolSo,
      'Carol user half': halves.carolUser,
      'Dave SO half': halves.daveSo,
      'Dave user half': halves.daveUser,
      'SO PIN': soPin,
      'user PIN': userPin,
    };
    const haystacks = [...views(out, scratch), { where: 'stdout', text: run.stdout }, { where: 'stderr', text: run.stderr }];
    const files = walk(out).map((f) => relative(out, f));
    expect(files).toEqual(expect.arrayContaining(['journal.jsonl', ...STEP_PAGES.map((p) => join('steps', p))]));

    // The scanner sees what the ceremony recorded: the tamper-bag serials typed in are in the journal and, as
    // text, on the evidence pages; otherwise an empty result would prove nothing.
    expect(findings(haystacks, { serial: 'TB-00420017' })).toEqual(expect.arrayContaining(['serial (text) in journal.jsonl', 'serial (text) in steps/03-hsm-tamper-bag.pdf (pdftotext)']));
    expect(findings(haystacks, { name: 'Carol Officer' }).some((f) => f.includes('04-init-token.pdf (pdftotext)'))).toBe(true);

    expect(findings(haystacks, secrets)).toEqual([]);
  });
});
