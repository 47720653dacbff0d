// Benchmark (not a test): prints times and ratios against baselines measured in the same run.
//   1. `officiant --help` start-up against `node -e 0`
//   2. one evidence page (render, fonts embedded) against a bare pdfkit page with the same embedded font
//   3. signing: one raw HSM signature (P-256, SoftHSM through graphene), one signed step PDF, sealing a
//      30-step packet, verifying it — each also as a multiple of the raw HSM signature
//   4. full rehearsals: the officers' enrollment (5 simulated PIV tokens), the flagship ceremony with those
//      officers (token check-in, 3-of-5 approvals twice) and the EC crash-drill ceremony, with per-page share
// Usage: node scripts/bench.mjs [rounds]   (run `npm run build` first; scripts/bench.sh does)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { renderStepPage } from '../dist/evidence/render-step-page.js';
import { loadPacketTemplates, renderPacket } from '../dist/evidence/render-packet.js';
import { loadPageTemplate } from '../dist/evidence/page-template.js';
import { FsTemplateReader } from '../dist/adapters/fs/fs-template-reader.js';
import { addSignaturePlaceholder, signPdf } from '../dist/evidence/sign-pdf.js';
import { p1363ToDer } from '../dist/evidence/cms.js';
import { verifyPacket } from '../dist/evidence/verify-packet.js';
import { Pkcs11Hsm } from '../dist/adapters/pkcs11/pkcs11-hsm.js';
import { selfSignedCertificate, certificateSerial, pemToDer } from '../dist/steps/shared/x509-in-hsm.js';
import { keyRecordJson } from '../dist/steps/hsm-generate-key.js';
import { secretFromString } from '../dist/custody/secret.js';
import { createHash } from 'node:crypto';
import { createBenchToken, median, time, timeAsync } from './bench-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 10);
const fmt = (ms) => `${ms.toFixed(1)} ms`;

// 1. start-up
const node0 = [];
const help = [];
for (let i = 0; i < rounds; i++) {
  node0.push(time(() => spawnSync(process.execPath, ['-e', '0'])));
  help.push(time(() => spawnSync(process.execPath, [join(root, 'bin/officiant.js'), '--help'])));
}
console.log(`start-up: officiant --help ${fmt(median(help))}, node -e 0 ${fmt(median(node0))}, ratio ${(median(help) / median(node0)).toFixed(2)}x (median of ${rounds})`);

