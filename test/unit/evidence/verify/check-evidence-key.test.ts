// The evidence key check with real EC certificates: the packet's certificate must be the one the journal
// recorded and, when the auditor pins one, the trusted one; fingerprints are read as people write them.
import { describe, expect, it } from 'vitest';
import { Group, type Context } from '../../../../src/evidence/verify/check-context.js';
import { checkEvidenceKey, loadEvidenceCert, normalizeFingerprint } from '../../../../src/evidence/verify/check-evidence-key.js';
import type { PacketTrust } from '../../../../src/evidence/verify/packet-report.types.js';
import { createIssuer } from '../../../helpers/roster-fixture.js';
import { writeJournal } from './journal-text.js';
import type { JsonObject } from '../../../../src/record/journal.js';

const CERT = 'outputs/evidence-key.cert.pem';
const evidence = await createIssuer('CN=Evidence key');
const other = await createIssuer('CN=Another key');
const colons = (hex: string) => hex.toUpperCase().match(/../g)!.join(':');

describe('normalizeFingerprint', () => {
  const hex = 'ab'.repeat(32);
  it.each([
    { text: hex, want: hex },
    { text: hex.toUpperCase(), want: hex },
    { text: colons(hex), want: hex },
    { text: ` ${hex.slice(0, 32)} ${hex.slice(32)}\n`, want: hex },
    { text: hex.slice(2), want: undefined },
    { text: `${hex}00`, want: undefined },
    { text: `${hex.slice(2)}zz`, want: undefined },
    { text: '', want: undefined },
  ])('$text -> $want', ({ text, want }) => {
    expect(normalizeFingerprint(text)).toBe(want);
  });
});

/** With `token`: the key was proven on the site's evidence token; `site` is what the first entry pinned. */
function run(opts: { cert?: string; recorded?: string | null; trust?: PacketTrust; token?: string; site?: JsonObject }): Group {
  const files = new Map<string, Buffer>();
  if (opts.cert !== undefined) files.set(CERT, Buffer.from(opts.cert));
  const recorded = opts.recorded === undefined ? evidence.sha256 : opts.recorded;
  const { entries } = writeJournal([
    { type: 'ceremony.started', actor: 'system', data: opts.site ? { site: opts.site } : {} },
    ...(recorded === null
      ? []
      : [
          { type: 'intent' as const, actor: 'system', data: { op: 'evidence.certificate' } },
          { type: 'result' as const, actor: 'system', data: { op: 'evidence.certificate', intent: 2, ok: true, output: { sha256: recorded, ...(opts.token ? { token: opts.token } : {}) } } },
        ]),
  ]);
  const ctx: Context = { files, entries };
  const g = new Group('evidence key');
  loadEvidenceCert(g, ctx);
  checkEvidenceKey(g, ctx, opts.trust);
  return g;
}

describe('checkEvidenceKey', () => {
  const fp = evidence.sha256;
  it.each<{ name: string; opts: Parameters<typeof run>[0]; problems: string[]; notes: string[] }>([
    { name: 'no pin: the fingerprint to compare', opts: { cert: evidence.pem }, problems: [], notes: [`evidence key ${fp} — compare out of band`] },
    { name: 'pinned by fingerprint with colons', opts: { cert: evidence.pem, trust: { sha256: colons(fp) } }, problems: [], notes: [`evidence key ${fp} — matches --trust`] },
    { name: 'pinned by certificate', opts: { cert: evidence.pem, trust: { certificatePem: evidence.pem } }, problems: [], notes: [`evidence key ${fp} — matches --trust`] },
    { name: 'pinned to another certificate', opts: { cert: evidence.pem, trust: { certificatePem: other.pem } }, problems: [`${CERT}: evidence key ${fp} is not the trusted ${other.sha256}`], notes: [] },
    { name: 'pinned to another fingerprint', opts: { cert: evidence.pem, trust: { sha256: other.sha256 } }, problems: [`${CERT}: evidence key ${fp} is not the trusted ${other.sha256}`], notes: [] },
    { name: 'a pin that is no fingerprint', opts: { cert: evidence.pem, trust: { sha256: 'abc' } }, problems: ['--trust: "abc" is not a SHA-256 fingerprint (64 hex digits)'], notes: [] },
    { name: 'a pin that is no PEM', opts: { cert: evidence.pem, trust: { certificatePem: 'nope' } }, problems: ['--trust: not a PEM certificate'], notes: [] },
    {
      name: 'a certificate the journal did not record',
      opts: { cert: other.pem },
      problems: [`${CERT}: SHA-256 ${other.sha256.slice(0, 16)}… is not the certificate journal.jsonl recorded (${fp.slice(0, 16)}…)`],
      notes: [`evidence key ${other.sha256} — compare out of band`],
    },
    { name: 'no certificate recorded', opts: { cert: evidence.pem, recorded: null }, problems: [`${CERT}: journal.jsonl records no evidence certificate (evidence.certificate)`], notes: [`evidence key ${fp} — compare out of band`] },
    {
      name: 'on the evidence token the site pinned at the start',
      opts: { cert: evidence.pem, token: 'ev', site: { tokenLabel: 'rel', evidence: { tokenLabel: 'ev', certificateSha256: fp } } },
      problems: [],
      notes: [`evidence key ${fp} — compare out of band`],
    },
    {
      name: 'on an evidence token the site did not pin',
      opts: { cert: evidence.pem, token: 'ev', site: { tokenLabel: 'rel', evidence: { tokenLabel: 'ev', certificateSha256: other.sha256 } } },
      problems: [`${CERT}: the evidence key on token "ev" is not the one the site pinned when the ceremony started (${other.sha256.slice(0, 16)}…)`],
      notes: [`evidence key ${fp} — compare out of band`],
    },
    {
      name: 'on an evidence token, with no evidence token in the site',
      opts: { cert: evidence.pem, token: 'ev', site: { tokenLabel: 'rel' } },
      problems: [`${CERT}: the evidence key on token "ev" is not the one the site pinned when the ceremony started (none)`],
      notes: [`evidence key ${fp} — compare out of band`],
    },
    { name: 'no certificate file', opts: {}, problems: [`${CERT}: missing (nothing in the packet can be checked as signed)`], notes: [] },
    { name: 'a file that is no PEM', opts: { cert: 'hello' }, problems: [`${CERT}: not a PEM certificate`], notes: [] },
  ])('$name', ({ opts, problems, notes }) => {
    const g = run(opts);
    expect(g.problems).toEqual(problems);
    expect(g.notes).toEqual(notes);
  });
});
