// hsm.inspect-key: reads a generated key back from the token and records what proves its origin:
// CKA_LOCAL, NEVER_EXTRACTABLE, ALWAYS_SENSITIVE, EXTRACTABLE, SENSITIVE, the public key (PEM) and its SPKI
// SHA-256, and the token identity. It fails when the key read back is not the one generated (other CKA_ID or
// public key) or when its attributes do not prove it was born in the HSM and can never leave it; for a key
// generated with backup: true, that it was born in the HSM, is sensitive and leaves it only wrapped under an
// SO-trusted key (CKA_WRAP_WITH_TRUSTED), and the page says it is not NEVER_EXTRACTABLE.
import { OfficiantError } from '../errors.js';
import type { JsonObject } from '../record/journal.js';
import { keyRecordJson } from './hsm-generate-key.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

const REQUIRED: Array<[keyof Attrs, boolean, string]> = [
  ['local', true, 'CKA_LOCAL'],
  ['neverExtractable', true, 'CKA_NEVER_EXTRACTABLE'],
  ['alwaysSensitive', true, 'CKA_ALWAYS_SENSITIVE'],
  ['extractable', false, 'CKA_EXTRACTABLE'],
  ['sensitive', true, 'CKA_SENSITIVE'],
];
const REQUIRED_FOR_BACKUP: Array<[keyof Attrs, boolean, string]> = [
  ['local', true, 'CKA_LOCAL'],
  ['neverExtractable', false, 'CKA_NEVER_EXTRACTABLE'],
  ['alwaysSensitive', true, 'CKA_ALWAYS_SENSITIVE'],
  ['extractable', true, 'CKA_EXTRACTABLE'],
  ['sensitive', true, 'CKA_SENSITIVE'],
  ['wrapWithTrusted', true, 'CKA_WRAP_WITH_TRUSTED'],
];
type Attrs = { local: boolean; neverExtractable: boolean; alwaysSensitive: boolean; extractable: boolean; sensitive: boolean; wrapWithTrusted?: boolean };

/** The attributes a key must show, with their CKA names: a backup key's differ (extractable, wrap-with-trusted). */
export function requiredAttributes(backup: boolean): ReadonlyArray<[keyof Attrs, boolean, string]> {
  return backup ? REQUIRED_FOR_BACKUP : REQUIRED;
}

/** The CKA names of the attributes that are not as required, in the table's order. */
export function wrongAttributes(attrs: Attrs, backup: boolean): string[] {
  return requiredAttributes(backup)
    .filter(([name, want]) => attrs[name] !== want)
    .map(([, , cka]) => cka);
}

export const hsmInspectKey: StepHandler<'hsm.inspect-key'> = {
  kind: 'hsm.inspect-key',
  needs: STEP_NEEDS['hsm.inspect-key'],
  async run(ctx) {
    const label = ctx.step.params.key;
    const expected = ctx.generatedKey(label);
    if (!expected) throw new OfficiantError('ceremony.step-failed', `key "${label}" has no generation record in the journal`);
    const session = await ctx.session();
    const seen = await ctx.effect('hsm.read-key', { label }, {
      run: () => {
        const found = session.findKeys(label);
        if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `expected one key "${label}" on the token, found ${found.length}`);
        const k = found[0];
        const token = session.token();
        return { key: keyRecordJson(k, expected.purpose), attributes: { ...k.attributes }, token: { ...token } } as JsonObject;
      },
    });
    const key = seen.key as typeof expected;
    const attrs = seen.attributes as Attrs;
    ctx.setToken(seen.token as never);
    const backup = ctx.script.steps.some((s) => s.kind === 'hsm.generate-key' && s.params.label === label && s.params.backup);
    const required = requiredAttributes(backup);
    for (const [name, want, ckaName] of required) ctx.result(ckaName, String(attrs[name]) + (attrs[name] === want ? '' : `  (expected ${want})`));
    ctx.result('CKA_ID', key.id);
    ctx.result('Public key SHA-256 (SPKI)', key.spkiSha256);
    if (key.id !== expected.id || key.spkiSha256 !== expected.spkiSha256) {
      throw new OfficiantError('ceremony.step-failed', `key "${label}" on the token is not the key generated earlier (CKA_ID or public key differs)`);
    }
    const wrong = wrongAttributes(attrs, backup);
    if (wrong.length > 0) {
      throw new OfficiantError('ceremony.step-failed', backup ? `key "${label}" attributes do not prove it was born in the HSM and leaves it only wrapped under an SO-trusted key: ${wrong.join(', ')}` : `key "${label}" attributes do not prove it never left the HSM: ${wrong.join(', ')}`);
    }
    if (backup) ctx.result('Backup', 'marked for backup: it can leave the HSM only wrapped under a wrap key the SO marked trusted; it is NOT NEVER_EXTRACTABLE');
    await ctx.writeOutput(`outputs/${label}.inspection.json`, `${JSON.stringify({ label, id: key.id, algorithm: key.algorithm, spkiSha256: key.spkiSha256, attributes: attrs, token: seen.token }, null, 2)}\n`);
  },
};
