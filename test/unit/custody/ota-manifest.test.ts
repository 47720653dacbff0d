// The manifest parser and the bytes a manifest's signatures cover. The parser is fuzzed (test/helpers/fuzz.ts):
// whatever it is handed, text or structure mutated, nested deep or grown huge, it returns sentences naming
// their path, never throws, and a manifest it accepts has exactly the form the schema promises.
import { describe, expect, it } from 'vitest';
import { MANIFEST_LIMITS, manifestSigningBytes, parseManifest, parseManifestDraft } from '../../../src/custody/ota-manifest.js';
import { generateP256KeyPair } from '../../../src/custody/p256-keys.js';
import { fuzz, mutateJson, mutateText } from '../../helpers/fuzz.js';
import { keySigner, manifestBody, signManifest } from '../../helpers/ota-manifest.js';

const signer = keySigner(generateP256KeyPair().privateKey, '10000001');
const good = signManifest(manifestBody(), [signer]);

describe('manifestSigningBytes', () => {
  it('is the canonical JSON of the body: keys sorted at every depth, no whitespace, UTF-8', () => {
    const body = manifestBody({ targets: manifestBody().targets.slice(0, 1) });
    const text = manifestSigningBytes(body).toString('utf8');
    expect(text).toBe(
      `{"channel":"stable","devices":["oriole","raven"],"expires":"2026-12-31T00:00:00Z","spec_version":1,"targets":[{"kind":"ota-package","length":1000000,"name":"oriole-ota-0.zip","release_sha256":"${body.targets[0].release_sha256}","sha256":"${body.targets[0].sha256}"}],"type":"officiant-ota-manifest","version":42}`,
    );
    const reordered = Object.fromEntries(Object.entries(body).reverse()) as typeof body;
    expect(manifestSigningBytes(reordered).equals(manifestSigningBytes(body))).toBe(true);
  });
});

describe('parseManifest', () => {
  it('reads a manifest and gives the bytes its signatures cover', () => {
    const r = parseManifest(good);
    expect(r.problems).toEqual([]);
    expect(r.manifest?.signed).toEqual(manifestBody());
    expect(r.signedBytes?.equals(manifestSigningBytes(manifestBody()))).toBe(true);
  });

  it.each<[string, unknown, string[]]>([
    ['no signatures', { signed: manifestBody(), signatures: [] }, ['manifest: signatures: too small: expected array to have >=1 items']],
    ['a version 0 and a fractional length', { signed: { ...manifestBody({ version: 0 }), targets: [{ ...manifestBody().targets[0], length: 1.5 }] }, signatures: [{ keyid: 'a'.repeat(64), device_serial: '1', sig: 'AAAA' }] }, ['manifest: signed.version: too small: expected number to be >=1', 'manifest: signed.targets[0].length: must be a whole number, got a number']],
    ['a channel with capitals, a kind of the other authority', { signed: { ...manifestBody({ channel: 'Stable' }), targets: [{ ...manifestBody().targets[0], kind: 'ota-manifest' }] }, signatures: [{ keyid: 'A'.repeat(64), device_serial: 'x y', sig: '!!' }] }, [
      'manifest: signed.channel: must be 1 to 64 lowercase letters, digits, dot, dash or underscore',
      'manifest: signed.targets[0].kind: must be "image" or "ota-payload" or "ota-package" or "vbmeta" or "apk" or "apex" or "release-artifact"',
      'manifest: signatures[0].keyid: must be 64 lowercase hex digits',
      'manifest: signatures[0].device_serial: must be 1 to 64 printable ASCII characters',
      'manifest: signatures[0].sig: must be base64',
    ]],
    ['an array', [], ['manifest: (root): must be an object, got an array']],
  ])('refuses %s, naming each path', (_, value, problems) => {
    expect(parseManifest(Buffer.from(JSON.stringify(value))).problems).toEqual(problems);
  });

  it('refuses a manifest over the size limit unread, and a deep or huge one without a crash', () => {
    const huge = { length: MANIFEST_LIMITS.bytes + 1, buffer: new ArrayBuffer(0), byteOffset: 0 } as unknown as Uint8Array;
    expect(parseManifest(huge).problems).toEqual([`manifest: ${MANIFEST_LIMITS.bytes + 1} bytes, more than the ${MANIFEST_LIMITS.bytes} a manifest may have`]);
    expect(parseManifest(Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).problems).toEqual(['manifest: (root): must be an object, got an array']);
    const deep = `{"signed":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"signatures":[]}`;
    expect(parseManifest(Buffer.from(deep)).problems[0]).toMatch(/^manifest: signed\./);
    const many = { signed: manifestBody({ targets: Array.from({ length: MANIFEST_LIMITS.targets + 1 }, () => manifestBody().targets[0]) }), signatures: [] };
    expect(parseManifest(Buffer.from(JSON.stringify(many))).problems).toContain('manifest: signed.targets: too big: expected array to have <=100000 items');
  });

  const sentences = (out: unknown): string | undefined => {
    const r = out as ReturnType<typeof parseManifest>;
    const bad = r.problems.find((p) => typeof p !== 'string' || !p.startsWith('manifest: ') || /\n\s+at |internal error|Maximum call stack/.test(p));
    if (bad !== undefined) return `problem ${JSON.stringify(bad).slice(0, 200)}`;
    if (r.manifest && (r.problems.length > 0 || !r.signedBytes)) return 'a manifest with problems';
    if (r.manifest && !r.signedBytes!.equals(manifestSigningBytes(r.manifest.signed))) return 'signed bytes that are not the body\'s';
    return undefined;
  };

  it('never throws on mutated text', () => {
    expect(fuzz([good.toString('latin1')], mutateText, (t) => parseManifest(Buffer.from(t, 'latin1')), sentences)).toEqual([]);
  });

  it('never throws on mutated structure', () => {
    const seed = JSON.parse(good.toString()) as unknown;
    expect(fuzz([seed], mutateJson, (v) => parseManifest(Buffer.from(JSON.stringify(v) ?? 'undefined')), sentences)).toEqual([]);
  });
});

