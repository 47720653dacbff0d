// The site: the script's HSM profile resolved from the site file and the flags, and the site file's piv
// section (attestation roots read now, relative to the site file). Every problem at once, each naming its file
// and field; a site file that does not parse gives its schema problems and nothing else from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScript } from '../../../src/inputs/script.js';
import { loadSite, type SiteFlags } from '../../../src/inputs/site.js';
import { MemoryInputFiles } from './memory-input-files.js';
import { createAuthority } from '../../helpers/release-bundle.js';

const INIT = readFileSync(new URL('../../../ceremonies/release-authority-init.yaml', import.meta.url), 'utf8');
const script = loadScript(new MemoryInputFiles().file('/s.yaml', INIT), '/s.yaml').value!.script;
const ROOT_PEM = '-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n';

const SITE = `hsm:
  release-hsm: { module: /usr/lib/softhsm/libsofthsm2.so, token_label: release-2026 }
piv:
  module: /usr/lib/libykcs11.so
  attestation_roots: [roots/yubico.pem]
  roster_sha256: ${'ab'.repeat(32)}
`;

describe('loadSite', () => {
  it('resolves the profile from the site file, flags overriding it, and reads the attestation roots beside it', () => {
    const files = new MemoryInputFiles().file('/etc/site/site.yaml', SITE).file('/etc/site/roots/yubico.pem', ROOT_PEM);
    const loaded = loadSite(files, script, { site: '/etc/site/site.yaml', tokenLabel: 'other', slot: '3' });
    expect(loaded.problems).toEqual([]);
    expect(loaded.value).toEqual({
      hsm: { profile: 'release-hsm', module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'other', slot: 3 },
      piv: { module: '/usr/lib/libykcs11.so', attestationRoots: [ROOT_PEM], rosterSha256: 'ab'.repeat(32) },
    });
  });

  it.each<[string, MemoryInputFiles, SiteFlags, [string, string, string, string][]]>([
    [
      'a site file without the profile, a bad --slot and two unreadable attestation roots',
      new MemoryInputFiles()
        .file('/etc/site.yaml', 'hsm: {}\npiv:\n  module: /lib/ykcs11.so\n  attestation_roots: [a.pem, b.pem, c.pem]\n')
        .file('/etc/b.pem', ROOT_PEM)
        .dir('/etc/c.pem'),
      { site: '/etc/site.yaml', slot: 'two' },
      [
        ['input.site-invalid', '/etc/site.yaml', 'hsm.release-hsm', '/etc/site.yaml has no hsm profile "release-hsm" (the script\'s site.hsm)'],
        ['input.site-invalid', 'command line', '--slot', '--slot must be a whole number'],
        ['input.not-a-ceremony', '/etc/site.yaml', 'piv.attestation_roots[0]', 'cannot read attestation root certificate /etc/a.pem: no such file'],
        ['input.not-a-ceremony', '/etc/site.yaml', 'piv.attestation_roots[2]', 'cannot read attestation root certificate /etc/c.pem: it is a directory'],
      ],
    ],
    [
      'no site file and only a module',
      new MemoryInputFiles(),
      { module: '/lib/softhsm2.so', slot: '1.5' },
      [
        ['input.site-invalid', 'command line', 'hsm.release-hsm', 'no module path and token label for HSM profile "release-hsm": give --site <file> or --module and --token-label'],
        ['input.site-invalid', 'command line', '--slot', '--slot must be a whole number'],
      ],
    ],
    [
      'an unreadable site file (nothing is taken from it; the flags are still checked)',
      new MemoryInputFiles().denied('/etc/site.yaml'),
      { site: '/etc/site.yaml', slot: 'x' },
      [
        ['env.permission', '/etc/site.yaml', '(file)', 'cannot read site file /etc/site.yaml: permission denied'],
        ['input.site-invalid', 'command line', '--slot', '--slot must be a whole number'],
      ],
    ],
  ])('%s: every problem', (_, files, flags, expected) => {
    const loaded = loadSite(files, script, flags);
    expect(loaded.value).toBeUndefined();
    expect(loaded.problems.map((p) => [p.code, p.file, p.field, p.message])).toEqual(expected);
  });

  it('reports every schema problem of the site file under one headline, and nothing else taken from it', () => {
    const files = new MemoryInputFiles().file('/etc/site.yaml', 'hsm:\n  release-hsm: { module: 3, token_label: x, colour: red }\npiv: { module: /lib/y.so }\n');
    const loaded = loadSite(files, script, { site: '/etc/site.yaml' });
    expect(loaded.problems.map((p) => [p.field, p.message])).toEqual([
      ['hsm.release-hsm.module', '/etc/site.yaml:2:26 hsm.release-hsm.module: must be a string, got a number'],
      ['hsm.release-hsm.colour', '/etc/site.yaml:2:45 hsm.release-hsm.colour: unknown key'],
      ['piv.attestation_roots', '/etc/site.yaml:3:6 piv.attestation_roots: is required'],
    ]);
    expect(loaded.problems.every((p) => p.code === 'input.site-invalid' && p.file === '/etc/site.yaml' && p.group === '/etc/site.yaml: 3 problem(s)')).toBe(true);
  });
});

