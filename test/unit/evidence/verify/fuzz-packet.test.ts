// Fuzzing the parsers of a packet's files with FUZZ_RUNS seeded mutations each (test/helpers/fuzz.ts), seeded
// from a real crash-drill packet (test/fixtures/fuzz/): the journal (read, chained, and the ceremony recomputed
// from it), manifest.json, its detached CMS signature, the evidence certificate, a signed step page and its
// binding. The verifier must never throw and never report an internal error, whatever the bytes; and a whole
// packet with any file mutated never verifies.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyPacket } from '../../../../src/evidence/verify-packet.js';
import { Group, type Context } from '../../../../src/evidence/verify/check-context.js';
import { checkCeremony } from '../../../../src/evidence/verify/check-ceremony.js';
import { checkJournal, readJournal } from '../../../../src/evidence/verify/check-journal.js';
import { checkManifest } from '../../../../src/evidence/verify/check-manifest.js';
import { checkOutputKeys } from '../../../../src/evidence/verify/check-output-keys.js';
import { checkHeadPin } from '../../../../src/evidence/verify/check-pins.js';
import { verifyDetachedCms } from '../../../../src/evidence/verify/detached-cms.js';
import { parseCertificate, pemCertificateDer } from '../../../../src/evidence/verify/evidence-certificate.js';
import { verifyPdfSignature } from '../../../../src/evidence/verify/check-pdf-signatures.js';
import { readPageBinding } from '../../../../src/evidence/page-binding.js';
import { parseScript } from '../../../../src/script/rules.js';
import { FUZZ_RUNS, fuzz, mutateJson, mutateText } from '../../../helpers/fuzz.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/fuzz/packet-${name}`, import.meta.url));
const journal = fixture('journal.jsonl');
// The journal seed for the parser fuzz: its first 60 entries (check-in to key generation), half the cost a run.
const journalHead60 = Buffer.from(`${journal.toString('utf8').split('\n').slice(0, 60).join('\n')}\n`, 'utf8');
const manifest = fixture('manifest.json');
const script = fixture('script.yaml');
const p7s = fixture('manifest.json.p7s');
const certPem = fixture('evidence-key.cert.pem');
const page = fixture('02-init-token.pdf') as Buffer;
const parsedScript = parseScript('script.yaml', script.toString('utf8')).script!;
const cert = parseCertificate(pemCertificateDer(certPem.toString('utf8'))!);
if (typeof cert === 'string') throw new Error(cert);

const latin1 = (b: Buffer, r: () => number) => Buffer.from(mutateText(b.toString('latin1'), r), 'latin1');
/** Problems that betray a crash inside a check rather than a finding. */
const crashed = (problems: string[]) => problems.find((p) => /internal error|Maximum call stack|TypeError|RangeError/.test(p));

function contextOf(files: Map<string, Buffer>, journalBytes: Buffer): { ctx: Context; read: ReturnType<typeof readJournal> } {
  const read = readJournal(journalBytes);
  const entries = read.entries;
  return {
    read,
    ctx: {
      files,
      entries,
      started: entries[0]?.type === 'ceremony.started' ? entries[0] : undefined,
      final: entries.find((e) => e.type === 'ceremony.completed' || e.type === 'ceremony.aborted'),
      sealed: [...entries].reverse().find((e) => e.type === 'ceremony.sealed'),
    },
  };
}

