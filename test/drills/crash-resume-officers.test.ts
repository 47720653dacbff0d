// kill -9 drills for the officers' PIV tokens: an enrollment (test/fixtures/enroll-crash.yaml, two officers)
// is killed (real SIGKILL, through OFFICIANT_FAILPOINT) just before a device operation (PIN, PUK, management
// key, key generation, certificate import, test signature: the operation did not happen) and just after one
// (the journal write after the operation's intent: the operation happened, its result was lost), and at the
// writes around the officer's roster entry; an approval drill (test/fixtures/approval-drill.yaml, officers
// from a finished enrollment rehearsal) is killed before every token signature and at journal writes inside
// its quorum steps. Then `officiant resume` must finish the ceremony. What each kill leaves is copied by one
// uninterrupted rehearsal of each script while it waits at the point (OFFICIANT_FAILPOINT_SNAPSHOT, see
// crash-drill.ts), and each copy, with a sandbox of its own, is resumed.
// Enrollment checks: resume exits 0 and the packet verifies; the journal's chain holds and every intent has a result; the
// interrupted operation was reconciled as the device says (taken effect: not repeated; not taken effect:
// performed after the check); each piv.enroll step completed once; the roster lists each officer and each
// device once; each officer's 9a/9c certificate, attestation and spki_sha256 carry the public key the device
// holds now, and the slot holds that certificate and one private key (read from the SoftHSM token with
// pkcs11-tool, an outside tool, not through our reader); the device refuses the default PIN and management
// key and accepts the officer's PIN; the simulated PUK is not the default; the journal never records two
// different keys generated for one slot of one device.
// Approval checks: resume exits 0; verify finds nothing an honest run does not (it recomputes every check-in
// and approval); each quorum step has one statement and exactly `threshold` counted approvals by distinct
// officers; no officer's approval is recorded twice for one nonce.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JournalEntry, JsonObject } from '../../src/record/journal.js';
import { PIV_DEFAULTS } from '../../src/engine/ports.js';
import { pukDigest } from '../../src/adapters/piv/simulated-fleet-file.js';
import type { RosterBody, RosterFile } from '../../src/custody/roster.types.js';
import { officiant, ROOT, type CliResult } from '../helpers/cli.js';
import { SOFTHSM_MODULE } from '../helpers/softhsm.js';
import { verifyDir } from '../helpers/verify-dir.js';
import { assertNoOpenIntent, createCrashDrill, journalOf } from './crash-drill.js';

const ENROLL = join(ROOT, 'test/fixtures/enroll-crash.yaml');
const ENROLL_APPROVERS = join(ROOT, 'test/fixtures/enroll-drill.yaml');
const APPROVALS = join(ROOT, 'test/fixtures/approval-drill.yaml');
const ENROLL_STEPS = ['enroll-officer-1', 'enroll-officer-2'];
const QUORUM_STEPS = [
  { id: 'approve-record', threshold: 3 },
  { id: 'approve-close', threshold: 3 },
];
const SLOT_ID: Record<'9a' | '9c', string> = { '9a': '01', '9c': '02' };
const SLOT_LABEL: Record<'9a' | '9c', { certificate: string; privateKey: string }> = {
  '9a': { certificate: 'X.509 Certificate for PIV Authentication', privateKey: 'Private key for PIV Authentication' },
  '9c': { certificate: 'X.509 Certificate for Digital Signature', privateKey: 'Private key for Digital Signature' },
};

const run = promisify(execFile);
/** A drill is a resumed copy, a verify and pkcs11-tool reads; its clock starts when it runs. */
const DRILL_TIMEOUT = 600_000;
const drill = createCrashDrill('officiant-crash-officers-');
const env = drill.env;
/** The points whose hits an uninterrupted rehearsal copies (OFFICIANT_FAILPOINT_SNAPSHOT). */
const SNAPSHOT_POINTS = ['journal.append', 'piv.changePin', 'piv.generateKey', 'piv.importCertificate', 'piv.sign', 'piv.changePuk', 'piv.changeManagementKey'];

