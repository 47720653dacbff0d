// The main job, as README's first command runs it: the officers' enrollment rehearsed on simulated PIV tokens,
// then a full rehearsal of the flagship ceremony in which those tokens check in and approve (3 of 5), all on a
// throwaway SoftHSM, checked with outside tools (openssl, pdftotext, pdffonts, pdfsig) and the journal command.
import { inFours } from '../../../src/record/fingerprint.js';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJournal } from '../../../src/record/journal.js';
import { officiant, ROOT, type CliResult } from '../../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'officiant-flagship-'));
const out = join(base, 'out');
const officers = join(base, 'officers');
const env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
let enrollment: CliResult;
let run: CliResult;

const STEPS = [
  '01-room.pdf',
  '02-check-in.pdf',
  '03-evidence-key.pdf',
  '04-room-and-hardware.pdf',
  '05-hsm-tamper-bag.pdf',
  '06-init-token.pdf',
  '07-approve-root-key.pdf',
  '08-generate-root-key.pdf',
  '09-inspect-root-key.pdf',
  '10-root-certificate.pdf',
  '11-approve-backup.pdf',
  '12-backup-root-key.pdf',
  '13-approve-record.pdf',
  '14-close.pdf',
];

beforeAll(async () => {
  enrollment = await officiant(['rehearse', join(ROOT, 'ceremonies/officer-enrollment.yaml'), '--out', officers], { env });
  run = await officiant(['rehearse', join(ROOT, 'ceremonies/release-authority-init.yaml'), '--officers', officers, '--out', out], { env });
}, 240_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('rehearsal of officer-enrollment', () => {
  it('enrolls 5 officers on simulated PIV tokens into a roster every one of them signed', () => {
    expect(enrollment.code, enrollment.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(officers, 'outputs/roster.json'), 'utf8'));
    const roster = JSON.parse(Buffer.from(file.roster.payload, 'base64').toString('utf8'));
    expect(roster.officers).toHaveLength(5);
    expect(roster.rehearsal).toBe(true);
    expect(new Set(roster.officers.map((o: { device: { serial: string } }) => o.device.serial)).size).toBe(5);
    expect(file.roster.signatures.map((s: { officer: string }) => s.officer).sort()).toEqual(roster.officers.map((o: { id: string }) => o.id).sort());
  });

  it('gives every officer a key-management key (9d) that agreed on a key with Officiant, certified for key agreement only', () => {
    const entries = parseJournal(readFileSync(join(officers, 'journal.jsonl'), 'utf8')).entries;
    expect(entries.filter((e) => e.data.what === 'piv-test-key-agreement').map((e) => e.data.agreed)).toEqual([true, true, true, true, true]);
    const file = JSON.parse(readFileSync(join(officers, 'outputs/roster.json'), 'utf8'));
    const roster = JSON.parse(Buffer.from(file.roster.payload, 'base64').toString('utf8'));
    for (const o of roster.officers) {
      const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: o.keys['9d'].certificate, encoding: 'utf8' });
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Key Agreement\s/);
    }
  });

  it('has each token attested by the simulated attestation CA, as openssl checks it', () => {
    const file = JSON.parse(readFileSync(join(officers, 'outputs/roster.json'), 'utf8'));
    const roster = JSON.parse(Buffer.from(file.roster.payload, 'base64').toString('utf8'));
    const dir = mkdtempSync(join(base, 'att-'));
    const root = join(dir, 'root.pem');
    writeFileSync(root, roster.attestation_roots[0].pem);
    expect(roster.attestation_roots[0].subject).toContain('SIMULATED');
    for (const o of roster.officers) {
      writeFileSync(join(dir, 'f9.pem'), o.device.attestation_certificate);
      for (const slot of ['9a', '9c', '9d']) {
        writeFileSync(join(dir, 'slot.pem'), o.keys[slot].attestation);
        expect(execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', join(dir, 'f9.pem'), join(dir, 'slot.pem')], { encoding: 'utf8' })).toContain(': OK');
      }
    }
  });
});