describe('parseManifestDraft (the unsigned manifest the ceremony loads)', () => {
  const body = JSON.parse(good.toString()).signed as unknown;
  const draft = Buffer.from(JSON.stringify({ signed: body, signatures: [] }));

  it('reads a draft: the body, and the bytes officers will sign', () => {
    const r = parseManifestDraft(draft);
    expect(r.problems).toEqual([]);
    expect(r.signedBytes!.equals(manifestSigningBytes(r.body!))).toBe(true);
  });

  it.each([
    ['a signature already there', { signed: body, signatures: [{ keyid: 'a'.repeat(64), device_serial: '1', sig: 'AAAA' }] }, /^draft: signatures: .*a draft carries no signatures/],
    ['no signatures field', { signed: body }, /^draft: signatures: /],
    ['an unknown field', { signed: body, signatures: [], note: 1 }, /^draft: /],
    ['a target named by a path', { signed: { ...(body as object), targets: [{ name: '../x', length: 1, sha256: 'a'.repeat(64), kind: 'image', release_sha256: 'b'.repeat(64) }] }, signatures: [] }, /^draft: signed\.targets\[0\]\.name: "\.\.\/x"/],
  ])('refuses %s', (_what, value, problem) => {
    const r = parseManifestDraft(Buffer.from(JSON.stringify(value)));
    expect(r.body).toBeUndefined();
    expect(r.problems[0]).toMatch(problem);
  });

  const plain = (out: unknown): string | undefined => {
    const r = out as ReturnType<typeof parseManifestDraft>;
    const bad = r.problems.find((p) => typeof p !== 'string' || !p.startsWith('draft: ') || /\n\s+at |internal error|Maximum call stack/.test(p));
    if (bad !== undefined) return `problem ${JSON.stringify(bad).slice(0, 200)}`;
    if (r.body && (r.problems.length > 0 || !r.signedBytes)) return 'a draft with problems';
    return undefined;
  };

  it('never throws on mutated text or structure', () => {
    expect(fuzz([draft.toString('latin1')], mutateText, (t) => parseManifestDraft(Buffer.from(t, 'latin1')), plain)).toEqual([]);
    expect(fuzz([JSON.parse(draft.toString()) as unknown], mutateJson, (v) => parseManifestDraft(Buffer.from(JSON.stringify(v) ?? 'undefined')), plain)).toEqual([]);
  });
});
