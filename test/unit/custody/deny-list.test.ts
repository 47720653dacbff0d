// The built-in deny list: the fifteen public AOSP and AVB test keys with the SHA-256 of their
// SubjectPublicKeyInfo as published (../shared/SIGNING.md's table, repeated here as the test's own record), the
// public test private key's public half among them, and the bytes an artifact would hold (the RSA modulus as
// openssl prints it). A damaged entry is refused by name.
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtInDenyList, deniedKey, keyNeedle, readDenyList, spkiSha256 } from '../../../src/custody/deny-list.js';

const fixture = (name: string) => new URL(`../../fixtures/test-keys/${name}`, import.meta.url);
const PUBLISHED: Record<string, string> = {
  testkey: 'ef57b690165cb561b5026922c00d2d6574e8b184fa7d161e076f06e06e6d35db',
  platform: '3d3df7dc9bf26e02d4cd76256d41d45e41a4dedebe7feb95c40e3697681be8a7',
  shared: '2b59625f19b7d0d143a69fb7a02d42b151480ddfe60b0572070ac24afca212a0',
  media: '091377d6fd00e4e217b750571d45cbe1a32c7fa74075138fc529fdf162b5416f',
  networkstack: '7bfcc5541e9f18e3738b1d5fa0b8524d44bac99424cfdcc6594d9386d4daaf15',
  sdk_sandbox: 'd2e67bf7c0aaa67f3a4f7dc35dd2d45aa111a91e06a2cc517eaf9c249de31454',
  bluetooth: 'de5b1ddc59331bbdeee26d6467dd4f9fc09719098ba7dcb6a973045781a0e36c',
  nfc: '9318ca97d2c148ca94639603b68d0928068158113d23a1cfca30acc4df2cac37',
  'avb testkey_rsa2048': '27f501a05553b8086eaea2ddabeb46c96b3ca30cd6ceb0d4f30e5bc0c543d507',
  'avb testkey_rsa4096': '9841073d16a7abbe21059e026da71976373d8f74fdb91cc46aa0a7d622b925b9',
  'avb testkey_rsa8192': '8d11ff993173d66a268020ce91ea4801a90b358ddd639dfe771204330c33da01',
  'avb testkey_atx_pik': '5c465203f66d5e55a381455ff1ed69403623aa5fde02d6805eabecc9a3fecd75',
  'avb testkey_atx_prk': '991259d9f9f6a9a29ba41babde3a50c50078dcafbaf57040b91989a866db8289',
  'avb testkey_atx_psk': 'bfdebdfa61ed3fd68d6ed274e162fc170af3cb3700e41d0fd71c54db1a34a7a5',
  'avb testkey_atx_puk': '000d7b990448ba4ab1f682e4166cf342ef192e1d037686010052abf3bb093c1d',
};

describe('the built-in deny list', () => {
  it('holds exactly the published AOSP and AVB test keys, each with its source', () => {
    const list = builtInDenyList();
    expect(Object.fromEntries(list.map((k) => [k.name, k.spkiSha256]))).toEqual(PUBLISHED);
    for (const k of list) expect(k.source).toMatch(/^AOSP (build\/make\/target\/product\/security|external\/avb\/test\/data)\//);
  });

  it('denies the public test private key (avb testkey_rsa2048) and the testkey certificate', () => {
    const list = builtInDenyList();
    const priv = createPrivateKey(readFileSync(fixture('avb-testkey_rsa2048.PUBLIC-TEST-KEY.private.pem')));
    expect(deniedKey(list, spkiSha256(createPublicKey(priv)))?.name).toBe('avb testkey_rsa2048');
    const cert = new X509Certificate(readFileSync(fixture('testkey.x509.pem')));
    expect(deniedKey(list, spkiSha256(cert.publicKey).toUpperCase())?.name).toBe('testkey');
    expect(deniedKey(list, spkiSha256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey))).toBeUndefined();
  });

  it('knows an RSA key by its modulus as openssl prints it, and an EC key by its point', () => {
    const modulus = execFileSync('openssl', ['x509', '-in', fixture('testkey.x509.pem').pathname, '-noout', '-modulus'], { encoding: 'utf8' }).trim().replace(/^Modulus=/, '');
    expect(builtInDenyList().find((k) => k.name === 'testkey')!.needle.toString('hex').toUpperCase()).toBe(modulus);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const point = keyNeedle(ec);
    expect([point.length, point[0]]).toEqual([65, 4]);
    expect(ec.export({ type: 'spki', format: 'der' }).subarray(-65).equals(point)).toBe(true);
  });

  it('refuses a damaged entry by name: a wrong SHA-256, a key that is not a key', () => {
    const good = builtInDenyList()[0];
    const pem = good.key.export({ type: 'spki', format: 'pem' }) as string;
    const { keys, problems } = readDenyList(
      [
        { name: 'ok', source: 's', spki_sha256: good.spkiSha256, public_key: pem },
        { name: 'drifted', source: 's', spki_sha256: 'ab'.repeat(32), public_key: pem },
        { name: 'garbage', source: 's', spki_sha256: 'ab'.repeat(32), public_key: 'nope' },
      ],
      'policy deny_list',
    );
    expect(keys.map((k) => k.name)).toEqual(['ok']);
    expect(problems).toEqual([`policy deny_list[1] "drifted": spki_sha256 ${'ab'.repeat(32)} is not its key's (${good.spkiSha256})`, 'policy deny_list[2] "garbage": public_key is not a PEM public key']);
  });
});
