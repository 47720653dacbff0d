// `officiant keyring export` driven as a person would, then checked with the outside tools and the exact
// commands docs/signed-documents.md gives (jq, base64, openssl): every signature of the written keyring
// verifies with openssl, and its signer's certificate is the officer's 9a certificate on the roster. A
// roster that does not verify is refused with exit 2, every problem listed, and nothing written.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyringBody, RosterFile } from '../../../src/custody/roster.types.js';
import { officiant, ROOT } from '../../helpers/cli.js';
import { createRosterBody, createRosterFile, createRosterWorld, tamper } from '../../helpers/roster-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'officiant-keyring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const world = await createRosterWorld();
const [o1, o2, o3] = world.officers;
const v1 = createRosterBody(world);
const v1File = createRosterFile(v1, [o1, o2, o3]);
const v2File = createRosterFile(createRosterBody(world, { version: 2, previous_sha256: v1File.roster.payload_sha256, issued_at: '2025-07-01T10:00:00.000Z' }), [o1, o3]);
const DOC = readFileSync(join(ROOT, 'docs/signed-documents.md'), 'utf8');

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
}

/** Runs a command the way the documented pipeline does: stdin from the previous command, stdout as bytes. */
function run(cmd: string, args: string[], input?: Buffer | string): Buffer {
  return execFileSync(cmd, args, { cwd: dir, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** docs/signed-documents.md, "Checking a keyring signature by hand", for signature N: openssl's verdict. */
function checkByHand(keyring: string, roster: string, n: number): { verified: string; signerSha: string; rosterSha: string } {
  writeFileSync(join(dir, 'keyring.payload'), run('base64', ['-d'], run('jq', ['-r', '.payload', keyring])));
  writeFileSync(join(dir, 'signer.pem'), run('jq', ['-r', `.signatures[${n}].certificate`, keyring]));
  writeFileSync(join(dir, 'signer.sig'), run('base64', ['-d'], run('jq', ['-r', `.signatures[${n}].signature`, keyring])));
  writeFileSync(join(dir, 'signer.pub'), run('openssl', ['x509', '-in', 'signer.pem', '-pubkey', '-noout']));
  const verify = spawnSync('openssl', ['dgst', '-sha256', '-verify', 'signer.pub', '-signature', 'signer.sig', 'keyring.payload'], { cwd: dir, encoding: 'utf8' });
  const signerSha = run('openssl', ['dgst', '-sha256', '-r'], run('openssl', ['x509', '-in', 'signer.pem', '-outform', 'DER'])).toString().split(' ')[0];
  const officer = run('jq', ['-r', `.signatures[${n}].officer`, keyring]).toString().trim();
  const rosterBody = run('base64', ['-d'], run('jq', ['-r', '.roster.payload', roster]));
  const rosterSha = run('jq', ['-r', '--arg', 'id', officer, '.officers[] | select(.id == $id) | .keys["9a"].certificate_sha256'], rosterBody).toString().trim();
  return { verified: `${verify.status} ${verify.stdout.trim()}`, signerSha, rosterSha };
}

describe('officiant keyring export', () => {
  it('the documentation gives the commands this test runs', () => {
    for (const line of [
      'jq -r .payload keyring.json | base64 -d > keyring.payload',
      'jq -r ".signatures[$N].certificate" keyring.json > signer.pem',
      'jq -r ".signatures[$N].signature" keyring.json | base64 -d > signer.sig',
      'openssl x509 -in signer.pem -pubkey -noout > signer.pub',
      'openssl dgst -sha256 -verify signer.pub -signature signer.sig keyring.payload',
      'openssl x509 -in signer.pem -outform DER | openssl dgst -sha256 -r',
      'jq -r .roster.payload roster.json | base64 -d | openssl dgst -sha256 -r',
    ]) {
      expect(DOC).toContain(line);
    }
  });

  it('writes the keyring of a first roster; openssl verifies every signature by an officer on the roster', async () => {
    const roster = write('roster.json', v1File);
    const out = join(dir, 'keyring.json');
    const r = await officiant(['keyring', 'export', '--roster', roster, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const keyring = JSON.parse(readFileSync(out, 'utf8'));
    expect(keyring).toEqual(v1File.keyring);
    expect(keyring.signatures).toHaveLength(3);
    for (const o of [o1, o2, o3]) {
      expect(r.stdout).toContain(`  ${o.officer.id}  device ${o.officer.device.serial}  spki sha256 ${o.officer.keys['9c']!.spki_sha256}\n`);
    }
    expect(r.stdout).toContain(`roster ${roster}: version 1, manifest authority, sha256 ${v1File.roster.payload_sha256}\n`);
    expect(r.stdout).toContain('keyring: 3 key(s), signed by crypto-officer-1, crypto-officer-2, crypto-officer-3\n');
    expect(r.stdout).toContain('rehearsal only');

    keyring.signatures.forEach((s: { officer: string }, n: number) => {
      const hand = checkByHand(out, roster, n);
      expect(hand.verified, s.officer).toBe('0 Verified OK');
      expect(hand.signerSha).toMatch(/^[0-9a-f]{64}$/);
      expect(hand.signerSha).toBe(hand.rosterSha);
    });
    const rosterSha = run('openssl', ['dgst', '-sha256', '-r'], run('base64', ['-d'], run('jq', ['-r', '.roster.payload', roster]))).toString().split(' ')[0];
    expect(run('jq', ['-r', '.roster_sha256'], run('base64', ['-d'], run('jq', ['-r', '.payload', out]))).toString().trim()).toBe(rosterSha);
  });

  it('the same commands report a keyring whose payload was changed after signing', () => {
    const body = JSON.parse(Buffer.from(v1File.keyring.payload, 'base64').toString('utf8')) as KeyringBody;
    const forged = tamper(v1File.keyring, () => ({ ...body, keys: body.keys.slice(0, 2) }) as never);
    const path = write('forged-keyring.json', forged);
    const hand = checkByHand(path, write('roster-for-forged.json', v1File), 0);
    expect(hand.verified).toBe('1 Verification failure');
  });

  it('refuses a tampered roster with exit 2, every problem listed, and writes nothing', async () => {
    const bad: RosterFile = { ...v1File, roster: tamper(v1File.roster, (b) => ({ ...b, officers: b.officers.map((o) => (o.id === 'crypto-officer-2' ? { ...o, roles: [...o.roles, 'auditor'] } : o)) })) };
    const roster = write('tampered.json', bad);
    const out = join(dir, 'tampered-keyring.json');
    const r = await officiant(['keyring', 'export', '--roster', roster, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`officiant: roster ${roster} does not verify: 4 problem(s)`);
    expect(lines.slice(1, 4)).toEqual([1, 2, 3].map((i) => `  roster signature ${i} (crypto-officer-${i}, device 1000000${i}): does not verify over the payload`));
    expect(lines[4]).toMatch(/^ {2}keyring roster_sha256 is "[0-9a-f]{64}", the roster gives "[0-9a-f]{64}"$/);
    expect(existsSync(out)).toBe(false);
  });

  it('checks a later roster against the previous one given with --previous', async () => {
    const previous = write('v1.json', v1File);
    const roster = write('v2.json', v2File);
    const out = join(dir, 'v2-keyring.json');
    const alone = await officiant(['keyring', 'export', '--roster', roster, '--out', out]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(`  roster version 2 replaces roster ${v1File.roster.payload_sha256}: the previous roster is needed to check who signed it\n`);
    expect(existsSync(out)).toBe(false);

    const r = await officiant(['keyring', 'export', '--roster', roster, '--previous', previous, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`previous roster ${previous}: version 1, sha256 ${v1File.roster.payload_sha256}\n`);
    expect(r.stdout).toContain('keyring: 3 key(s), signed by crypto-officer-1, crypto-officer-3\n');
    const keyring = JSON.parse(readFileSync(out, 'utf8'));
    keyring.signatures.forEach((_: unknown, n: number) => {
      // The signers are officers of the previous roster: their certificates are looked up there.
      const hand = checkByHand(out, previous, n);
      expect(hand.verified).toBe('0 Verified OK');
      expect(hand.signerSha).toBe(hand.rosterSha);
    });
  });

  it('refuses a rehearsal roster in production, naming every simulated device', async () => {
    const roster = write('rehearsal.json', v1File);
    const out = join(dir, 'production-keyring.json');
    const r = await officiant(['keyring', 'export', '--roster', roster, '--out', out, '--production', '--attestation-root', world.root.sha256]);
    expect(r.code).toBe(2);
    for (const serial of ['10000001', '10000002', '10000003']) expect(r.stderr).toContain(`  device ${serial} is simulated: a rehearsal roster is not valid in production\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an existing output file and leaves it unchanged', async () => {
    const roster = write('roster-2.json', v1File);
    const out = write('existing.json', 'keep me');
    const r = await officiant(['keyring', 'export', '--roster', roster, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`officiant: ${out} already exists\n`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });

  it('a roster that is not JSON is bad input; one that cannot be read is the environment', async () => {
    const notJson = write('not-json.json', '{ roster');
    const r = await officiant(['keyring', 'export', '--roster', notJson, '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('  roster file is not JSON\n');
    const missing = await officiant(['keyring', 'export', '--roster', join(dir, 'missing.json'), '--out', join(dir, 'y.json')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`officiant: cannot read roster ${join(dir, 'missing.json')}: no such file\n`);
    expect(existsSync(join(dir, 'x.json')) || existsSync(join(dir, 'y.json'))).toBe(false);
  });
});
