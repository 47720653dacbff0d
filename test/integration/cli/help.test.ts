// Every command's --help, as git's and gh's do, ends with an example or two and its exit codes; the commands are
// read from `officiant --help` and each group's own --help, so a new command without them fails here.
import { describe, expect, it } from 'vitest';
import { officiant } from '../../helpers/cli.js';

/** The command names listed under "Commands:" in a help text. */
function listed(help: string): string[] {
  const at = help.indexOf('Commands:');
  return at < 0 ? [] : help.slice(at).split('\n').slice(1).map((l) => /^  ([a-z][a-z-]*)\b/.exec(l)?.[1]).filter((c): c is string => c !== undefined && c !== 'help');
}

describe('--help', () => {
  it('every command ends with examples and its exit codes', async () => {
    const top = (await officiant(['--help'])).stdout;
    const paths: string[][] = [];
    for (const c of listed(top)) {
      const sub = listed((await officiant([c, '--help'])).stdout);
      if (sub.length === 0) paths.push([c]);
      for (const s of sub) paths.push([c, s]);
    }
    expect(paths.length).toBeGreaterThanOrEqual(16);
    const lacking: string[] = [];
    for (const p of paths) {
      const r = await officiant([...p, '--help']);
      expect(r.code, p.join(' ')).toBe(0);
      if (!/\nExamples?:\n {2}\S/.test(r.stdout) || !/\nExit codes: 0 /.test(r.stdout)) lacking.push(p.join(' '));
    }
    expect(lacking).toEqual([]);
  });
});
