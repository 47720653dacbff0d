// Officers joining the live roster, rehearsed end to end on the same sandbox: an enrollment (roster version 1),
// then ceremonies/officer-addition.yaml (three officers approve; the roster's own enrollment CA, found on the
// enrollment HSM, certifies the newcomer's token; version 2 names version 1), then
// ceremonies/officer-token-replacement.yaml (a lost device revoked, the same person enrolled on a new token:
// version 3). Checked from the outside: openssl for the certificate chain, `officiant verify` for each packet,
// `keyring export --previous` for the roster chain.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../../helpers/cli.js';
import { parseJournal } from '../../../src/record/journal.js';

const work = mkdtempSync(join(tmpdir(), 'officiant-joins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { ...process.env, OFFICIANT_SANDBOX_ROOT: join(work, 'sandboxes') };
delete env.SOFTHSM2_CONF;
const cli = (args: string[]) => execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface Officer {
  id: string;
  name: string;
  roles: string[];
  status: string;
  device: { serial: string };
  keys: Record<string, { certificate: string }>;
}
interface Roster {
  version: number;
  previous_sha256: string | null;
  enrollment_ca: { pem: string; sha256: string };
  officers: Officer[];
}
const rosterOf = (dir: string) => {
  const file = JSON.parse(readFileSync(join(work, dir, 'outputs/roster.json'), 'utf8'));
  return { body: JSON.parse(Buffer.from(file.roster.payload, 'base64').toString('utf8')) as Roster, sha256: file.roster.payload_sha256 as string };
};

let v1: ReturnType<typeof rosterOf>;
let v2: ReturnType<typeof rosterOf>;
let v3: ReturnType<typeof rosterOf>;
let replacement: string;

beforeAll(() => {
  expect(cli(['rehearse', join(ROOT, 'test/fixtures/enroll-drill.yaml'), '--out', join(work, 'enroll')])).toContain('completed: 11 steps');
  expect(cli(['rehearse', join(ROOT, 'ceremonies/officer-addition.yaml'), '--officers', join(work, 'enroll'), '--out', join(work, 'add')])).toContain('completed: 8 steps');
  replacement = cli(['rehearse', join(ROOT, 'ceremonies/officer-token-replacement.yaml'), '--officers', join(work, 'add'), '--out', join(work, 'replace')]);
  expect(replacement).toContain('completed: 9 steps');
  [v1, v2, v3] = ['enroll', 'add', 'replace'].map(rosterOf);
}, 600_000);

describe('an officer joins the live roster', () => {
  it('version 2 names version 1, keeps its officers and its enrollment CA, and adds the newcomer', () => {
    expect(v2.body.version).toBe(2);
    expect(v2.body.previous_sha256).toBe(v1.sha256);
    expect(v2.body.enrollment_ca.sha256).toBe(v1.body.enrollment_ca.sha256);
    const added = v2.body.officers.filter((o) => !v1.body.officers.some((p) => p.id === o.id));
    expect(added.map((o) => [o.status, o.roles])).toEqual([['active', ['crypto-officer', 'custodian']]]);
    expect(v2.body.officers.slice(0, v1.body.officers.length)).toEqual(v1.body.officers);
  });

  it("the newcomer's slot certificates chain to the roster's enrollment CA (openssl), issued by its key on the enrollment HSM", () => {
    const newcomer = v2.body.officers.at(-1)!;
    const ca = join(work, 'ca.pem');
    writeFileSync(ca, v1.body.enrollment_ca.pem);
    for (const slot of ['9a', '9c', '9d']) {
      const cert = join(work, `new-${slot}.pem`);
      writeFileSync(cert, newcomer.keys[slot].certificate);
      expect(execFileSync('openssl', ['verify', '-CAfile', ca, cert], { encoding: 'utf8' }).trim()).toBe(`${cert}: OK`);
    }
    const entries = parseJournal(readFileSync(join(work, 'add/journal.jsonl'), 'utf8')).entries;
    expect(entries.find((e) => e.data.what === 'enrollment-ca')?.data).toMatchObject({ label: 'officer-enrollment-ca', certificate_sha256: v1.body.enrollment_ca.sha256, roster_version: 1 });
    // The current quorum approved the enrollment before it happened.
    const approved = entries.findIndex((e) => e.type === 'step.completed' && e.step === 'approve-enrollment');
    const enrolled = entries.findIndex((e) => e.type === 'step.started' && e.step === 'enroll-new-officer');
    expect(approved).toBeGreaterThan(0);
    expect(approved).toBeLessThan(enrolled);
  });

  it('every packet verifies, and the keyring of version 2 exports against version 1', () => {
    for (const dir of ['add', 'replace']) expect(cli(['verify', join(work, dir)]).trim().split('\n').at(-1)).toMatch(/^verified/);
    const out = cli(['keyring', 'export', '--roster', join(work, 'add/outputs/roster.json'), '--previous', join(work, 'enroll/outputs/roster.json'), '--out', join(work, 'keyring.json')]);
    expect(out).toContain('keyring');
  });
});

describe("an officer's lost token replaced", () => {
  it('version 3 marks the lost device revoked and lists the new one; the page says a custodian\'s backups must be re-shared', () => {
    expect(v3.body.version).toBe(3);
    expect(v3.body.previous_sha256).toBe(v2.sha256);
    const revoked = v3.body.officers.filter((o) => o.status === 'revoked');
    expect(revoked).toHaveLength(1);
    const added = v3.body.officers.filter((o) => !v2.body.officers.some((p) => p.id === o.id));
    expect(added).toHaveLength(1);
    expect(added[0].device.serial).not.toBe(revoked[0].device.serial);
    // The same person, with the roles they held (replaces: revoke).
    expect([added[0].name, added[0].roles]).toEqual([revoked[0].name, revoked[0].roles]);
    expect(replacement).toContain(`Replaces: device ${revoked[0].device.serial} of ${revoked[0].name} (${revoked[0].id}), revoked in this ceremony`);
    if (revoked[0].roles.includes('custodian')) expect(replacement).toContain(`${revoked[0].name} is a backup custodian: every backup they hold a share of must be re-shared next`);
  });
});
