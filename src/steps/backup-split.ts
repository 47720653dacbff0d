// backup.split: backs up keys generated earlier in this ceremony with `backup: true`. In one journaled
// operation: 32 bytes from the HSM's RNG become the wrap key; its check value is computed in memory; the SO
// (PIN holders typing their SO PIN halves) imports it as a trusted, wrap-only key, the one kind of key a
// backup key (CKA_WRAP_WITH_TRUSTED) lets wrap it; each key is wrapped with CKM_AES_KEY_WRAP_PAD; the wrap
// key is destroyed on the token; it is split m-of-n among the custodians and each share sealed to the
// custodian's 9d key. The journal keeps only the public-safe result (manifest, blobs, sealed shares), so a
// crash after it never makes a second wrap key, and a crash before it leaves nothing usable (the wrap key
// lived in memory; a left-over token copy is destroyed before the next attempt). Then the files are written,
// and every custodian opens their share with their token; receipts already made are kept on resume.
import { inFours } from '../record/fingerprint.js';
import { OfficiantError } from '../errors.js';
import { blobFile, checkQuorumShape, CUSTODIAN_ROLE, publicKeyFile, resolveCustodians, sha256, BACKUP_FORMAT, type BackupKey, type BackupManifest } from '../custody/backup-manifest.js';
import type { Json } from '../record/journal.js';
import type { KeyAttributes, Secret } from '../engine/ports.js';
import type { KeyAlgorithm } from '../script/schema.js';
import { createPublicKey } from 'node:crypto';
import { secretFromBytes } from '../custody/secret.js';
import { keyCheckValue } from '../custody/shares.js';
import { backupResults } from './shared/backup-results.js';
import { sealShares, writeBackupSet, type MadeBackup } from './shared/backup-set.js';
import { takeReceipts } from './shared/custodian-shares.js';
import type { StepContext, StepHandler } from '../engine/step-kind.types.js';
import type { StepOf } from '../script/schema.js';
import type { RosterBody } from '../custody/roster.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

type Ref = { label: string; id: string };

/**
 * Labels and CKA_IDs of the keys a backup step makes on the token, fixed per ceremony and step so a left-over
 * one is found: the backup wrap key (a session object) and the SO's transport key (a token object).
 */
export function backupKeyRefs(ctx: StepContext): { wrap: Ref; transport: Ref } {
  const ref = ctx.ceremonyRef();
  const id = sha256(`${ref.ceremony_id}/${ctx.step.id}`).slice(0, 16);
  return {
    wrap: { label: `officiant-backup-wrap-${ctx.step.id}`.slice(0, 64), id },
    transport: { label: `officiant-backup-transport-${ctx.step.id}`.slice(0, 64), id },
  };
}

/** A session copy of a key, unwrapped only to be wrapped again at once: its own label, so no stored key is touched. */
export function copyRef(key: Ref): Ref {
  return { label: `officiant-backup-copy-${key.id}`.slice(0, 64), id: key.id };
}

type Custodians = StepOf<'backup.split'>['params']['custodians'];

/** The roster ids a backup step's custodians are: as listed, or every active custodian (there must be `count`). */
export function custodianIds(roster: RosterBody, c: Custodians): string[] {
  if (Array.isArray(c)) return c;
  const ids = roster.officers.filter((o) => o.status === 'active' && o.roles.includes(CUSTODIAN_ROLE)).map((o) => o.id);
  if (ids.length !== c.count) throw new OfficiantError('ceremony.step-failed', `the script expects ${c.count} custodians, the roster (version ${roster.version}) has ${ids.length} active: ${ids.join(', ') || 'none'}`);
  return ids;
}

/** The certificate an earlier step of this ceremony issued for the key, if any (restore proves against it). */
function certificateOf(ctx: StepContext, label: string): string | null {
  const certs = ctx.entries().filter((e) => e.type === 'result' && e.data.ok === true && (e.data.output as { pem?: unknown } | null)?.pem !== undefined);
  const intents = new Map(ctx.entries().filter((e) => e.type === 'intent' && e.data.op === 'hsm.sign-certificate').map((e) => [e.seq, e]));
  for (const r of certs) {
    const intent = intents.get(r.data.intent as number);
    if (intent && (intent.data.params as { key?: unknown }).key === label) return String((r.data.output as { pem: string }).pem);
  }
  return null;
}

