// The rules for backups of authority keys: backup.split / backup.reshare / backup.restore and hsm.generate-key
// `backup: true`. Each case edits BASE (valid, no warnings: 3 of 5 custodians) and expects exactly these problems,
// each with its file, line (found in the edited text, so a reflow of BASE does not break the counts) and YAML path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, type Problem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';

const FILE = 'backup.yaml';

const BASE = `id: backup-rules
title: Backup rules
version: 1
authority: release
site:
  hsm: test-hsm
roles:
  admin:
    title: Administrator
    people: 1
  officer:
    title: Crypto Officer
    people: 2
    identity: piv
steps:
  - id: check-in
    kind: participants.check-in
    title: Check in
    instructions: Everyone checks in.
    perform: admin
  - id: init
    kind: hsm.init-token
    title: Token
    instructions: PIN halves.
    perform: officer
    witness: [admin]
    params:
      pin_holders: { role: officer, people: 2 }
  - id: evidence
    kind: evidence.init-key
    title: Evidence key
    instructions: Evidence key.
    perform: officer
  - id: root-key
    kind: hsm.generate-key
    title: Root key
    instructions: Root key.
    perform: officer
    on_failure: abort
    params: { label: root, algorithm: EC-P256, authority: release, purpose: release root, backup: true }
  - id: backup
    kind: backup.split
    title: Backup
    instructions: Split the wrap key among the custodians.
    perform: officer
    params:
      keys: [root]
      custodians:
        - alice
        - bob
        - carol
        - dave
        - erin
      threshold: 3
`;

/** A problem as the rules should report it: file, the 1-based line of the `occurrence`-th line containing `needle`, path, message. */
function want(text: string, needle: string, path: string, message: string, occurrence = 1): Omit<Problem, 'col'> {
  const lines = text.split('\n');
  let seen = 0;
  const index = lines.findIndex((l) => l.includes(needle) && ++seen === occurrence);
  if (index < 0) throw new Error(`test bug: "${needle}" (occurrence ${occurrence}) is not in the text`);
  return { file: FILE, line: index + 1, path, message };
}

const withoutCol = (ps: Problem[]) => ps.map(({ col: _col, ...rest }) => rest);

// BASE and its edits leave out the quorum approvals backup steps need; the approval rules have their own tests
// ("approvals and fresh tokens"), so the other cases set those problems aside.
const APPROVAL_RULE = /^(no quorum\.approve step before it approves|backup\.(restore|reshare) needs a quorum\.approve step before it)/;

function check(text: string, opts: { approvals?: boolean } = {}) {
  const r = parseScript(FILE, text);
  const keep = (ps: Problem[]) => withoutCol(ps).filter((p) => opts.approvals || !APPROVAL_RULE.test(p.message));
  return { script: r.script, errors: keep(r.errors), warnings: keep(r.warnings) };
}

