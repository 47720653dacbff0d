// validate on an Android signing window: the shipped script is valid; a window with no approval before it, or
// approved by a single officer, is refused, named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';

const TEXT = readFileSync(new URL('../../../ceremonies/android-release-signing.yaml', import.meta.url), 'utf8');
const check = (text: string) => parseScript('a.yaml', text).errors.map(formatProblem);

describe('validate: android.sign-window', () => {
  it('the shipped script is valid', () => {
    expect(check(TEXT)).toEqual([]);
  });
  it.each<[string, (t: string) => string, RegExp]>([
    ['no approval of the window', (t) => t.replace('approve: signing-window', 'approve: close'), /steps\[4\]\.kind: android\.sign-window needs a quorum\.approve step before it that approves "signing-window"/],
    ['an approval by one officer (only that is named: the approval step does not parse)', (t) => t.replace('      threshold: 3\n      approve: signing-window', '      threshold: 1\n      approve: signing-window'), /^a\.yaml:\d+:\d+ steps\[3\]\.params\.threshold: dual control: at least 2 distinct people must approve$/],
  ])('refuses %s', (_, edit, why) => {
    const text = edit(TEXT);
    expect(text).not.toBe(TEXT);
    expect(check(text).join('\n')).toMatch(why);
  });
});