/**
 * In one effect: a fresh 256-bit wrap key from the HSM's RNG, its check value, the blobs, and sealed shares for
 * the custodians. The wrap key is imported as a wrap-only session object (in the HSM's memory, never stored);
 * `wrap` wraps each key with it and returns the blobs. With `transport`, the SO first has the token generate a
 * trusted transport key (the only kind of key a CKA_WRAP_WITH_TRUSTED key accepts): `wrap` exports each key
 * under it, unwraps that into a session copy and wraps the copy under the wrap key. Both keys are destroyed
 * before the effect returns; a transport key left by an interrupted attempt is destroyed first.
 */
export async function newBackup(
  ctx: StepContext,
  opts: {
    keys: { label: string; id: string; algorithm: string; purpose: string; spkiPem: string; spkiSha256: string; certificate: string | null }[];
    custodians: Custodians;
    threshold: number;
    supersedes: BackupManifest['supersedes'];
    transport: boolean;
    wrap: (wrapRef: Ref, transportRef: Ref | undefined) => Promise<{ blobs: Buffer[]; attributes: (KeyAttributes | null)[] }>;
  },
): Promise<MadeBackup> {
  const roster = ctx.roster();
  const ids = custodianIds(roster, opts.custodians);
  const custodians = resolveCustodians(roster, ids);
  checkQuorumShape(custodians.length, opts.threshold);
  const ceremony = ctx.ceremonyRef();
  const refs = backupKeyRefs(ctx);
  const made = await ctx.effect<Json>(
    'backup.split',
    { wrap_key: refs.wrap, ...(opts.transport ? { transport_key: refs.transport } : {}), keys: opts.keys.map((k) => k.label), custodians: ids, threshold: opts.threshold },
    {
      run: async () => {
        let transportMade = false;
        try {
          if (opts.transport) {
            // The order the instructions give: the SO PIN halves, then the user PIN halves. A transport key left
            // on the token by an interrupted attempt can restore nothing: removed in the same SO session (it is
            // a public object the SO sees), so a retry asks nobody for a PIN twice.
            const t = (
              await ctx.securityOfficer((so) => {
                so.destroyObjects(refs.transport);
                return so.generateTrustedWrapKey(refs.transport);
              })
            ).attributes;
            transportMade = true;
            if (!t.trusted || t.extractable || !t.sensitive || t.encrypt || t.decrypt) throw new OfficiantError('ceremony.step-failed', 'the token did not make the transport key trusted, sensitive, non-extractable and for wrapping only');
          }
          const session = await ctx.session();
          let wrapKey: Secret | undefined;
          try {
            wrapKey = secretFromBytes(session.random(32));
            const kcv = keyCheckValue(wrapKey);
            const w = session.importWrapKey(refs.wrap, wrapKey, { session: true, use: 'wrap' }).attributes;
            if (w.extractable || !w.sensitive || !w.wrap || w.unwrap || w.encrypt || w.decrypt) throw new OfficiantError('ceremony.step-failed', 'the token did not keep the wrap key sensitive, non-extractable and wrap-only');
            const wrapped = await opts.wrap(refs.wrap, opts.transport ? refs.transport : undefined);
            const files: Record<string, string> = {};
            const keys: BackupKey[] = opts.keys.map((k, i) => {
              files[blobFile(k.label)] = wrapped.blobs[i].toString('base64');
              files[publicKeyFile(k.label)] = Buffer.from(k.spkiPem, 'utf8').toString('base64');
              return {
                label: k.label,
                id: k.id,
                algorithm: k.algorithm,
                purpose: k.purpose,
                spki_sha256: k.spkiSha256,
                public_key: k.spkiPem,
                certificate: k.certificate,
                blob_file: blobFile(k.label),
                blob_sha256: sha256(wrapped.blobs[i]),
                mechanism: 'CKM_AES_KEY_WRAP_PAD',
                attributes: wrapped.attributes[i],
              };
            });
            const sealed = await sealShares(wrapKey, custodians, { threshold: opts.threshold, ceremonyId: ceremony.ceremony_id, kcv });
            const manifest: BackupManifest = {
              format: BACKUP_FORMAT,
              ceremony,
              step_id: ctx.step.id,
              created_at: new Date().toISOString(),
              threshold: opts.threshold,
              wrap_key: {
                bits: 256,
                kcv,
                hsm: { label: refs.wrap.label, session_object: true, use: 'wrap', destroyed_after_use: true, transport: opts.transport ? { label: refs.transport.label, trusted: true, generated_in_hsm: true, destroyed_after_use: true } : null },
              },
              custodians: sealed.custodians,
              keys,
              supersedes: opts.supersedes,
            };
            return { manifest, files: { ...files, ...sealed.files } } as unknown as Json;
          } finally {
            wrapKey?.wipe();
            session.destroyObjects(refs.wrap, { sessionOnly: true });
          }
        } finally {
          // While it exists, the transport key could export the key it guards: it goes on every path out.
          if (transportMade) await destroyTransportKey(ctx, refs.transport);
        }
      },
      // An interrupted backup never took effect: its wrap key lived only in memory, so nothing it may have left
      // (a transport key on the token, which run() destroys first) can restore anything. It is made again.
      reconcile: () => undefined,
    },
    ctx.people(ctx.step.perform)[0],
  );
  return made as unknown as MadeBackup;
}

