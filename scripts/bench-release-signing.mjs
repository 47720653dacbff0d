// Release signing throughput (part of scripts/bench-release.mjs): `count` artifact digests signed through the
// product's path, Pkcs11Session.signDigests in the ceremony's batches (what hsm.sign-artifacts calls), against a
// bare graphene-pk11 loop of the same mechanism (CKM_RSA_PKCS over the SHA-256 DigestInfo, or CKM_ECDSA over the
// digest) with the same key, on the same token, in a second logged-in session of the same process. The two
// alternate in blocks, first one then the other, so that a slower minute of the machine falls on both.
import graphene from 'graphene-pk11';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { Pkcs11Hsm } from '../dist/adapters/pkcs11/pkcs11-hsm.js';
import { acquireModule } from '../dist/adapters/pkcs11/module-registry.js';
import { SOFTHSM_MODULE } from '../dist/adapters/pkcs11/softhsm-sandbox.js';
import { secretFromString } from '../dist/custody/secret.js';
import { createBenchToken, time } from './bench-lib.mjs';

/** The ceremony's default batch (script/schema.ts, hsm.sign-artifacts `batch`). */
const BATCH = 256;
const BLOCKS = 20;
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** A bare loop: one C_SignInit and C_Sign per digest, as graphene's own examples sign. */
function bareSign(session, key, digests) {
  const rsa = key.type === graphene.KeyType.RSA;
  const out = [];
  for (const d of digests) out.push(rsa ? session.createSign('RSA_PKCS', key).once(Buffer.concat([SHA256_DIGEST_INFO, d])) : session.createSign('ECDSA', key).once(d));
  return out;
}

function productSign(session, ref, digests) {
  const out = [];
  for (let from = 0; from < digests.length; from += BATCH) out.push(...session.signDigests(ref, digests.slice(from, from + BATCH)));
  return out;
}

/** Whether every signature verifies over its artifact's bytes with the key's SPKI (through node:crypto). */
function allVerify(spki, contents, sigs, ec) {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return sigs.every((s, i) => verify('sha256', contents[i], ec ? { key, dsaEncoding: 'ieee-p1363' } : key, s));
}

/**
 * Measures each algorithm in `algorithms` over `count` digests; returns one row per algorithm:
 * { algorithm, count, productMs, bareMs, productPerSec, barePerSec, ratio, verified }.
 */
export function benchSigning({ count, algorithms = ['RSA-4096', 'EC-P256'] }) {
  const token = createBenchToken({ prefix: 'officiant-bench-release-' });
  const hsm = Pkcs11Hsm.load(SOFTHSM_MODULE);
  const session = hsm.openSession(token.label, secretFromString(token.pin));
  const lease = acquireModule(SOFTHSM_MODULE);
  const slot = [...lease.module.getSlots(true)].find((s) => s.getToken().label.trim() === token.label);
  const bare = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
  const rows = [];
  try {
    const contents = Array.from({ length: count }, (_, i) => Buffer.from(`artifact ${i}\n`));
    const digests = contents.map((c) => createHash('sha256').update(c).digest());
    algorithms.forEach((algorithm, n) => {
      const rec = session.generateKeyPair({ label: `release-root-${n}`, id: (n + 1).toString(16).padStart(2, '0'), algorithm });
      const ref = { label: rec.label, id: rec.id };
      const key = bare.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: rec.label, id: Buffer.from(rec.id, 'hex') }).items(0).toType(graphene.PrivateKey);
      // One untimed round each first: the key's first use loads it in SoftHSM.
      productSign(session, ref, digests.slice(0, 8));
      bareSign(bare, key, digests.slice(0, 8));
      let productMs = 0;
      let bareMs = 0;
      let sigs = [];
      const block = Math.ceil(count / BLOCKS);
      for (let from = 0; from < count; from += block) {
        const part = digests.slice(from, from + block);
        // Which goes first changes from block to block, so that neither always follows the other.
        const product = () => (productMs += time(() => sigs.push(...productSign(session, ref, part))));
        const loop = () => (bareMs += time(() => bareSign(bare, key, part)));
        if ((from / block) % 2 === 0) [product(), loop()];
        else [loop(), product()];
      }
      const verified = allVerify(rec.spki, contents, sigs, algorithm.startsWith('EC'));
      sigs = [];
      rows.push({ algorithm, count, productMs, bareMs, productPerSec: count / (productMs / 1000), barePerSec: count / (bareMs / 1000), ratio: bareMs / productMs, verified });
    });
  } finally {
    bare.close();
    lease.release();
    session.close();
    hsm.close();
    token.remove();
  }
  return rows;
}
