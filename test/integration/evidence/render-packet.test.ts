// renderPacket is checked the way an auditor's tools see packet.pdf: pdfsig for the embedded CMS signature (valid,
// then broken by one flipped byte), pdfinfo for pages and metadata, pdftotext -raw (drawing order) for what each
// page says and where the contents point, pdffonts for embedded fonts. The step records inside are real
// renderStepPage output signed with the same key, as the engine writes them; the key is a real P-256 key with a
// self-signed certificate, signing through node:crypto where the engine would use the HSM.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, webcrypto, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CmsKey } from '../../../src/evidence/cms.js';
import { OfficiantError } from '../../../src/errors.js';
import type { PacketDocument, PacketStep } from '../../../src/evidence/packet.types.js';
import { headWords, loadPacketTemplate, loadPacketTemplates, renderPacket } from '../../../src/evidence/render-packet.js';
import { loadPageTemplate } from '../../../src/evidence/page-template.js';
import { FsTemplateReader } from '../../../src/adapters/fs/fs-template-reader.js';
import { renderStepPage } from '../../../src/evidence/render-step-page.js';
import { addSignaturePlaceholder, signPdf, type PdfSignature } from '../../../src/evidence/sign-pdf.js';
import type { StepPage } from '../../../src/evidence/step-page.types.js';

const templateDir = fileURLToPath(new URL('../../../templates/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'officiant-packet-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const reader = new FsTemplateReader();
/** Loads the templates in `dir` (through the file-system reader the CLI uses) and renders the packet with them. */
const renderFrom = async (doc: PacketDocument, dir: string, signature?: PdfSignature) => renderPacket(doc, { templates: await loadPacketTemplates(dir, reader), signature });

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const CEREMONY = {
  id: 'release-root-2025',
  title: 'Release signing root key generation 2025',
  version: 3,
  authority: 'release',
  scriptSha256: sha256('ceremony script'),
  ceremonyId: '2025-03-14T09-00-00Z-7f3a9c',
};

const PARTICIPANTS = [
  { name: 'Ana Müller', role: 'crypto-officer', roleTitle: 'Crypto Officer' },
  { name: 'Bartholomew Okonkwo-Fitzgerald', role: 'witness', roleTitle: 'Independent Witness' },
  { name: 'Chen Wei', role: 'auditor', roleTitle: 'Internal Auditor' },
];

const STEPS = [
  { id: 'check-in', kind: 'participants.check-in', title: 'Check in every participant' },
  { id: 'init-token', kind: 'hsm.init-token', title: 'Initialise the HSM token' },
  { id: 'generate-release-key', kind: 'hsm.generate-key', title: 'Generate the release signing key' },
  { id: 'root-certificate', kind: 'hsm.self-signed-certificate', title: 'Issue the root certificate' },
];

const RELEASE_PUBLIC_KEY = generateKeyPairSync('rsa', { modulusLength: 4096 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

interface TestKey {
  cms: CmsKey;
  certificatePem: string;
  certificateSha256: string;
  subject: string;
}

async function testKey(): Promise<TestKey> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const subject = 'CN=Officiant evidence key (test), O=Example Org';
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: subject,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true)],
  });
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const der = Buffer.from(cert.rawData);
  return {
    cms: { certificate: der, hash: 'SHA-256', sign: async (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }) },
    certificatePem: cert.toString('pem'),
    certificateSha256: sha256(der),
    subject,
  };
}

function signatureOf(key: TestKey, reason: string): PdfSignature {
  return { key: key.cms, name: 'Officiant evidence key (test)', reason, location: 'Example Org key ceremony room', signingTime: new Date('2025-03-14T10:40:00Z') };
}

