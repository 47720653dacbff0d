// The signing log: lines appended in a hash chain read back; a changed, removed, reordered or cut line is found
// and named; replay, rollback and key usage are answered from it; mangled text never throws.
import { describe, expect, it } from 'vitest';
import { artifactsDigest, keyUsage, lastVersion, parseSigningLog, signedRequest, signingLogLine, type SigningLogFields } from '../../../src/record/signing-log.js';
import { FUZZ_RUNS, FUZZ_SEED, mutateText, rng } from '../../helpers/fuzz.js';

const session = (n: number, over: Partial<SigningLogFields> = {}): SigningLogFields => ({
  at: `2026-12-0${n}T10:00:00.000Z`,
  authority: 'release',
  request_id: `${n}`.repeat(32).slice(0, 32),
  channel: 'stable',
  version: 40 + n,
  ceremony_id: `ceremony-${n}`,
  artifacts: 2,
  artifacts_sha256: artifactsDigest([{ name: 'system.img', sha256: 'a'.repeat(64) }, { name: 'vbmeta.img', sha256: 'b'.repeat(64) }]),
  signatures: { 'release-root-2026': 2 },
  ...over,
});

function log(...sessions: SigningLogFields[]): string {
  let text = '';
  for (const s of sessions) text += signingLogLine(parseSigningLog(text).entries, s);
  return text;
}

const three = log(session(1), session(2, { channel: 'beta', version: 7 }), session(3, { signatures: { 'release-root-2026': 5, 'release-avb-2026': 1 } }));
const lines = three.split('\n').slice(0, -1);

describe('the signing log', () => {
  it('reads back what was appended, in a chain from 64 zeros', () => {
    const { entries, problem } = parseSigningLog(three);
    expect(problem).toBeUndefined();
    expect(entries.map((e) => [e.seq, e.channel, e.version])).toEqual([[1, 'stable', 41], [2, 'beta', 7], [3, 'stable', 43]]);
    expect(entries[0].prev).toBe('0'.repeat(64));
    expect(entries[1].prev).toBe(entries[0].hash);
  });

  it('answers replay, rollback and key usage', () => {
    const { entries } = parseSigningLog(three);
    expect(signedRequest(entries, '2'.repeat(32))?.ceremony_id).toBe('ceremony-2');
    expect(signedRequest(entries, 'f'.repeat(32))).toBeUndefined();
    expect([lastVersion(entries, 'release', 'stable'), lastVersion(entries, 'release', 'beta'), lastVersion(entries, 'release', 'dev'), lastVersion(entries, 'manifest', 'stable')]).toEqual([43, 7, undefined, undefined]);
    expect(keyUsage(entries)).toEqual({ 'release-root-2026': 9, 'release-avb-2026': 1 });
  });

  it.each<[string, string, RegExp]>([
    ['a version changed', three.replace('"version":43', '"version":3'), /^line 3: hash [0-9a-f]{16}… is not the hash of the line \([0-9a-f]{16}…\): it was changed$/],
    ['a line removed', `${lines[0]}\n${lines[2]}\n`, /^line 2: seq is 3, expected 2$/],
    ['two lines swapped', `${lines[1]}\n${lines[0]}\n${lines[2]}\n`, /^line 1: seq is 2, expected 1$/],
    ['a line cut short', three.slice(0, -10), /^the last line is cut short/],
    ['a line that is not JSON', `${lines[0]}\n{\n`, /^line 2: not JSON$/],
    ['an unknown field', `${lines[0].replace('{', '{"approved":true,')}\n`, /^line 1: has unknown field\(s\) approved$/],
    ['a key named __proto__', `${lines[0].replace('"signatures":{', '"signatures":{"__proto__":1,')}\n`, /^line 1: holds a key named __proto__$/],
    ['a relinked rewrite of the first line', (() => { const other = log(session(1, { version: 99 })); return other + lines.slice(1).join('\n') + '\n'; })(), /^line 2: prev [0-9a-f]{16}… is not the hash of the line before/],
  ])('finds %s', (_, text, problem) => {
    expect(parseSigningLog(text).problem).toMatch(problem);
  });

  it('never throws on mangled logs, and reads one without a problem only if it says what the log said', () => {
    // A log cut at a line boundary still reads (the head written elsewhere shows the loss); any other change of
    // what a line says is found. So a mangled log read without a problem is a prefix of the original entries.
    const original = parseSigningLog(three).entries;
    const odd: string[] = [];
    for (let run = 0; run < FUZZ_RUNS; run++) {
      try {
        const r = parseSigningLog(mutateText(three, rng(FUZZ_SEED * 49_979_687 + run)));
        if (r.problem === undefined && JSON.stringify(r.entries) !== JSON.stringify(original.slice(0, r.entries.length))) odd.push(`run ${run}: read a changed log without a problem`);
      } catch (err) {
        odd.push(`run ${run}: threw ${String(err).slice(0, 200)}`);
      }
      if (odd.length > 5) break;
    }
    expect(odd).toEqual([]);
  });
});