// 2. evidence page
const page = {
  rehearsal: true,
  ceremony: { id: 'bench', title: 'Benchmark ceremony', version: 1, authority: 'release', scriptSha256: 'a'.repeat(64), ceremonyId: 'bench-run' },
  step: { number: 3, total: 8, id: 'generate-root-key', kind: 'hsm.generate-key', title: 'Generate the release root key', instructions: 'The crypto officers activate the token together.\n'.repeat(3) },
  performedBy: [{ name: 'Carol', role: 'crypto-officer', roleTitle: 'Crypto Officer' }],
  witnessedBy: [{ name: 'Wes', role: 'internal-witness', roleTitle: 'Internal Witness' }],
  signedOffBy: [{ name: 'Wes', role: 'internal-witness', roleTitle: 'Internal Witness' }],
  startedAt: '2026-11-26T10:00:00.000Z',
  endedAt: '2026-11-26T10:00:05.000Z',
  outcome: 'completed',
  token: { label: 'T', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: '1234', firmwareVersion: '2.6', hardwareVersion: '2.6' },
  results: Array.from({ length: 6 }, (_, i) => ({ label: `Result ${i}`, value: 'f'.repeat(64) })),
  outputs: [{ path: 'outputs/k.pub.pem', sha256: 'b'.repeat(64), bytes: 800 }],
  deviations: [],
  journal: Array.from({ length: 10 }, (_, i) => ({ seq: i + 1, time: '2026-11-26T10:00:00.000Z', type: 'intent', actor: 'system', summary: 'op', hash: 'c'.repeat(64) })),
  footer: 'bench',
};
const templateDir = join(root, 'templates');
// As a ceremony does (src/cli/compose.ts): the templates are loaded for every page and packet.
const reader = new FsTemplateReader();
const pageOpts = async (extra = {}) => ({ template: await loadPageTemplate(templateDir, reader), ...extra });
const bare = () =>
  new Promise((resolve) => {
    const doc = new PDFDocument({ size: 'A4', font: '' });
    doc.registerFont('Body', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');
    const chunks = [];
    doc.on('data', (c) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.font('Body').fontSize(12).text('Benchmark ceremony — step 3 of 8');
    doc.end();
  });
await renderStepPage(page, await pageOpts());
await bare();
const pageTimes = [];
const bareTimes = [];
for (let i = 0; i < rounds; i++) {
  pageTimes.push(await timeAsync(async () => renderStepPage(page, await pageOpts())));
  bareTimes.push(await timeAsync(bare));
}
console.log(`evidence page: ${fmt(median(pageTimes))} per page, bare pdfkit page with one embedded font ${fmt(median(bareTimes))}, ratio ${(median(pageTimes) / median(bareTimes)).toFixed(2)}x`);

// 3. signing in the HSM: raw signature, one signed page, a sealed 30-step packet, its verification
{
  const token = createBenchToken();
  const hsm = Pkcs11Hsm.load('/usr/lib/softhsm/libsofthsm2.so');
  const session = hsm.openSession(token.label, secretFromString(token.pin));
  const rec = session.generateKeyPair({ label: 'bench-evidence', id: '0b', algorithm: 'EC-P256' });
  const key = keyRecordJson(rec, 'bench');
  const cert = await selfSignedCertificate(session, key, { subject: 'CN=Bench evidence key', serial: certificateSerial(session), validityDays: 30, ca: false });
  const cmsKey = { certificate: pemToDer(cert.pem), hash: 'SHA-256', sign: async (data) => p1363ToDer(session.sign({ label: key.label, id: key.id }, data)) };
  const sig = (reason) => ({ key: cmsKey, name: 'bench', reason, location: 'bench', signingTime: new Date('2026-11-26T10:00:00Z') });
  const n = 2000;
  const raw = time(() => {
    for (let i = 0; i < n; i++) session.sign({ label: key.label, id: key.id }, Buffer.from(`payload ${i}`));
  }) / n;
  const signPage = async (p) => signPdf(await renderStepPage(p, await pageOpts({ beforeEnd: (doc) => addSignaturePlaceholder(doc, sig('bench')) })), sig('bench'));
  await signPage(page);
  const signedTimes = [];
  for (let i = 0; i < rounds; i++) signedTimes.push(await timeAsync(() => signPage(page)));
  const signedPage = median(signedTimes);
  console.log(`raw HSM signature (P-256, SoftHSM via graphene): ${(raw * 1000).toFixed(0)} µs (${n} in a loop)`);
  console.log(`signed step PDF: ${fmt(signedPage)} (render ${fmt(median(pageTimes))} + placeholder, CMS, HSM signature) = ${(signedPage / raw).toFixed(0)}x a raw signature`);
  const pages = [];
  for (let i = 0; i < 30; i++) pages.push(await signPage({ ...page, step: { ...page.step, number: i + 1, total: 30, id: `step-${i + 1}` } }));
  const packetDoc = {
    rehearsal: true,
    ceremony: page.ceremony,
    outcome: 'completed',
    startedAt: page.startedAt,
    endedAt: page.endedAt,
    participants: page.performedBy,
    journalHead: 'd'.repeat(64),
    journalHeadWords: [],
    evidenceKey: { subject: cert.subject, certificateSha256: cert.sha256, pem: cert.pem },
    steps: pages.map((pdf, i) => ({ number: i + 1, id: `step-${i + 1}`, title: `Step ${i + 1}`, kind: 'manual.confirm', outcome: 'completed', page: { path: `steps/${String(i + 1).padStart(2, '0')}-step-${i + 1}.pdf`, sha256: createHash('sha256').update(pdf).digest('hex'), pdf } })),
    appendix: [{ title: 'Evidence key', path: 'outputs/evidence-key.cert.pem', sha256: cert.sha256, pem: cert.pem }],
    footer: 'bench',
  };
  const sealTimes = [];
  let packet;
  for (let i = 0; i < 3; i++) sealTimes.push(await timeAsync(async () => (packet = await renderPacket(packetDoc, { templates: await loadPacketTemplates(templateDir, reader), signature: sig('seal') }))));
  const seal = median(sealTimes);
  console.log(`sealing a 30-step packet (merge + render + sign, ${(packet.length / 1e6).toFixed(1)} MB): ${fmt(seal)} = ${(seal / raw).toFixed(0)}x a raw signature`);
  session.close();
  hsm.close();
  token.remove();

  // Verification of a real 30-step-sized packet: a rehearsal's packet, read into memory once.
  const vbase = mkdtempSync(join(tmpdir(), 'officiant-bench-verify-'));
  const out = join(vbase, 'out');
  const venv = { env: { ...process.env, OFFICIANT_SANDBOX_ROOT: join(vbase, 'sb') }, stdio: 'ignore' };
  execFileSync(process.execPath, [join(root, 'bin/officiant.js'), 'rehearse', join(root, 'ceremonies/officer-enrollment.yaml'), '--out', join(vbase, 'officers')], venv);
  execFileSync(process.execPath, [join(root, 'bin/officiant.js'), 'rehearse', join(root, 'ceremonies/release-authority-init.yaml'), '--officers', join(vbase, 'officers'), '--out', out], venv);
  const files = new Map();
  const walk = (rel) => {
    for (const d of readdirSync(join(out, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else files.set(r, readFileSync(join(out, r)));
    }
  };
  walk('');
  verifyPacket(files, {});
  const vt = [];
  for (let i = 0; i < rounds; i++) vt.push(time(() => verifyPacket(files, {})));
  console.log(`verifying the flagship packet (${files.size} files, in memory): ${fmt(median(vt))} = ${(median(vt) / raw).toFixed(0)}x a raw signature`);
  rmSync(vbase, { recursive: true, force: true });
}

// 4. full rehearsals (the flagship with the officers of the first enrollment run)
const rbase = mkdtempSync(join(tmpdir(), 'officiant-bench-'));
const renv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(rbase, 'sandboxes') };
for (const [script, extra] of [
  ['ceremonies/officer-enrollment.yaml', []],
  ['ceremonies/release-authority-init.yaml', ['--officers', join(rbase, 'ceremonies-officer-enrollment.yaml-0')]],
  // The flagship's backup restored into a new token, and moved to a new wrap key (both from init run 0).
  ['ceremonies/release-authority-restore.yaml', ['--from', join(rbase, 'ceremonies-release-authority-init.yaml-0')]],
  ['ceremonies/backup-reshare.yaml', ['--from', join(rbase, 'ceremonies-release-authority-init.yaml-0')]],
  ['test/fixtures/crash-drill.yaml', []],
]) {
  const runs = [];
  let pages = 0;
  for (let i = 0; i < 3; i++) {
    const out = join(rbase, `${script.replace(/\//g, '-')}-${i}`);
    runs.push(time(() => execFileSync(process.execPath, [join(root, 'bin/officiant.js'), 'rehearse', join(root, script), ...extra, '--out', out], { env: renv, stdio: 'ignore' })));
    pages = readdirSync(join(out, 'steps')).length;
  }
  const m = median(runs);
  console.log(`rehearsal ${script}: ${fmt(m)} (median of 3), ${pages} evidence pages, start-up ${((median(help) / m) * 100).toFixed(0)}% and pages ~${(((median(pageTimes) * pages) / m) * 100).toFixed(0)}% of it`);
}
rmSync(rbase, { recursive: true, force: true });
