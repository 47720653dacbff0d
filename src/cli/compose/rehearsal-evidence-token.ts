// A rehearsal of a ceremony that signs its evidence on the site's evidence token (evidence.use-key) gets a
// simulated one in its sandbox: a fresh token whose user PIN is the halves the simulated PIN holders carry,
// and an evidence key with a REHEARSAL certificate, made the way evidence.init-key makes one. The production
// token comes from ceremonies/evidence-token-init.yaml; this stands in for it, as simulated officers stand in
// for people.
import { randomBytes } from 'node:crypto';
import { joinSecrets, secretFromString } from '../../custody/secret.js';
import type { Hsm } from '../../engine/ports.js';
import type { EvidenceTokenSite } from '../../engine/step-kind.types.js';
import type { Answers } from '../../inputs/answers.js';
import { fingerprintOf } from '../../record/fingerprint.js';
import { pemToDer } from '../../custody/pem.js';
import type { Script } from '../../script/schema.js';
import { evidenceSubject } from '../../steps/evidence-init-key.js';
import { keyRecordJson } from '../../steps/hsm-generate-key.js';
import { certificateSerial, selfSignedCertificate } from '../../steps/shared/x509-in-hsm.js';

const KEY_LABEL = 'officiant-evidence';

/**
 * The halves of the simulated evidence token's user PIN: those its PIN holders carry (the first people of the
 * evidence.use-key step's role), or, when people type at the keyboard, the fixed halves the banner shows.
 */
export function evidencePinHalves(script: Script, people: Answers, interactive: boolean): string[] | undefined {
  const step = script.steps.find((s) => s.kind === 'evidence.use-key');
  if (step?.kind !== 'evidence.use-key') return undefined;
  if (interactive) return INTERACTIVE_HALVES;
  const { role, people: count } = step.params.pin_holders;
  return (people.people[role] ?? []).slice(0, count).map((name) => people.secrets[name]?.['evidence-pin-half'] ?? '');
}

/** What people at the keyboard type as their halves of a simulated evidence token's PIN (rehearsal only). */
export const INTERACTIVE_HALVES = ['rehearsal-1', 'rehearsal-2'];

/** Makes the simulated evidence token whose user PIN is the given halves joined. */
export async function simulatedEvidenceToken(pinHalves: string[], hsm: Hsm, label: string): Promise<EvidenceTokenSite> {
  const halves = pinHalves.map((h) => secretFromString(h));
  const userPin = joinSecrets(halves);
  const soPin = secretFromString(randomBytes(12).toString('hex'));
  try {
    const slot = hsm.freeSlots()[0];
    hsm.initToken(slot, label, soPin);
    hsm.initUserPin(label, soPin, userPin);
    const session = hsm.openSession(label, userPin);
    try {
      const key = keyRecordJson(session.generateKeyPair({ label: KEY_LABEL, id: session.random(16).toString('hex'), algorithm: 'EC-P256' }), 'ceremony evidence signing');
      const cert = await selfSignedCertificate(session, key, {
        subject: evidenceSubject({ CN: 'Officiant ceremony evidence signing key' }, true),
        serial: certificateSerial(session),
        validityDays: 30,
        ca: false,
      });
      return { tokenLabel: label, keyLabel: KEY_LABEL, certificatePem: cert.pem, certificateSha256: fingerprintOf(pemToDer(cert.pem)) };
    } finally {
      session.close();
    }
  } finally {
    for (const s of [userPin, soPin, ...halves]) s.wipe();
  }
}