/**
 * Destroys the transport key: in the user session, or, if the PIN holders cannot log in as users, in an SO
 * session (the key is a public object the SO sees). If neither works, the failure is journaled and the next
 * attempt, or the abort, removes it.
 */
async function destroyTransportKey(ctx: StepContext, ref: Ref): Promise<void> {
  try {
    (await ctx.session()).destroyObjects(ref);
    return;
  } catch {
    // the user login failed: try the SO below
  }
  try {
    await ctx.securityOfficer((so) => so.destroyObjects(ref));
  } catch (err) {
    ctx.event('transport-key-left', { label: ref.label, message: err instanceof OfficiantError ? err.message : 'unexpected error' });
  }
}

/** On abort: a transport key left by an interrupted or failed attempt is removed (seen without a login: it is public). */
async function removeLeftTransportKey(ctx: StepContext): Promise<void> {
  const ref = backupKeyRefs(ctx).transport;
  if (!ctx.site || ctx.hsm().labelsInUse(ctx.site.tokenLabel, [ref.label]).length === 0) return;
  const n = (await ctx.session()).destroyObjects(ref);
  ctx.event('transport-key-removed', { label: ref.label, objects: n });
}

export const backupSplit: StepHandler<'backup.split'> = {
  kind: 'backup.split',
  needs: STEP_NEEDS['backup.split'],
  async run(ctx) {
    const { keys: labels, custodians, threshold, absent_allowed } = ctx.step.params;
    const keys = labels.map((label) => {
      const k = ctx.generatedKey(label);
      if (!k) throw new OfficiantError('ceremony.step-failed', `key "${label}" has no generation record in this ceremony`);
      return { ...k, certificate: certificateOf(ctx, label) };
    });
    const made = await newBackup(ctx, {
      keys,
      custodians,
      threshold,
      supersedes: null,
      transport: true,
      // The token's key leaves it only under the SO's trusted transport key; that blob is unwrapped at once into a
      // session copy, which is wrapped under the backup wrap key and destroyed. Only the last blob is kept.
      wrap: async (wrapRef, transportRef) => {
        const session = await ctx.session();
        const blobs = keys.map((k) => {
          const viaTransport = session.wrapKey(transportRef!, k);
          const copy = copyRef(k);
          try {
            session.destroyObjects(copy, { sessionOnly: true });
            session.unwrapKey(transportRef!, viaTransport, { ...copy, algorithm: k.algorithm as KeyAlgorithm, spki: createPublicKey(k.spkiPem).export({ type: 'spki', format: 'der' }), session: true });
            return session.wrapKey(wrapRef, copy);
          } finally {
            viaTransport.fill(0);
            session.destroyObjects(copy, { sessionOnly: true });
          }
        });
        const attributes = keys.map((k) => session.findKeys(k.label).find((r) => r.id === k.id)?.attributes ?? null);
        return { blobs, attributes };
      },
    });
    ctx.setToken((await ctx.session()).token());
    await writeBackupSet(ctx, made);
    ctx.prompter.say(`  Wrap key check value: ${inFours(made.manifest.wrap_key.kcv)}: read it aloud; everyone writes it on their plan.`);
    await takeReceipts(ctx, made, 'split', absent_allowed);
    backupResults(ctx, made);
  },
  onAbort: removeLeftTransportKey,
};
