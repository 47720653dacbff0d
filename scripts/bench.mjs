// Benchmark (not a test): prints times and ratios against baselines measured in the same run.
//   1. `officiant --help` start-up against `node -e 0`
//   2. one evidence page (render, fonts embedded) against a bare pdfkit page with the same embedded font
//   3. a full rehearsal of the flagship ceremony (and of the EC crash-drill ceremony), with per-page share
// Usage: node scripts/bench.mjs [rounds]   (run `npm run build` first; scripts/bench.sh does)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { renderStepPage } from '../dist/evidence/render-step-page.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 10);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};
const timeAsync = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
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
await renderStepPage(page, { templateDir });
await bare();
const pageTimes = [];
const bareTimes = [];
for (let i = 0; i < rounds; i++) {
  pageTimes.push(await timeAsync(() => renderStepPage(page, { templateDir })));
  bareTimes.push(await timeAsync(bare));
}
console.log(`evidence page: ${fmt(median(pageTimes))} per page, bare pdfkit page with one embedded font ${fmt(median(bareTimes))}, ratio ${(median(pageTimes) / median(bareTimes)).toFixed(2)}x`);

// 3. full rehearsals
for (const script of ['ceremonies/release-authority-init.yaml', 'test/fixtures/crash-drill.yaml']) {
  const base = mkdtempSync(join(tmpdir(), 'officiant-bench-'));
  const env = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(base, 'sandboxes') };
  const runs = [];
  let pages = 0;
  for (let i = 0; i < 3; i++) {
    const out = join(base, `out-${i}`);
    runs.push(time(() => execFileSync(process.execPath, [join(root, 'bin/officiant.js'), 'rehearse', join(root, script), '--out', out], { env, stdio: 'ignore' })));
    pages = readdirSync(join(out, 'steps')).length;
  }
  rmSync(base, { recursive: true, force: true });
  const m = median(runs);
  console.log(`rehearsal ${script}: ${fmt(m)} (median of 3), ${pages} evidence pages, start-up ${((median(help) / m) * 100).toFixed(0)}% and pages ~${(((median(pageTimes) * pages) / m) * 100).toFixed(0)}% of it`);
}