describe('rehearsal of release-authority-init', () => {
  it('completes all 14 steps and says where the evidence is', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\[step 14 of 14\] Closing sign-off/);
    expect(run.stdout).toContain(`Evidence:      ${out}/steps/`);
    expect(readdirSync(join(out, 'steps'))).toEqual(STEPS);
  });

  it('requires and records 3 of 5 approvals by the enrolled tokens, before the key and before the close', () => {
    const entries = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
    for (const step of ['approve-root-key', 'approve-backup', 'approve-record']) {
      const statement = entries.find((e) => e.step === step && e.data.what === 'approval-statement')!;
      const approvals = entries.filter((e) => e.step === step && e.data.what === 'approval');
      expect(approvals.map((a) => a.data.nonce)).toEqual(Array(3).fill((statement.data.statement as { nonce: string }).nonce));
      expect(new Set(approvals.map((a) => a.data.officer)).size).toBe(3);
      const page = execFileSync('pdftotext', ['-raw', join(out, 'steps', STEPS.find((p) => p.includes(step))!), '-'], { encoding: 'utf8' });
      expect(page).toContain((statement.data.words as string[]).join(' '));
      expect(page).toContain('Approval 3 of 3');
    }
    const approved = entries.findIndex((e) => e.step === 'approve-root-key' && e.type === 'step.completed');
    const generated = entries.findIndex((e) => e.step === 'generate-root-key' && e.type === 'step.started');
    expect(approved).toBeGreaterThan(0);
    expect(generated).toBeGreaterThan(approved);
    const checkIns = entries.filter((e) => e.data.what === 'check-in');
    expect(checkIns.map((e) => e.data.role)).toEqual(['crypto-officer', 'crypto-officer', 'crypto-officer']);
  });

  it('signs its evidence on the evidence token, activated right after the check-in; the release token only for its steps', () => {
    const entries = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
    const site = entries[0].data.site as { tokenLabel: string; evidence: { tokenLabel: string } };
    expect(site.evidence.tokenLabel).not.toBe(site.tokenLabel);
    const cert = entries.find((e) => e.type === 'result' && e.data.op === 'evidence.certificate')!;
    expect(cert.step).toBe('evidence-key');
    expect((cert.data.output as { token: string }).token).toBe(site.evidence.tokenLabel);
    // The release token is logged in to only by the steps that work on it; the pages, the countersign and the
    // seal after them never need it.
    const hsmSteps = new Set(['init-token', 'generate-root-key', 'inspect-root-key', 'root-certificate', 'backup-root-key']);
    const releaseLogins = entries.filter((e) => e.data.what === 'hsm-login' && e.data.token === site.tokenLabel);
    expect(releaseLogins.length).toBeGreaterThan(0);
    for (const e of releaseLogins) expect(hsmSteps.has(e.step!), `login in ${e.step}`).toBe(true);
    const evidenceLogins = entries.filter((e) => e.data.what === 'hsm-login' && e.data.token === site.evidence.tokenLabel);
    expect(evidenceLogins.map((e) => e.step)).toEqual(['evidence-key']);
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
    // Marked for backup: born in the HSM and always sensitive, but extractable under an SO-trusted key only,
    // so not never-extractable (the page says so).
    expect(inspection.attributes).toEqual({ local: true, neverExtractable: false, alwaysSensitive: true, extractable: true, sensitive: true, wrapWithTrusted: true });
    const inspectPage = execFileSync('pdftotext', ['-raw', join(out, 'steps/09-inspect-root-key.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(inspectPage).toContain('it is NOT NEVER_EXTRACTABLE');
  });

  it('backs the root key up 3 of 5: every custodian opened their share and signed a receipt, and the page says so', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'outputs/backup/manifest.json'), 'utf8'));
    expect([manifest.threshold, manifest.custodians.length, manifest.keys.map((k: { label: string }) => k.label)]).toEqual([3, 5, ['release-root-2026']]);
    const entries = parseJournal(readFileSync(join(out, 'journal.jsonl'), 'utf8')).entries;
    const receipts = entries.filter((e) => e.step === 'backup-root-key' && e.data.what === 'share-receipt');
    expect(receipts.map((e) => e.data.index)).toEqual([1, 2, 3, 4, 5]);
    const page = execFileSync('pdftotext', ['-raw', join(out, 'steps/12-backup-root-key.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(page).toContain(`Wrap key check value ${inFours(manifest.wrap_key.kcv)}`);
    expect(page).toContain('Threshold 3 of 5 custodians');
    expect(page.match(/opened and receipt signed \(verified\)/g)).toHaveLength(5);
    expect(page).toContain('a backed-up key is NOT NEVER_EXTRACTABLE');
  });

  it('marks every page REHEARSAL, embeds every font, and prints what the step did', () => {
    for (const page of readdirSync(join(out, 'steps'))) {
      const file = join(out, 'steps', page);
      const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).trim().split('\n').slice(2);
      expect(fonts.length).toBeGreaterThan(0);
      for (const row of fonts) expect(row.split(/\s+/).slice(-5)[0], `${page}: ${row}`).toBe('yes');
      expect(execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' })).toContain('REHEARSAL — not production evidence');
    }
    const keyPage = execFileSync('pdftotext', ['-raw', join(out, 'steps/08-generate-root-key.pdf'), '-'], { encoding: 'utf8' });
    const inspection = JSON.parse(readFileSync(join(out, 'outputs/release-root-2026.inspection.json'), 'utf8'));
    expect(keyPage).toContain('Step 8 of 14: Generate the release root key');
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
    // The same journal head as the end screen, the packet cover, the manifest and verify: the closing entry's.
    const closing = entries.find((e) => e.type === 'ceremony.completed')!;
    expect(check.stdout).toContain(`journal head (paper log, packet cover, verify): ${closing.hash} (line ${entries.indexOf(closing) + 1}, ceremony.completed)`);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).journalHead).toBe(closing.hash);
    expect(check.stdout).toContain(`last entry: ceremony.sealed at line ${entries.length} (${entries[entries.length - 1].hash}), after the head`);
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
    const { sandbox, people } = JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8'));
    expect(sandbox.startsWith(join(base, 'sandboxes'))).toBe(true);
    expect(existsSync(join(sandbox, people))).toBe(true);
    for (const dir of [out, officers]) expect(readdirSync(dir).filter((f) => f.startsWith('people'))).toEqual([]);
  });

  it('leaves no PIV PIN of any officer in either packet', () => {
    const { sandbox } = JSON.parse(readFileSync(join(officers, 'rehearsal.json'), 'utf8'));
    const people = JSON.parse(readFileSync(join(sandbox, 'people.json'), 'utf8'));
    const pins = Object.values(people.secrets as Record<string, Record<string, string>>).flatMap((s) => Object.values(s));
    expect(pins.length).toBeGreaterThan(10);
    for (const dir of [out, officers]) {
      const files = execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
      for (const f of files) {
        const text = readFileSync(f, 'latin1');
        const shown = f.endsWith('.pdf') ? execFileSync('pdftotext', [f, '-'], { encoding: 'utf8' }) : '';
        for (const pin of pins) expect(text.includes(pin) || shown.includes(pin), `${pin.length}-character secret in ${f}`).toBe(false);
      }
    }
    expect(run.stdout + enrollment.stdout).not.toMatch(new RegExp(pins.join('|')));
  });
});