beforeAll(async () => {
  const checked = await Promise.all([ENROLL, APPROVALS].map((f) => officiant(['validate', f], { env })));
  expect(checked[0].stdout).toContain('valid (8 steps, 0 warning(s))');
  expect(checked[1].stdout).toContain('valid (4 steps, 1 warning(s))');
});

/** `officiant rehearse` of `script` into `out` without a crash, copying every hit of SNAPSHOT_POINTS to `<out>.snapshots`. */
function rehearseCopying(script: string, out: string, extra: string[] = []): Promise<CliResult> {
  const armed = { OFFICIANT_FAILPOINT_SNAPSHOT: `${out}.snapshots`, OFFICIANT_FAILPOINT_SNAPSHOT_POINTS: SNAPSHOT_POINTS.join(',') };
  return officiant(['rehearse', script, '--out', out, ...extra], { env: { ...env, ...armed } });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const spkiOf = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });


/** A device operation's name without the device serial the journal appends to it (piv.change-pin:10000001). */
function opName(e: JournalEntry): string {
  return String(e.data.op).replace(/:\d+$/, '');
}

function sandboxOf(out: string): { dir: string; people: string } {
  const p = JSON.parse(readFileSync(join(out, 'rehearsal.json'), 'utf8')) as { sandbox: string; people?: string };
  return { dir: p.sandbox, people: join(p.sandbox, p.people ?? 'people.json') };
}


/**
 * What a kill at `failpoint` (<point>#<n>) of the rehearsal `clean` left, copied with a sandbox of its own, then
 * resumed. Returns the directory, the resume and the journal as the kill left it.
 */
async function resumeCopy(clean: string, failpoint: string): Promise<{ out: string; resumed: CliResult; crashed: JournalEntry[] }> {
  const at = join(`${clean}.snapshots`, failpoint);
  expect(existsSync(join(at, 'out')), `${failpoint}: the uninterrupted rehearsal never reached it`).toBe(true);
  const out = drill.copyRehearsal(join(at, 'out'), failpoint, join(at, 'sandbox'));
  const crashed = journalOf(out);
  const resumed = await officiant(['resume', out], { env });
  return { out, resumed, crashed };
}

// ---------------------------------------------------------------------------------------------------------
// Enrollment

/** pkcs11-tool against the sandbox's SoftHSM: the simulated device `serial` is the token piv-<serial>. */
async function onDevice(out: string, serial: string, args: string[]): Promise<{ ok: boolean; stdout: Buffer; stderr: string }> {
  const e = { ...env, SOFTHSM2_CONF: join(sandboxOf(out).dir, 'softhsm2.conf') };
  try {
    const r = await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', `piv-${serial}`, ...args], { env: e, encoding: 'buffer' });
    return { ok: true, stdout: r.stdout, stderr: r.stderr.toString() };
  } catch (err) {
    const x = err as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, stdout: x.stdout ?? Buffer.alloc(0), stderr: String(x.stderr ?? '') };
  }
}