function stepPage(index: number, outcome: StepPage['outcome'], rehearsal: boolean, key: TestKey): StepPage {
  const step = STEPS[index];
  const start = Date.UTC(2025, 2, 14, 9, 0, 0) + index * 600_000;
  return {
    rehearsal,
    ceremony: CEREMONY,
    step: { number: index + 1, total: STEPS.length, id: step.id, kind: step.kind, title: step.title, instructions: `Instructions for ${step.title.toLowerCase()}.` },
    performedBy: [PARTICIPANTS[0]],
    witnessedBy: [PARTICIPANTS[1]],
    signedOffBy: [PARTICIPANTS[2]],
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 300_000).toISOString(),
    outcome,
    results: [{ label: 'Recorded value', value: sha256(`result ${index}`) }],
    outputs: [],
    deviations: [],
    // The third step's record takes more than one page, so packet page numbers cannot be step numbers.
    journal: Array.from({ length: index === 2 ? 50 : 4 }, (_, i) => ({
      seq: index * 100 + i,
      time: new Date(start + i * 5_000).toISOString(),
      type: 'step.note',
      actor: PARTICIPANTS[i % 3].name,
      summary: `entry ${i} of step ${step.id}`,
      hash: sha256(`journal ${index} ${i}`),
    })),
    footer: '',
    chain: { previousPageSha256: null, signer: key.certificateSha256, note: 'signed with the evidence key' },
  };
}

async function signedStepRecord(page: StepPage, key: TestKey): Promise<Buffer> {
  const signature = signatureOf(key, `Evidence of step ${page.step.id}`);
  const pdf = await renderStepPage(page, { template: await loadPageTemplate(templateDir, reader), beforeEnd: (doc) => addSignaturePlaceholder(doc, signature) });
  return signPdf(pdf, signature);
}

/** Three step records and a fourth step never reached; aborted: the third step is where it stopped. */
async function packetDocument(key: TestKey, options: { outcome: 'completed' | 'aborted'; rehearsal: boolean }): Promise<PacketDocument> {
  const { outcome, rehearsal } = options;
  const steps: PacketStep[] = [];
  for (let i = 0; i < STEPS.length; i++) {
    const s = STEPS[i];
    const stepOutcome: PacketStep['outcome'] = i === 3 ? 'not reached' : i === 2 && outcome === 'aborted' ? 'aborted' : 'completed';
    const base = { number: i + 1, id: s.id, title: s.title, kind: s.kind, outcome: stepOutcome };
    if (i === 3) {
      steps.push(base);
      continue;
    }
    const pdf = await signedStepRecord(stepPage(i, stepOutcome === 'aborted' ? 'aborted' : 'completed', rehearsal, key), key);
    steps.push({ ...base, page: { path: `steps/${String(i + 1).padStart(2, '0')}-${s.id}.pdf`, sha256: sha256(pdf), pdf } });
  }
  const journalHead = sha256(`journal head ${outcome}`);
  return {
    rehearsal,
    ceremony: CEREMONY,
    outcome,
    abortReason: outcome === 'aborted' ? 'Chen Wei: the key attributes shown on screen did not match the script (CKA_EXTRACTABLE true)' : undefined,
    startedAt: '2025-03-14T09:00:00.000Z',
    endedAt: '2025-03-14T10:40:00.000Z',
    participants: PARTICIPANTS,
    journalHead,
    journalHeadWords: headWords(journalHead),
    course: { deviations: 1, pauses: 2, absences: 0 },
    countersign: { threshold: 3, signers: outcome === 'aborted' ? [{ name: 'Chen Wei', device: '10000001' }] : [{ name: 'Chen Wei', device: '10000001' }, { name: 'Ada Obi', device: '10000002' }, { name: 'Luis Ortega', device: '10000003' }] },
    evidenceKey: { subject: key.subject, certificateSha256: key.certificateSha256, pem: key.certificatePem },
    leftBehind: outcome === 'aborted' ? { token: 'RELEASE-HSM', keys: [{ label: 'release-root-2025', algorithm: 'EC-P384', purpose: 'release root', spkiSha256: 'ab'.repeat(32) }], files: ['outputs/release-root-2025.pub.pem'] } : null,
    steps,
    appendix: [
      { title: 'Certificate evidence-key', path: 'outputs/evidence-key.cert.pem', sha256: sha256(key.certificatePem), pem: key.certificatePem },
      { title: 'Public key release-root-2025', path: 'outputs/release-root-2025.pub.pem', sha256: sha256(RELEASE_PUBLIC_KEY), pem: RELEASE_PUBLIC_KEY },
    ],
    footer: '',
  };
}

// ---- outside tools ----

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

