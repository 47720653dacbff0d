// Every file name of an evidence packet, in one place: the runner writes them, verify and export read them
// (evidence/README.md describes each). A name changed here changes the packet format: bump its `format`.
import { MANIFEST_FILE } from '../custody/backup-manifest.js';

export const PACKET_FORMAT = 'officiant-packet/1';

/** The journal: the only truth of a ceremony. */
export const JOURNAL = 'journal.jsonl';
/** The script as run (its SHA-256 is in the journal's first entry). */
export const SCRIPT_COPY = 'script.yaml';
/** The site profile the ceremony started with (module path, token label). */
export const SITE_COPY = 'site.json';
/** In a rehearsal: where its throwaway sandbox is. */
export const REHEARSAL_POINTER = 'rehearsal.json';
/** The officer roster the ceremony started with. */
export const ROSTER_COPY = 'roster.json';
/** Every file a step writes (certificates, public keys, rosters, backup sets, restore proofs) is under here. */
export const OUTPUTS_DIR = 'outputs';
/** The roster an enrollment ceremony signs, and the manifest keyring derived from it. */
export const ROSTER_OUTPUT = 'outputs/roster.json';
export const KEYRING_OUTPUT = 'outputs/keyring.json';
/** The manifest of the backup set a backup step writes; the set's other files are the ones it names, under outputs/. */
export const BACKUP_MANIFEST_OUTPUT = `${OUTPUTS_DIR}/${MANIFEST_FILE}`;
/** A restore's proof per key: `<label>.statement.json`, `<label>.statement.sig` and `<label>.cert.pem`. */
export const RESTORE_OUTPUTS = 'outputs/restore';
/** The backup manifest a restore or re-share works from. */
export const BACKUP_COPY = 'backup-source.json';
/**
 * What a release session or a policy ceremony was started with, copied byte for byte at its start (their
 * SHA-256 in the journal's first entry): the signing request, the signed policy, the authority's certificate,
 * and a policy draft to adopt.
 */
export const INPUT_COPIES = {
  request: 'inputs/request.json',
  policy: 'inputs/policy.json',
  certificate: 'inputs/authority.pem',
  policyDraft: 'inputs/policy-draft.json',
  manifestDraft: 'inputs/manifest-draft.json',
  releaseCertificate: 'inputs/release-authority.pem',
  signingPlan: 'inputs/signing-plan.json',
} as const;
/** An Android signing window's Unix socket, in the session's directory while the window is open (never sealed). */
export const WINDOW_SOCKET = 'signing-window.sock';

/** A manifest signing session's signed OTA manifest (not the packet's own manifest.json). */
export const MANIFEST_OUTPUT = 'outputs/ota-manifest.json';
/** A release session's signed release statement and its signature, as published in the bundle. */
export const RELEASE_OUTPUTS = {
  statement: 'outputs/release/release.json',
  signature: 'outputs/release/release.json.sig',
} as const;
/** The sealed packet PDF (cover, every step page, appendix). */
export const PACKET = 'packet.pdf';
/** The manifest of every file, and its detached CMS signature by the evidence key. */
export const MANIFEST = 'manifest.json';
export const MANIFEST_SIG = 'manifest.json.p7s';
/** The evidence key's certificate, and the journaled operation whose result records it. */
export const EVIDENCE_CERT_PATH = 'outputs/evidence-key.cert.pem';
export const EVIDENCE_CERT_OP = 'evidence.certificate';

/** A step's evidence page: `steps/NN-<step id>.pdf`, numbered from 1. */
export function stepPagePath(index: number, stepId: string): string {
  return `steps/${String(index + 1).padStart(2, '0')}-${stepId}.pdf`;
}
