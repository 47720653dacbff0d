// Benchmark (not a test): `manifest verify`'s checker (verifyManifest) on a manifest of --targets targets (default
// 10,000) signed by all --keys keys (default 5) of a keyring of that many P-256 keys, against the bare signature
// checks it cannot avoid: every manifest signature over the signed bytes and every keyring signature over the
// keyring payload, with the keys already parsed and the bytes already canonical (node:crypto verify, nothing
// else). Keys and certificates are made by openssl in a temp dir. Prints the medians of alternating rounds and
// the ratio checker / bare, and, for where the rest goes, the floor any checker of this format pays: reading
// the file (JSON.parse) and rebuilding the signed bytes (the project's canonical JSON) before those checks.
// Usage: node scripts/bench-manifest.mjs [--targets 10000] [--keys 5] [--rounds 21]   (run `npm run build` first)
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, time } from './bench-lib.mjs';
import { manifestSigningBytes } from '../dist/custody/ota-manifest.js';
import { canonicalJson } from '../dist/record/canonical-json.js';
import { unsignedDocument } from '../dist/custody/signed-document.js';
import { verifyManifest } from '../dist/custody/verify-ota-manifest.js';

const { values: flags } = parseArgs({ options: { targets: { type: 'string', default: '10000' }, keys: { type: 'string', default: '5' }, rounds: { type: 'string', default: '21' } } });
const [targets, keys, rounds] = [Number(flags.targets), Number(flags.keys), Number(flags.rounds)];
const sha = (b) => createHash('sha256').update(b).digest('hex');
const ms = (x) => `${x.toFixed(2)} ms`;

// The officers: a P-256 key and a self-signed certificate each (it stands in for both the 9a and the 9c certificate).
const work = mkdtempSync(join(tmpdir(), 'officiant-bench-manifest-'));
let officers;
try {
  officers = Array.from({ length: keys }, (_, i) => {
    const key = join(work, `o${i}.key.pem`);
    const cert = join(work, `o${i}.cert.pem`);
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-subj', `/CN=crypto-officer-${i + 1}`, '-days', '3650', '-sha256', '-out', cert]);
    const privateKey = createPrivateKey(readFileSync(key));
    const publicKey = createPublicKey(privateKey);
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const pem = readFileSync(cert, 'utf8');
    return { id: `crypto-officer-${i + 1}`, serial: String(10000001 + i), privateKey, publicKey, pem, spkiSha256: sha(spki) };
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}

const keyringBody = {
  format: 'officiant-keyring/1',
  authority: 'manifest',
  roster_version: 1,
  roster_sha256: sha('roster'),
  issued_at: '2026-01-01T00:00:00.000Z',
  rehearsal: false,
  manifest_threshold: Math.max(2, Math.ceil(keys / 2)),
  keys: officers.map((o) => ({ officer: o.id, name: o.id, device_serial: o.serial, certificate: o.pem, certificate_sha256: sha(o.pem), spki_sha256: o.spkiSha256, public_key: o.publicKey.export({ type: 'spki', format: 'pem' }) })),
};
const envelope = unsignedDocument('officiant-keyring/1', keyringBody);
const payload = Buffer.from(envelope.payload, 'base64');
envelope.signatures = officers.map((o) => ({ officer: o.id, device_serial: o.serial, slot: '9a', certificate: o.pem, signature: sign('sha256', payload, o.privateKey).toString('base64') }));
const keyring = { bytes: Buffer.from(JSON.stringify(envelope, null, 2)), sha256: envelope.payload_sha256 };

const body = {
  type: 'officiant-ota-manifest',
  spec_version: 1,
  version: 42,
  expires: '2030-01-01T00:00:00Z',
  channel: 'stable',
  devices: ['oriole', 'raven'],
  targets: Array.from({ length: targets }, (_, i) => ({ name: `oriole-ota-${i}.zip`, length: 1_000_000 + i, sha256: sha(`target ${i}`), kind: 'ota-package', release_sha256: sha('release.json') })),
};
const signed = manifestSigningBytes(body);
const signatures = officers.map((o) => ({ keyid: o.spkiSha256, device_serial: o.serial, sig: sign('sha256', signed, o.privateKey) }));
const manifest = Buffer.from(JSON.stringify({ signed: body, signatures: signatures.map((s) => ({ ...s, sig: s.sig.toString('base64') })) }, null, 2));
const keyringSigs = envelope.signatures.map((s, i) => ({ key: officers[i].publicKey, sig: Buffer.from(s.signature, 'base64') }));
const now = new Date('2026-06-01T00:00:00Z');

const check = () => {
  const r = verifyManifest(manifest, keyring, { now });
  if (!r.ok || !r.pinned) throw new Error(`the benchmark manifest does not verify: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`);
};
const bare = () => {
  for (const [i, s] of signatures.entries()) if (!verify('sha256', signed, officers[i].publicKey, s.sig)) throw new Error('bare check failed');
  for (const s of keyringSigs) if (!verify('sha256', payload, s.key, s.sig)) throw new Error('bare check failed');
};

const floor = () => {
  const parsed = JSON.parse(manifest.toString('utf8'));
  JSON.parse(keyring.bytes.toString('utf8'));
  if (canonicalJson(parsed.signed).length !== signed.length) throw new Error('canonical bytes differ');
  bare();
};

check();
floor();
const timings = { check: [], bare: [], floor: [] };
for (let i = 0; i < rounds; i++) {
  timings.check.push(time(check));
  timings.bare.push(time(bare));
  timings.floor.push(time(floor));
}
const [c, b, f] = [median(timings.check), median(timings.bare), median(timings.floor)];
console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(1)} at start (other work on it makes both sides of the ratio slower)`);
console.log(`manifest: ${targets} targets, ${(manifest.length / 1024 / 1024).toFixed(2)} MiB (signed bytes ${(signed.length / 1024 / 1024).toFixed(2)} MiB), signed by all ${keys} keys of a ${keys}-key keyring (threshold ${keyringBody.manifest_threshold})`);
console.log(`  verifyManifest (keyring opened and pinned, manifest parsed, canonical bytes rebuilt, every check): ${ms(c)} median of ${rounds} (min ${ms(Math.min(...timings.check))})`);
console.log(`  bare signature checks (${keys} over the signed bytes, ${keys} over the keyring payload, keys parsed beforehand): ${ms(b)} median (min ${ms(Math.min(...timings.bare))})`);
console.log(`  JSON.parse of both files + canonical JSON of signed + the bare checks: ${ms(f)} median (min ${ms(Math.min(...timings.floor))})`);
console.log(`  ratio verifyManifest / bare signature checks: ${(c / b).toFixed(2)}x`);
console.log(`  ratio verifyManifest / (parse + canonical bytes + bare checks): ${(c / f).toFixed(2)}x (the rest: the strict schema, names, duplicates, the keyring's checks)`);
