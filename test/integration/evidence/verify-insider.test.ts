// What an insider who can activate the evidence key (any two PIN-half holders) can do to a sealed packet, and
// what verify then says. Each test rewrites a copy of a real flagship rehearsal (officers enrolled on simulated
// PIV tokens, their approvals, a 3-of-5 backup) with the insider's kit: the journal edited and re-chained,
// files replaced, PDFs and the manifest re-signed inside the HSM with the packet's own evidence key. The first
// test proves the kit itself leaves a packet that verifies, so every failure below is the rule's doing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rehearsalWorkspace } from '../../helpers/rehearsal-workspace.js';
import { readEntries, reseal, type Draft } from '../../helpers/insider.js';
import { verifyDir } from '../../helpers/verify-dir.js';
import { headWords } from '../../../src/record/digest-words.js';

const ws = rehearsalWorkspace('officiant-insider-');
afterAll(() => rmSync(ws.work, { recursive: true, force: true }));

let n = 0;
const copy = () => ws.copyOf('flagship', `m${++n}`);

beforeAll(() => {
  ws.expectCompleted(ws.rehearse('ceremonies/officer-enrollment.yaml', 'officers'), 14);
  // Roster version 2 revokes an officer (one who is not checked in, a custodian); the flagship then runs with
  // the officers' roster version 1, and backs the root key up to all five custodians, the revoked one too.
  expect(ws.rehearse('ceremonies/officer-revocation.yaml', 'revocation', { officers: 'officers' }).code).toBe(0);
  ws.expectCompleted(ws.rehearse('ceremonies/release-authority-init.yaml', 'flagship', { officers: 'officers' }), 14);
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
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: sign-offs: step 14 close: no sign-off by Auditor 1 (rehearsal) (Auditor) before the step completed');
  });

  it('a sign-off added by someone the script does not ask', async () => {
    const p = await attacked((es) => {
      const at = es.findIndex((e) => e.step === 'room-and-hardware' && e.type === 'step.completed');
      es.splice(at, 0, { ...es[at], type: 'step.event', actor: 'Auditor 1 (rehearsal) (Auditor)', data: { what: 'sign-off', answer: true } });
      return es;
    });
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: sign-offs: step 4 room-and-hardware: a sign-off by Auditor 1 (rehearsal), whose role (Auditor) the script does not ask to sign off');
  });

  it('an approval step deleted, with its page', async () => {
    const p = await attacked(without((e) => e.step === 'approve-backup'), { 'steps/11-approve-backup.pdf': null });
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: steps: step 11 approve-backup never completed, yet the ceremony is recorded completed (line 140)');
  });

  it('the backup steps removed from a completed ceremony, with their pages and outputs', async () => {
    const dir = ws.dir('flagship');
    const outputs = readEntries(dir)
      .filter((e) => e.step === 'backup-root-key' && e.type === 'result' && typeof (e.data.output as { path?: string })?.path === 'string')
      .map((e) => (e.data.output as { path: string }).path);
    const files = Object.fromEntries([...outputs, 'steps/11-approve-backup.pdf', 'steps/12-backup-root-key.pdf'].map((f) => [f, null]));
    const p = await attacked(without((e) => e.step === 'approve-backup' || e.step === 'backup-root-key'), files);
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: steps: step 11 approve-backup never completed, yet the ceremony is recorded completed (line 110)');
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: steps: step 12 backup-root-key never completed, yet the ceremony is recorded completed (line 110)');
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
    expect(p, p.join('\n')).toContain('ceremony: journal.jsonl: records: step 14 close: hsm-new-bag-serial "none" does not match the script\'s pattern');
  });

  it('a typed record changed after the officers approved the record: the page no longer matches, and the paper log\'s head differs', async () => {
    const head = readEntries(ws.dir('flagship')).find((e) => e.type === 'ceremony.completed')!.hash;
    const dir = copy();
    await reseal(dir, { edit: rename('TB-00420018', 'TB-00420099') });
    expect(verifyDir(dir).failing).toMatch(/^chain: steps\/14-close\.pdf: is bound to journal entry [0-9a-f]{16}…, but step 14 ended with [0-9a-f]{16}… \(journal\.jsonl line 146\)(;|$)/m);
    const r = verifyDir(dir, { head });
    expect(r.failing).toMatch(new RegExp(`^journal: journal.jsonl: the ceremony closed with journal head [0-9a-f]{64}, not the ${head} on the paper log \\(--head\\)$`, 'm'));
    const words = headWords(head).map((w, i) => `${i + 1}. ${w}`).join('  ');
    expect(verifyDir(dir, { head: words }).failing).toMatch(/^journal: journal.jsonl: the ceremony closed with journal head words "[a-z ]+", not the "[a-z ]+" on the paper log \(--head\)$/m);
    expect(verifyDir(ws.dir('flagship'), { head: words }).ok).toBe(true);
    expect(verifyDir(ws.dir('flagship'), { head }).ok).toBe(true);
    // The officers' countersignature of the closing entry no longer matches the rewritten record.
    expect(verifyDir(dir).failing).toMatch(/^officers: journal\.jsonl: countersign: the countersign statement is not the one recomputed from the journal \(ceremony, outcome, head [0-9a-f]{16}… at line 149, record up to line 149\)$/m);
  });

  it('the officers\' countersignature removed: the completed record is FAILED, not merely unpinned', async () => {
    const p = await attacked(without((e) => e.type === 'step.event' && String(e.data.what).startsWith('countersign')));
    expect(p, p.join('\n')).toContain('officers: journal.jsonl: countersign: the officers did not countersign the record (no countersign statement after line 149)');
  });

  it('one countersignature removed: fewer than the roster\'s threshold', async () => {
    let dropped = false;
    const p = await attacked(without((e) => e.data.what === 'countersignature' && !dropped && (dropped = true)));
    expect(p, p.join('\n')).toContain('officers: journal.jsonl: countersign: 2 of the roster\'s 3 officers countersigned the record (Crypto Officer 2 (rehearsal), Crypto Officer 3 (rehearsal))');
  });

  it('a countersignature credited to another officer', async () => {
    const p = await attacked((es) => {
      const e = es.find((x) => x.data.what === 'countersignature')!;
      e.data = { ...e.data, name: 'Crypto Officer 4 (rehearsal)', officer: 'crypto-officer-4-rehearsal' };
      return es;
    });
    expect(p, p.join('\n')).toContain('officers: journal.jsonl: countersign: by device 10000001: recorded as "Crypto Officer 4 (rehearsal)", the roster gives it to Crypto Officer 1 (rehearsal)');
  });

  it('a completed ceremony rewritten as one aborted in its last step (a typed record changed, no countersignature): FAILED', async () => {
    const p = await attacked((es) => {
      const end = es.findIndex((e) => e.step === 'close' && e.type === 'step.completed');
      const kept = JSON.parse(JSON.stringify(es.slice(0, end)).split('TB-00420018').join('TB-00420099')) as Draft[];
      const last = kept[kept.length - 1];
      return [
        ...kept,
        { ...last, type: 'step.failed', step: 'close', actor: 'system', data: { code: 'hsm.error', message: 'CKR_DEVICE_ERROR' } },
        { ...last, type: 'ceremony.aborted', step: 'close', actor: 'Ceremony Administrator 1 (rehearsal) (Ceremony Administrator)', data: { reason: 'device error', failure: 'CKR_DEVICE_ERROR' } },
        ...es.filter((e) => e.type === 'ceremony.sealed' || String(e.data.op ?? '').startsWith('seal:')),
      ];
    });
    expect(p, p.join('\n')).toContain('officers: journal.jsonl: countersign: the officers did not countersign the record (no countersign statement after line 147)');
  });

  it('a login to the release token added after the countersign statement (by the real PIN holders)', async () => {
    const p = await attacked((es) => {
      const at = es.findIndex((e) => e.data.what === 'countersign-closed');
      const site = es[0].data.site as { tokenLabel: string };
      const by = ['Crypto Officer 1 (rehearsal)', 'Crypto Officer 2 (rehearsal)'];
      es.splice(at + 1, 0, { ...es[at], type: 'step.event', step: 'ceremony', actor: 'Crypto Officer 1 (rehearsal) (Crypto Officer)', data: { what: 'hsm-login', token: site.tokenLabel, serial: 'x', by } });
      return es;
    });
    expect(p.filter((x) => /^officers: journal\.jsonl: after the end: line \d+: hsm-login to token "[^"]+" \(step ceremony\) recorded after the officers' countersign statement \(line \d+\), which does not cover it; only the evidence key's token may be activated to seal$/.test(x)), p.join('\n')).toHaveLength(1);
  });

  it('an entry added after the closing entry', async () => {
    const p = await attacked((es) => {
      const at = es.findIndex((e) => e.type === 'ceremony.completed');
      es.splice(at + 1, 0, { ...es[at], type: 'step.event', step: 'close', actor: 'Auditor 1 (rehearsal) (Auditor)', data: { what: 'recorded', field: 'hsm-new-bag-serial', value: 'TB-00420099' } });
      return es;
    });
    expect(p, p.join('\n')).toContain('officers: journal.jsonl: after the end: line 150: step.event recorded (step close) recorded after the ceremony ended (line 149)');
  });
});

