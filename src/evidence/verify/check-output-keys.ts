// Keys and certificates among the outputs, checked by their cryptography rather than by what the journal says
// of the files: every public key and every certificate's key is one the HSM or a PIV device reported when it
// made the key (the SPKI journaled at generation, or the key a restore brought back), and every certificate
// verifies under its issuer: itself when self-signed, else a certificate among the outputs whose key is also
// journaled. A certificate for a key that never was in the HSM, or one not signed by its issuer, fails.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { OUTPUTS_DIR, ROSTER_COPY } from '../packet-files.js';
import { isObject } from '../json-shape.js';
import type { Context, Group } from './check-context.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const spkiOf = (k: KeyObject) => sha256(k.export({ type: 'spki', format: 'der' }));

/** SPKI SHA-256 of every key a successful result reports having made or restored. */
function journaledKeys(ctx: Context): Set<string> {
  const keys = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 32) return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'spkiSha256' || k === 'spki_sha256') && typeof x === 'string') keys.add(x.toLowerCase());
      else if (k === 'spkiPem' && typeof x === 'string') {
        try {
          keys.add(spkiOf(createPublicKey(x)));
        } catch {
          // an unreadable key reported by the journal proves nothing; it is simply not counted
        }
      } else visit(x, depth + 1);
    }
  };
  // Only what a key operation reported while the ceremony ran: not a page, a write or the seal, nothing after the end.
  const end = ctx.final ? ctx.entries.indexOf(ctx.final) : ctx.entries.length;
  ctx.entries.slice(0, end).forEach((e) => {
    const op = typeof e.data.op === 'string' ? e.data.op : '';
    if (e.type === 'result' && e.data.ok === true && op !== '' && !/^(write|evidence|seal):/.test(op)) visit(e.data.output, 0);
  });
  return keys;
}

export function checkOutputKeys(g: Group, ctx: Context): void {
  const pems = [...ctx.files].filter(([p]) => p.startsWith(`${OUTPUTS_DIR}/`) && p.endsWith('.pem')).sort(([a], [b]) => a.localeCompare(b));
  if (pems.length === 0) return;
  const journaled = journaledKeys(ctx);
  const certs: Array<{ path: string; cert: X509Certificate }> = [];
  for (const [path, bytes] of pems) {
    const text = bytes.toString('utf8');
    if (text.includes('-----BEGIN CERTIFICATE-----')) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(bytes);
      } catch {
        g.fail(`${path}: not a readable X.509 certificate`);
        continue;
      }
      let spki: string;
      try {
        spki = spkiOf(cert.publicKey);
      } catch {
        g.fail(`${path}: its public key cannot be read`);
        continue;
      }
      certs.push({ path, cert });
      if (!journaled.has(spki)) g.fail(`${path}: certifies a key (SPKI ${spki.slice(0, 16)}…) that no key generation or restore in the journal reported`);
    } else if (text.includes('-----BEGIN PUBLIC KEY-----')) {
      let spki: string;
      try {
        spki = spkiOf(createPublicKey(text));
      } catch {
        g.fail(`${path}: not a readable public key`);
        continue;
      }
      if (!journaled.has(spki)) g.fail(`${path}: a public key (SPKI ${spki.slice(0, 16)}…) that no key generation or restore in the journal reported`);
    }
  }
  // Officers who joined a live roster are certified by the roster's own enrollment CA, which this ceremony did
  // not make: the roster it started with (verified by the officers check) names that certificate.
  const issuers = [...certs];
  if (ctx.roster) {
    try {
      issuers.push({ path: `${ROSTER_COPY} (its enrollment CA)`, cert: new X509Certificate(ctx.roster.enrollment_ca.pem) });
    } catch {
      g.fail(`${ROSTER_COPY}: its enrollment CA certificate cannot be read`);
    }
  }
  for (const { path, cert } of certs) {
    try {
      checkIssuer(g, path, cert, issuers);
    } catch {
      g.fail(`${path}: its key or signature cannot be read`);
    }
  }
  if (g.problems.length === 0) g.note(`${pems.length} key and certificate files: every key is one the journal reports generated or restored; ${certs.length} certificates verify under their issuers`);
}

function checkIssuer(g: Group, path: string, cert: X509Certificate, certs: Array<{ path: string; cert: X509Certificate }>): void {
  {
    // The issuer by name (self-signed when subject = issuer); its key must then verify the signature.
    const issuers = cert.subject === cert.issuer ? [{ path, cert }] : certs.filter((c) => c.cert !== cert && c.cert.subject === cert.issuer);
    if (issuers.length === 0) return g.fail(`${path}: its issuer (${cert.issuer.replace(/\n/g, ', ')}) is not among the outputs, so its signature cannot be checked`);
    if (!issuers.some((i) => cert.verify(i.cert.publicKey))) g.fail(`${path}: the signature does not verify under its issuer's key (${issuers[0].path})`);
  }
}