describe('loadSite: the manifest authority section', () => {
  const MANIFEST = readFileSync(new URL('../../../ceremonies/manifest-signing.yaml', import.meta.url), 'utf8');
  const manifestScript = loadScript(new MemoryInputFiles().file('/m.yaml', MANIFEST), '/m.yaml').value!.script;
  const site = (sha: string, cert = 'authority/release.pem') =>
    `hsm:\n  evidence-hsm: { module: /lib/softhsm2.so, token_label: evidence }\nmanifest_authority:\n  release_certificate: ${cert}\n  release_certificate_sha256: "${sha}"\n  signing_log: logs/manifest.jsonl\n`;

  it('reads the pinned release certificate and resolves the signing log beside the site file', async () => {
    const release = await createAuthority('ec');
    const files = new MemoryInputFiles().file('/etc/site/site.yaml', site(release.sha256)).file('/etc/site/authority/release.pem', release.pem);
    const loaded = loadSite(files, manifestScript, { site: '/etc/site/site.yaml' });
    expect(loaded.problems).toEqual([]);
    expect(loaded.value?.manifestAuthority).toEqual({ releaseCertificatePem: Buffer.from(release.pem), releaseCertificateFile: '/etc/site/authority/release.pem', signingLog: '/etc/site/logs/manifest.jsonl' });
  });

  it.each<[string, (pem: string, sha: string) => MemoryInputFiles, [string, string][]]>([
    ['a certificate that is not the pinned one', (pem) => new MemoryInputFiles().file('/etc/site.yaml', site('0'.repeat(64))).file('/etc/authority/release.pem', pem), [['manifest_authority.release_certificate_sha256', `/etc/site.yaml manifest_authority.release_certificate_sha256: authority/release.pem has SHA-256 `]]],
    ['a missing certificate file', (_, sha) => new MemoryInputFiles().file('/etc/site.yaml', site(sha)), [['manifest_authority.release_certificate', "cannot read release authority's certificate /etc/authority/release.pem: no such file"]]],
    ['a file that is not a certificate', (_, sha) => new MemoryInputFiles().file('/etc/site.yaml', site(sha)).file('/etc/authority/release.pem', 'hello'), [['manifest_authority.release_certificate', '/etc/site.yaml manifest_authority.release_certificate: authority/release.pem is not a PEM certificate']]],
  ])('refuses %s, naming the field', async (_, make, expected) => {
    const release = await createAuthority('ec');
    const loaded = loadSite(make(release.pem, release.sha256), manifestScript, { site: '/etc/site.yaml' });
    expect(loaded.value).toBeUndefined();
    expect(loaded.problems.map((p) => [p.field, p.message.slice(0, expected[0][1].length)])).toEqual(expected);
    expect(loaded.problems.every((p) => p.file === '/etc/site.yaml')).toBe(true);
  });

  it('says whether the section is there even when other problems leave no site (so a run does not call it missing)', async () => {
    const release = await createAuthority('ec');
    const files = new MemoryInputFiles().file('/etc/site.yaml', site(release.sha256)).file('/etc/authority/release.pem', release.pem);
    const withSlot = loadSite(files, manifestScript, { site: '/etc/site.yaml', slot: 'x' });
    expect(withSlot.value).toBeUndefined();
    expect(withSlot.sections).toEqual({ manifestAuthority: true });
    const without = loadSite(new MemoryInputFiles().file('/etc/site.yaml', 'hsm:\n  evidence-hsm: { module: /m.so, token_label: e }\n'), manifestScript, { site: '/etc/site.yaml', slot: 'x' });
    expect(without.sections).toEqual({ manifestAuthority: false });
    expect(loadSite(new MemoryInputFiles().file('/etc/site.yaml', 'colour: red\n'), manifestScript, { site: '/etc/site.yaml' }).sections).toBeUndefined();
  });
});