/** pdfsig's report. It exits 0 whether a signature is valid or not (2 when there is none): read the text. */
function pdfsig(file: string): string {
  const run = spawnSync('pdfsig', [file], { encoding: 'utf8' });
  if (run.error) throw run.error;
  return run.stdout + run.stderr;
}

/** pdffonts rows as { name, type, emb }, columns cut where its dashed header line says. */
function fonts(file: string): Array<{ name: string; type: string; emb: string }> {
  const lines = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n');
  const columns = [...lines[1].matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cut = (line: string, i: number) => line.slice(columns[i][0], i + 1 < columns.length ? columns[i + 1][0] : undefined).trim();
  return lines
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((line) => ({ name: cut(line, 0), type: cut(line, 1), emb: cut(line, 3) }));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where the contents say each step starts (undefined: no record) and where the appendix starts. */
function contentsPageNumbers(file: string, doc: PacketDocument): { steps: Array<number | undefined>; appendix: number } {
  // The cover takes one page, or two when an aborted ceremony lists what it left behind.
  const contents = [2, 3].map((n) => text(file, n)).find((t) => t.includes('Each step record follows unchanged')) ?? '';
  const steps = doc.steps.map((s) => {
    const row = s.page
      ? new RegExp(`${s.number} ${escape(s.title)} ${escape(s.page.path)} ${s.page.sha256} ${s.outcome === 'aborted' ? 'ABORTED' : s.outcome} (\\d+)`)
      : new RegExp(`${s.number} ${escape(s.title)} no step record \\(the ceremony ended before this step\\) not reached —`);
    const match = row.exec(contents);
    expect(match, `contents row of step ${s.number} in: ${contents}`).not.toBeNull();
    return match![1] === undefined ? undefined : Number(match![1]);
  });
  const appendix = /Appendix: certificates and public keys (\d+)/.exec(contents);
  expect(appendix, 'contents row of the appendix').not.toBeNull();
  return { steps, appendix: Number(appendix![1]) };
}

let key: TestKey;
let completed: PacketDocument;
let completedFile: string;

beforeAll(async () => {
  key = await testKey();
  completed = await packetDocument(key, { outcome: 'completed', rehearsal: false });
  completedFile = join(work, 'packet.pdf');
  writeFileSync(completedFile, await renderFrom(completed, templateDir, signatureOf(key, 'Sealed evidence packet')));
});

describe('renderPacket', () => {
  it('is signed once, validly, over the whole file, and one flipped byte breaks the signature', () => {
    const report = pdfsig(completedFile);
    expect(report).toContain('Signature #1');
    expect(report).not.toContain('Signature #2');
    expect(report).toContain('Signature Validation: Signature is Valid.');
    expect(report).toContain('Signer Certificate Common Name: Officiant evidence key (test)');
    expect(report).toContain('Signature Type: adbe.pkcs7.detached');
    expect(report).toContain('Total document signed');

    const bytes = readFileSync(completedFile);
    const byteRange = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(bytes.toString('latin1'));
    expect(byteRange).not.toBeNull();
    const [, , firstLength] = byteRange!.slice(1).map(Number);
    // A byte inside the first signed range, in the page content area rather than the header.
    const at = Math.floor(firstLength / 2);
    const tampered = Buffer.from(bytes);
    tampered[at] ^= 0x01;
    const tamperedFile = join(work, 'packet-tampered.pdf');
    writeFileSync(tamperedFile, tampered);
    const broken = pdfsig(tamperedFile);
    expect(broken).toContain('Signature Validation: Digest Mismatch.');
    expect(broken).not.toContain('Signature is Valid');
  });

  it('has the cover and contents, every step record page in order, then the appendix', () => {
    const pages = pageCount(completedFile);
    const recordPages = completed.steps.map((s) => {
      if (!s.page) return 0;
      const file = join(work, `record-${s.number}.pdf`);
      writeFileSync(file, s.page.pdf);
      return pageCount(file);
    });
    expect(recordPages.slice(0, 2)).toEqual([1, 1]);
    expect(recordPages[2]).toBeGreaterThan(1);
    expect(recordPages[3]).toBe(0);
    const { steps, appendix } = contentsPageNumbers(completedFile, completed);
    const front = steps[0]! - 1;
    const appendixPages = pages - appendix + 1;
    expect(front).toBe(2);
    expect(appendixPages).toBeGreaterThanOrEqual(1);
    expect(pages).toBe(front + recordPages.reduce((a, b) => a + b, 0) + appendixPages);
    expect(appendix).toBe(front + recordPages.reduce((a, b) => a + b, 0) + 1);
    expect(steps).toEqual([front + 1, front + 2, front + 3, undefined]);

    for (let n = 1; n <= pages; n++) {
      const onPage = text(completedFile, n);
      const ours = n <= front || n >= appendix;
      expect(onPage.includes(`packet page ${n} of ${pages}`), `packet footer on page ${n}`).toBe(ours);
      if (ours) expect(onPage).toContain(`Script SHA-256 ${CEREMONY.scriptSha256}`);
      if (n >= appendix) expect(onPage).toContain('Appendix: certificates and public keys');
    }
  });

  it('cover: ceremony, run, outcome, times, participants, script, journal head and its words, evidence key', () => {
    const cover = text(completedFile, 1);
    const words = headWords(completed.journalHead);
    expect(cover).toContain('Key ceremony evidence packet Release signing root key generation 2025');
    expect(cover).toContain('Ceremony release-root-2025 Version 3');
    expect(cover).toContain(`Authority release Ceremony run ${CEREMONY.ceremonyId}`);
    expect(cover).toContain('Outcome COMPLETED');
    expect(cover).not.toContain('ABORTED');
    expect(cover).toContain('Started 2025-03-14T09:00:00.000Z Ended 2025-03-14T10:40:00.000Z');
    expect(cover).toContain('Duration 01:40:00 Steps 4 in the script: 3 completed, 0 aborted, 1 not reached');
    expect(cover).toContain('Participants Name Role Ana Müller Crypto Officer crypto-officer Bartholomew Okonkwo-Fitzgerald Independent Witness witness Chen Wei Internal Auditor auditor');
    expect(cover).toContain(`Script SHA-256 ${CEREMONY.scriptSha256}`);
    expect(cover).toContain(`${completed.journalHead} Read these words aloud and write them on the paper log.`);
    expect(cover).toContain(words.map((w, i) => `${i + 1}. ${w}`).join(' '));
    expect(cover).toContain("Course 1 deviation(s), 2 pause(s), 0 custodian(s) absent; each on its step's page");
    expect(cover).toContain('Countersigned by the officers (their tokens signed the journal head above) Chen Wei (device 10000001) Ada Obi (device 10000002) Luis Ortega (device 10000003)');
    expect(cover).not.toContain('NOT countersigned');
    expect(cover).not.toContain('left behind');
    expect(cover).toContain(`Certificate subject ${key.subject} Certificate SHA-256 ${key.certificateSha256}`);
    expect(cover).not.toContain('REHEARSAL');
  });

  it('contents: each page number points at the page where that step record starts', () => {
    const { steps } = contentsPageNumbers(completedFile, completed);
    expect(steps[3]).toBeUndefined();
    completed.steps.forEach((s, i) => {
      if (!s.page) return;
      const onPage = text(completedFile, steps[i]!);
      expect(onPage, `page ${steps[i]} for step ${s.number}`).toContain(`Step ${s.number} of 4: ${s.title}`);
      expect(onPage).not.toContain('(continued)');
      expect(onPage).toContain('page 1 of');
    });
    expect(text(completedFile, steps[2]! + 1)).toContain('Step 3 of 4 (continued): Generate the release signing key');
  });

  it('appendix: title, file, SHA-256 and PEM of each certificate and public key', () => {
    const pages = pageCount(completedFile);
    const { appendix } = contentsPageNumbers(completedFile, completed);
    const all = Array.from({ length: pages - appendix + 1 }, (_, i) => text(completedFile, appendix + i)).join(' ');
    for (const item of completed.appendix) {
      expect(all).toContain(`${item.title} File ${item.path} Fingerprint (SHA-256) ${item.sha256}`);
      for (const line of item.pem.trim().split('\n')) expect(all).toContain(line.trim());
    }
  });

  it('aborted: ABORTED and the reason on the cover, the aborted step marked in the contents', async () => {
    const aborted = await packetDocument(key, { outcome: 'aborted', rehearsal: false });
    const file = join(work, 'aborted.pdf');
    writeFileSync(file, await renderFrom(aborted, templateDir));
    const cover = text(file, 1);
    expect(cover).toContain('Outcome ABORTED Reason for the abort: Chen Wei: the key attributes shown on screen did not match the script (CKA_EXTRACTABLE true)');
    expect(cover).not.toContain('COMPLETED');
    expect(cover).toContain('Steps 4 in the script: 2 completed, 1 aborted, 1 not reached');
    expect(cover).toContain("NOT countersigned by a quorum: 1 of the roster's 3 officers signed the journal head. The record rests on the evidence key alone.");
    const all = text(file, 1) + text(file, 2);
    expect(all).toContain(`What the aborted ceremony left behind Keys it generated, still on token RELEASE-HSM: • release-root-2025 (EC-P384, release root), public key SHA-256 ${'ab'.repeat(32)} Files it wrote (in outputs/ of this packet): outputs/release-root-2025.pub.pem None of these was approved for use.`);
    const { steps } = contentsPageNumbers(file, aborted);
    expect(text(file, steps[2]!)).toContain('Step 3 of 4: Generate the release signing key');
    expect(pdfsig(file)).toContain('does not contain any signatures');
  });

  it.each([true, false])('rehearsal=%s: banner and watermark on every page of ours only in a rehearsal', async (rehearsal) => {
    const doc = rehearsal ? await packetDocument(key, { outcome: 'completed', rehearsal }) : completed;
    const file = join(work, `rehearsal-${rehearsal}.pdf`);
    writeFileSync(file, await renderFrom(doc, templateDir));
    const { steps, appendix } = contentsPageNumbers(file, doc);
    const pages = pageCount(file);
    for (const n of [...Array.from({ length: steps[0]! - 1 }, (_, i) => i + 1), ...Array.from({ length: pages - appendix + 1 }, (_, i) => appendix + i)]) {
      const onPage = text(file, n);
      expect(onPage.replace(/\s/g, '').startsWith('REHEARSAL'), `watermark on page ${n}`).toBe(rehearsal);
      expect(onPage.includes('REHEARSAL — not production evidence'), `banner on page ${n}`).toBe(rehearsal);
    }
    if (!rehearsal) expect(text(file).replace(/\s/g, '')).not.toContain('REHEARSAL');
  });

  it('embeds every font, none of them a standard-14 font', () => {
    const used = fonts(completedFile);
    expect(new Set(used.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')))).toEqual(new Set(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono']));
    for (const font of used) {
      expect(font.emb, font.name).toBe('yes');
      expect(font.name).not.toMatch(/(Times|Helvetica|Courier|Symbol|ZapfDingbats)/);
    }
  });

  it('sets the metadata from the document and gives the same unsigned bytes for the same document', async () => {
    const info = execFileSync('pdfinfo', ['-isodates', completedFile], { encoding: 'utf8' });
    expect(info).toMatch(/^Title:\s+Release signing root key generation 2025 — Key ceremony evidence packet$/m);
    expect(info).toMatch(/^Author:\s+release$/m);
    expect(info).toMatch(/^CreationDate:\s+2025-03-14T10:40:00(Z|\+00)/m);
    expect(info).toMatch(/^ModDate:\s+2025-03-14T10:40:00(Z|\+00)/m);
    const first = await renderFrom(completed, templateDir);
    expect(await renderFrom(completed, templateDir)).toEqual(first);
  });
});

describe('headWords', () => {
  /** Independent reading of the definition: the hash as a bit string, cut in 11-bit groups. */
  function expected(hex: string, count: number): string[] {
    const bits = [...hex].map((h) => parseInt(h, 16).toString(2).padStart(4, '0')).join('');
    return Array.from({ length: count }, (_, i) => wordlist[parseInt(bits.slice(i * 11, i * 11 + 11), 2)]);
  }

  it.each([
    { hex: '0'.repeat(64), words: ['abandon', 'abandon', 'abandon', 'abandon', 'abandon', 'abandon'] },
    { hex: 'f'.repeat(64), words: ['zoo', 'zoo', 'zoo', 'zoo', 'zoo', 'zoo'] },
    // 0x0020_0400_8010_0200_4... = bits 00000000001 00000000010 ...: words 1, 2, 3... of the list
    { hex: `${(BigInt('0b' + [1, 2, 3, 4, 5, 6].map((n) => n.toString(2).padStart(11, '0')).join('')) << 190n).toString(16).padStart(64, '0')}`, words: ['ability', 'able', 'about', 'above', 'absent', 'absorb'] },
  ])('$words.0 …: known values', ({ hex, words }) => {
    expect(headWords(hex)).toEqual(words);
  });

  it('is the first 66 bits as words of the BIP-39 list, the same every time, different for a different hash', () => {
    const a = sha256('entry a');
    const b = sha256('entry b');
    expect(headWords(a)).toEqual(expected(a, 6));
    expect(headWords(a)).toEqual(headWords(a));
    expect(headWords(a)).toHaveLength(6);
    for (const w of headWords(a)) expect(wordlist).toContain(w);
    expect(headWords(b)).not.toEqual(headWords(a));
    expect(headWords(a.toUpperCase())).toEqual(headWords(a));
    expect(headWords(a, 12)).toEqual(expected(a, 12));
    expect(headWords(a, 12).slice(0, 6)).toEqual(headWords(a));
  });

  it.each([
    { hex: '', count: 6, message: 'journal head is not hex (0 characters)' },
    { hex: 'sha256:abcd', count: 6, message: 'journal head is not hex (11 characters)' },
    { hex: 'ab'.repeat(8), count: 12, message: 'cannot take 12 words (11 bits each) from a 64-bit hash' },
    { hex: 'ab'.repeat(32), count: 0, message: 'cannot take 0 words (11 bits each) from a 256-bit hash' },
  ])('refuses $hex / $count', ({ hex, count, message }) => {
    expect(() => headWords(hex, count)).toThrow(message);
  });
});

describe('packet template', () => {
  const original = readFileSync(join(templateDir, 'packet.yaml'), 'utf8');

  function templateDirWith(name: string, edit?: (yaml: string) => string): string {
    const dir = join(work, `template-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'step-page.yaml'), readFileSync(join(templateDir, 'step-page.yaml')));
    if (edit) {
      const edited = edit(original);
      expect(edited, `edit ${name} changed the template`).not.toBe(original);
      writeFileSync(join(dir, 'packet.yaml'), edited);
    }
    return dir;
  }

  it('loads the shipped template', async () => {
    const t = await loadPacketTemplate(templateDir, reader);
    expect(t.cover.title).toBe('Key ceremony evidence packet');
    expect(t.footer.page).toBe('packet page {page} of {pages}');
  });

  it.each([
    { name: 'missing', message: (file: string) => `${file}: not found` },
    { name: 'required', edit: (y: string) => y.replace('  participants: Participants\n', ''), message: (file: string) => `${file}: cover.participants: is required` },
    {
      name: 'unknown-key',
      edit: (y: string) => y.replace('  participants: Participants\n', '  participants: Participants\n  participantz: Who\n'),
      message: (file: string) => `${file}: cover.participantz: unknown key`,
    },
    {
      name: 'placeholder',
      edit: (y: string) => y.replace('page: "packet page {page} of {pages}"', 'page: "packet page {n} of {pages}"'),
      message: (file: string) => `${file}: footer.page: unknown placeholder {n}; allowed: {page}, {pages}`,
    },
    {
      name: 'two-problems',
      edit: (y: string) => y.replace('  participants: Participants\n', '').replace('  page: Page\n', ''),
      message: (file: string) => `${file}: cover.participants: is required (and 1 more)`,
    },
  ])('$name: OfficiantError env.fs naming the file and the YAML path', async ({ name, edit, message }) => {
    const dir = templateDirWith(name, edit);
    const error = await renderFrom(completed, dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OfficiantError);
    expect(error).toMatchObject({ code: 'env.fs', message: message(join(dir, 'packet.yaml')) });
  });
});
