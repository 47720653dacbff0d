// manifest.json and its signature: the manifest is signed by the evidence key, lists every file of the packet
// (nothing missing, nothing stray, nothing a ceremony does not write) with its size and SHA-256, and its claims
// about the ceremony (id, script, mode, outcome, evidence certificate) are what the journal and the files say.
import { EVIDENCE_CERT_PATH as EVIDENCE_CERT, MANIFEST, MANIFEST_SIG, PACKET_FORMAT as FORMAT } from '../packet-files.js';
import type { Context, Group } from './check-context.js';
import { isObject } from '../json-shape.js';
import { sha256Hex } from '../../record/digest.js';
import { verifyDetachedCms } from './detached-cms.js';

/** Every path a ceremony may write: the fixed files, its step pages and its outputs. */
const PACKET_PATH = /^(journal\.jsonl|script\.yaml|site\.json|rehearsal\.json|roster\.json|backup-source\.json|packet\.pdf|manifest\.json|manifest\.json\.p7s|steps\/\d{2,}-[a-z][a-z0-9-]*\.pdf|outputs\/(backup\/|shares\/|restore\/|release\/)?[A-Za-z0-9._-]+|inputs\/(request\.json|policy\.json|authority\.pem|policy-draft\.json|manifest-draft\.json|release-authority\.pem|signing-plan\.json))$/;

export function checkManifest(g: Group, ctx: Context): void {
  const { files } = ctx;
  const bytes = files.get(MANIFEST);
  if (!bytes) {
    g.fail(`${MANIFEST}: missing`);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      g.fail(`${MANIFEST}: not valid JSON (${(err as Error).message})`);
    }
    if (parsed !== undefined && !isObject(parsed)) g.fail(`${MANIFEST}: not a JSON object`);
    if (isObject(parsed)) ctx.manifest = parsed;
  }

  const sig = files.get(MANIFEST_SIG);
  if (!sig) g.fail(`${MANIFEST_SIG}: missing (${MANIFEST} is not signed)`);
  else if (bytes && ctx.cert) for (const p of verifyDetachedCms(sig, [bytes], ctx.cert, MANIFEST_SIG, MANIFEST)) g.fail(p);
  else if (bytes) g.fail(`${MANIFEST_SIG}: cannot check without the evidence certificate ${EVIDENCE_CERT}`);

  const m = ctx.manifest;
  if (!m) {
    if (bytes) g.fail(`${MANIFEST}: no file list to check the packet against`);
    return;
  }
  if (m.format !== FORMAT) g.fail(`${MANIFEST}: format ${JSON.stringify(m.format)}, expected ${FORMAT}`);
  if (!Array.isArray(m.files)) {
    g.fail(`${MANIFEST}: files is not a list`);
    return;
  }
  const listed = new Set<string>();
  m.files.forEach((f, i) => {
    if (!isObject(f) || typeof f.path !== 'string' || typeof f.bytes !== 'number' || typeof f.sha256 !== 'string') {
      g.fail(`${MANIFEST}: files[${i}] is not {path, bytes, sha256}`);
      return;
    }
    if (listed.has(f.path)) g.fail(`${MANIFEST}: lists ${f.path} twice`);
    listed.add(f.path);
    if (f.path === MANIFEST || f.path === MANIFEST_SIG) {
      g.fail(`${MANIFEST}: lists ${f.path}, which it cannot cover`);
      return;
    }
    const file = files.get(f.path);
    if (!file) return g.fail(`${f.path}: listed in ${MANIFEST} but missing`);
    if (file.length !== f.bytes) g.fail(`${f.path}: ${file.length} bytes, ${MANIFEST} says ${f.bytes}`);
    else if (sha256Hex(file) !== f.sha256.toLowerCase()) g.fail(`${f.path}: SHA-256 differs from ${MANIFEST}`);
  });
  for (const path of [...files.keys()].sort()) {
    if (path !== MANIFEST && path !== MANIFEST_SIG && !listed.has(path)) g.fail(`${path}: not listed in ${MANIFEST} (stray file)`);
    // A packet holds only what a ceremony writes, even when a manifest lists more.
    else if (!PACKET_PATH.test(path)) g.fail(`${path}: not a file a ceremony writes (stray file)`);
  }

  // The manifest's claims about the ceremony must be what the journal and the files say.
  const { started, final } = ctx;
  if (started && m.ceremonyId !== started.data.ceremonyId) g.fail(`${MANIFEST}: ceremonyId ${JSON.stringify(m.ceremonyId)} is not the journal's ${JSON.stringify(started.data.ceremonyId)}`);
  if (started && m.scriptId !== started.data.scriptId) g.fail(`${MANIFEST}: scriptId ${JSON.stringify(m.scriptId)} is not the journal's ${JSON.stringify(started.data.scriptId)}`);
  if (started && m.rehearsal !== (started.data.mode === 'rehearsal')) g.fail(`${MANIFEST}: rehearsal ${JSON.stringify(m.rehearsal)} contradicts the journal's mode ${JSON.stringify(started.data.mode)}`);
  if (final) {
    const outcome = final.type === 'ceremony.completed' ? 'completed' : 'aborted';
    if (m.outcome !== outcome) g.fail(`${MANIFEST}: outcome ${JSON.stringify(m.outcome)}, the journal says ${outcome}`);
  }
  const ec = m.evidenceCertificate;
  if (ctx.cert) {
    if (!isObject(ec) || ec.path !== EVIDENCE_CERT || typeof ec.sha256 !== 'string') g.fail(`${MANIFEST}: evidenceCertificate does not name ${EVIDENCE_CERT}`);
    else if (files.get(EVIDENCE_CERT) && sha256Hex(files.get(EVIDENCE_CERT)!) !== ec.sha256) g.fail(`${MANIFEST}: evidenceCertificate SHA-256 is not that of ${EVIDENCE_CERT}`);
  }
  if (g.problems.length === 0) g.note(`${MANIFEST}: ${listed.size} files, each present with its size and SHA-256`);
}
