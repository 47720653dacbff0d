// `officiant verify` against real packets: rehearsals of the crash drill made by the CLI, checked first with
// outside tools (pdfsig, openssl cms) and then with verify, pristine and damaged. Every file of the packet is
// flipped, truncated and deleted in a fresh copy; each must fail naming that file. Packets are made once, at
// collection, so the table of files is the packet's own manifest.
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECK_GROUPS, verifyPacket, type PacketReport } from '../../../src/evidence/verify-packet.js';
import { officiant, ROOT, type CliResult } from '../../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'officiant-verify-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
delete env.OFFICIANT_FAILPOINT;
const SCRIPT = join(ROOT, 'test/fixtures/crash-drill.yaml');

const pristine = join(base, 'a');
const other = join(base, 'b');
const crashed = join(base, 'crashed');
const [ra, rb, rc] = await Promise.all([
  officiant(['rehearse', SCRIPT, '--out', pristine], { env }),
  officiant(['rehearse', SCRIPT, '--out', other], { env }),
  officiant(['rehearse', SCRIPT, '--out', crashed], { env: { ...env, OFFICIANT_FAILPOINT: 'journal.append#20' } }),
]);
for (const [r, dir] of [[ra, pristine], [rb, other]] as const) {
  if (r.code !== 0) {
    rmSync(base, { recursive: true, force: true });
    throw new Error(`rehearsal into ${dir} failed (${r.code}): ${r.stderr}${r.stdout.slice(-2000)}`);
  }
}

const manifest = JSON.parse(readFileSync(join(pristine, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; bytes: number; sha256: string }> };
const PACKET_FILES = [...manifest.files.map((f) => f.path), 'manifest.json', 'manifest.json.p7s'];
const PDFS = PACKET_FILES.filter((f) => f.endsWith('.pdf'));

let copies = 0;
function copyOf(dir = pristine): string {
  const to = join(base, `m${++copies}`);
  cpSync(dir, to, { recursive: true });
  return to;
}

const verify = (dir: string, ...args: string[]): Promise<CliResult> => officiant(['verify', dir, ...args], { env });
const lines = (r: CliResult) => r.stdout.trimEnd().split('\n');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A problem line of the text output that starts with `file: ` (after the `FAIL group: ` prefix or the indent). */
const names = (r: CliResult, file: string) => new RegExp(`^(FAIL [a-z ]+: |\\s+)${escape(file)}: `, 'm').test(r.stdout);

function readTree(root: string, rel = '', into = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) readTree(root, path, into);
    else into.set(path, readFileSync(join(root, path)));
  }
  return into;
}

function problems(report: PacketReport): string[] {
  return report.groups.flatMap((g) => g.problems);
}

