// The signing plan (custody/signing-plan.ts) and the helper requests a window reads (custody/window-request.ts):
// table rows of what is refused and why, then seeded fuzzing of both readers: whatever the bytes, a list of
// problems, never a throw.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSigningPlan, planSubject, SIGNING_PLAN_TYPE } from '../../../src/custody/signing-plan.js';
import { avbToBeSigned, parseWindowRequest, payloadDigestProblem } from '../../../src/custody/window-request.js';
import { fuzz, mutateJson, mutateText } from '../../helpers/fuzz.js';
import { avbBlock } from '../steps/fakes/window-world.js';

const PLAN = {
  type: SIGNING_PLAN_TYPE,
  inputs: { target_files: { name: 'target_files.zip', sha256: 'a'.repeat(64) }, otatools: { name: 'otatools.zip', sha256: 'b'.repeat(64) } },
  commands: ['avbtool make_vbmeta_image --signing_helper officiant-avb-helper'],
  keys: [{ label: 'avb-2026', algorithm: 'RSA-4096', budget: { avb: 3 } }, { label: 'payload-2026', algorithm: 'EC-P256', budget: { payload: 2 } }],
  time_limit_minutes: 60,
};
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parseSigningPlan', () => {
  it('reads a plan: budgets default to 0, and the subject officers approve names its digest and every key', () => {
    const r = parseSigningPlan(bytes(PLAN));
    expect(r.problems).toEqual([]);
    expect(r.plan!.keys[1].budget).toEqual({ avb: 0, payload: 2 });
    const s = planSubject(r.plan!, r.sha256!);
    expect(s.sha256).toBe(createHash('sha256').update(bytes(PLAN)).digest('hex'));
    expect(s.keys.map((k) => [k.label, k.budget.avb, k.budget.payload])).toEqual([['avb-2026', 3, 0], ['payload-2026', 0, 2]]);
    expect(s.commands).toBe(1);
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /not JSON/],
    ['a key listed twice', { ...PLAN, keys: [PLAN.keys[0], PLAN.keys[0]] }, /keys\[1\]\.label: "avb-2026" is listed twice/],
    ['avb signatures by an EC key', { ...PLAN, keys: [{ label: 'k', algorithm: 'EC-P256', budget: { avb: 1 } }] }, /avbtool signs with RSA-4096 keys here, not EC-P256/],
    ['a key with both an avb and a payload budget', { ...PLAN, keys: [{ label: 'k', algorithm: 'RSA-4096', budget: { avb: 1, payload: 1 } }] }, /"k" has both an avb and a payload budget: a key signs for one kind only/],
    ['a key with no budget', { ...PLAN, keys: [{ label: 'k', algorithm: 'RSA-4096', budget: {} }] }, /may make no signature/],
    ['an unknown field', { ...PLAN, colour: 'red' }, /colour/],
    ['no commands', { ...PLAN, commands: [] }, /commands/],
    ['a time limit over a day', { ...PLAN, time_limit_minutes: 1441 }, /time_limit_minutes/],
    ['a digest that is not hex', { ...PLAN, inputs: { ...PLAN.inputs, otatools: { name: 'o', sha256: 'x' } } }, /inputs\.otatools\.sha256/],
  ])('refuses %s', (_, value, why) => {
    const r = parseSigningPlan(typeof value === 'string' ? Buffer.from(value) : bytes(value));
    expect(r.plan).toBeUndefined();
    expect(r.problems.join('\n')).toMatch(why);
  });
});

describe('parseSigningPlan for a sealed packet (policy: false)', () => {
  it('reads a plan made under other rules (one key with both budgets) that a new session refuses', () => {
    const both = bytes({ ...PLAN, keys: [{ label: 'k', algorithm: 'RSA-4096', budget: { avb: 2, payload: 1 } }] });
    expect(parseSigningPlan(both).plan).toBeUndefined();
    expect(parseSigningPlan(both, 'plan', { policy: false }).problems).toEqual([]);
    expect(parseSigningPlan(bytes({ ...PLAN, keys: [PLAN.keys[0], PLAN.keys[0]] }), 'plan', { policy: false }).problems.join('\n')).toMatch(/listed twice/);
  });
});

