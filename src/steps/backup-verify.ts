// backup.verify: custodians of an existing backup (--backup) open their shares with their own tokens and PINs,
// long after the backup was made: the verification of a custodian recorded absent at the backup, or a periodic
// check that every share still opens. Each share must match its commitment; each token signs a receipt
// (purpose "verify") that `officiant verify` checks against the roster. Nothing is combined: a share opened here
// is wiped at once. The step fails, naming them, if a custodian who is present cannot open their share, or if
// nobody verified anything; custodians not present are recorded and named on the page.
import { inFours } from '../record/fingerprint.js';
import { OfficiantError } from '../errors.js';
import { confirmBackupOnPaper } from './shared/backup-confirmations.js';
import { administrator, backupEvents, custodianPresent, openCustodianShare } from './shared/custodian-shares.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export const backupVerify: StepHandler<'backup.verify'> = {
  kind: 'backup.verify',
  needs: STEP_NEEDS['backup.verify'],
  async run(ctx) {
    const backup = ctx.backup();
    const m = backup.manifest;
    const kcv = m.wrap_key.kcv;
    const ids = ctx.step.params.custodians;
    const unknown = (ids ?? []).filter((id) => !m.custodians.some((c) => c.officer === id));
    if (unknown.length > 0) throw new OfficiantError('ceremony.step-failed', `${unknown.join(', ')} hold(s) no share of the backup of ceremony ${m.ceremony.ceremony_id}`);
    const expected = m.custodians.filter((c) => !ids || ids.includes(c.officer));
    ctx.prompter.say(`  Backup of ceremony ${m.ceremony.ceremony_id}: ${m.threshold} of ${m.custodians.length}`);
    await confirmBackupOnPaper(ctx, m);
    // Receipts made before an interruption or a retry stand.
    const verified = new Set(backupEvents(ctx, 'share-receipt', kcv).map((e) => String(e.officer)));
    const failed: string[] = [];
    for (const c of expected) {
      if (verified.has(c.officer)) continue;
      if (!(await custodianPresent(ctx, c))) {
        ctx.event('custodian-not-present', { officer: c.officer, name: c.name, index: c.index, kcv }, administrator(ctx));
        ctx.prompter.say(`  ${c.name} is not here`);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = backup.read(c.share_file);
      } catch {
        const reason = `share file ${c.share_file} is missing from ${backup.dir}`;
        ctx.event('share-refused', { officer: c.officer, name: c.name, index: c.index, kcv, reason });
        failed.push(`${c.name} (share ${c.index}): ${reason}`);
        continue;
      }
      const o = await openCustodianShare(ctx, m, c, bytes, 'verify', false);
      if (o.ok) verified.add(c.officer);
      else failed.push(`${c.name} (share ${c.index}): ${o.reason}`);
    }
    if (failed.length > 0) throw new OfficiantError('ceremony.step-failed', `${failed.length} share(s) did not open for their custodian: ${failed.join('; ')}`);
    const done = expected.filter((c) => verified.has(c.officer));
    if (done.length === 0) throw new OfficiantError('ceremony.step-failed', `no custodian verified their share: ${expected.map((c) => c.name).join(', ')} not present`);
    ctx.result('Backup', `ceremony ${m.ceremony.ceremony_id} (${m.ceremony.script_id}), manifest SHA-256 ${backup.sha256}, wrap key check value ${inFours(kcv)}`);
    const receipts = backupEvents(ctx, 'share-receipt', kcv);
    for (const c of expected) {
      const r = receipts.find((e) => e.officer === c.officer);
      ctx.result(`Share ${c.index}: ${c.name}`, r ? `device ${c.device_serial}: opened, matches its commitment; receipt signed (verified): ${String(r.signature)}` : 'not present: not verified in this ceremony');
    }
  },
};