describe('a fresh packet', () => {
  it('lists every file of the directory in its manifest', () => {
    expect([...readTree(pristine).keys()].sort()).toEqual([...PACKET_FILES].sort());
    expect(PDFS).toContain('packet.pdf');
    expect(PDFS.filter((f) => f.startsWith('steps/'))).toHaveLength(7);
  });

  it.each(PDFS)('pdfsig reports the signature of %s valid', (file) => {
    const r = spawnSync('pdfsig', [join(pristine, file)], { encoding: 'utf8' });
    const signatures = r.stdout.split(/^Signature #\d+:$/m).slice(1);
    expect(signatures, r.stdout + r.stderr).toHaveLength(1);
    expect(signatures[0]).toMatch(/Signature Validation: Signature is Valid\./);
    expect(signatures[0]).toMatch(/Signature Type: adbe\.pkcs7\.detached/);
  });

  it('openssl cms accepts manifest.json.p7s over manifest.json', () => {
    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'manifest.json.p7s', '-content', 'manifest.json', '-certfile', 'outputs/evidence-key.cert.pem', '-noverify', '-out', '/dev/null'];
    const r = spawnSync('openssl', args, { cwd: pristine, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Verification successful/);
  });

  it('verifies: one ok line per check group, the evidence key to compare, last line says it is not pinned', async () => {
    const r = await verify(pristine);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = lines(r);
    expect(out.slice(0, CHECK_GROUPS.length)).toEqual(CHECK_GROUPS.map((g) => `ok   ${g}`));
    const fingerprint = new X509Certificate(readFileSync(join(pristine, 'outputs/evidence-key.cert.pem'))).fingerprint256.replace(/:/g, '').toLowerCase();
    expect(out).toContain(`note: evidence key ${fingerprint} — compare out of band`);
    expect(out).toContain('note: rehearsal: made on a throwaway SoftHSM with simulated people; not production evidence');
    expect(out[out.length - 1]).toBe(`verified, evidence key NOT PINNED: ${PACKET_FILES.length} files signed by evidence key ${fingerprint}; compare the key with the fingerprint on the paper log, or pass --trust (rehearsal)`);
  });

  it('--json prints the report', async () => {
    const r = await verify(pristine, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as PacketReport;
    expect(report.ok).toBe(true);
    expect(report.rehearsal).toBe(true);
    expect(report.groups.map((g) => [g.name, g.ok])).toEqual(CHECK_GROUPS.map((g) => [g, true]));
    expect(report.evidenceKeySha256).toMatch(/^[0-9a-f]{64}$/);
    expect((report as unknown as { pinned: boolean }).pinned).toBe(false);
    const trusted = JSON.parse((await verify(pristine, '--json', '--trust', report.evidenceKeySha256!)).stdout) as { pinned: boolean };
    expect(trusted.pinned).toBe(true);
  });
});

describe('every file of the packet, damaged', () => {
  it.concurrent.each(PACKET_FILES)('%s: one byte flipped in the middle fails naming it', async (file) => {
    const dir = copyOf();
    const path = join(dir, file);
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(path, bytes);
    const r = await verify(dir);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(names(r, file), r.stdout).toBe(true);
    expect(lines(r).pop()).toMatch(/^FAILED: \d+ problem\(s\)$/);
  });

  it.concurrent.each(PACKET_FILES)('%s: truncated by one byte fails naming it', async (file) => {
    const dir = copyOf();
    const path = join(dir, file);
    truncateSync(path, readFileSync(path).length - 1);
    const r = await verify(dir);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(names(r, file), r.stdout).toBe(true);
  });

  it.concurrent.each(PACKET_FILES)('%s: deleted fails naming it', async (file) => {
    const dir = copyOf();
    rmSync(join(dir, file));
    const r = await verify(dir);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(names(r, file), r.stdout).toBe(true);
  });

  it.concurrent.each(['notes.txt', '.officiant.lock', 'outputs/extra.pub.pem', 'steps/99-extra.pdf'])('a stray %s fails naming it', async (file) => {
    const dir = copyOf();
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), 'stray\n');
    const r = await verify(dir);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^(FAIL manifest: |\\s+)${escape(file)}: not listed in manifest\\.json \\(stray file\\)$`, 'm'));
  });
});

describe('the journal', () => {
  const journalLines = () => readFileSync(join(pristine, 'journal.jsonl'), 'utf8').trimEnd().split('\n');

  it('two lines swapped: fails naming journal.jsonl and the line', async () => {
    const dir = copyOf();
    const l = journalLines();
    [l[4], l[5]] = [l[5], l[4]];
    writeFileSync(join(dir, 'journal.jsonl'), `${l.join('\n')}\n`);
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL journal: journal\.jsonl: line 5: sequence number 6, expected 5$/m);
  });

  it('a line removed: fails naming journal.jsonl and the line', async () => {
    const dir = copyOf();
    const l = journalLines();
    l.splice(9, 1);
    writeFileSync(join(dir, 'journal.jsonl'), `${l.join('\n')}\n`);
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL journal: journal\.jsonl: line 10: sequence number 11, expected 10$/m);
  });

  it('the last line removed: the seal is missing', async () => {
    const dir = copyOf();
    const l = journalLines();
    l.pop();
    writeFileSync(join(dir, 'journal.jsonl'), `${l.join('\n')}\n`);
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s+journal\.jsonl: line \d+: last entry is result, expected ceremony\.sealed$/m);
  });
});

describe('pieces from another ceremony', () => {
  it.concurrent.each(PDFS)('%s swapped for the same file of another rehearsal fails', async (file) => {
    const dir = copyOf();
    cpSync(join(other, file), join(dir, file));
    const r = await verify(dir);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^(FAIL pdf signatures: |\\s+)${escape(file)}: signer is not the evidence key`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^(FAIL chain: |\\s+)${escape(file)}: SHA-256 `, 'm'));
  });

  it('in process: a swapped page fails its signature and the chain, not only the manifest', () => {
    const files = readTree(pristine);
    files.set('steps/03-evidence.pdf', readFileSync(join(other, 'steps/03-evidence.pdf')));
    const report = verifyPacket(files, {});
    const byGroup = Object.fromEntries(report.groups.map((g) => [g.name, g.problems]));
    expect(byGroup['pdf signatures']).toEqual([
      'steps/03-evidence.pdf: signer is not the evidence key (issuer/serial differ from outputs/evidence-key.cert.pem)',
      'steps/03-evidence.pdf: the certificate in the signature is not outputs/evidence-key.cert.pem',
      `steps/03-evidence.pdf: signature does not verify under the evidence key ${report.evidenceKeySha256!.slice(0, 16)}…`,
    ]);
    expect(byGroup.chain).toHaveLength(3);
    expect(byGroup.chain[0]).toMatch(/^steps\/03-evidence\.pdf: SHA-256 [0-9a-f]{16}… is not the [0-9a-f]{16}… journal\.jsonl recorded for step 3$/);
    // The page itself names the other ceremony run and the entry that ended step 3 there.
    expect(byGroup.chain[1]).toMatch(/^steps\/03-evidence\.pdf: is a page of ceremony [0-9a-f-]{36}, not of this one \([0-9a-f-]{36}\)$/);
    expect(byGroup.chain[2]).toMatch(/^steps\/03-evidence\.pdf: is bound to journal entry [0-9a-f]{16}…, but step 3 ended with [0-9a-f]{16}… \(journal\.jsonl line \d+\)$/);
  });
});

describe('--trust', () => {
  const cert = join(pristine, 'outputs/evidence-key.cert.pem');
  const fingerprint = new X509Certificate(readFileSync(cert)).fingerprint256;

  it('passes with the right certificate file', async () => {
    const r = await verify(pristine, '--trust', cert);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('— matches --trust');
    expect(lines(r).pop()).toBe(`verified: ${PACKET_FILES.length} files, evidence key ${fingerprint.replace(/:/g, '').toLowerCase()} pinned by --trust (rehearsal)`);
  });

  it('passes with the right fingerprint, colons and case as people write them', async () => {
    const r = await verify(pristine, '--trust', fingerprint);
    expect(r.code, r.stdout).toBe(0);
  });

  it('fails with another ceremony\'s certificate or a wrong fingerprint', async () => {
    const mine = fingerprint.replace(/:/g, '').toLowerCase();
    for (const trust of [join(other, 'outputs/evidence-key.cert.pem'), createHash('sha256').update('not the key').digest('hex')]) {
      const r = await verify(pristine, '--trust', trust);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^FAIL evidence key: outputs/evidence-key\\.cert\\.pem: evidence key ${mine} is not the trusted [0-9a-f]{64}$`, 'm'));
    }
  });

  it('a --trust that is neither a file nor a fingerprint is bad input', async () => {
    const r = await verify(pristine, '--trust', 'abc123');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('neither a certificate file nor a SHA-256 fingerprint');
  });
});

describe('bad input', () => {
  it.each([
    ['an empty directory', () => mkdtempSync(join(base, 'empty-')), /is not an evidence packet: no journal\.jsonl and no manifest\.json/],
    ['a file', () => join(pristine, 'script.yaml'), /is not a directory/],
    ['a missing path', () => join(base, 'nowhere'), /no such file or directory/],
  ])('%s is not a packet: exit 2', async (_what, dir, message) => {
    const r = await verify(dir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('a crashed and resumed rehearsal', () => {
  it('was killed, resumes, and its packet verifies', async () => {
    expect(rc.signal, rc.stdout + rc.stderr).toBe('SIGKILL');
    expect(existsSync(join(crashed, 'manifest.json'))).toBe(false);
    const resumed = await officiant(['resume', crashed], { env });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const r = await verify(crashed);
    expect(r.code, r.stdout).toBe(0);
    expect(lines(r).pop()).toMatch(/^verified, evidence key NOT PINNED: /);
    const journal = readFileSync(join(crashed, 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"type":"ceremony.resumed"');
  });
});