describe('avb blocks and payload digests', () => {
  it('takes exactly the named form and gives DigestInfo || H to sign', () => {
    const ok = avbToBeSigned('SHA512_RSA4096', avbBlock(4096, 'sha512'), 4096);
    expect('tbs' in ok && ok.hash === 'sha512' && ok.digest.length === 64 && ok.tbs.length === 83).toBe(true);
  });
  it.each<[string, string | undefined, Buffer, RegExp]>([
    ['an unknown algorithm', 'MD5_RSA4096', avbBlock(4096, 'sha256'), /unknown avb algorithm "MD5_RSA4096"/],
    ['no algorithm', undefined, avbBlock(4096, 'sha256'), /unknown avb algorithm null/],
    ['a first byte of 01', 'SHA256_RSA4096', Buffer.concat([Buffer.from([1]), avbBlock(4096, 'sha256').subarray(1)]), /does not start with 00 01/],
    ['no separator', 'SHA256_RSA4096', Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(510, 0xff)]), /no 00 separator/],
    ['a digest one byte short', 'SHA256_RSA4096', Buffer.concat([Buffer.from([0, 1, 0xff]), avbBlock(4096, 'sha256').subarray(2, -1)]), /digest is 31 bytes, not 32/],
    ['random bytes', 'SHA256_RSA4096', Buffer.alloc(512, 7), /does not start with 00 01/],
  ])('refuses %s', (_, algorithm, block, why) => {
    const r = avbToBeSigned(algorithm, block, 4096);
    expect('problem' in r ? r.problem : 'accepted').toMatch(why);
  });
  it('a payload digest is exactly 32 bytes', () => {
    expect(payloadDigestProblem(Buffer.alloc(32))).toBeUndefined();
    expect(payloadDigestProblem(Buffer.alloc(64))).toMatch(/not 64 bytes/);
  });
});

const either = (s: string, r: () => number) => (r() < 0.5 ? mutateText(s, r) : JSON.stringify(mutateJson(JSON.parse(s), r)));
const onlyProblems = (out: unknown) => {
  const o = out as { problems?: unknown[]; problem?: unknown; plan?: unknown; request?: unknown };
  const p = o.problems ?? (o.problem === undefined ? [] : [o.problem]);
  return p.every((x) => typeof x === 'string' && !/\n\s+at |Maximum call stack/.test(x)) ? undefined : `problems ${JSON.stringify(p).slice(0, 200)}`;
};

// A hang guard only: the size of a run is FUZZ_RUNS.
describe('fuzzing the signing plan and window requests (seeded; FUZZ_RUNS each)', { timeout: 600_000 }, () => {
  it('signing plans: text and structure mutated', () => {
    expect(fuzz([JSON.stringify(PLAN, null, 2)], either, (t) => parseSigningPlan(Buffer.from(t)), onlyProblems)).toEqual([]);
  });
  it('window requests: text and structure mutated, then the avb block check on whatever parsed', () => {
    const seed = JSON.stringify({ op: 'sign', kind: 'avb', algorithm: 'SHA256_RSA4096', key_spki_sha256: 'c'.repeat(64), data: avbBlock(4096, 'sha256').toString('base64'), caller: ['python3', 'avbtool.py'] });
    const parse = (t: string) => {
      const r = parseWindowRequest(Buffer.from(t));
      if (r.request?.op === 'sign') avbToBeSigned(r.request.algorithm, Buffer.from(r.request.data, 'base64'), 4096);
      return r;
    };
    expect(fuzz([seed, JSON.stringify({ op: 'close' })], either, parse, onlyProblems)).toEqual([]);
  });
});
