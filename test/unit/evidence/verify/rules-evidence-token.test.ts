// The PIN halves of the site's evidence token (evidence.use-key), over the journal of a real run
// (test/fixtures/use-evidence-token.yaml on SoftHSM): its logins are typed by two distinct checked-in people
// of the role the step names, the same two every time; no security-officer login; never the ceremony's own
// token. The release token's logins keep their own rule.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../../src/record/journal.js';
import { parseScript } from '../../../../src/script/rules.js';
import { checkPinHalves } from '../../../../src/evidence/verify/rules-people.js';

const read = (rel: string) => readFileSync(new URL(`../../../fixtures/${rel}`, import.meta.url), 'utf8');
const script = parseScript('script.yaml', read('use-evidence-token.yaml')).script!;
const journal = read('evidence-token/journal.jsonl').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry);
const EVIDENCE = 'fixture-evidence';
const isEvidenceLogin = (e: JournalEntry) => e.data.what === 'hsm-login' && e.data.token === EVIDENCE;

function problems(entries: JournalEntry[]): string[] {
  const out: string[] = [];
  checkPinHalves(entries, script, { fail: (m) => out.push(m) });
  return out;
}

/** The journal with `extra` (each a copy of the evidence login with changes) after the evidence login. */
function withLogin(...extra: Array<Record<string, unknown>>): JournalEntry[] {
  const i = journal.findIndex(isEvidenceLogin);
  const copies = extra.map((x) => ({ ...journal[i], step: 'generate', data: { ...journal[i].data, ...x } }) as JournalEntry);
  return [...journal.slice(0, i + 1), ...copies, ...journal.slice(i + 1)];
}

describe('pin halves of the evidence token', () => {
  it('the journal as written breaks no rule, and its evidence login is the evidence step\'s', () => {
    expect(journal.filter(isEvidenceLogin).map((e) => e.step)).toEqual(['evidence']);
    expect(problems(journal)).toEqual([]);
  });

  it.each<[string, JournalEntry[], RegExp]>([
    ['one person typing both halves', withLogin({ by: ['Carol Officer', 'Carol Officer'] }), /^pin halves: line \d+: Carol Officer and Carol Officer typed the PIN halves: dual control needs two distinct people$/],
    ['a later login by other people', withLogin({ by: ['Alice Admin', 'Walter Witness'] }), /^pin halves: line \d+: typed by Alice Admin and Walter Witness, not by the evidence token's PIN holders Carol Officer and Dave Officer$/],
    ['a later login by people of another role', withLogin({ by: ['Alice Admin', 'Walter Witness'] }), /^pin halves: line \d+: Alice Admin typed a PIN half as Ceremony Administrator, the script gives the halves to Crypto Officer$/],
    ['a security-officer login to the evidence token', withLogin({ what: 'hsm-so-login' }), /^pin halves: line \d+: a security-officer login to the evidence token "fixture-evidence"$/],
    [
      'the evidence token named as the ceremony\'s own',
      journal.map((e, i) => (i === 0 ? ({ ...e, data: { ...e.data, site: { ...(e.data.site as object), tokenLabel: EVIDENCE } } } as JournalEntry) : e)),
      /^pin halves: the evidence token "fixture-evidence" is the ceremony's own token, not a token of its own$/,
    ],
  ])('%s is FAILED', (_what, entries, rule) => {
    const found = problems(entries);
    expect(found.filter((p) => rule.test(p)), found.join('\n')).toHaveLength(1);
  });

  it('a release-token login typed by the evidence token\'s holders is still judged by the release token\'s rule', () => {
    const i = journal.findIndex((e) => e.data.what === 'hsm-login' && e.data.token !== EVIDENCE);
    const swapped = journal.map((e, j) => (j === i ? ({ ...e, data: { ...e.data, by: ['Dave Officer', 'Carol Officer'] } } as JournalEntry) : e));
    expect(problems(swapped).some((p) => p.includes('not by the PIN holders Carol Officer and Dave Officer'))).toBe(true);
  });
});