async function assertEnrolled(out: string): Promise<void> {
  const entries = journalOf(out);
  expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
  expect(entries.filter((e) => e.type === 'ceremony.completed')).toHaveLength(1);
  assertNoOpenIntent(entries);
  for (const id of [...ENROLL_STEPS, 'sign-roster']) expect(entries.filter((e) => e.type === 'step.completed' && e.step === id), id).toHaveLength(1);
  // An attempt cut short after its officer-enrolled record leaves that record in the journal (nothing is ever
  // removed); the step run again records the same officer on the same device, and only that one counts.
  const enrolled = entries.filter((e) => e.type === 'step.event' && e.data.what === 'officer-enrolled');
  expect([...new Set(enrolled.map((e) => e.step))]).toEqual(ENROLL_STEPS);
  for (const step of ENROLL_STEPS) {
    const records = enrolled.filter((e) => e.step === step).map((e) => e.data.officer as { id: string; device: { serial: string } });
    expect(new Set(records.map((o) => `${o.id} ${o.device.serial}`)).size, step).toBe(1);
  }

  const file = JSON.parse(readFileSync(join(out, 'outputs', 'roster.json'), 'utf8')) as RosterFile;
  const body = JSON.parse(Buffer.from(file.roster.payload, 'base64').toString('utf8')) as RosterBody;
  expect(body.officers).toHaveLength(ENROLL_STEPS.length);
  expect(new Set(body.officers.map((o) => o.id)).size).toBe(ENROLL_STEPS.length);
  expect(new Set(body.officers.map((o) => o.name)).size).toBe(ENROLL_STEPS.length);
  expect(new Set(body.officers.map((o) => o.device.serial)).size).toBe(ENROLL_STEPS.length);
  expect(file.roster.signatures.map((s) => s.officer).sort()).toEqual(body.officers.map((o) => o.id).sort());

  // The journal never records two different keys generated for one slot of one device.
  const intents = new Map(entries.filter((e) => e.type === 'intent').map((e) => [e.seq, e]));
  const generated = new Map<string, Set<string>>();
  for (const r of entries.filter((e) => e.type === 'result' && e.data.ok === true && String(e.data.op).startsWith('piv.generate-key:'))) {
    const p = intents.get(r.data.intent as number)!.data.params as JsonObject;
    const k = `${String(p.device)}/${String(p.slot)}`;
    generated.set(k, (generated.get(k) ?? new Set()).add(String((r.data.output as JsonObject).spkiSha256)));
  }
  expect(generated.size).toBe(ENROLL_STEPS.length * 2);
  for (const [k, keys] of generated) expect([...keys], k).toHaveLength(1);

  const people = JSON.parse(readFileSync(sandboxOf(out).people, 'utf8')) as { secrets: Record<string, Record<string, string>> };
  const fleet = JSON.parse(readFileSync(join(sandboxOf(out).dir, 'piv-devices.json'), 'utf8')) as { devices: Array<{ serial: string; puk: { salt: string; hash: string } }> };
  for (const o of body.officers) {
    const serial = o.device.serial;
    for (const slot of ['9a', '9c'] as const) {
      // The public key the device holds now, read with pkcs11-tool (public objects need no login).
      const pub = await onDevice(out, serial, ['--read-object', '--type', 'pubkey', '--id', SLOT_ID[slot]]);
      expect(pub.ok, `${serial} ${slot}: ${pub.stderr}`).toBe(true);
      const key = o.keys[slot]!;
      expect(spkiOf(key.certificate).equals(pub.stdout), `${o.id} ${slot}: certificate key is not the device's`).toBe(true);
      expect(spkiOf(key.attestation).equals(pub.stdout), `${o.id} ${slot}: attestation key is not the device's`).toBe(true);
      expect(key.spki_sha256).toBe(sha256(pub.stdout));
      expect([...generated.get(`${serial}/${slot}`)!]).toEqual([sha256(pub.stdout)]);
      const cert = await onDevice(out, serial, ['--read-object', '--type', 'cert', '--label', SLOT_LABEL[slot].certificate]);
      expect(cert.ok, cert.stderr).toBe(true);
      expect(sha256(cert.stdout), `${o.id} ${slot}: the slot holds another certificate than the roster's`).toBe(key.certificate_sha256);
    }
    // The officer's PIN opens the device, and it holds one private key per slot (and the attestation key).
    const pin = people.secrets[o.name]['piv-pin'];
    expect(pin).toMatch(/^\S{6,8}$/);
    const priv = await onDevice(out, serial, ['--login', '--pin', pin, '--list-objects', '--type', 'privkey']);
    expect(priv.ok, priv.stderr).toBe(true);
    const labels = [...priv.stdout.toString().matchAll(/label:\s+(.+)/g)].map((m) => m[1].trim()).sort();
    expect(labels).toEqual([SLOT_LABEL['9a'].privateKey, SLOT_LABEL['9c'].privateKey, 'Private key for PIV Attestation'].sort());
    // Nothing is left at its factory default.
    const defaultPin = await onDevice(out, serial, ['--login', '--pin', PIV_DEFAULTS.pin, '--list-objects', '--type', 'privkey']);
    expect(defaultPin.ok, `${serial} still takes the default PIN`).toBe(false);
    expect(defaultPin.stderr).toContain('CKR_PIN_INCORRECT');
    const defaultMgmt = await onDevice(out, serial, ['--session-rw', '--login', '--login-type', 'so', '--so-pin', PIV_DEFAULTS.managementKey, '--list-objects']);
    expect(defaultMgmt.ok, `${serial} still takes the default management key`).toBe(false);
    expect(defaultMgmt.stderr).toContain('CKR_PIN_INCORRECT');
    const rec = fleet.devices.find((d) => d.serial === serial)!;
    const defaultPuk = pukDigest(Buffer.from(PIV_DEFAULTS.puk), Buffer.from(rec.puk.salt, 'hex'), 32).toString('hex');
    expect(rec.puk.hash, `${serial} still has the default PUK`).not.toBe(defaultPuk);
    // The test signature with the new PIN verified (the last one the step made, for a step made twice).
    const tests = entries.filter((e) => e.type === 'step.event' && e.data.what === 'piv-test-signature' && e.data.device === serial);
    expect(tests.length).toBeGreaterThan(0);
    expect(tests[tests.length - 1].data.verified).toBe(true);
  }
}

