// The demo's build output (scripts/demo.sh): what a release pipeline would hand the release authority, made up.
// node scripts/demo-artifacts.mjs <dir> writes into <dir> (a new directory):
//   good/system.img  1 MiB of random bytes (an image)
//   good/vbmeta.img  an AVB-looking header (a vbmeta image; only its bytes matter here)
//   good/app.apk     a real ZIP (classes.dex, AndroidManifest.xml, resources)
//   bad/Camera.apk   a real ZIP whose META-INF/CERT.RSA holds the AOSP test key's certificate (DER), as an app
//                    signed with build/make/target/product/security/testkey would: what a release must never carry
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node scripts/demo-artifacts.mjs <dir>\n');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testKey = new X509Certificate(readFileSync(join(root, 'test/fixtures/test-keys/testkey.x509.pem'))).raw;
const text = (s) => new TextEncoder().encode(s);

mkdirSync(join(out, 'good'), { recursive: true });
mkdirSync(join(out, 'bad'));
writeFileSync(join(out, 'good/system.img'), randomBytes(1 << 20));
writeFileSync(join(out, 'good/vbmeta.img'), Buffer.concat([Buffer.from('AVB0'), Buffer.alloc(252), randomBytes(768)]));
const app = (name) => ({ 'AndroidManifest.xml': text(`<manifest package="com.example.${name}"/>`), 'classes.dex': randomBytes(64 * 1024), 'res/values/strings.xml': text('<resources/>') });
writeFileSync(join(out, 'good/app.apk'), zipSync(app('app')));
writeFileSync(join(out, 'bad/Camera.apk'), zipSync({ ...app('camera'), 'META-INF/CERT.RSA': new Uint8Array(testKey) }));