/** Problems of verify on a copy of `from` rewritten by the insider. */
async function rewritten(from: string, r: Parameters<typeof reseal>[1], pins: Parameters<typeof verifyDir>[1] = {}): Promise<string[]> {
  const dir = ws.copyOf(from, `r${++n}`);
  await reseal(dir, r);
  return verifyDir(dir, pins).groups.flatMap((g) => g.problems.map((p) => `${g.name}: ${p}`));
}

function selfSignedCertificate(subject: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'insider-cert-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-days', '30', '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return readFileSync(join(dir, 'c'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('an insider splices outputs and pages, and reseals', () => {
  it('the release root certificate replaced by one for a key that never was in the HSM', async () => {
    const subject = '/C=DE/O=Example OS Vendor/OU=Release Signing Authority/CN=Production Release Root 2026';
    const p = await rewritten('flagship', { files: { 'outputs/release-root-2026.cert.pem': selfSignedCertificate(subject) } });
    expect(p.filter((x) => x.startsWith('outputs: outputs/release-root-2026.cert.pem: certifies a key (SPKI ')), p.join('\n')).toHaveLength(1);
  });

  it('the enrollment CA certificate replaced: its key was never generated, and the officers\' certificates no longer verify under it', async () => {
    const p = await rewritten('officers', { files: { 'outputs/officer-enrollment-ca.cert.pem': selfSignedCertificate('/O=Example OS Vendor/OU=OTA Manifest Signing Authority/CN=Officer Enrollment CA') } });
    expect(p, p.join('\n')).toContain(p.find((x) => x.startsWith('outputs: outputs/officer-enrollment-ca.cert.pem: certifies a key (SPKI ')));
    expect(p.filter((x) => /^outputs: outputs\/officer-crypto-officer-1-rehearsal-9a\.cert\.pem: the signature does not verify under its issuer's key/.test(x)), p.join('\n')).toHaveLength(1);
  });

  it('a step page from another ceremony, re-signed with this packet\'s evidence key', async () => {
    const foreign = readFileSync(join(ws.dir('revocation'), 'steps/02-check-in.pdf'));
    const p = await rewritten('flagship', { files: { 'steps/02-check-in.pdf': foreign }, resign: ['steps/02-check-in.pdf'] });
    const other = readEntries(ws.dir('revocation'))[0].data.ceremonyId as string;
    const mine = readEntries(ws.dir('flagship'))[0].data.ceremonyId as string;
    expect(p, p.join('\n')).toContain(`chain: steps/02-check-in.pdf: is a page of ceremony ${other}, not of this one (${mine})`);
  });

  it('packet.pdf replaced by another ceremony\'s packet, re-signed with this packet\'s evidence key', async () => {
    const p = await rewritten('flagship', { files: { 'packet.pdf': readFileSync(join(ws.dir('officers'), 'packet.pdf')) }, resign: ['packet.pdf'] });
    expect(p.filter((x) => x.startsWith('chain: packet.pdf: is the packet of ceremony ')), p.join('\n')).toHaveLength(1);
    expect(p.filter((x) => x.startsWith('chain: packet.pdf: was made from other step pages')), p.join('\n')).toHaveLength(1);
  });

  it('a page of this ceremony moved to another step', async () => {
    const page3 = readFileSync(join(ws.dir('flagship'), 'steps/04-room-and-hardware.pdf'));
    const p = await rewritten('flagship', { files: { 'steps/05-hsm-tamper-bag.pdf': page3 } });
    expect(p, p.join('\n')).toContain('chain: steps/05-hsm-tamper-bag.pdf: is the page of step 4 room-and-hardware, not of step 5 hsm-tamper-bag');
  });
});

describe('the roster an auditor holds (--roster)', () => {
  const rosterFile = (name: string) => JSON.parse(readFileSync(join(ws.dir(name), 'outputs/roster.json'), 'utf8')) as { roster: { payload_sha256: string } };

  it('the roster the ceremony started with verifies, as a file or by its SHA-256', () => {
    const v1 = rosterFile('officers');
    expect(verifyDir(ws.dir('flagship'), { roster: { file: v1 } }).failing).toBe('');
    expect(verifyDir(ws.dir('flagship'), { roster: { sha256: v1.roster.payload_sha256 } }).failing).toBe('');
  });

  it('another roster is FAILED', () => {
    const r = verifyDir(ws.dir('flagship'), { roster: { sha256: 'ab'.repeat(32) } });
    expect(r.failing).toMatch(/^officers: roster\.json: roster sha256 [0-9a-f]{16}… is not the pinned (ab){32} \(--roster\)$/);
  });

  it('a later roster that revoked an officer before the ceremony: the revoked custodian who took part is FAILED by name', () => {
    const r = verifyDir(ws.dir('flagship'), { roster: { file: rosterFile('revocation') } });
    expect(r.ok).toBe(false);
    expect(r.failing).toMatch(/^officers: journal\.jsonl: Crypto Officer \d \(rehearsal\) \(crypto-officer-\d-rehearsal, device 1000000\d\) takes part in this ceremony, but the pinned roster version 2 shows them revoked at \S+ \(.+\), before the ceremony started at \S+ \(--roster\)$/);
    // Without the newer roster, the packet alone cannot know.
    expect(verifyDir(ws.dir('flagship')).ok).toBe(true);
  });
});
