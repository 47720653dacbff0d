// Benchmark (not a test): a signing helper as Android's tools use it, started once per signature. Measured in
// one run, on one SoftHSM token with an RSA-4096 key:
//   helper  officiant-avb-helper started as a process, one SHA256_RSA4096 block through an open window (the
//           product's socket adapter and request handling, the HSM session logged in once, the signature
//           verified in software and "journaled" to memory before it is returned);
//   base    `node -e 0` (a bare Node start) plus one bare graphene-pk11 C_Sign (CKM_RSA_PKCS over the same
//           DigestInfo || H) in an already logged-in session.
// Prints medians and helper / base; the target is at most 2x. Run `npm run build` first.
// Usage: node scripts/bench-helper.mjs [rounds]
import { spawnSync, spawn } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import graphene from 'graphene-pk11';
import { Pkcs11Hsm } from '../dist/adapters/pkcs11/pkcs11-hsm.js';
import { acquireModule } from '../dist/adapters/pkcs11/module-registry.js';
import { SOFTHSM_MODULE } from '../dist/adapters/pkcs11/softhsm-sandbox.js';
import { secretFromString } from '../dist/custody/secret.js';
import { unixSocketWindow } from '../dist/adapters/window/unix-socket-window.js';
import { serveWindowRequest, windowKey } from '../dist/steps/shared/window-signer.js';
import { spkiSha256 } from '../dist/custody/deny-list.js';
import { createBenchToken, median } from './bench-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 30);
const work = mkdtempSync(join(tmpdir(), 'officiant-bench-helper-'));
const token = createBenchToken({ prefix: 'officiant-bench-helper-hsm-' });
const hsm = Pkcs11Hsm.load(SOFTHSM_MODULE);
const session = hsm.openSession(token.label, secretFromString(token.pin));
const record = session.generateKeyPair({ label: 'avb-bench', id: '01', algorithm: 'RSA-4096' });
const spki = spkiSha256(createPublicKey({ key: record.spki, format: 'der', type: 'spki' }));
const pub = join(work, 'avb.pub.pem');
writeFileSync(pub, createPublicKey({ key: record.spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));

const info = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const t = Buffer.concat([info, createHash('sha256').update('vbmeta').digest()]);
const block = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(512 - 3 - t.length, 0xff), Buffer.from([0]), t]);

// The window, in this process, as the step holds it.
const plan = { label: 'avb-bench', algorithm: 'RSA-4096', budget: { avb: 1_000_000, payload: 0 } };
const state = { keys: [windowKey(plan, record, spki)], used: new Map([['avb-bench', { avb: 0, payload: 0 }]]), returned: [], closesAt: new Date(Date.now() + 3_600_000), closed: false };
const events = [];
const socket = join(work, 'w.sock');
const server = await unixSocketWindow.listen(socket, (bytes) => serveWindowRequest(bytes, state, { session, now: () => new Date(), event: (what, data) => events.push({ what, data }), close: () => undefined }));

const timedSpawn = (cmd, args, env, input) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = 0;
    let err = '';
    child.stdout.on('data', (d) => (out += d.length));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, out }) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err}`))));
    child.stdin.end(input ?? '');
  });

// A bare graphene signature in an already logged-in session: the cost no helper can avoid.
const lease = acquireModule(SOFTHSM_MODULE);
const slot = [...lease.module.getSlots(true)].find((s) => s.getToken().label.trim() === token.label);
const gs = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
// The product's session of this process is logged in already: PKCS#11 logs in per application, not per session.
const key = gs.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: 'avb-bench' }).items(0).toType();

const results = { 'node -e 0': [], 'bare C_Sign': [], 'helper (start + one signature)': [] };
const env = { ...process.env, OFFICIANT_SIGNING_WINDOW: socket };
for (let i = 0; i < rounds; i++) {
  results['node -e 0'].push((await timedSpawn(process.execPath, ['-e', '0'], process.env)).ms);
  const t0 = performance.now();
  gs.createSign('RSA_PKCS', key).once(t);
  results['bare C_Sign'].push(performance.now() - t0);
  const r = await timedSpawn(join(root, 'bin/officiant-avb-helper'), ['SHA256_RSA4096', pub], env, block);
  if (r.out !== 512) throw new Error(`the helper wrote ${r.out} bytes, not 512`);
  results['helper (start + one signature)'].push(r.ms);
}
await server.close();
gs.close();
lease.release?.();
session.close();
hsm.close();
token.remove();
rmSync(work, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const base = m['node -e 0'] + m['bare C_Sign'];
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(32)} ${v.toFixed(1).padStart(8)} ms (median of ${rounds})`);
console.log(`base (node -e 0 + bare C_Sign)   ${base.toFixed(1).padStart(8)} ms`);
console.log(`helper / base                    ${(m['helper (start + one signature)'] / base).toFixed(2)}x (target at most 2x); ${events.filter((e) => e.what === 'window-signature').length} signatures journaled`);
