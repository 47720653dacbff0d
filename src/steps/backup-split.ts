// backup.split: backs up keys generated earlier in this ceremony with `backup: true`. In one journaled
// operation: 32 bytes from the HSM's RNG become the wrap key; its check value is computed in memory; the SO
// (PIN holders typing their SO PIN halves) imports it as a trusted, wrap-only key, the one kind of key a
// backup key (CKA_WRAP_WITH_TRUSTED) lets wrap it; each key is wrapped with CKM_AES_KEY_WRAP_PAD; the wrap
// key is destroyed on the token; it is split m-of-n among the custodians and each share sealed to the
// custodian's 9d key. The journal keeps only the public-safe result (manifest, blobs, sealed shares), so a
// crash after it never makes a second wrap key, and a crash before it leaves nothing usable (the wrap key
// lived in memory; a left-over token copy is destroyed before the next attempt). Then the files are written,
// and every custodian opens their share with their token; receipts already made are kept on resume.
import { OfficiantError } from '../errors.js';
import { blobFile, checkQuorumShape, CUSTODIAN_ROLE, publicKeyFile, resolveCustodians, sha256, BACKUP_FORMAT, type BackupKey, type BackupManifest } from '../engine/backup.js';
import type { Json } from '../engine/journal.js';
import type { KeyAttributes, Secret } from '../engine/ports.js';
import { secretFromBytes } from '../engine/secret.js';
import { keyCheckValue } from '../engine/shares.js';
import { backupResults, sealShares, takeReceipts, writeBackupSet, type MadeBackup } from './backup-shares.js';
import type { StepContext, StepHandler } from './step.types.js';
import type { StepOf } from '../script/schema.js';
import type { RosterBody } from '../evidence/roster.types.js';

/** The wrap key's label and CKA_ID on the token: fixed per ceremony and step, so a left-over copy is found. */
export function wrapKeyRef(ctx: StepContext): { label: string; id: string } {
  const ref = ctx.ceremonyRef();
  return { label: `officiant-backup-wrap-${ctx.step.id}`.slice(0, 64), id: sha256(`${ref.ceremony_id}/${ctx.step.id}`).slice(0, 16) };
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
 * In one effect: a fresh wrap key (SO-trusted on the token while it wraps `labels`), the blobs, and sealed
 * shares for `custodianIds`. `wrap` wraps each key with the imported wrap key and returns its blob and
 * attributes (split: the token's own key; re-share: a session copy unwrapped from the old backup).
 */
export async function newBackup(
  ctx: StepContext,
  opts: {
    keys: { label: string; id: string; algorithm: string; purpose: string; spkiPem: string; spkiSha256: string; certificate: string | null }[];
    custodians: Custodians;
    threshold: number;
    supersedes: BackupManifest['supersedes'];
    wrap: (wrapRef: { label: string; id: string }) => Promise<{ blobs: Buffer[]; attributes: (KeyAttributes | null)[] }>;
  },
): Promise<MadeBackup> {
  const roster = ctx.roster();
  const ids = custodianIds(roster, opts.custodians);
  const custodians = resolveCustodians(roster, ids);
  checkQuorumShape(custodians.length, opts.threshold);
  const ceremony = ctx.ceremonyRef();
  const wrapRef = wrapKeyRef(ctx);
  const made = await ctx.effect<Json>(
    'backup.split',
    { wrap_key: wrapRef, keys: opts.keys.map((k) => k.label), custodians: ids, threshold: opts.threshold },
    {
      run: async () => {
        // A copy left on the token by an interrupted attempt is useless (its value was only in memory): remove it.
        (await ctx.session()).destroyObjects(wrapRef);
        let wrapKey: Secret | undefined;
        try {
          const imported = await ctx.securityOfficer((so) => {
            wrapKey = secretFromBytes(so.random(32));
            return so.importWrapKey(wrapRef, wrapKey, { trusted: true });
          });
          if (!imported.attributes.trusted || imported.attributes.extractable || !imported.attributes.sensitive) {
            throw new OfficiantError('ceremony.step-failed', 'the token did not keep the wrap key trusted, sensitive and non-extractable');
          }
          const kcv = keyCheckValue(wrapKey!);
          let wrapped: { blobs: Buffer[]; attributes: (KeyAttributes | null)[] };
          const session = await ctx.session();
          try {
            wrapped = await opts.wrap(wrapRef);
          } finally {
            session.destroyObjects(wrapRef);
          }
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
          const sealed = await sealShares(wrapKey!, custodians, { threshold: opts.threshold, ceremonyId: ceremony.ceremony_id, kcv });
          const manifest: BackupManifest = {
            format: BACKUP_FORMAT,
            ceremony,
            step_id: ctx.step.id,
            created_at: new Date().toISOString(),
            threshold: opts.threshold,
            wrap_key: { bits: 256, kcv, hsm: { label: wrapRef.label, trusted: true, destroyed_after_use: true } },
            custodians: sealed.custodians,
            keys,
            supersedes: opts.supersedes,
          };
          return { manifest, files: { ...files, ...sealed.files } } as unknown as Json;
        } finally {
          wrapKey?.wipe();
        }
      },
      // An interrupted split never took effect: its wrap key lived only in memory, so nothing it may have left
      // (a token copy of the wrap key, which run() destroys first) can restore anything. It is made again.
      reconcile: () => undefined,
    },
    ctx.people(ctx.step.perform)[0],
  );
  return made as unknown as MadeBackup;
}

export const backupSplit: StepHandler<'backup.split'> = {
  kind: 'backup.split',
  usesHsm: true,
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
      wrap: async (wrapRef) => {
        const session = await ctx.session();
        const blobs = keys.map((k) => session.wrapKey(wrapRef, k));
        const attributes = keys.map((k) => session.findKeys(k.label).find((r) => r.id === k.id)?.attributes ?? null);
        return { blobs, attributes };
      },
    });
    ctx.setToken((await ctx.session()).token());
    await writeBackupSet(ctx, made);
    ctx.prompter.say(`  Wrap key check value: ${made.manifest.wrap_key.kcv}: read it aloud; everyone writes it on their plan.`);
    await takeReceipts(ctx, made, 'split', absent_allowed);
    backupResults(ctx, made);
  },
};
