// What an insider who can activate the evidence key (any two PIN-half holders) can do to a sealed packet, and
// what verify then says. Each test rewrites a copy of a real flagship rehearsal (officers enrolled on simulated
// PIV tokens, their approvals, a 3-of-5 backup) with the insider's kit: the journal edited and re-chained,
// files replaced, PDFs and the manifest re-signed inside the HSM with the packet's own evidence key. The first
// test proves the kit itself leaves a packet that verifies, so every failure below is the rule's doing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { rehearsalWorkspace } from '../../helpers/rehearsal-workspace.js';
import { readEntries, reseal, type Draft } from '../../helpers/insider.js';
import { verifyDir } from '../../helpers/verify-dir.js';
import { headWords } from '../../../src/record/digest-words.js';

const ws = rehearsalWorkspace('officiant-insider-');
afterAll(() => rmSync(ws.work, { recursive: true, force: true }));

let n = 0;
const copy = () => ws.copyOf('flagship', `m${++n}`);

beforeAll(() => {
  ws.expectCompleted(ws.rehearse('ceremonies/officer-enrollment.yaml', 'officers'), 13);
  ws.expectCompleted(ws.rehearse('ceremonies/release-authority-init.yaml', 'flagship', { officers: 'officers' }), 13);
}, 300_000);

/** A copy of the flagship rewritten by the insider; returns verify's problems. */
async function attacked(edit: (e: Draft[]) => Draft[], files?: Record<string, Buffer | null>, head?: string): Promise<string[]> {
  const dir = copy();
  await reseal(dir, { edit, files });
  const report = verifyDir(dir, head ? { head } : {});
  return report.groups.flatMap((g) => g.problems.map((p) => `${g.name}: ${p}`));
}

const without = (pred: (e: Draft) => boolean) => (es: Draft[]) => es.filter((e) => !pred(e));
const rename = (from: string, to: string) => (es: Draft[]) => JSON.parse(JSON.stringify(es).split(from).join(to)) as Draft[];

describe('an insider holding the PIN halves rewrites the record and reseals it with the evidence key', () => {
  it('the kit alone (no edit) leaves a packet that verifies: what fails below is the rule', async () => {
    expect(await attacked((es) => es)).toEqual([]);
  });

  it('a sign-off removed: named FAILED line', async () => {
    const p = await attacked(without((e) => e.step === 'close' && e.data.what === 'sign-off' && e.actor.startsWith('Auditor')));
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: sign-offs: step 13 close: no sign-off by Auditor 1 (rehearsal) (Auditor) before the step completed');
  });

  it('a sign-off added by someone the script does not ask', async () => {
    const p = await attacked((es) => {
      const at = es.findIndex((e) => e.step === 'room-and-hardware' && e.type === 'step.completed');
      es.splice(at, 0, { ...es[at], type: 'step.event', actor: 'Auditor 1 (rehearsal) (Auditor)', data: { what: 'sign-off', answer: true } });
      return es;
    });
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: sign-offs: step 2 room-and-hardware: a sign-off by Auditor 1 (rehearsal), whose role (Auditor) the script does not ask to sign off');
  });

  it('an approval step deleted, with its page', async () => {
    const p = await attacked(without((e) => e.step === 'approve-backup'), { 'steps/10-approve-backup.pdf': null });
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: steps: step 10 approve-backup never completed, yet the ceremony is recorded completed (line 139)');
  });

  it('the backup steps removed from a completed ceremony, with their pages and outputs', async () => {
    const dir = ws.dir('flagship');
    const outputs = readEntries(dir)
      .filter((e) => e.step === 'backup-root-key' && e.type === 'result' && typeof (e.data.output as { path?: string })?.path === 'string')
      .map((e) => (e.data.output as { path: string }).path);
    const files = Object.fromEntries([...outputs, 'steps/10-approve-backup.pdf', 'steps/11-backup-root-key.pdf'].map((f) => [f, null]));
    const p = await attacked(without((e) => e.step === 'approve-backup' || e.step === 'backup-root-key'), files);
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: steps: step 10 approve-backup never completed, yet the ceremony is recorded completed (line 109)');
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: steps: step 11 backup-root-key never completed, yet the ceremony is recorded completed (line 109)');
  });

  it('one person shown holding both PIN halves', async () => {
    const p = await attacked(rename('"Crypto Officer 2 (rehearsal)"]', '"Crypto Officer 1 (rehearsal)"]'));
    expect(p.filter((x) => x.includes('pin halves:') && x.includes('Crypto Officer 1 (rehearsal) and Crypto Officer 1 (rehearsal)')).length).toBeGreaterThan(0);
    expect(p.join('\n')).toMatch(/dual control needs two distinct people/);
  });

  it('a person renamed everywhere: the officers\' signed approval of the record no longer verifies', async () => {
    const p = await attacked(rename('Internal Witness 1 (rehearsal)', 'Mallory'));
    expect(p, p.join('\n')).toContain('officers: journal.jsonl: approve-record: quorum not met: 0/3 crypto officer approvals verified before the step completed');
  });

  it('a typed record changed to a value the script does not allow', async () => {
    const p = await attacked(rename('TB-00420018', 'none'));
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: records: step 13 close: hsm-new-bag-serial "none" does not match the script\'s pattern');
  });

  it('a typed record changed after the officers approved the record: caught by the journal head on the paper log', async () => {
    const head = readEntries(ws.dir('flagship')).find((e) => e.type === 'ceremony.completed')!.hash;
    const dir = copy();
    await reseal(dir, { edit: rename('TB-00420018', 'TB-00420099') });
    expect(verifyDir(dir).ok).toBe(true);
    const r = verifyDir(dir, { head });
    expect(r.failing).toMatch(new RegExp(`^journal: journal.jsonl: the ceremony closed with journal head [0-9a-f]{64}, not the ${head} on the paper log \\(--head\\)$`));
    const words = headWords(head).map((w, i) => `${i + 1}. ${w}`).join('  ');
    expect(verifyDir(dir, { head: words }).failing).toMatch(/^journal: journal.jsonl: the ceremony closed with journal head words "[a-z ]+", not the "[a-z ]+" on the paper log \(--head\)$/);
    expect(verifyDir(ws.dir('flagship'), { head: words }).ok).toBe(true);
  });
});