/** Replaces exactly one occurrence of `from` (a test whose edit silently does nothing would prove nothing). */
function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + from.length) >= 0) throw new Error(`test bug: "${from}" must occur exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const CUSTODIAN_BLOCK = `      custodians:
        - alice
        - bob
        - carol
        - dave
        - erin
`;

describe('backup.split: the base script', () => {
  it('is valid with no warnings, and absent_allowed defaults to 1', () => {
    const r = check(BASE);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const step = r.script?.steps[4];
    expect(step?.kind).toBe('backup.split');
    expect(step?.params).toEqual({ keys: ['root'], custodians: ['alice', 'bob', 'carol', 'dave', 'erin'], threshold: 3, absent_allowed: 1 });
    const gen = r.script?.steps[3];
    expect(gen?.kind === 'hsm.generate-key' && gen.params.backup).toBe(true);
  });
});

describe('backup.split: custodians and threshold', () => {
  it('refuses a custodian listed twice, at the second listing, and counts distinct custodians (3 of 4 warns)', () => {
    const text = edit(BASE, '        - erin\n', '        - bob\n');
    const r = check(text);
    expect(r.errors).toEqual([
      want(text, '- bob', 'steps[4].params.custodians[4]', 'custodian "bob" is already named at custodians[1]: each custodian holds one share', 2),
    ]);
    expect(r.warnings).toEqual([want(text, '- alice', 'steps[4].params.custodians', '3 of 4: 1 lost share(s) are survivable; consider more custodians')]);
    expect(r.script).toBeUndefined();
  });

  it('refuses a threshold above the number of custodians', () => {
    const text = edit(BASE, 'threshold: 3', 'threshold: 6');
    const r = check(text);
    const about = r.errors.filter((p) => p.path === 'steps[4].params.threshold');
    expect(about).toEqual([want(text, 'threshold: 6', 'steps[4].params.threshold', '6 shares needed but only 5 distinct custodians: the backup could never be restored')]);
    expect(r.script).toBeUndefined();
  });

  it('refuses a threshold above the number of distinct custodians (a duplicate does not count twice)', () => {
    const text = edit(edit(BASE, '        - erin\n', '        - dave\n'), 'threshold: 3', 'threshold: 5');
    const r = check(text);
    expect(r.errors).toContainEqual(want(text, 'threshold: 5', 'steps[4].params.threshold', '5 shares needed but only 4 distinct custodians: the backup could never be restored'));
    expect(r.errors).toContainEqual(
      want(text, '- dave', 'steps[4].params.custodians[4]', 'custodian "dave" is already named at custodians[3]: each custodian holds one share', 2),
    );
  });

  it('refuses m of m (n - m < 1): no spare share', () => {
    const text = edit(BASE, 'threshold: 3', 'threshold: 5\n      absent_allowed: 0');
    const r = check(text);
    expect(r.errors).toEqual([
      want(text, 'threshold: 5', 'steps[4].params.threshold', '5 of 5 leaves no spare share: losing one custodian or token would lose the keys (need at least 6 custodians)'),
    ]);
    expect(r.warnings).toEqual([]);
    expect(r.script).toBeUndefined();
  });

  it('m of m with an absence allowed is refused once, for the missing spare share, not again for the absence', () => {
    const text = edit(BASE, 'threshold: 3', 'threshold: 5\n      absent_allowed: 1');
    const r = check(text);
    expect(r.errors).toEqual([
      want(text, 'threshold: 5', 'steps[4].params.threshold', '5 of 5 leaves no spare share: losing one custodian or token would lose the keys (need at least 6 custodians)'),
    ]);
  });

  it('accepts absent_allowed 1 with one spare share, and refuses absent_allowed 2 in the schema', () => {
    const one = edit(edit(BASE, '        - erin\n', ''), 'threshold: 3', 'threshold: 3\n      absent_allowed: 1');
    expect(check(one).errors).toEqual([]);
    const two = edit(BASE, 'threshold: 3', 'threshold: 3\n      absent_allowed: 2');
    expect(check(two).errors).toEqual([want(two, 'absent_allowed: 2', 'steps[4].params.absent_allowed', 'too big: expected number to be <=1')]);
  });

  it.each([
    { name: '3 of 4 (few custodians)', remove: ['        - erin\n'], threshold: 3, message: '3 of 4: 1 lost share(s) are survivable; consider more custodians' },
    { name: '2 of 3', remove: ['        - erin\n', '        - dave\n'], threshold: 2, message: '2 of 3: 1 lost share(s) are survivable; consider more custodians' },
    { name: '4 of 5 (one spare)', remove: [], threshold: 4, message: '4 of 5: 1 lost share(s) are survivable; consider more custodians' },
  ])('warns about few spare shares: $name', ({ remove, threshold, message }) => {
    let text = edit(BASE, 'threshold: 3', `threshold: ${threshold}`);
    for (const line of remove) text = edit(text, line, '');
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([want(text, '- alice', 'steps[4].params.custodians', message)]);
    expect(r.script).toBeDefined();
  });

  it('does not warn about 3 of 6', () => {
    const text = edit(BASE, '        - erin\n', '        - erin\n        - frank\n');
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('refuses a threshold of 1 in the schema (dual control)', () => {
    const text = edit(BASE, 'threshold: 3', 'threshold: 1');
    const r = parseScript(FILE, text);
    expect(r.errors.map(formatProblem).map((l) => l.replace(/:\d+ /, ' '))).toEqual([
      `${FILE}:${want(text, 'threshold: 1', '', '').line} steps[4].params.threshold: dual control: at least 2 custodians must be needed to restore`,
    ]);
    expect(r.script).toBeUndefined();
  });

  it('refuses a single custodian in the schema', () => {
    const text = edit(edit(BASE, CUSTODIAN_BLOCK, '      custodians: [alice]\n'), 'threshold: 3', 'threshold: 2');
    expect(check(text).errors).toEqual([want(text, 'custodians: [alice]', 'steps[4].params.custodians', 'too small: expected array to have >=2 items')]);
  });
});

describe('backup.split: the roster form of custodians', () => {
  it('accepts { roster: custodian, count: 5 }', () => {
    const text = edit(BASE, CUSTODIAN_BLOCK, '      custodians: { roster: custodian, count: 5 }\n');
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const step = r.script?.steps[4];
    expect(step?.kind === 'backup.split' && step.params.custodians).toEqual({ roster: 'custodian', count: 5 });
  });

  it('applies the m-of-n rules to the count', () => {
    const text = edit(edit(BASE, CUSTODIAN_BLOCK, '      custodians: { roster: custodian, count: 3 }\n'), 'threshold: 3', 'threshold: 3\n      absent_allowed: 0');
    expect(check(text).errors).toEqual([
      want(text, 'threshold: 3', 'steps[4].params.threshold', '3 of 3 leaves no spare share: losing one custodian or token would lose the keys (need at least 4 custodians)'),
    ]);
    const four = edit(BASE, CUSTODIAN_BLOCK, '      custodians: { roster: custodian, count: 4 }\n');
    expect(check(four).warnings).toEqual([want(four, 'custodians: {', 'steps[4].params.custodians', '3 of 4: 1 lost share(s) are survivable; consider more custodians')]);
  });

  it.each([
    ['another roster role', '{ roster: officer, count: 5 }', 'steps[4].params.custodians', 'invalid input'],
    ['a count of 1', '{ roster: custodian, count: 1 }', 'steps[4].params.custodians.count', 'too small: expected number to be >=2'],
    ['an unknown key', '{ roster: custodian, count: 5, spare: 1 }', 'steps[4].params.custodians.spare', 'unknown key'],
  ])('refuses %s in the schema', (_name, value, path, message) => {
    const text = edit(BASE, CUSTODIAN_BLOCK, `      custodians: ${value}\n`);
    const r = check(text);
    expect(r.errors).toEqual([want(text, 'custodians: {', path, message)]);
    expect(r.script).toBeUndefined();
  });
});

describe('backup.split: which keys it may back up', () => {
  it('refuses a key no step generates (and warns that the backup: true key is never backed up)', () => {
    const text = edit(BASE, 'keys: [root]', 'keys: [missing]');
    const r = check(text);
    expect(r.errors).toEqual([want(text, 'keys: [missing]', 'steps[4].params.keys[0]', 'key "missing" is not generated by an earlier hsm.generate-key step')]);
    expect(r.warnings).toEqual([want(text, 'label: root', 'steps[3].params.backup', 'key "root" is made extractable for backup, but no later backup.split backs it up')]);
  });

  it('refuses a key generated only after the split', () => {
    const text = `${edit(BASE, 'keys: [root]', 'keys: [root, late]')}  - id: late-key
    kind: hsm.generate-key
    title: Late key
    instructions: Late key.
    perform: officer
    on_failure: abort
    params: { label: late, algorithm: EC-P256, authority: release, purpose: late, backup: true }
`;
    const r = check(text);
    expect(r.errors).toEqual([want(text, 'keys: [root, late]', 'steps[4].params.keys[1]', 'key "late" is not generated by an earlier hsm.generate-key step')]);
    expect(r.warnings).toEqual([want(text, 'label: late', 'steps[5].params.backup', 'key "late" is made extractable for backup, but no later backup.split backs it up')]);
  });

  it('refuses the evidence key (made by evidence.init-key, not hsm.generate-key)', () => {
    const text = edit(BASE, 'keys: [root]', 'keys: [root, officiant-evidence]');
    expect(check(text).errors).toEqual([
      want(text, 'keys: [root, officiant-evidence]', 'steps[4].params.keys[1]', 'key "officiant-evidence" is not generated by an earlier hsm.generate-key step'),
    ]);
  });

  it.each([
    ['without backup', ', backup: true }', ' }'],
    ['with backup: false', ', backup: true }', ', backup: false }'],
  ])('refuses a key generated %s', (_name, from, to) => {
    const text = edit(BASE, from, to);
    const r = check(text);
    expect(r.errors).toEqual([
      want(text, 'keys: [root]', 'steps[4].params.keys[0]', 'key "root" (steps[3]) is not generated with backup: true, so the HSM will never let it be wrapped'),
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('warns about a backup: true key that no backup.split covers, at its backup flag', () => {
    const text = edit(
      BASE,
      '  - id: backup\n',
      `  - id: spare-key
    kind: hsm.generate-key
    title: Spare key
    instructions: Spare key.
    perform: officer
    on_failure: abort
    params:
      label: spare
      algorithm: EC-P384
      authority: release
      purpose: spare
      backup: true
  - id: backup
`,
    );
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([want(text, 'backup: true', 'steps[4].params.backup', 'key "spare" is made extractable for backup, but no later backup.split backs it up', 2)]);
    // covered once the split names it
    expect(check(edit(text, 'keys: [root]', 'keys: [root, spare]')).warnings).toEqual([]);
  });

  it('does not count a backup.split before the key as covering it', () => {
    const text = `${BASE}  - id: again
    kind: hsm.generate-key
    title: Another key
    instructions: Another key.
    perform: officer
    on_failure: abort
    params: { label: again, algorithm: EC-P256, authority: release, purpose: again, backup: true }
`;
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([want(text, 'label: again', 'steps[5].params.backup', 'key "again" is made extractable for backup, but no later backup.split backs it up')]);
  });
});

describe('backup.reshare and backup.restore', () => {
  const RESHARE = (params: string) =>
    edit(
      BASE,
      `  - id: backup
    kind: backup.split
    title: Backup
    instructions: Split the wrap key among the custodians.
    perform: officer
    params:
      keys: [root]
`,
      `  - id: reshare
    kind: backup.reshare
    title: Re-share
    instructions: Re-share the wrap key.
    perform: officer
    params:
${params}`,
    );

  it('re-share: the same custodian and threshold rules as a split, and no keys of its own', () => {
    // root (backup: true) is no longer backed up by a split in this script
    const ok = RESHARE('');
    const r = check(ok);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([want(ok, 'label: root', 'steps[3].params.backup', 'key "root" is made extractable for backup, but no later backup.split backs it up')]);

    const dup = edit(RESHARE(''), '        - erin\n', '        - alice\n');
    expect(check(dup).errors).toEqual([
      want(dup, '- alice', 'steps[4].params.custodians[4]', 'custodian "alice" is already named at custodians[0]: each custodian holds one share', 2),
    ]);

    const tooMany = edit(RESHARE(''), 'threshold: 3', 'threshold: 5\n      absent_allowed: 0');
    expect(check(tooMany).errors).toEqual([
      want(tooMany, 'threshold: 5', 'steps[4].params.threshold', '5 of 5 leaves no spare share: losing one custodian or token would lose the keys (need at least 6 custodians)'),
    ]);

    const withKeys = RESHARE('      keys: [root]\n');
    const k = check(withKeys);
    expect(k.errors).toEqual([{ file: FILE, line: want(withKeys, 'keys: [root]', '', '').line, path: 'steps[4].params.keys', message: 'unknown key' }]);
  });

  // A restore is approved first (without the approval the script does not parse at all).
  const RESTORE = (extra: string) =>
    `${BASE}  - id: approve-restore
    kind: quorum.approve
    title: Approve
    instructions: Officers approve.
    perform: officer
    params: { role: officer, threshold: 2, approve: restore }
  - id: restore
    kind: backup.restore
    title: Restore
    instructions: Restore the keys.
    perform: officer
${extra}`;

  it('restore: parameters are optional; keys, when given, is a non-empty list; nothing else is allowed', () => {
    const bare = check(RESTORE(''));
    expect(bare.errors).toEqual([]);
    expect(bare.script?.steps[6].kind).toBe('backup.restore');
    expect(bare.script?.steps[6].params).toEqual({});

    const named = check(RESTORE('    params: { keys: [root] }\n'));
    expect(named.errors).toEqual([]);
    expect(named.script?.steps[6]).toMatchObject({ kind: 'backup.restore', params: { keys: ['root'] } });

    const empty = RESTORE('    params: { keys: [] }\n');
    expect(check(empty).errors).toEqual([want(empty, 'keys: []', 'steps[6].params.keys', 'too small: expected array to have >=1 items')]);

    const unknown = RESTORE('    params: { threshold: 3 }\n');
    expect(check(unknown).errors).toEqual([{ file: FILE, line: want(unknown, 'params: { threshold: 3 }', '', '').line, path: 'steps[6].params.threshold', message: 'unknown key' }]);
  });

  it('a backup step uses the token: it needs site.hsm', () => {
    const text = edit(
      `id: restore-only
title: Restore only
version: 1
authority: release
site:
  hsm: test-hsm
  pin_holders: { role: officer, people: 2 }
roles:
  officer:
    title: Crypto Officer
    people: 2
    identity: piv
steps:
  - id: check-in
    kind: participants.check-in
    title: Check in
    instructions: Everyone checks in.
    perform: officer
  - id: evidence
    kind: evidence.init-key
    title: Evidence key
    instructions: Evidence key.
    perform: officer
  - id: restore
    kind: backup.restore
    title: Restore
    instructions: Restore the keys.
    perform: officer
`,
      '  hsm: test-hsm\n',
      '',
    );
    const r = check(text);
    const restoreProblems = r.errors.filter((p) => p.path.startsWith('steps[2]'));
    expect(restoreProblems).toEqual([
      want(text, 'kind: backup.restore', 'steps[2].kind', 'an hsm step needs site.hsm: the HSM profile the ceremony uses'),
      want(text, 'kind: backup.restore', 'steps[2].kind', 'backup.restore works in a fresh token: an earlier hsm.init-token step must initialise it'),
    ]);
    // with site.hsm put back, only the fresh-token rule remains
    const withHsm = edit(text, 'site:\n', 'site:\n  hsm: test-hsm\n');
    expect(check(withHsm).errors).toEqual([
      want(withHsm, 'kind: backup.restore', 'steps[2].kind', 'backup.restore works in a fresh token: an earlier hsm.init-token step must initialise it'),
    ]);
  });
});

describe('approvals and fresh tokens', () => {
  const APPROVE = (target: string) => `  - id: approve-${target}
    kind: quorum.approve
    title: Approve
    instructions: Officers approve.
    perform: officer
    params: { role: officer, threshold: 2, approve: ${target} }
`;
  const PIV_BASE = BASE;

  it('a split without an approval warns at its kind; with one approving it, nothing', () => {
    const r = check(PIV_BASE, { approvals: true });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([want(PIV_BASE, 'kind: backup.split', 'steps[4].kind', 'no quorum.approve step before it approves "backup": the backup is made without the officers\' approval')]);
    const approved = edit(PIV_BASE, '  - id: backup\n', `${APPROVE('backup')}  - id: backup\n`);
    expect(check(approved, { approvals: true })).toMatchObject({ errors: [], warnings: [] });
  });

  it('restore and re-share need an approval and an earlier hsm.init-token (a fresh token): errors at their kind', () => {
    for (const kind of ['backup.restore', 'backup.reshare']) {
      const params = kind === 'backup.reshare' ? `    params:\n${CUSTODIAN_BLOCK}      threshold: 3\n` : '';
      const step = `  - id: target\n    kind: ${kind}\n    title: Target\n    instructions: Work from the backup.\n    perform: officer\n${params}`;
      const bare = `${PIV_BASE}${step}`;
      expect(check(bare, { approvals: true }).errors).toEqual([want(bare, `kind: ${kind}`, 'steps[5].kind', `${kind} needs a quorum.approve step before it that approves "target"`)]);
      const approved = `${PIV_BASE}${APPROVE('target')}${step}`;
      expect(check(approved, { approvals: true }).errors).toEqual([]);
      // Without hsm.init-token (the token is an existing one, activated by site.pin_holders): refused.
      const noInit = edit(
        edit(approved, '  - id: init\n    kind: hsm.init-token\n    title: Token\n    instructions: PIN halves.\n    perform: officer\n    witness: [admin]\n    params:\n      pin_holders: { role: officer, people: 2 }\n', ''),
        '  hsm: test-hsm\n',
        '  hsm: test-hsm\n  pin_holders: { role: officer, people: 2 }\n',
      );
      expect(check(noInit, { approvals: true }).errors).toEqual([want(noInit, `kind: ${kind}`, 'steps[5].kind', `${kind} works in a fresh token: an earlier hsm.init-token step must initialise it`)]);
    }
  });
});

describe('the shipped backup ceremonies', () => {
  it.each(['ceremonies/release-authority-init.yaml', 'ceremonies/release-authority-restore.yaml', 'ceremonies/backup-reshare.yaml'])('%s validates with no errors', (file) => {
    const r = parseScript(file, readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8'));
    expect(r.errors.map(formatProblem)).toEqual([]);
    expect(r.script).toBeDefined();
    expect(r.warnings.filter((w) => /backup|share/.test(w.message)).map(formatProblem)).toEqual([]);
  });

  it('the init ceremony backs up its root key 3 of the roster\'s 5 custodians, after generating it with backup: true', () => {
    const file = 'ceremonies/release-authority-init.yaml';
    const script = parseScript(file, readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')).script!;
    const gen = script.steps.findIndex((s) => s.kind === 'hsm.generate-key' && s.params.label === 'release-root-2026' && s.params.backup);
    const split = script.steps.findIndex((s) => s.kind === 'backup.split');
    expect(gen).toBeGreaterThanOrEqual(0);
    expect(split).toBeGreaterThan(gen);
    expect(script.steps[split].params).toEqual({ keys: ['release-root-2026'], custodians: { roster: 'custodian', count: 5 }, threshold: 3, absent_allowed: 1 });
  });

  it('the restore ceremony restores every key of the backup', () => {
    const file = 'ceremonies/release-authority-restore.yaml';
    const script = parseScript(file, readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')).script!;
    expect(script.steps.filter((s) => s.kind === 'backup.restore').map((s) => s.params)).toEqual([{}]);
  });
});