/** How the interrupted operation must have been settled on resume. */
type Settled = 'taken' | 'redone' | 'none';

/** The ops whose device (or HSM) operation is interrupted at each point, and how reconciliation settles it. */
const PIV_POINTS: Array<{ point: string; n: number; step: string; op?: string }> = [
  { point: 'piv.changePin', n: 1, step: 'enroll-officer-1', op: 'piv.change-pin' },
  { point: 'piv.generateKey', n: 1, step: 'enroll-officer-1', op: 'piv.generate-key:9a' },
  { point: 'piv.generateKey', n: 3, step: 'enroll-officer-2', op: 'piv.generate-key:9a' },
  { point: 'piv.importCertificate', n: 1, step: 'enroll-officer-1', op: 'piv.import-certificate:9a' },
  { point: 'piv.importCertificate', n: 3, step: 'enroll-officer-2', op: 'piv.import-certificate:9a' },
  { point: 'piv.sign', n: 1, step: 'enroll-officer-1' }, // the test signature
  { point: 'piv.changePuk', n: 1, step: 'enroll-officer-1', op: 'piv.change-puk' },
  { point: 'piv.changeManagementKey', n: 1, step: 'enroll-officer-1', op: 'piv.change-management-key' },
];

/** Journal writes of the first enrollment step, found in an uninterrupted run. */
const AFTER_INTENT: Array<{ op: string; settled: Settled }> = [
  { op: 'piv.change-pin', settled: 'taken' },
  { op: 'piv.generate-key:9a', settled: 'taken' },
  { op: 'piv.generate-key:9c', settled: 'taken' },
  { op: 'piv.issue-certificate:9a', settled: 'redone' }, // HSM signing leaves nothing on the token: made again
  { op: 'piv.import-certificate:9a', settled: 'taken' },
  { op: 'piv.import-certificate:9c', settled: 'taken' },
  { op: 'piv.change-puk', settled: 'redone' }, // a PUK cannot be checked without using it
  { op: 'piv.change-management-key', settled: 'taken' },
];
const AT_EVENT = ['piv-test-signature', 'officer-enrolled', 'step.completed'] as const;

function assertSettled(entries: JournalEntry[], intent: JournalEntry, settled: Settled): void {
  const results = entries.filter((e) => e.type === 'result' && e.data.intent === intent.seq);
  expect(results, `results of ${String(intent.data.op)}`).toHaveLength(1);
  const r = results[0].data;
  const later = entries.filter((e) => e.type === 'intent' && e.seq > intent.seq && e.step === intent.step && e.data.op === intent.data.op);
  if (settled === 'taken') {
    expect(r).toMatchObject({ ok: true, reconciled: true, note: 'had taken effect before the interruption' });
    expect(later).toEqual([]);
  } else {
    expect(r.ok).toBe(false);
    expect(r.reconciled).toBe(true);
    expect(later).toHaveLength(1);
    expect(entries.find((e) => e.type === 'result' && e.data.intent === later[0].seq)?.data.ok).toBe(true);
  }
}

