// Backups, restores and re-shares (verify-backup.ts), checked only when the script has a backup step or the
// packet holds a backup source.
import { BACKUP_COPY, JOURNAL } from '../packet-files.js';
import { verifyBackupEvidence } from '../verify-backup.js';
import type { Context, Group } from './check-context.js';

/** Backups, restores and re-shares (verify-backup.ts), against the roster the officers check established. */
export function checkBackups(g: Group, ctx: Context): void {
  if (!ctx.script) return;
  const hasBackup = ctx.script.steps.some((s) => s.kind.startsWith('backup.')) || ctx.files.has(BACKUP_COPY);
  if (!hasBackup) return;
  const report = verifyBackupEvidence({ entries: ctx.entries, script: ctx.script, roster: ctx.roster, files: ctx.files });
  for (const p of report.problems) g.fail(`${JOURNAL}: ${p}`);
  for (const n of report.notes) g.note(`${JOURNAL}: ${n}`);
}