/** A journal mutated as text, or line by line as JSON (so that most lines still read and the rules run on them). */
function mutateJournal(b: Buffer, r: () => number): Buffer {
  if (r() < 0.3) return Buffer.from(mutateText(b.toString('utf8'), r), 'utf8');
  const lines = b.toString('utf8').trimEnd().split('\n');
  const i = Math.floor(r() * lines.length);
  lines[i] = JSON.stringify(mutateJson(JSON.parse(lines[i]), r));
  if (r() < 0.2) lines.splice(Math.floor(r() * lines.length), 1);
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

// A hang guard only: the size of a run is FUZZ_RUNS, and a loaded machine must not turn it red.
describe('fuzzing the packet parsers (seeded; FUZZ_RUNS each)', { timeout: 600_000 }, () => {
  it('journal.jsonl: read, chained, and the ceremony recomputed from it', () => {
    const failures = fuzz([journalHead60], mutateJournal, (bytes) => {
      const files = new Map([['journal.jsonl', bytes], ['script.yaml', script], ['manifest.json', manifest]]);
      const { ctx, read } = contextOf(files, bytes);
      ctx.script = parsedScript;
      const g = new Group('journal');
      checkJournal(g, ctx, read);
      checkCeremony(g, ctx);
      checkOutputKeys(g, ctx);
      checkHeadPin(g, ctx, 'a b c d e f');
      return g.problems;
    }, (problems) => crashed(problems as string[]));
    expect(failures).toEqual([]);
  });

  it('manifest.json', () => {
    const { ctx } = contextOf(new Map([['journal.jsonl', journal]]), journal);
    const failures = fuzz([manifest], (b, r) => (r() < 0.5 ? latin1(b, r) : Buffer.from(JSON.stringify(mutateJson(JSON.parse(b.toString('utf8')), r)))), (bytes) => {
      const g = new Group('manifest');
      checkManifest(g, { ...ctx, files: new Map([['manifest.json', bytes], ['journal.jsonl', journal]]), manifest: undefined });
      return g.problems;
    }, (problems) => crashed(problems as string[]));
    expect(failures).toEqual([]);
  });

  it('manifest.json.p7s (DER), checked over the manifest', () => {
    const failures = fuzz([p7s], latin1, (der) => verifyDetachedCms(der, [manifest], cert, 'manifest.json.p7s', 'manifest.json'), (problems, der) => ((problems as string[]).length === 0 && !der.equals(p7s) ? 'a mutated signature verified' : crashed(problems as string[])));
    expect(failures).toEqual([]);
  });

  it('manifest.json.p7s: no change of any single byte verifies (versions and other unsigned fields included)', () => {
    expect(verifyDetachedCms(p7s, [manifest], cert, 'manifest.json.p7s', 'manifest.json')).toEqual([]);
    const verified: number[] = [];
    for (let at = 0; at < p7s.length; at++) {
      for (const change of [1, 0x80]) {
        const der = Buffer.from(p7s);
        der[at] ^= change;
        if (verifyDetachedCms(der, [manifest], cert, 'manifest.json.p7s', 'manifest.json').length === 0) verified.push(at);
      }
    }
    expect(verified).toEqual([]);
  });

  it('certificates (PEM and DER)', () => {
    const failures = fuzz([certPem], latin1, (pem) => {
      const der = pemCertificateDer(pem.toString('latin1'));
      return der ? parseCertificate(der) : 'not PEM';
    });
    expect(failures).toEqual([]);
  });

  it('a signed step page: its signature and its binding', () => {
    const failures = fuzz([page], latin1, (pdf) => {
      readPageBinding(pdf);
      return verifyPdfSignature('steps/02-init-token.pdf', pdf, cert);
    }, (problems, pdf) => {
      // The signature's hex may change case, and bytes may follow the signed file, without changing what is signed.
      const same = pdf.subarray(0, page.length).toString('latin1').toLowerCase() === page.toString('latin1').toLowerCase();
      return (problems as string[]).length === 0 && !same ? 'a mutated page verified' : crashed(problems as string[]);
    });
    expect(failures).toEqual([]);
  });

  it('a whole packet with one file mutated never verifies, and verify never throws', () => {
    const seed = new Map([['journal.jsonl', journal], ['manifest.json', manifest], ['manifest.json.p7s', p7s], ['script.yaml', script], ['outputs/evidence-key.cert.pem', certPem], ['steps/02-init-token.pdf', page]]);
    const names = [...seed.keys()];
    const failures = fuzz([seed], (m, r) => {
      const copy = new Map(m);
      const name = names[Math.floor(r() * names.length)];
      copy.set(name, name === 'journal.jsonl' ? mutateJournal(m.get(name)!, r) : latin1(m.get(name)!, r));
      return copy;
    }, (files) => verifyPacket(files, { head: 'a b c d e f', roster: { sha256: 'ab'.repeat(32) } }), (report) => {
      const r = report as ReturnType<typeof verifyPacket>;
      return r.ok ? 'a mutated packet verified' : crashed(r.groups.flatMap((g) => g.problems));
    }, Math.max(50, Math.floor(FUZZ_RUNS / 100)));
    expect(failures).toEqual([]);
  });
});
