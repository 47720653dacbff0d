// What the keyboard typed as secrets in this session, kept only as keyed digests in memory (never the value,
// never on disk), so a free-text answer that is, or holds as a word, a PIN or PIN half just typed is refused
// before it is recorded in clear (a deviation reason goes onto a signed page and into index.csv). Words, not
// substrings: a half "0051" never blocks the serial "TB-00510001", and probing for someone's half character by
// character tells nothing. The key is drawn once per process: the digests mean nothing outside it.
import { createHmac, randomBytes } from 'node:crypto';

export class TypedSecrets {
  private readonly key = randomBytes(32);
  private readonly seen = new Set<string>();

  private digest(s: string): string {
    return createHmac('sha256', this.key).update(s, 'utf8').digest('hex');
  }

  remember(value: string): void {
    if (value.length > 0) this.seen.add(this.digest(value));
  }

  /** True when the text, or one of its words (punctuation at either end dropped), is a secret typed in this session. */
  within(text: string): boolean {
    const words = text.split(/\s+/).map((w) => w.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, ''));
    return [text.trim(), ...text.split(/\s+/), ...words].some((w) => w.length > 0 && this.seen.has(this.digest(w)));
  }
}
