// What the keyboard typed as secrets in this session, kept only as keyed digests in memory (never the value,
// never on disk), so a free-text answer that holds a PIN or PIN half just typed is refused before it is
// recorded in clear (a deviation reason goes onto a signed page and into index.csv). The key is drawn once per
// process: the digests mean nothing outside it.
import { createHmac, randomBytes } from 'node:crypto';

/** Shorter secrets would match ordinary words by chance; they are matched as the whole answer only. */
const SUBSTRING_MIN = 4;

export class TypedSecrets {
  private readonly key = randomBytes(32);
  private readonly seen = new Map<number, Set<string>>();

  private digest(s: string): string {
    return createHmac('sha256', this.key).update(s, 'utf8').digest('hex');
  }

  remember(value: string): void {
    if (value.length === 0) return;
    const set = this.seen.get(value.length) ?? new Set<string>();
    set.add(this.digest(value));
    this.seen.set(value.length, set);
  }

  /** True when the text is, or (for secrets of 4 or more characters) contains, a secret typed in this session. */
  within(text: string): boolean {
    for (const [length, set] of this.seen) {
      if (length < SUBSTRING_MIN) {
        if (text.length === length && set.has(this.digest(text))) return true;
        if (text.trim().length === length && set.has(this.digest(text.trim()))) return true;
        continue;
      }
      for (let i = 0; i + length <= text.length; i++) if (set.has(this.digest(text.slice(i, i + length)))) return true;
    }
    return false;
  }
}