describe('officer enrollment killed before and after each device operation, then resumed', () => {
  let clean: JournalEntry[];
  const enrollClean = drill.dir('enroll-clean');
  beforeAll(async () => {
    const r = await rehearseCopying(ENROLL, enrollClean);
    expect(r.code, r.stderr).toBe(0);
    await assertEnrolled(enrollClean);
    clean = journalOf(enrollClean);
  });

  async function enrollDrill(failpoint: string, expectSettled?: (entries: JournalEntry[], crashed: JournalEntry[]) => void): Promise<void> {
    const { out, resumed, crashed } = await resumeCopy(enrollClean, failpoint);
    expect(resumed.code, `${failpoint} resume:\n${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    const verified = verifyDir(out);
    expect(verified.ok, `${failpoint} verify:\n${verified.failing}`).toBe(true);
    await assertEnrolled(out);
    expectSettled?.(journalOf(out), crashed);
    rmSync(out, { recursive: true, force: true });
  }

  describe.concurrent('killed just before the device operation (it did not happen)', () => {
    for (const { point, n, step, op } of PIV_POINTS) {
      it(`${point}#${n}`, async () => {
        await enrollDrill(`${point}#${n}`, (entries, crashed) => {
          const last = crashed[crashed.length - 1];
          expect(last.step).toBe(step);
          if (!op) {
            // The test signature is no journaled operation: the step signs again on resume.
            assertNoOpenIntent(crashed);
            return;
          }
          expect(last.type).toBe('intent');
          expect(opName(last)).toBe(op);
          assertSettled(entries, last, 'redone');
          const r = entries.find((e) => e.type === 'result' && e.data.intent === last.seq)!;
          expect((r.data.error as JsonObject).code).toBe('not-applied');
        });
      }, DRILL_TIMEOUT);
    }
  });

  describe.concurrent('killed at the journal write after the intent (the operation happened, its result was lost)', () => {
    for (const { op, settled } of AFTER_INTENT) {
      it(`${op}: ${settled === 'taken' ? 'found on the device, not repeated' : 'performed again'}`, async () => {
        const intent = clean.find((e) => e.type === 'intent' && e.step === ENROLL_STEPS[0] && opName(e) === op)!;
        expect(clean[intent.seq].type).toBe('result'); // the next write is this intent's result
        await enrollDrill(`journal.append#${intent.seq + 1}`, (entries, crashed) => {
          expect(crashed).toHaveLength(intent.seq);
          expect(opName(entries[intent.seq - 1])).toBe(op);
          assertSettled(entries, entries[intent.seq - 1], settled);
        });
      }, DRILL_TIMEOUT);
    }
    for (const what of AT_EVENT) {
      it(`before the ${what} entry of the first enrollment`, async () => {
        const at = clean.find((e) => e.step === ENROLL_STEPS[0] && (e.type === what || (e.type === 'step.event' && e.data.what === what)))!;
        await enrollDrill(`journal.append#${at.seq}`, (_entries, crashed) => expect(crashed).toHaveLength(at.seq - 1));
      }, DRILL_TIMEOUT);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Approvals


function assertApproved(out: string): void {
  const entries = journalOf(out);
  expect(entries[entries.length - 1].type).toBe('ceremony.sealed');
  assertNoOpenIntent(entries);
  for (const { id, threshold } of QUORUM_STEPS) {
    expect(entries.filter((e) => e.type === 'step.completed' && e.step === id), id).toHaveLength(1);
    // A resume goes on with the statement made before the interruption: approvals already given still count.
    const statements = entries.filter((e) => e.step === id && e.type === 'step.event' && e.data.what === 'approval-statement');
    expect(statements, id).toHaveLength(1);
    const nonce = (statements[0].data.statement as JsonObject).nonce;
    const counted = entries.filter((e) => e.step === id && e.type === 'step.event' && e.data.what === 'approval' && e.data.nonce === nonce);
    expect(counted, id).toHaveLength(threshold);
    expect(new Set(counted.map((e) => e.data.officer)).size, id).toBe(threshold);
    expect(entries.filter((e) => e.step === id && e.type === 'step.event' && e.data.what === 'approval-refused'), id).toEqual([]);
  }
  const approvals = entries.filter((e) => e.type === 'step.event' && e.data.what === 'approval').map((e) => `${String(e.data.officer)} ${String(e.data.nonce)}`);
  expect(approvals.length - new Set(approvals).size, 'an officer approved one nonce twice').toBe(0);
}

describe('approvals killed before every token signature and inside the quorum steps, then resumed', () => {
  const approvalsClean = drill.dir('approvals-clean');
  let honest: JournalEntry[];
  /** The verifier's verdict on an uninterrupted run: a drill may fail no group that one passes. */
  let honestFailing: string[];

  beforeAll(async () => {
    const officers = drill.dir('approvers');
    const enrolled = await officiant(['rehearse', ENROLL_APPROVERS, '--out', officers], { env });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const r = await rehearseCopying(APPROVALS, approvalsClean, ['--officers', officers]);
    expect(r.code, r.stderr).toBe(0);
    assertApproved(approvalsClean);
    honest = journalOf(approvalsClean);
    const report = verifyDir(approvalsClean);
    honestFailing = report.groups.filter((g) => !g.ok).map((g) => g.name);
    // approval-drill.yaml has no HSM, hence no evidence key: its packet is unsigned, and verify says so (see
    // the report). Everything else, the recomputed check-ins and approvals included, must hold.
    expect(honestFailing.filter((g) => !['manifest', 'pdf signatures', 'evidence key'].includes(g))).toEqual([]);
    expect(report.ok).toBe(honestFailing.length === 0);
  });

  async function approvalDrill(failpoint: string): Promise<void> {
    const { out, resumed } = await resumeCopy(approvalsClean, failpoint);
    expect(resumed.code, `${failpoint} resume:\n${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    const report = verifyDir(out);
    expect(report.groups.filter((g) => !g.ok).map((g) => g.name), `${failpoint} verify: ${report.failing}`).toEqual(honestFailing);
    expect(report.ok).toBe(honestFailing.length === 0);
    const notes = report.groups.find((g) => g.name === 'officers')!.notes;
    for (const { id, threshold } of QUORUM_STEPS) expect(notes.some((n) => n.includes(`${id}: ${threshold}/${threshold} crypto officer approvals verified`)), id).toBe(true);
    assertApproved(out);
    rmSync(out, { recursive: true, force: true });
  }

  it('an honest run makes one token signature per check-in, approval and countersignature', () => {
    const signatures = honest.filter((e) => e.type === 'step.event' && typeof e.data.signature === 'string');
    // 4 check-ins, 3 approvals in each of the two quorum steps, 3 countersignatures of the closing entry.
    expect(signatures).toHaveLength(4 + 3 + 3 + 3);
  });

  // Side by side: each copy has a sandbox (the officers' simulated tokens) of its own.
  describe.concurrent('killed just before the k-th token signature', () => {
    for (let k = 1; k <= 10; k++) it(`piv.sign#${k}`, () => approvalDrill(`piv.sign#${k}`), DRILL_TIMEOUT);
  });

  describe.concurrent('killed at journal writes inside the quorum steps', () => {
    const cases: Array<[string, (step: JournalEntry[]) => JournalEntry]> = [
      ['the statement', (s) => s.find((e) => e.data.what === 'approval-statement')!],
      ['the first approval', (s) => s.find((e) => e.data.what === 'approval')!],
      ['the last approval', (s) => s.filter((e) => e.data.what === 'approval').pop()!],
      ['step.completed', (s) => s.find((e) => e.type === 'step.completed')!],
    ];
    for (const { id } of QUORUM_STEPS) {
      for (const [what, pick] of cases) {
        it(`${id}: before ${what}`, async () => {
          const at = pick(honest.filter((e) => e.step === id));
          expect(at).toBeDefined();
          await approvalDrill(`journal.append#${at.seq}`);
        }, DRILL_TIMEOUT);
      }
    }
  });
});
